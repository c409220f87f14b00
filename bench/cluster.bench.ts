/**
 * Cluster suite: `mget` of N keys spread over all 16384 slots on a 3-master Redis Cluster.
 *
 * Group "mget N keys over all slots" (baseline: ioredis `Cluster` with `enableAutoPipelining`,
 * per-key GET all in flight — the strongest idiomatic configuration):
 * - ioredis Cluster, per-key GET awaited one by one (what a naive loop does);
 * - ioredis Cluster, per-key GET all in flight (`Promise.all`, no auto-pipelining);
 * - hand-grouped: keys grouped by master (cluster-key-slot + the client's slot map), one
 *   pipeline of GETs per master, answers put back in order (any Redis version);
 * - ClusterStore.mget (default: one script call per master, which needs Redis ≥ 7.0 for the
 *   `allow-cross-slot-keys` script flag);
 * - ClusterStore.mget with `crossSlotScripts: false` (one MGET/GET per slot, pipelined per
 *   master; any Redis version).
 * Group "mset N keys over all slots": the same shapes for writes.
 * Group "vs a single node" (baseline: one MGET of the same N keys on a standalone redis-server):
 * - ClusterStore.mget on the cluster.
 *
 * It starts its own cluster and standalone server on free loopback ports (test/helpers) unless
 * given `cluster: 'host:port'` / `redis: 'redis://host:port'`, pinned to other CPUs than this
 * process where `taskset` allows; it writes N keys (`bench:cluster:*`) and deletes them
 * afterwards. Medians of the rounds (bench/lib `runGroup`).
 */
import type { Cluster, Redis } from 'ioredis';
import { ClusterStore } from '../src/stores/cluster-store';
import { makeKeys, optionalRequire, pinApart, runGroup, runMain, serverHelper, setupStep, type BenchOptions, type BenchRow, type BenchTask } from './lib';

/** Options of {@link runClusterBench}. */
export interface ClusterBenchOptions extends BenchOptions {
  /** A node of an existing cluster, `host:port`; default: start one (3 masters + 3 replicas). */
  cluster?: string;
  /** An existing standalone Redis for the single-node reference, `redis://host:port`; default: start one. */
  redis?: string;
}

interface StartedCluster {
  startupNodes: { host: string; port: number }[];
  nodes: { proc?: { pid: number } }[];
  stop(): Promise<void>;
}
interface StartedServer {
  options: { host: string; port: number };
  pid: number | undefined;
  stop(): Promise<void>;
}

function hostPort(s: string): { host: string; port: number } {
  const u = new URL(s.includes('://') ? s : `redis://${s}`);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
}

