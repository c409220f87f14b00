/**
 * Cache suite: TieredCache against bentocache and cacheable (devDependencies), in the same run,
 * with raw lru-cache / raw ioredis as the floor each group is compared with.
 *
 * - `L1 hit, async get`: one awaited `get` at a time on keys held in memory. Baseline
 *   bentocache (memory driver). Target: ringcache ≥ 10× bentocache and ≥ 4 M ops/s.
 * - `L1 hit, sync`: raw lru-cache `get` (baseline) against `TieredCache.peek`. Target ≥ 0.5×.
 * - `L2 hit, 64 in flight`: 64 concurrent `get`s that all go to Redis (ringcache and
 *   bentocache with no L1, cacheable with @keyv/redis as its only store). Baseline raw ioredis
 *   with auto-pipelining. Target: ringcache ≥ 0.8×. ringcache coalesces the get()s of one turn
 *   into one MGET (`batchGets`); the `batchGets: false` row is one GET per get().
 * - `getMany, 64 keys`: one batch read of 64 keys from Redis. Baseline one raw `MGET`.
 *   Target: ringcache ≥ 0.7×.
 *
 * The `100 B Buffers` groups repeat the two L2 groups with Buffer values (stored raw, no
 * serializer): what the cache itself costs over the client.
 *
 * The `… + JSON.parse (reference)` rows show what decoding the values alone costs on top of the
 * raw client (a cache returns objects; raw ioredis returns strings).
 *
 * Round-trip groups run 5 rounds in alternating task order and keep each task's best round
 * (the least disturbed by the other suites sharing this machine's 2 cores).
 *
 * Redis: `redis` (a URL) or, by default, a `redis-server` started on a free loopback port with
 * the test helper (source checkout only) and stopped afterwards. The suite writes `bench:*`
 * keys there.
 *
 *   npm run build:ts && node dist/bench/cache.bench.js [--time MS] [--redis redis://HOST:PORT]
 */
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { TieredCache } from '../src/cache/tiered-cache';
import { makeKeys, runGroup, runMain, serverHelper, type BenchOptions, type BenchRow, type BenchTask } from './lib';

/** Options of {@link runCacheBench}. */
export interface CacheBenchOptions extends BenchOptions {
  /** A Redis to bench against (`redis://host:port`); by default one server is started. */
  redis?: string;
}

const CONCURRENCY = 64;
const BATCH = 64;

let sink = 0;

type Bento = { get(o: { key: string }): Promise<unknown>; set(o: { key: string; value: unknown; ttl?: string }): Promise<unknown>; getMany?(o: { keys: string[] }): Promise<unknown[]>; disconnect(): Promise<void> };
type Cacheable = { get(k: string): Promise<unknown>; set(k: string, v: unknown): Promise<unknown>; getMany(k: string[]): Promise<unknown[]>; disconnect(): Promise<void> };

const esm = <T>(name: string): Promise<T | undefined> => (import(name) as Promise<T>).catch(() => undefined);

async function bentocache(redisUrl: string | undefined): Promise<Bento | undefined> {
  const mod = await esm<{ BentoCache: new (o: unknown) => Bento; bentostore: () => { useL1Layer(d: unknown): unknown; useL2Layer(d: unknown): unknown } }>('bentocache');
  if (mod === undefined) return undefined;
  if (redisUrl === undefined) {
    const mem = await esm<{ memoryDriver: (o: unknown) => unknown }>('bentocache/drivers/memory');
    if (mem === undefined) return undefined;
    return new mod.BentoCache({ default: 'c', stores: { c: mod.bentostore().useL1Layer(mem.memoryDriver({ maxItems: 100_000 })) } });
  }
  const red = await esm<{ redisDriver: (o: unknown) => unknown }>('bentocache/drivers/redis');
  if (red === undefined) return undefined;
  const u = new URL(redisUrl);
  return new mod.BentoCache({
    default: 'c',
    stores: { c: mod.bentostore().useL2Layer(red.redisDriver({ connection: { host: u.hostname, port: Number(u.port), enableAutoPipelining: true } })) },
  });
}

