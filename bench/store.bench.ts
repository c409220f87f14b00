/**
 * Store suite: what routing costs on top of ioredis, and what batching saves.
 *
 * - `GET, 1 in flight` / `GET, 100 in flight`: raw ioredis `get` with `enableAutoPipelining`
 *   (baseline: the strongest idiomatic client), raw ioredis with its defaults, raw `get` on the
 *   1-node RingStore's own connection (the store's fail-fast client options: RingStore get
 *   minus this = routing alone), RedisStore and RingStore `get` — on the same server for the
 *   1-node tasks — and RingStore over auto-pipelined clients; one request at a time (latency)
 *   and 100 at a time (throughput).
 * - `client CPU per GET, 100 in flight`: the same calls, measured as this process's CPU time
 *   per operation: what routing adds (validation, hash tag, ring lookup, typed errors),
 *   without the round-trip noise that a shared machine adds to wall-clock timings.
 *   Target: RingStore within 10 % of raw ioredis.
 * - `get over a stub client`: the same `get`s over objects that pass for ioredis clients and
 *   answer at once: the difference to `stub get` is exactly what RingStore adds per call.
 * - `routing step alone`: `nodeFor` per key, no I/O.
 * - `1000 keys, 4 nodes`: RingStore `mget` (one MGET per node, 4 round trips in parallel)
 *   against the baseline one raw `MGET` of the 1000 keys on one node, and 1000 concurrent
 *   `get`s through the same store.
 *
 * Timings are medians of the rounds (bench/lib `runGroup`: rotated order, GC between tasks);
 * the servers and this process are pinned to different CPUs where `taskset` allows.
 *
 * Servers: with `redis` (a URL), every node is a connection to that one server (4 ring nodes =
 * 4 connections with distinct ids: the same round trips and per-node pipelines, one server).
 * Without it, 4 `redis-server`s are started on free loopback ports with the test helpers and
 * stopped afterwards — only when running from source (the helpers are TypeScript):
 *
 *   RINGCACHE_STORE_BENCH_TIME=300 npx vitest run --project hybrid test/integration/ring-store-bench.test.ts
 *   npm run build:ts && node dist/bench/store.bench.js --redis redis://127.0.0.1:6380 [--time MS]
 */
import type { Redis } from 'ioredis';
import { RedisStore } from '../src/stores/redis-store';
import { RingStore, type RingNode } from '../src/stores/ring-store';
import { collectGarbage, makeKeys, pinApart, rowsFromSamples, runGroup, runMain, serverHelper, setupStep, type BenchOptions, type BenchRow, type BenchTask } from './lib';

/** Options of {@link runStoreBench}. */
export interface StoreBenchOptions extends BenchOptions {
  /** A Redis to bench against (`redis://host:port`); by default 4 servers are started. */
  redis?: string;
}

const NODES = 4;
const CONCURRENCY = 100;

let sink = 0;

/** Node specs and a stop function: connections to `url`, or freshly started servers. */
async function nodes(url: string | undefined): Promise<{ specs: RingNode[]; pids: number[]; stop: () => Promise<void> }> {
  if (url !== undefined) {
    return { specs: Array.from({ length: NODES }, (_, i) => ({ node: url, id: `node-${i}` })), pids: [], stop: async () => {} };
  }
  const helper = await serverHelper<{ RedisServer: { start(): Promise<{ port: number; pid: number | undefined; stop(): Promise<void> }> } }>(
    'redis-server',
    'store',
    '--redis redis://HOST:PORT',
  );
  const servers = await setupStep('store', `start ${NODES} redis-servers`, '--redis redis://HOST:PORT', async () => {
    const started = await Promise.allSettled(Array.from({ length: NODES }, () => helper.RedisServer.start()));
    const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(up.map((s) => s.stop()));
      throw failed.reason;
    }
    return up;
  });
  return {
    specs: servers.map((s) => `127.0.0.1:${s.port}`),
    pids: servers.flatMap((s) => (s.pid === undefined ? [] : [s.pid])),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/** One call = `n` operations in flight at once (`n` = 1: one request at a time). */
export function task(name: string, n: number, op: (i: number) => Promise<unknown>): BenchTask {
  let at = 0;
  if (n === 1) {
    return { name, opsPerCall: 1, fn: async () => void (await op(at++)) };
  }
  return {
    name,
    opsPerCall: n,
    fn: async () => {
      const p: Promise<unknown>[] = new Array(n);
      for (let j = 0; j < n; j++) p[j] = op(at++);
      await Promise.all(p);
    },
  };
}

/** An object that passes for an ioredis `Redis` and answers `get` at once, with the key. */
function stubClient(id: string): Redis {
  const [host, port] = [id, 6379];
  return {
    options: { host, port },
    status: 'ready',
    sendCommand: () => Promise.resolve(null),
    get: (key: string) => Promise.resolve(key),
    on() {
      return this;
    },
  } as unknown as Redis;
}

/** `nodeFor` of every key of `keys` (a synchronous loop: no promise per key). */
function routing(name: string, store: RingStore, keys: readonly string[]): BenchTask {
  return {
    name,
    opsPerCall: keys.length,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < keys.length; i++) acc += store.nodeFor(keys[i])!.length;
      sink ^= acc;
    },
  };
}

