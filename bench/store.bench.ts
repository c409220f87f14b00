/**
 * Store suite: what routing costs on top of ioredis, and what batching saves.
 *
 * - `GET, 1 in flight` / `GET, 100 in flight`: raw ioredis `get` with ioredis's defaults
 *   (baseline) against RedisStore and RingStore `get` — on the same server for the 1-node
 *   tasks — one request at a time (latency) and 100 at a time (throughput).
 * - `client CPU per GET, 100 in flight`: the same calls, measured as this process's CPU time
 *   per operation: what routing adds (validation, hash tag, ring lookup, typed errors),
 *   without the round-trip noise that a shared machine adds to wall-clock timings.
 *   Target: RingStore within 10 % of raw ioredis.
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
 *   RINGCACHE_STORE_BENCH_TIME=300 npx vitest run --project native test/integration/ring-store-bench.test.ts
 *   npm run build:ts && node dist/bench/store.bench.js --redis redis://127.0.0.1:6380 [--time MS]
 */
import type { Redis } from 'ioredis';
import { backend } from '../src/engine';
import { RedisStore } from '../src/routing/redis-store';
import { RingStore, type RingNode } from '../src/routing/ring-store';
import { formatTable, makeKeys, runGroup, type BenchOptions, type BenchRow, type BenchTask } from './lib';

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
  // The test helpers are TypeScript in the source checkout (not in the package, not built by
  // build:ts): reachable when the bench runs from source under a TS loader (vitest:
  // test/integration/ring-store-bench.test.ts). Typed here so the build does not need them.
  // A specifier in a variable: tsc leaves it alone (the package build has no test/), vitest
  // resolves it relative to this file at run time.
  const helperPath = '../test/helpers/redis-server';
  let helper: { RedisServer: { start(): Promise<{ port: number; stop(): Promise<void> }> } };
  try {
    helper = (await import(helperPath)) as typeof helper;
  } catch (err) {
    throw new Error(`store bench: pass redis (--redis redis://HOST:PORT): cannot start servers here (${(err as Error).message.split('\n')[0]})`);
  }
  const servers = await Promise.all(Array.from({ length: NODES }, () => helper.RedisServer.start()));
  return {
    specs: servers.map((s) => `127.0.0.1:${s.port}`),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/** One call = `n` operations in flight at once (`n` = 1: one request at a time). */
function task(name: string, n: number, op: (i: number) => Promise<unknown>): BenchTask {
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
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(samples.get(tasks[0].name)!);
  return tasks.map((t) => {
    const nsPerOp = median(samples.get(t.name)!);
    return { suite: 'store', group, name: t.name, nsPerOp, opsPerSec: 1e9 / nsPerOp, ratio: base / nsPerOp, baseline: tasks[0].name };
  });
}

/**
 * Client CPU per operation (this process's user + system time, not the servers'): the cost
 * routing adds, measured without the round-trip noise of a shared machine. `n` operations in
 * flight per batch, batches for `time` ms per round, rounds in alternating order, medians.
 */
async function cpuGroup(group: string, tasks: BenchTask[], opts: BenchOptions, rounds = 5): Promise<BenchRow[]> {
  const time = opts.time ?? 300;
  opts.onProgress?.(`store: ${group}`);
  const samples = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 === 0 ? tasks : [...tasks].reverse()) {
      await t.fn();
      const start = process.cpuUsage();
      const deadline = Date.now() + time;
      let ops = 0;
      while (Date.now() < deadline) {
        await t.fn();
        ops += t.opsPerCall;
      }
      const used = process.cpuUsage(start);
      samples.get(t.name)!.push(((used.user + used.system) * 1000) / ops);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(samples.get(tasks[0].name)!);
  return tasks.map((t) => {
    const nsPerOp = median(samples.get(t.name)!);
    return { suite: 'store', group, name: t.name, nsPerOp, opsPerSec: 1e9 / nsPerOp, ratio: base / nsPerOp, baseline: tasks[0].name };
  });
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
  const ring = new RingStore(specs);
  const rows: BenchRow[] = [];
  try {
    // Every key exists (on its ring node and on the first node), so reads return values.
    await ring.mset(keys.map((k) => [k, `value-of-${k}`]));
    await redisStore.mset(keys.map((k) => [k, `value-of-${k}`]));
    const k = (i: number): string => keys[i % keys.length];

    for (const n of [1, CONCURRENCY]) {
      const group = `GET, ${n} in flight`;
      rows.push(
        ...(await medianGroup(
          group,
          [
            task('ioredis get', n, (i) => raw.get(k(i))),
            task('RedisStore get', n, (i) => redisStore.get(k(i))),
            task('RingStore get (1 node)', n, (i) => one.get(k(i))),
            task(`RingStore get (${NODES} nodes)`, n, (i) => ring.get(k(i))),
          ],
          opts,
        )),
      );
    }

    rows.push(
      ...(await cpuGroup(`client CPU per GET, ${CONCURRENCY} in flight`, [
        task('ioredis get', CONCURRENCY, (i) => raw.get(k(i))),
        task('RedisStore get', CONCURRENCY, (i) => redisStore.get(k(i))),
        task('RingStore get (1 node)', CONCURRENCY, (i) => one.get(k(i))),
        task(`RingStore get (${NODES} nodes)`, CONCURRENCY, (i) => ring.get(k(i))),
      ], opts)),
    );

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

if (require.main === module) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const time = Number(arg('time') ?? 300);
  runStoreBench({ time, redis: arg('redis'), onProgress: (m) => process.stderr.write(`${m}\n`) })
    .then((rows) => {
      console.log(`backend: ${backend}`);
      console.log(formatTable(rows));
    })
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