async function cacheable(redisUrl: string | undefined): Promise<Cacheable | undefined> {
  const mod = await esm<{ Cacheable: new (o?: unknown) => Cacheable }>('cacheable');
  if (mod === undefined) return undefined;
  if (redisUrl === undefined) return new mod.Cacheable();
  const kr = await esm<{ default: new (url: string) => unknown; Keyv: new (o: unknown) => unknown }>('@keyv/redis');
  if (kr === undefined) return undefined;
  return new mod.Cacheable({ primary: new kr.Keyv({ store: new kr.default(redisUrl) }) });
}

/** A redis URL and a stop function: `url`, or a server started with the test helper. */
async function redisServer(url: string | undefined): Promise<{ url: string; stop: () => Promise<void> }> {
  if (url !== undefined) return { url, stop: async () => {} };
  const helper = await serverHelper<{ RedisServer: { start(): Promise<{ port: number; stop(): Promise<void> }> } }>(
    'redis-server',
    'cache',
    '--redis redis://HOST:PORT',
  );
  const server = await helper.RedisServer.start();
  return { url: `redis://127.0.0.1:${server.port}`, stop: () => server.stop() };
}

/**
 * One awaited call per key, in order. The loop is compiled per task (`new Function`, as
 * bench/lib's `methodLoop` does for sync calls): a loop shared by every task would make its
 * `get(…)` call site megamorphic and bench the call site rather than the caches.
 */
function serial(name: string, keys: readonly string[], get: (k: string) => Promise<unknown>): BenchTask {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const loop = new Function(
    'get',
    `return async function loop(keys) {
      let n = 0;
      for (let i = 0; i < keys.length; i++) if ((await get(keys[i])) !== undefined) n++;
      return n;
    };`,
  )(get) as (keys: readonly string[]) => Promise<number>;
  return {
    name,
    opsPerCall: keys.length,
    fn: async () => {
      sink ^= await loop(keys);
    },
  };
}

/** `CONCURRENCY` calls in flight at once, cycling through `keys`. */
function concurrent(name: string, keys: readonly string[], get: (k: string) => Promise<unknown>): BenchTask {
  let at = 0;
  return {
    name,
    opsPerCall: CONCURRENCY,
    fn: async () => {
      const p: Promise<unknown>[] = new Array(CONCURRENCY);
      for (let j = 0; j < CONCURRENCY; j++) p[j] = get(keys[at++ % keys.length]);
      sink ^= (await Promise.all(p)).length;
    },
  };
}

/** One batch call of `BATCH` keys (ops = keys), cycling through batches of `keys`. */
function batch(name: string, keys: readonly string[], many: (ks: string[]) => Promise<unknown[]>): BenchTask {
  const batches: string[][] = [];
  for (let i = 0; i + BATCH <= keys.length; i += BATCH) batches.push(keys.slice(i, i + BATCH));
  let at = 0;
  return {
    name,
    opsPerCall: BATCH,
    fn: async () => {
      sink ^= (await many(batches[at++ % batches.length])).length;
    },
  };
}

/** Best-of-`rounds` ns/op per task (alternating order), ratios to the first task. */
async function bestOf(group: string, tasks: BenchTask[], opts: BenchOptions, rounds = 5): Promise<BenchRow[]> {
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 1 ? [...tasks].reverse() : tasks;
    const rows = await runGroup('cache', group, order, opts, tasks[0].name);
    for (const row of rows) best.set(row.name, Math.min(best.get(row.name) ?? Infinity, row.nsPerOp));
  }
  const baseNs = best.get(tasks[0].name)!;
  return tasks.map((t) => {
    const ns = best.get(t.name)!;
    return { suite: 'cache', group, name: t.name, nsPerOp: ns, opsPerSec: 1e9 / ns, ratio: baseNs / ns, baseline: tasks[0].name };
  });
}