/**
 * Round trips to a real server: each task calls `fn` back to back for `time` ms, tasks taking
 * turns (order alternating per round), and we keep two medians per task — wall time per
 * operation, and this process's CPU time (user + system, not the servers') per operation.
 * The CPU figure is what the store adds on top of ioredis, free of the round-trip noise that
 * a shared machine adds to wall time. (A plain loop: tinybench's per-iteration timing of
 * sub-millisecond async calls skewed wall times by ±25 % on a loaded machine.)
 */
async function roundTripGroups(wallGroup: string, cpuGroup: string | undefined, tasks: BenchTask[], opts: BenchOptions): Promise<BenchRow[]> {
  const time = opts.time ?? 300;
  const rounds = Math.max(1, opts.rounds ?? 5);
  opts.onProgress?.(`store: ${wallGroup}`);
  const wall = tasks.map((): number[] => []);
  const cpu = tasks.map((): number[] => []);
  for (const t of tasks) await t.fn();
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < tasks.length; j++) {
      const i = (j + r) % tasks.length;
      const t = tasks[i];
      collectGarbage();
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const deadline = Date.now() + time;
      let ops = 0;
      while (Date.now() < deadline) {
        await t.fn();
        ops += t.opsPerCall;
      }
      const ns = Number(process.hrtime.bigint() - t0);
      const used = process.cpuUsage(cpu0);
      wall[i].push(ns / ops);
      cpu[i].push(((used.user + used.system) * 1000) / ops);
    }
  }
  const names = tasks.map((t) => t.name);
  const rows = rowsFromSamples('store', wallGroup, names, wall, names[0], 'wall');
  if (cpuGroup !== undefined) rows.push(...rowsFromSamples('store', cpuGroup, names, cpu, names[0], 'cpu'));
  return rows;
}

