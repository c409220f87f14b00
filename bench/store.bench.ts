/**
 * Store suite: what routing costs on top of ioredis, and what batching saves.
 *
 * - `GET, 1 in flight` / `GET, 100 in flight`: raw ioredis `get` with ioredis's defaults
 *   (baseline), raw `get` on the 1-node RingStore's own connection (the store's fail-fast
 *   client options: RingStore get minus this = routing alone), RedisStore and RingStore `get`
 *   — on the same server for the 1-node tasks — one request at a time (latency) and 100 at a
 *   time (throughput).
 * - `client CPU per GET, 100 in flight`: the same calls, measured as this process's CPU time
 *   per operation: what routing adds (validation, hash tag, ring lookup, typed errors),
 *   without the round-trip noise that a shared machine adds to wall-clock timings.
 *   Target: RingStore within 10 % of raw ioredis.
 * - `get over a stub client`: the same `get`s over objects that pass for ioredis clients and
 *   answer at once: the difference to `stub get` is exactly what RingStore adds per call.
 * - `routing step alone`: `nodeFor` per key, no I/O.
 * - `1000 keys, 4 nodes`: RingStore `mget` (one MGET per node, 4 round trips in parallel)
 *   against 1000 concurrent `get`s through the same store; raw ioredis `mget` of the 1000
 *   keys on one node for reference.
 *
 * Timings are medians of 5 rounds run in alternating order (see {@link medianGroup}).
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
import { RedisStore } from '../src/routing/redis-store';
import { RingStore, type RingNode } from '../src/routing/ring-store';
import { makeKeys, runGroup, runMain, serverHelper, type BenchOptions, type BenchRow, type BenchTask } from './lib';

/** Options of {@link runStoreBench}. */
export interface StoreBenchOptions extends BenchOptions {
  /** A Redis to bench against (`redis://host:port`); by default 4 servers are started. */
  redis?: string;
}

const NODES = 4;
const CONCURRENCY = 100;

let sink = 0;

/** Node specs and a stop function: connections to `url`, or freshly started servers. */
async function nodes(url: string | undefined): Promise<{ specs: RingNode[]; stop: () => Promise<void> }> {
  if (url !== undefined) {
    return { specs: Array.from({ length: NODES }, (_, i) => ({ node: url, id: `node-${i}` })), stop: async () => {} };
  }
  const helper = await serverHelper<{ RedisServer: { start(): Promise<{ port: number; stop(): Promise<void> }> } }>(
    'redis-server',
    'store',
    '--redis redis://HOST:PORT',
  );
  const servers = await Promise.all(Array.from({ length: NODES }, () => helper.RedisServer.start()));
  return {
    specs: servers.map((s) => `127.0.0.1:${s.port}`),
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
 * Runs `tasks` in `rounds` rounds, in alternating order (so warm-up and neighbours' load fall
 * on every task alike), and keeps each task's median ns/op: round trips on a shared machine
 * vary far more than the differences measured here.
 */
async function medianGroup(group: string, tasks: BenchTask[], opts: BenchOptions, rounds = 5): Promise<BenchRow[]> {
  const samples = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? tasks : [...tasks].reverse();
    for (const row of await runGroup('store', group, order, opts, tasks[0].name)) {
      const list = samples.get(row.name) ?? [];
      list.push(row.nsPerOp);
      samples.set(row.name, list);
    }
  }
  return medianRows(group, tasks, samples);
}

/** Median of a list. */
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Rows of `group` from per-task samples of ns/op; ratios to the first task. */
function medianRows(group: string, tasks: readonly BenchTask[], samples: Map<string, number[]>): BenchRow[] {
  const base = median(samples.get(tasks[0].name)!);
  return tasks.map((t) => {
    const nsPerOp = median(samples.get(t.name)!);
    return { suite: 'store', group, name: t.name, nsPerOp, opsPerSec: 1e9 / nsPerOp, ratio: base / nsPerOp, baseline: tasks[0].name };
  });
}

/**
 * Round trips to a real server: each task calls `fn` back to back for `time` ms, tasks taking
 * turns (order alternating per round), and we keep two medians per task — wall time per
 * operation, and this process's CPU time (user + system, not the servers') per operation.
 * The CPU figure is what the store adds on top of ioredis, free of the round-trip noise that
 * a shared machine adds to wall time. (A plain loop: tinybench's per-iteration timing of
 * sub-millisecond async calls skewed wall times by ±25 % on a loaded machine.)
 */
async function roundTripGroups(wallGroup: string, cpuGroup: string | undefined, tasks: BenchTask[], opts: BenchOptions, rounds = 5): Promise<BenchRow[]> {
  const time = opts.time ?? 300;
  opts.onProgress?.(`store: ${wallGroup}`);
  const wall = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  const cpu = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  for (const t of tasks) await t.fn();
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 === 0 ? tasks : [...tasks].reverse()) {
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
      wall.get(t.name)!.push(ns / ops);
      cpu.get(t.name)!.push(((used.user + used.system) * 1000) / ops);
    }
  }
  const rows = medianRows(wallGroup, tasks, wall);
  if (cpuGroup !== undefined) rows.push(...medianRows(cpuGroup, tasks, cpu));
  return rows;
}

