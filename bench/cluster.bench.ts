/**
 * Cluster suite: `mget` of N keys spread over all 16384 slots on a 3-master Redis Cluster.
 *
 * Group "mget N keys over all slots" (baseline: per-key GET, awaited one by one):
 * - ioredis Cluster, per-key GET awaited one by one (what a naive loop does);
 * - ioredis Cluster, per-key GET all in flight (`Promise.all`);
 * - ioredis Cluster with `enableAutoPipelining`, per-key GET all in flight;
 * - ClusterStore.mget (one command per master: cross-slot script reads);
 * - ClusterStore.mget with `crossSlotScripts: false` (one MGET/GET per slot, pipelined per master).
 * Group "mset N keys over all slots": the same five shapes for writes (baseline: per-key SET).
 * Group "vs a single node" (baseline: one MGET of the same N keys on a standalone redis-server):
 * - ClusterStore.mget on the cluster.
 * Targets (issue 4): ClusterStore ≥ 10× per-key GET, ≥ 0.7× the single-node MGET.
 *
 * It starts its own cluster and standalone server on free loopback ports (test/helpers) unless
 * given `cluster: 'host:port'` / `redis: 'redis://host:port'`; it writes N keys (`bench:cluster:*`)
 * and deletes them afterwards.
 */
import type { Cluster, Redis } from 'ioredis';
import { ClusterStore } from '../src/cluster/cluster-store';
import { makeKeys, runGroup, runMain, serverHelper, type BenchOptions, type BenchRow } from './lib';

/** Options of {@link runClusterBench}. */
export interface ClusterBenchOptions extends BenchOptions {
  /** A node of an existing cluster, `host:port`; default: start one (3 masters + 3 replicas). */
  cluster?: string;
  /** An existing standalone Redis for the single-node reference, `redis://host:port`; default: start one. */
  redis?: string;
}

interface StartedCluster {
  startupNodes: { host: string; port: number }[];
  stop(): Promise<void>;
}
interface StartedServer {
  options: { host: string; port: number };
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
  try {
    let startup: { host: string; port: number }[];
    if (opts.cluster) startup = [hostPort(opts.cluster)];
    else {
      opts.onProgress?.('cluster: starting a 3+3 Redis Cluster');
      const { RedisCluster } = await serverHelper<{ RedisCluster: { start(): Promise<StartedCluster> } }>('redis-cluster', 'cluster', '--cluster HOST:PORT');
      const rc = await RedisCluster.start();
      cleanup.push(() => rc.stop());
      startup = rc.startupNodes;
    }
    let single: { host: string; port: number };
    if (opts.redis) single = hostPort(opts.redis);
    else {
      const { RedisServer } = await serverHelper<{ RedisServer: { start(): Promise<StartedServer> } }>('redis-server', 'cluster', '--redis redis://HOST:PORT');
      const rs = await RedisServer.start();
      cleanup.push(() => rs.stop());
      single = rs.options;
    }

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

    let sink = 0;
    const check = (vals: (string | null)[]): void => {
      sink += vals.length;
      if (vals[n - 1] !== value) throw new Error('bench read a wrong value');
    };
    const slots = `mget ${n} keys over all slots`;
    const perKey = 'ioredis Cluster: per-key GET, awaited one by one';
    const rows = await runGroup(
      'cluster',
      slots,
      [
        {
          name: perKey,
          opsPerCall: n,
          fn: async () => {
            const out: (string | null)[] = [];
            for (const k of keys) out.push(await plain.get(k));
            check(out);
          },
        },
        { name: 'ioredis Cluster: per-key GET, all in flight', opsPerCall: n, fn: async () => check(await Promise.all(keys.map((k) => plain.get(k)))) },
        { name: 'ioredis Cluster + enableAutoPipelining: per-key GET', opsPerCall: n, fn: async () => check(await Promise.all(keys.map((k) => auto.get(k)))) },
        { name: 'ClusterStore.mget', opsPerCall: n, fn: async () => check(await store.mget(keys)) },
        { name: 'ClusterStore.mget (crossSlotScripts: false)', opsPerCall: n, fn: async () => check(await perSlot.mget(keys)) },
      ],
      opts,
      perKey,
    );
    const entries = keys.map((k) => [k, value] as [string, string]);
    const perKeySet = 'ioredis Cluster: per-key SET, awaited one by one';
    rows.push(
      ...(await runGroup(
        'cluster',
        `mset ${n} keys over all slots`,
        [
          {
            name: perKeySet,
            opsPerCall: n,
            fn: async () => {
              for (const k of keys) await plain.set(k, value);
            },
          },
          { name: 'ioredis Cluster: per-key SET, all in flight', opsPerCall: n, fn: () => Promise.all(keys.map((k) => plain.set(k, value))) },
          { name: 'ioredis Cluster + enableAutoPipelining: per-key SET', opsPerCall: n, fn: () => Promise.all(keys.map((k) => auto.set(k, value))) },
          { name: 'ClusterStore.mset', opsPerCall: n, fn: () => store.mset(entries) },
          { name: 'ClusterStore.mset (crossSlotScripts: false)', opsPerCall: n, fn: () => perSlot.mset(entries) },
        ],
        opts,
        perKeySet,
      )),
    );
    const singleName = `single node: one MGET of ${n} keys`;
    rows.push(
      ...(await runGroup(
        'cluster',
        'vs a single node',
        [
          { name: singleName, opsPerCall: n, fn: async () => check(await redis.mget(...keys)) },
          { name: 'ClusterStore.mget (3 masters)', opsPerCall: n, fn: async () => check(await store.mget(keys)) },
        ],
        opts,
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