/** The getOrSet loader of keys that are all in L2: never called. */
const unexpectedLoad = (): never => {
  throw new Error('bench: a key expected in L2 was loaded');
};

const valueOf = (i: number) => ({ id: i, name: `item-${i}`, tags: ['a', 'b'], price: i * 1.5 });

/** Rows of the cache suite (ns/op per key; ratios to each group's baseline). */
export async function runCacheBench(opts: CacheBenchOptions = {}): Promise<BenchRow[]> {
  const n = Math.min(Math.max(opts.keys ?? 1000, BATCH), 10_000);
  const keys = makeKeys(n, 12, 24, 6).map((k) => `bench:${k}`);
  const rows: BenchRow[] = [];

  // --- L1 ------------------------------------------------------------------------------------
  const lru = new LRUCache<string, object>({ max: n * 2 });
  const ours = new TieredCache({ l1: { maxEntries: n * 2 } });
  const bentoMem = await bentocache(undefined);
  const cacheableMem = await cacheable(undefined);
  for (let i = 0; i < n; i++) {
    lru.set(keys[i], valueOf(i));
    await ours.set(keys[i], valueOf(i));
    await bentoMem?.set({ key: keys[i], value: valueOf(i), ttl: '1h' });
    await cacheableMem?.set(keys[i], valueOf(i));
  }
  const l1Tasks: BenchTask[] = [];
  if (bentoMem) l1Tasks.push(serial('bentocache get (memory)', keys, (k) => bentoMem.get({ key: k })));
  if (cacheableMem) l1Tasks.push(serial('cacheable get (memory)', keys, (k) => cacheableMem.get(k)));
  l1Tasks.push(serial('ringcache TieredCache.get (L1)', keys, (k) => ours.get(k)));
  l1Tasks.push(serial('lru-cache get, awaited (floor)', keys, async (k) => lru.get(k)));
  rows.push(...(await runGroup('cache', 'L1 hit, async get', l1Tasks, opts)));

  const peekTasks: BenchTask[] = [
    {
      name: 'lru-cache get',
      opsPerCall: n,
      fn: () => {
        let c = 0;
        for (let i = 0; i < n; i++) if (lru.get(keys[i]) !== undefined) c++;
        sink ^= c;
      },
    },
    {
      name: 'ringcache TieredCache.peek',
      opsPerCall: n,
      fn: () => {
        let c = 0;
        for (let i = 0; i < n; i++) if (ours.peek(keys[i]) !== undefined) c++;
        sink ^= c;
      },
    },
  ];
  rows.push(...(await runGroup('cache', 'L1 hit, sync', peekTasks, opts)));
  await bentoMem?.disconnect();
  await cacheableMem?.disconnect();

  // --- L2 ------------------------------------------------------------------------------------
  const { url, stop } = await redisServer(opts.redis);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Redis: RedisClass } = require('ioredis') as typeof import('ioredis');
  const raw: Redis = new RedisClass(url, { enableAutoPipelining: true });
  const ourClient: Redis = new RedisClass(url, { enableAutoPipelining: true });
  const l2 = new TieredCache({ l2: ourClient, l1: false });
  const l2Single = new TieredCache({ l2: ourClient, l1: false, batchGets: false });
  const bentoRedis = await bentocache(url);
  const cacheableRedis = await cacheable(url);
  try {
    const rawKeys = keys.map((k) => `raw:${k}`);
    const ourKeys = keys.map((k) => `rc:${k}`);
    const bentoKeys = keys.map((k) => `bento:${k}`);
    const cKeys = keys.map((k) => `cacheable:${k}`);
    await raw.mset(rawKeys.flatMap((k, i) => [k, JSON.stringify(valueOf(i))]));
    await l2.setMany(ourKeys.map((k, i) => [k, valueOf(i)]), { ttlMs: 3_600_000 });
    for (let i = 0; i < n; i++) {
      await bentoRedis?.set({ key: bentoKeys[i], value: valueOf(i), ttl: '1h' });
      await cacheableRedis?.set(cKeys[i], valueOf(i));
    }

    const l2Tasks: BenchTask[] = [
      concurrent('ioredis get (auto-pipelining)', rawKeys, (k) => raw.get(k)),
      concurrent('ringcache TieredCache.get (L2)', ourKeys, (k) => l2.get(k)),
      concurrent('ringcache TieredCache.get (L2, batchGets: false)', ourKeys, (k) => l2Single.get(k)),
      concurrent('ringcache TieredCache.getOrSet (L2)', ourKeys, (k) => l2.getOrSet(k, unexpectedLoad)),
      concurrent('ioredis get + JSON.parse (reference)', rawKeys, (k) => raw.get(k).then((v) => (v === null ? v : JSON.parse(v)))),
    ];
    if (bentoRedis) l2Tasks.push(concurrent('bentocache get (redis L2)', bentoKeys, (k) => bentoRedis.get({ key: k })));
    if (cacheableRedis) l2Tasks.push(concurrent('cacheable get (@keyv/redis)', cKeys, (k) => cacheableRedis.get(k)));
    rows.push(...(await bestOf(`L2 hit, ${CONCURRENCY} in flight`, l2Tasks, opts)));

    const manyTasks: BenchTask[] = [
      batch('ioredis mget', rawKeys, (ks) => raw.mget(ks)),
      batch('ringcache TieredCache.getMany (L2)', ourKeys, (ks) => l2.getMany(ks)),
      batch('ioredis mget + JSON.parse (reference)', rawKeys, (ks) => raw.mget(ks).then((vs) => vs.map((v) => (v === null ? v : JSON.parse(v))))),
    ];
    if (bentoRedis?.getMany) manyTasks.push(batch('bentocache getMany (redis L2)', bentoKeys, (ks) => bentoRedis.getMany!({ keys: ks })));
    if (cacheableRedis) manyTasks.push(batch('cacheable getMany (@keyv/redis)', cKeys, (ks) => cacheableRedis.getMany(ks)));
    rows.push(...(await bestOf(`getMany, ${BATCH} keys`, manyTasks, opts)));

    // The same with 100-byte Buffer values (stored raw, no serializer): the cache's own cost.
    const blob = (i: number): Buffer => Buffer.alloc(100, i & 0xff);
    const rawBin = keys.map((k) => `rawbin:${k}`);
    const ourBin = keys.map((k) => `rcbin:${k}`);
    await raw.mset(rawBin.flatMap((k, i) => [k, blob(i)]));
    await l2.setMany(ourBin.map((k, i) => [k, blob(i)]), { ttlMs: 3_600_000 });
    rows.push(
      ...(await bestOf(`L2 hit, ${CONCURRENCY} in flight, 100 B Buffers`, [
        concurrent('ioredis getBuffer (auto-pipelining)', rawBin, (k) => raw.getBuffer(k)),
        concurrent('ringcache TieredCache.get (L2)', ourBin, (k) => l2.get(k)),
      ], opts)),
    );
    rows.push(
      ...(await bestOf(`getMany, ${BATCH} keys, 100 B Buffers`, [
        batch('ioredis mgetBuffer', rawBin, (ks) => raw.mgetBuffer(ks)),
        batch('ringcache TieredCache.getMany (L2)', ourBin, (ks) => l2.getMany(ks)),
      ], opts)),
    );
  } finally {
    await l2.close();
    await l2Single.close();
    await bentoRedis?.disconnect().catch(() => {});
    await cacheableRedis?.disconnect().catch(() => {});
    raw.disconnect();
    ourClient.disconnect();
    await stop();
  }
  if (sink === -1) console.log(sink);
  return rows;
}

if (require.main === module) runMain(runCacheBench);
