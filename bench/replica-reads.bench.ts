/**
 * Replica reads (`scaleReads`) against master-only reads, rows of the `store` (Sentinel) and
 * `cluster` suites, in the same run:
 *
 * - `master commands per read`: a fixed loop of GETs (100 in flight) through each policy; the
 *   GET/MGET calls each MASTER executed, from its own INFO commandstats, divided by the reads.
 *   Goal: at least 60 % of reads off the masters. The row's timing is that loop's wall time
 *   per read (ratio to master-only in the same run).
 * - `GET, 100 in flight`: read throughput of each policy (tinybench), master-only the baseline.
 *   On a 2-core machine the servers and the client share the cores, so this shows the cost of
 *   spreading reads (more connections, the choice per read), not the scale a fleet gets.
 *
 * It starts its own servers with the test helpers (Sentinel: 1 master + 2 replicas + 3
 * sentinels; Cluster: 3 + 3), so it runs from source only:
 *
 *   RINGCACHE_REPLICA_BENCH_TIME=300 npx vitest run --project hybrid test/integration/replica-reads-bench.test.ts
 */
import { ClusterStore } from '../src/stores/cluster-store';
import type { ScaleReads } from '../src/stores/replicas';
import { RedisStore } from '../src/stores/redis-store';
import type { KeyValueStore } from '../src/stores/store';
import { rowsFromSamples, runGroup, serverHelper, type BenchOptions, type BenchRow } from './lib';
import { task } from './store.bench';

const CONCURRENCY = 100;
const LOOP_READS = 5000;
const KEYS = Array.from({ length: 1000 }, (_, i) => `bench:replica:${i}`);
const POLICIES: readonly ScaleReads[] = ['master', 'slave', 'all'];

interface SentinelSetup {
  name: string;
  endpoints: { host: string; port: number }[];
  data: { port: number }[];
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}
interface ClusterSetup {
  startupNodes: { host: string; port: number }[];
  masters(): Promise<{ port: number }[]>;
  stop(): Promise<void>;
}
interface Helpers {
  sentinel: { RedisSentinel: { start(o: { replicas: number }): Promise<SentinelSetup> } };
  cluster: { RedisCluster: { start(): Promise<ClusterSetup> } };
  stats: { commandCalls(port: number): Promise<Record<string, number>> };
}

async function helpers(): Promise<Helpers> {
  const load = <T>(name: string) => serverHelper<T>(name as 'redis-server', 'replica-reads', '(nothing: run it from source)');
  return {
    sentinel: await load('redis-sentinel'),
    cluster: await load('redis-cluster'),
    stats: await load('command-stats'),
  };
}

/** GET + MGET calls of `ports` now. */
async function readCalls(h: Helpers, ports: readonly number[]): Promise<number> {
  let n = 0;
  for (const p of ports) {
    const c = await h.stats.commandCalls(p);
    n += (c.get ?? 0) + (c.mget ?? 0);
  }
  return n;
}

/**
 * The master-commands-per-read rows of one suite: `rounds` (default 3) loops per policy, in
 * turn; a row's name carries the master commands per read (the same in every round: counts).
 */
async function masterShare(
  h: Helpers,
  suite: string,
  stores: Map<ScaleReads, KeyValueStore>,
  masters: () => Promise<number[]>,
  rounds: number,
): Promise<BenchRow[]> {
  const policies = [...stores.keys()];
  const samples = policies.map((): number[] => []);
  const perRead = policies.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < policies.length; i++) {
      const store = stores.get(policies[i])!;
      const ports = await masters();
      const before = await readCalls(h, ports);
      const t0 = process.hrtime.bigint();
      for (let done = 0; done < LOOP_READS; done += CONCURRENCY) {
        await Promise.all(Array.from({ length: CONCURRENCY }, (_, j) => store.get(KEYS[(done + j) % KEYS.length])));
      }
      samples[i].push(Number(process.hrtime.bigint() - t0) / LOOP_READS);
      perRead[i] = Math.max(perRead[i], ((await readCalls(h, ports)) - before) / LOOP_READS);
    }
  }
  const names = policies.map((p, i) => `scaleReads '${p}': ${perRead[i].toFixed(3)} master cmds/read (${((1 - perRead[i]) * 100).toFixed(0)} % off the masters)`);
  return rowsFromSamples(suite, 'master commands per read, GET, 100 in flight', names, samples, names[0], 'wall');
}

async function suiteRows(h: Helpers, suite: string, stores: Map<ScaleReads, KeyValueStore>, masters: () => Promise<number[]>, opts: BenchOptions): Promise<BenchRow[]> {
  const writer = stores.get('master')!;
  await writer.mset(KEYS.map((k) => [k, `v:${k}`] as const));
  for (const s of stores.values()) await s.mget(KEYS.slice(0, 100)); // connect every node
  await new Promise((r) => setTimeout(r, 1500)); // replicas synced and listed (cluster: slot table refresh)
  const rows = await masterShare(h, suite, stores, masters, Math.min(opts.rounds ?? 3, 3));
  rows.push(...(await runGroup(suite, 'replica reads: GET, 100 in flight', [...stores].map(([p, s]) => task(`scaleReads '${p}'`, CONCURRENCY, (i) => s.get(KEYS[i % KEYS.length]))), opts)));
  return rows;
}

/** The rows of both suites (each starts and stops its own servers). */
export async function runReplicaReadsBench(opts: BenchOptions = {}): Promise<BenchRow[]> {
  const h = await helpers();
  const rows: BenchRow[] = [];
  const sentinel = await h.sentinel.RedisSentinel.start({ replicas: 2 });
  try {
    const node = { sentinels: sentinel.endpoints, name: sentinel.name };
    const stores = new Map<ScaleReads, KeyValueStore>(POLICIES.map((p) => [p, new RedisStore(node, { scaleReads: p })]));
    try {
      rows.push(...(await suiteRows(h, 'store', stores, async () => [await sentinel.masterPort()], opts)));
    } finally {
      await Promise.all([...stores.values()].map((s) => s.close()));
    }
  } finally {
    await sentinel.stop();
  }
  const cluster = await h.cluster.RedisCluster.start();
  try {
    const stores = new Map<ScaleReads, KeyValueStore>(POLICIES.map((p) => [p, new ClusterStore(cluster.startupNodes, { scaleReads: p })]));
    try {
      rows.push(...(await suiteRows(h, 'cluster', stores, async () => (await cluster.masters()).map((m) => m.port), opts)));
    } finally {
      await Promise.all([...stores.values()].map((s) => s.close()));
    }
  } finally {
    await cluster.stop();
  }
  return rows;
}