/** Rows of the store suite (ns/op per key; ratios to raw ioredis, or to per-key GETs). */
export async function runStoreBench(opts: StoreBenchOptions = {}): Promise<BenchRow[]> {
  const keyCount = Math.max(opts.keys ?? 1000, 1000);
  const keys = makeKeys(keyCount, 11, 40, 7);
  const batch = keys.slice(0, 1000);
  const { specs, stop } = await nodes(opts.redis);
  const first = specs[0];
  const firstSpec = typeof first === 'object' && first !== null && 'node' in first ? first.node : first;
  const redisStore = new RedisStore(firstSpec);
  // The baseline: a plain ioredis client with ioredis's own defaults.
  const { host, port, db, username, password } = redisStore.client.options;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const raw: Redis = new (require('ioredis') as typeof import('ioredis')).Redis({ host, port, db, username, password });
  const one = new RingStore([first]);
  // The 1-node RingStore's own connection: RingStore get minus this is the routing alone.
  const oneClient = one.client(one.nodes[0].id)!;
  const ring = new RingStore(specs);
  const rows: BenchRow[] = [];
  try {
    // Every key exists (on its ring node and on the first node), so reads return values.
    await ring.mset(keys.map((k) => [k, `value-of-${k}`]));
    await redisStore.mset(keys.map((k) => [k, `value-of-${k}`]));
    const k = (i: number): string => keys[i % keys.length];

    const getTasks = (n: number): BenchTask[] => [
      task('ioredis get', n, (i) => raw.get(k(i))),
      task('ioredis get, store client options', n, (i) => oneClient.get(k(i))),
      task('RedisStore get', n, (i) => redisStore.get(k(i))),
      task('RingStore get (1 node)', n, (i) => one.get(k(i))),
      task(`RingStore get (${NODES} nodes)`, n, (i) => ring.get(k(i))),
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
      ...(await medianGroup(`get over a stub client (no I/O), ${CONCURRENCY} in flight`, [
        task('stub get (no store)', CONCURRENCY, (i) => direct.get(k(i))),
        task('RingStore get (1 stub node)', CONCURRENCY, (i) => stubOne.get(k(i))),
        task(`RingStore get (${NODES} stub nodes)`, CONCURRENCY, (i) => stubRing.get(k(i))),
      ], opts)),
    );
    await Promise.all([stubOne.close(), stubRing.close()]);

    // The routing step alone (validation + hash tag + ring lookup), no I/O: what RingStore
    // adds to each ioredis call, on a machine too busy for round-trip timings to resolve 10 %.
    const tagged = new RingStore(specs, { hashTag: '{}' });
    try {
      rows.push(
        ...(await medianGroup('routing step alone, per key', [
          routing('RingStore.nodeFor (1 node)', one, batch),
          routing(`RingStore.nodeFor (${NODES} nodes)`, ring, batch),
          routing(`RingStore.nodeFor (${NODES} nodes, hashTag)`, tagged, batch),
        ], opts)),
      );
    } finally {
      await tagged.close();
    }

    rows.push(
      ...(await medianGroup(
        `1000 keys, ${NODES} nodes`,
        [
          task('RingStore get × 1000 (concurrent)', batch.length, (i) => ring.get(batch[i % batch.length])),
          {
            name: 'RingStore mget (1 MGET per node)',
            opsPerCall: batch.length,
            fn: async () => {
              sink ^= (await ring.mget(batch)).length;
            },
          },
          {
            name: 'ioredis mget, 1 node (reference)',
            opsPerCall: batch.length,
            fn: async () => {
              sink ^= (await raw.mget(batch)).length;
            },
          },
        ],
        opts,
      )),
    );
  } finally {
    await Promise.all([one.close(), ring.close(), redisStore.close(), raw.quit()]);
    await stop();
  }
  if (sink === -1) console.log(sink);
  return rows;
}

if (require.main === module) runMain(runStoreBench);