/** Runs the suite; rows as in every suite (`nsPerOp` per key, `ratio` to the group's baseline). */
export async function runClusterBench(opts: ClusterBenchOptions = {}): Promise<BenchRow[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const io = require('ioredis') as typeof import('ioredis');
  const n = opts.keys ?? 1000;
  const cleanup: (() => Promise<unknown>)[] = [];
  const pids: number[] = [];
  try {
    let startup: { host: string; port: number }[];
    if (opts.cluster) startup = [hostPort(opts.cluster)];
    else {
      opts.onProgress?.('cluster: starting a 3+3 Redis Cluster');
      const { RedisCluster } = await serverHelper<{ RedisCluster: { start(): Promise<StartedCluster> } }>('redis-cluster', 'cluster', '--cluster HOST:PORT');
      const rc = await setupStep('cluster', 'start a Redis Cluster', '--cluster HOST:PORT', () => RedisCluster.start());
      cleanup.push(() => rc.stop());
      startup = rc.startupNodes;
      for (const node of rc.nodes) if (node.proc) pids.push(node.proc.pid);
    }
    let single: { host: string; port: number };
    if (opts.redis) single = hostPort(opts.redis);
    else {
      const { RedisServer } = await serverHelper<{ RedisServer: { start(): Promise<StartedServer> } }>('redis-server', 'cluster', '--redis redis://HOST:PORT');
      const rs = await setupStep('cluster', 'start a redis-server (the single-node reference)', '--redis redis://HOST:PORT', () => RedisServer.start());
      cleanup.push(() => rs.stop());
      single = rs.options;
      if (rs.pid !== undefined) pids.push(rs.pid);
    }
    if (pids.length) opts.onProgress?.(`cluster: ${pinApart(pids)}`);

    const keys = makeKeys(n, 12, 24, 4).map((k) => `bench:cluster:${k}`);
    const value = 'v'.repeat(64);
    const plain: Cluster = new io.Cluster(startup);
    const auto: Cluster = new io.Cluster(startup, { enableAutoPipelining: true });
    const store = new ClusterStore(startup);
    const perSlot = new ClusterStore(startup, { crossSlotScripts: false });
    const redis: Redis = new io.Redis(single.port, single.host);
    cleanup.unshift(async () => {
      await store.mdel(keys);
      await redis.del(...keys);
      await Promise.all([store.close(), perSlot.close(), plain.quit(), auto.quit(), redis.quit()]);
    });
    await store.mset(keys.map((k) => [k, value]));
    await redis.mset(...keys.flatMap((k) => [k, value]));

    // Round trips: wall time.
    const wall: BenchOptions = { ...opts, clock: 'wall' };
    let sink = 0;
    const check = (vals: (string | null)[]): void => {
      sink += vals.length;
      if (vals[n - 1] !== value) throw new Error('bench read a wrong value');
    };
    // Hand-grouped per-master pipelines, what a careful user writes on plain ioredis.
    const slotOf = optionalRequire<(key: string) => number>('cluster-key-slot');
    const byMaster = (): Map<string, string[]> => {
      const slotMap = (plain as unknown as { slots: string[][] }).slots;
      const groups = new Map<string, string[]>();
      for (const k of keys) {
        const node = slotMap[slotOf!(k)][0];
        const list = groups.get(node);
        if (list) list.push(k);
        else groups.set(node, [k]);
      }
      return groups;
    };
    await Promise.all([plain.get(keys[0]), auto.get(keys[0])]); // connected: slot map and masters known
    const masters = new Map<string, Redis>();
    for (const m of plain.nodes('master')) masters.set(`${m.options.host}:${m.options.port}`, m);
    const pipelined = async (op: (pipe: ReturnType<Redis['pipeline']>, k: string) => void): Promise<Map<string, unknown>> => {
      const out = new Map<string, unknown>();
      await Promise.all(
        [...byMaster()].map(async ([node, ks]) => {
          const pipe = masters.get(node)!.pipeline();
          for (const k of ks) op(pipe, k);
          const res = (await pipe.exec()) ?? [];
          for (let i = 0; i < ks.length; i++) {
            if (res[i][0]) throw res[i][0];
            out.set(ks[i], res[i][1]);
          }
        }),
      );
      return out;
    };

    const slots = `mget ${n} keys over all slots`;
    const autoGet = 'ioredis Cluster + enableAutoPipelining: per-key GET';
    const getTasks: BenchTask[] = [
      { name: autoGet, opsPerCall: n, fn: async () => check(await Promise.all(keys.map((k) => auto.get(k)))) },
      {
        name: 'ioredis Cluster: per-key GET, awaited one by one',
        opsPerCall: n,
        fn: async () => {
          const out: (string | null)[] = [];
          for (const k of keys) out.push(await plain.get(k));
          check(out);
        },
      },
      { name: 'ioredis Cluster: per-key GET, all in flight', opsPerCall: n, fn: async () => check(await Promise.all(keys.map((k) => plain.get(k)))) },
      { name: 'ClusterStore.mget (cross-slot scripts, Redis ≥ 7)', opsPerCall: n, fn: async () => check(await store.mget(keys)) },
      { name: 'ClusterStore.mget (crossSlotScripts: false, any Redis)', opsPerCall: n, fn: async () => check(await perSlot.mget(keys)) },
    ];
    if (slotOf && masters.size > 0) {
      getTasks.splice(3, 0, {
        name: 'ioredis: hand-grouped GET pipeline per master',
        opsPerCall: n,
        fn: async () => {
          const got = await pipelined((p, k) => p.get(k));
          check(keys.map((k) => got.get(k) as string | null));
        },
      });
    }
    const rows = await runGroup('cluster', slots, getTasks, wall, autoGet);
    const entries = keys.map((k) => [k, value] as [string, string]);
    const autoSet = 'ioredis Cluster + enableAutoPipelining: per-key SET';
    const setTasks: BenchTask[] = [
      { name: autoSet, opsPerCall: n, fn: () => Promise.all(keys.map((k) => auto.set(k, value))) },
      {
        name: 'ioredis Cluster: per-key SET, awaited one by one',
        opsPerCall: n,
        fn: async () => {
          for (const k of keys) await plain.set(k, value);
        },
      },
      { name: 'ioredis Cluster: per-key SET, all in flight', opsPerCall: n, fn: () => Promise.all(keys.map((k) => plain.set(k, value))) },
      { name: 'ClusterStore.mset (cross-slot scripts, Redis ≥ 7)', opsPerCall: n, fn: () => store.mset(entries) },
      { name: 'ClusterStore.mset (crossSlotScripts: false, any Redis)', opsPerCall: n, fn: () => perSlot.mset(entries) },
    ];
    if (slotOf && masters.size > 0) {
      setTasks.splice(3, 0, { name: 'ioredis: hand-grouped SET pipeline per master', opsPerCall: n, fn: () => pipelined((p, k) => p.set(k, value)) });
    }
    rows.push(...(await runGroup('cluster', `mset ${n} keys over all slots`, setTasks, wall, autoSet)));
    const singleName = `single node: one MGET of ${n} keys`;
    rows.push(
      ...(await runGroup(
        'cluster',
        'vs a single node',
        [
          { name: singleName, opsPerCall: n, fn: async () => check(await redis.mget(...keys)) },
          { name: 'ClusterStore.mget (3 masters, cross-slot scripts)', opsPerCall: n, fn: async () => check(await store.mget(keys)) },
        ],
        wall,
        singleName,
      )),
    );
    if (sink < 0) console.log(sink);
    return rows;
  } finally {
    for (const c of cleanup) await c().catch(() => undefined);
  }
}

/** `node dist/bench/cluster.bench.js [--time MS] [--keys N] [--cluster H:P] [--redis URL]` */
if (require.main === module) runMain(runClusterBench);