/** Rows of the store suite (ns/op per key; ratios to raw ioredis, or to per-key GETs). */
export async function runStoreBench(opts: StoreBenchOptions = {}): Promise<BenchRow[]> {
  const keyCount = Math.max(opts.keys ?? 1000, 1000);
  const keys = makeKeys(keyCount, 11, 40, 7);
  const batch = keys.slice(0, 1000);
  const { specs, pids, stop } = await nodes(opts.redis);
  if (pids.length) opts.onProgress?.(`store: ${pinApart(pids)}`);
  const first = specs[0];
  const firstSpec = typeof first === 'object' && first !== null && 'node' in first ? first.node : first;
  const redisStore = new RedisStore(firstSpec);
  // The baseline: a plain ioredis client with ioredis's own defaults.
  const { host, port, db, username, password } = redisStore.client.options;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Redis: RedisClass } = require('ioredis') as typeof import('ioredis');
  const raw: Redis = new RedisClass({ host, port, db, username, password });
  // The strongest idiomatic client: ioredis with auto-pipelining (the baseline).
  const rawAuto: Redis = new RedisClass({ host, port, db, username, password, enableAutoPipelining: true });
  const one = new RingStore([first]);
  // The 1-node RingStore's own connection: RingStore get minus this is the routing alone.
  const oneClient = one.client(one.nodes[0].id)!;
  const ring = new RingStore(specs);
  // The same ring over auto-pipelined clients the caller made (RingStore takes clients too).
  const autoClients = ring.nodes.map((n) => {
    const o = ring.client(n.id)!.options;
    return { node: new RedisClass({ host: o.host, port: o.port, db: o.db, enableAutoPipelining: true }), id: n.id };
  });
  const ringAuto = new RingStore(autoClients);
  const rows: BenchRow[] = [];
  // The no-I/O groups are CPU-bound (this process's CPU time); round trips are wall time.
  const cpu: BenchOptions = { ...opts, clock: opts.clock ?? 'cpu' };
  const wall: BenchOptions = { ...opts, clock: 'wall' };
  try {
    // Every key exists (on its ring node and on the first node), so reads return values.
    await ring.mset(keys.map((k) => [k, `value-of-${k}`]));
    await redisStore.mset(keys.map((k) => [k, `value-of-${k}`]));
    const k = (i: number): string => keys[i % keys.length];

    const getTasks = (n: number): BenchTask[] => [
      task('ioredis get (enableAutoPipelining)', n, (i) => rawAuto.get(k(i))),
      task('ioredis get (defaults)', n, (i) => raw.get(k(i))),
      task('ioredis get, store client options', n, (i) => oneClient.get(k(i))),
      task('RedisStore get', n, (i) => redisStore.get(k(i))),
      task('RingStore get (1 node)', n, (i) => one.get(k(i))),
      task(`RingStore get (${NODES} nodes)`, n, (i) => ring.get(k(i))),
      task(`RingStore get (${NODES} nodes, auto-pipelined clients)`, n, (i) => ringAuto.get(k(i))),
    ];
    rows.push(...(await roundTripGroups('GET, 1 in flight', undefined, getTasks(1), opts)));
    rows.push(
      ...(await roundTripGroups(`GET, ${CONCURRENCY} in flight`, `client CPU per GET, ${CONCURRENCY} in flight`, getTasks(CONCURRENCY), opts)),
    );

    // What RingStore adds per call, exactly: the same calls over stub clients that answer at
    // once (no socket, no parser), so only validation, routing and the promise wrapper remain.
    // Compare the difference with the client CPU of a real GET above.
    const stubs = Array.from({ length: NODES }, (_, i) => stubClient(`stub-${i}`));
    const stubOne = new RingStore([stubs[0]]);
    const stubRing = new RingStore(stubs);
    const direct = stubs[0] as unknown as { get(key: string): Promise<string | null> };
    rows.push(
      ...(await runGroup('store', `get over a stub client (no I/O), ${CONCURRENCY} in flight`, [
        task('stub get (no store)', CONCURRENCY, (i) => direct.get(k(i))),
        task('RingStore get (1 stub node)', CONCURRENCY, (i) => stubOne.get(k(i))),
        task(`RingStore get (${NODES} stub nodes)`, CONCURRENCY, (i) => stubRing.get(k(i))),
      ], cpu)),
    );
    await Promise.all([stubOne.close(), stubRing.close()]);

    // The routing step alone (validation + hash tag + ring lookup), no I/O: what RingStore
    // adds to each ioredis call, on a machine too busy for round-trip timings to resolve 10 %.
    const tagged = new RingStore(specs, { hashTag: '{}' });
    try {
      rows.push(
        ...(await runGroup('store', 'routing step alone, per key', [
          routing('RingStore.nodeFor (1 node)', one, batch),
          routing(`RingStore.nodeFor (${NODES} nodes)`, ring, batch),
          routing(`RingStore.nodeFor (${NODES} nodes, hashTag)`, tagged, batch),
        ], cpu)),
      );
    } finally {
      await tagged.close();
    }

    rows.push(
      ...(await runGroup('store', `1000 keys, ${NODES} nodes`, [
        {
          name: 'ioredis mget, 1 node (one raw MGET)',
          opsPerCall: batch.length,
          fn: async () => {
            sink ^= (await rawAuto.mget(batch)).length;
          },
        },
        {
          name: `RingStore mget (1 MGET per node, ${NODES} nodes)`,
          opsPerCall: batch.length,
          fn: async () => {
            sink ^= (await ring.mget(batch)).length;
          },
        },
        task(`RingStore get × 1000 (concurrent, ${NODES} nodes)`, batch.length, (i) => ring.get(batch[i % batch.length])),
      ], wall)),
    );
  } finally {
    await Promise.all([one.close(), ring.close(), ringAuto.close(), redisStore.close(), raw.quit(), rawAuto.quit()]);
    for (const c of autoClients) c.node.disconnect();
    await stop();
  }
  if (sink === -1) console.log(sink);
  return rows;
}

if (require.main === module) runMain(runStoreBench);
