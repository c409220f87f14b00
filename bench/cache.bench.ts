/**
 * Cache suite: TieredCache against bentocache and cacheable (devDependencies), each in its
 * strongest idiomatic configuration with its defaults as extra rows, and the raw clients as
 * the floor or the like-for-like baseline.
 *
 * - `L1 hit, async get`: one awaited `get` at a time on keys held in memory. Baseline
 *   bentocache's memory driver with `serialize: false` and the same L1 size as ours (it then
 *   returns the stored object, as ringcache does); cacheable with `useClone: false`; both
 *   with their defaults (copies per read); ringcache as configured by default and with
 *   `freeze: true`; an awaited `Map` / lru-cache get as the floor.
 * - `L1 hit, sync`: raw lru-cache `get` (baseline) against `TieredCache.peek`, `Map` floor.
 * - `L2 hit, 64 in flight`: 64 concurrent `get`s of JSON values that all go to Redis.
 *   Baseline: a DataLoader (the `dataloader` package, `cache: false`) that merges the gets of
 *   one tick into one `MGET` + `JSON.parse` — the same work ringcache's `batchGets` does.
 *   Also raw auto-pipelined ioredis `get` (no parsing, and with it), one raw `MGET` of the 64
 *   keys (no parsing), ringcache with and without `batchGets`, bentocache, cacheable.
 *   ringcache's client has `enableAutoPipelining`, as a cache's client usually has; the raw
 *   clients are each in their strongest setting: auto-pipelining for concurrent `get`s, none
 *   for one command at a time (every raw `MGET`, DataLoader's): ioredis 6 holds auto-pipelined
 *   commands until a later turn of the event loop.
 * - `L2 hit, 64 workers, gets spread across ticks`: 64 closed-loop workers, each awaiting its
 *   `get` before the next, so gets arrive in ticks of their own as replies come back: not the
 *   ideal case for `batchGets` (or DataLoader).
 * - `getMany, 64 keys`: one batch read of 64 keys. Baseline one raw `MGET` (no parsing); the
 *   JSON floor (raw `MGET` + `JSON.parse`), the msgpackr serializer and the raw `MGET` on the
 *   auto-pipelining client as rows.
 * - `getMany, 64 keys, MessagePack vs its floor`: baseline a raw `MGET` of the same MessagePack
 *   bytes + msgpackr decoding them the fastest way we know (each value copied to the start of
 *   one reused buffer and unpacked there); rows: one `unpack` per reply, one `unpackMultiple`
 *   over the values laid end to end, the raw `MGET` without decoding, and `getMany` with
 *   `msgpackSerializer()`.
 *
 * The `100 B Buffers` groups repeat the two L2 groups with Buffer values (stored raw, no
 * serializer): what the cache itself costs over the client.
 *
 * Every group: medians of the rounds (bench/lib `runGroup`), Redis pinned apart where possible.
 *
 * Redis: `redis` (a URL) or, by default, a `redis-server` started on a free loopback port with
 * the test helper (source checkout only) and stopped afterwards. The suite writes `bench:*`
 * keys there.
 *
 *   npm run build:ts && node dist/bench/cache.bench.js [--time MS] [--redis redis://HOST:PORT]
 */
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { msgpackSerializer } from '../src/cache/msgpack-serializer';
import { TieredCache } from '../src/cache/tiered-cache';
import { makeKeys, optionalRequire, pinApart, runGroup, runMain, serverHelper, setupStep, type BenchOptions, type BenchRow, type BenchTask } from './lib';

/** Options of {@link runCacheBench}. */
export interface CacheBenchOptions extends BenchOptions {
  /** A Redis to bench against (`redis://host:port`); by default one server is started. */
  redis?: string;
}

const CONCURRENCY = 64;
const BATCH = 64;
/** Sequential gets per worker per call in the spread-across-ticks group. */
const PER_WORKER = 4;

let sink = 0;

type Bento = { get(o: { key: string }): Promise<unknown>; set(o: { key: string; value: unknown; ttl?: string }): Promise<unknown>; getMany?(o: { keys: string[] }): Promise<unknown[]>; disconnect(): Promise<void> };
type Cacheable = { get(k: string): Promise<unknown>; set(k: string, v: unknown): Promise<unknown>; getMany(k: string[]): Promise<unknown[]>; disconnect(): Promise<void> };

type DataLoaderCtor = new <K, V>(batch: (keys: readonly K[]) => Promise<V[]>, o?: { cache?: boolean }) => { load(key: K): Promise<V> };
const DataLoader = optionalRequire<DataLoaderCtor>('dataloader');

const esm = <T>(name: string): Promise<T | undefined> => (import(name) as Promise<T>).catch(() => undefined);

/** bentocache: memory L1 of `maxItems` (`serialize` as given), or a Redis L2 only. */
async function bentocache(redisUrl: string | undefined, memory: { maxItems: number; serialize?: boolean } = { maxItems: 100_000 }): Promise<Bento | undefined> {
  const mod = await esm<{ BentoCache: new (o: unknown) => Bento; bentostore: () => { useL1Layer(d: unknown): unknown; useL2Layer(d: unknown): unknown } }>('bentocache');
  if (mod === undefined) return undefined;
  if (redisUrl === undefined) {
    const mem = await esm<{ memoryDriver: (o: unknown) => unknown }>('bentocache/drivers/memory');
    if (mem === undefined) return undefined;
    return new mod.BentoCache({ default: 'c', stores: { c: mod.bentostore().useL1Layer(mem.memoryDriver(memory)) } });
  }
  const red = await esm<{ redisDriver: (o: unknown) => unknown }>('bentocache/drivers/redis');
  if (red === undefined) return undefined;
  const u = new URL(redisUrl);
  return new mod.BentoCache({
    default: 'c',
    stores: { c: mod.bentostore().useL2Layer(red.redisDriver({ connection: { host: u.hostname, port: Number(u.port), enableAutoPipelining: true } })) },
  });
}

/** cacheable: its default in-memory store, or one with `memory` options, or @keyv/redis only. */
async function cacheable(redisUrl: string | undefined, memory?: { useClone: boolean; lruSize: number }): Promise<Cacheable | undefined> {
  const mod = await esm<{ Cacheable: new (o?: unknown) => Cacheable; createKeyv: (o: unknown) => unknown }>('cacheable');
  if (mod === undefined) return undefined;
  if (redisUrl === undefined) return memory ? new mod.Cacheable({ primary: mod.createKeyv(memory) }) : new mod.Cacheable();
  const kr = await esm<{ default: new (url: string) => unknown; Keyv: new (o: unknown) => unknown }>('@keyv/redis');
  if (kr === undefined) return undefined;
  return new mod.Cacheable({ primary: new kr.Keyv({ store: new kr.default(redisUrl) }) });
}

/** A redis URL and a stop function: `url`, or a server started with the test helper. */
async function redisServer(url: string | undefined, onProgress?: (m: string) => void): Promise<{ url: string; stop: () => Promise<void> }> {
  if (url !== undefined) return { url, stop: async () => {} };
  const helper = await serverHelper<{ RedisServer: { start(): Promise<{ port: number; pid: number | undefined; stop(): Promise<void> }> } }>(
    'redis-server',
    'cache',
    '--redis redis://HOST:PORT',
  );
  const server = await setupStep('cache', 'start a redis-server', '--redis redis://HOST:PORT', () => helper.RedisServer.start());
  if (server.pid !== undefined) onProgress?.(`cache: ${pinApart([server.pid])}`);
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

/**
 * `CONCURRENCY` workers, each awaiting its own `get` before issuing the next (`PER_WORKER` in
 * a row): the gets arrive spread over the ticks in which replies come back.
 */
function closedLoop(name: string, keys: readonly string[], get: (k: string) => Promise<unknown>): BenchTask {
  let at = 0;
  const worker = async (): Promise<number> => {
    let n = 0;
    for (let j = 0; j < PER_WORKER; j++) if ((await get(keys[at++ % keys.length])) !== undefined) n++;
    return n;
  };
  return {
    name,
    opsPerCall: CONCURRENCY * PER_WORKER,
    fn: async () => {
      const p: Promise<number>[] = new Array(CONCURRENCY);
      for (let j = 0; j < CONCURRENCY; j++) p[j] = worker();
      for (const n of await Promise.all(p)) sink ^= n;
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
  // L1 groups are CPU-bound (this process's CPU time); the L2 groups wait on Redis (wall time).
  const cpu: CacheBenchOptions = { ...opts, clock: opts.clock ?? 'cpu' };
  const wall: CacheBenchOptions = { ...opts, clock: 'wall' };

  // --- L1 ------------------------------------------------------------------------------------
  const size = n * 2;
  const lru = new LRUCache<string, object>({ max: size });
  const map = new Map<string, object>();
  const ours = new TieredCache({ l1: { maxEntries: size } });
  const oursFrozen = new TieredCache({ l1: { maxEntries: size }, freeze: true });
  const bentoMem = await bentocache(undefined, { maxItems: size, serialize: false });
  const bentoDefault = await bentocache(undefined, { maxItems: size });
  const cacheableMem = await cacheable(undefined, { useClone: false, lruSize: size });
  const cacheableDefault = await cacheable(undefined);
  for (let i = 0; i < n; i++) {
    lru.set(keys[i], valueOf(i));
    map.set(keys[i], valueOf(i));
    await ours.set(keys[i], valueOf(i));
    await oursFrozen.set(keys[i], valueOf(i));
    for (const b of [bentoMem, bentoDefault]) await b?.set({ key: keys[i], value: valueOf(i), ttl: '1h' });
    for (const c of [cacheableMem, cacheableDefault]) await c?.set(keys[i], valueOf(i));
  }
  // Same semantics as ringcache's default L1 (the stored object comes back, no copy) first;
  // the peers' defaults (a copy per read) as extra rows.
  const l1Tasks: BenchTask[] = [];
  if (bentoMem) l1Tasks.push(serial('bentocache get (memory, serialize: false)', keys, (k) => bentoMem.get({ key: k })));
  if (cacheableMem) l1Tasks.push(serial('cacheable get (memory, useClone: false)', keys, (k) => cacheableMem.get(k)));
  l1Tasks.push(serial('ringcache TieredCache.get (L1)', keys, (k) => ours.get(k)));
  l1Tasks.push(serial('ringcache TieredCache.get (L1, freeze: true)', keys, (k) => oursFrozen.get(k)));
  if (bentoDefault) l1Tasks.push(serial('bentocache get (memory, defaults)', keys, (k) => bentoDefault.get({ key: k })));
  if (cacheableDefault) l1Tasks.push(serial('cacheable get (memory, defaults)', keys, (k) => cacheableDefault.get(k)));
  l1Tasks.push(serial('Map get, awaited (floor)', keys, async (k) => map.get(k)));
  l1Tasks.push(serial('lru-cache get, awaited (floor)', keys, async (k) => lru.get(k)));
  rows.push(...(await runGroup('cache', 'L1 hit, async get', l1Tasks, { ...cpu, warmUp: 1 })));

  const syncLoop = (name: string, get: (k: string) => unknown): BenchTask => ({
    name,
    opsPerCall: n,
    fn: () => {
      let c = 0;
      for (let i = 0; i < n; i++) if (get(keys[i]) !== undefined) c++;
      sink ^= c;
    },
  });
  const peekTasks: BenchTask[] = [
    syncLoop('lru-cache get', (k) => lru.get(k)),
    syncLoop('ringcache TieredCache.peek', (k) => ours.peek(k)),
    syncLoop('Map get (floor)', (k) => map.get(k)),
  ];
  rows.push(...(await runGroup('cache', 'L1 hit, sync', peekTasks, cpu)));
  for (const c of [bentoMem, bentoDefault, cacheableMem, cacheableDefault]) await c?.disconnect();

  // --- L2 ------------------------------------------------------------------------------------
  const { url, stop } = await redisServer(opts.redis, opts.onProgress);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Redis: RedisClass } = require('ioredis') as typeof import('ioredis');
  // Raw clients, each where it is strongest: auto-pipelining for many concurrent commands; for
  // one command at a time (an MGET, DataLoader's MGET per tick), a client without it: ioredis 6
  // holds auto-pipelined commands until a later turn of the event loop (~15 % more per MGET).
  const raw: Redis = new RedisClass(url, { enableAutoPipelining: true });
  const plain: Redis = new RedisClass(url);
  const ourClient: Redis = new RedisClass(url, { enableAutoPipelining: true });
  const l2 = new TieredCache({ l2: ourClient, l1: false });
  const l2Single = new TieredCache({ l2: ourClient, l1: false, batchGets: false });
  // msgpackr is an optional peer: the MessagePack rows run where it is installed.
  const mp = optionalRequire<unknown>('msgpackr') ? new TieredCache({ l2: ourClient, l1: false, serializer: msgpackSerializer() }) : undefined;
  const bentoRedis = await bentocache(url);
  const cacheableRedis = await cacheable(url);
  try {
    const rawKeys = keys.map((k) => `raw:${k}`);
    const ourKeys = keys.map((k) => `rc:${k}`);
    const bentoKeys = keys.map((k) => `bento:${k}`);
    const cKeys = keys.map((k) => `cacheable:${k}`);
    await raw.mset(rawKeys.flatMap((k, i) => [k, JSON.stringify(valueOf(i))]));
    await l2.setMany(ourKeys.map((k, i) => [k, valueOf(i)]), { ttlMs: 3_600_000 });
    const mpKeys = keys.map((k) => `rcmp:${k}`);
    await mp?.setMany(mpKeys.map((k, i) => [k, valueOf(i)]), { ttlMs: 3_600_000 });
    for (let i = 0; i < n; i++) {
      await bentoRedis?.set({ key: bentoKeys[i], value: valueOf(i), ttl: '1h' });
      await cacheableRedis?.set(cKeys[i], valueOf(i));
    }

    const parse = (v: string | null): unknown => (v === null ? undefined : JSON.parse(v));
    // DataLoader: the gets of one tick merged into one MGET + JSON.parse (no result cache).
    const loader = DataLoader ? new DataLoader<string, unknown>(async (ks) => (await plain.mget(...ks)).map(parse), { cache: false }) : undefined;
    const l2Tasks: BenchTask[] = [];
    if (loader) l2Tasks.push(concurrent('DataLoader → ioredis mget + JSON.parse', rawKeys, (k) => loader.load(k)));
    l2Tasks.push(
      concurrent('ioredis get (auto-pipelining), no parse', rawKeys, (k) => raw.get(k)),
      concurrent('ioredis get (auto-pipelining) + JSON.parse', rawKeys, (k) => raw.get(k).then(parse)),
      batch('one raw MGET of the 64 keys, no parse', rawKeys, (ks) => plain.mget(ks)),
      concurrent('ringcache TieredCache.get (L2)', ourKeys, (k) => l2.get(k)),
      concurrent('ringcache TieredCache.get (L2, batchGets: false)', ourKeys, (k) => l2Single.get(k)),
      concurrent('ringcache TieredCache.getOrSet (L2)', ourKeys, (k) => l2.getOrSet(k, unexpectedLoad)),
    );
    if (bentoRedis) l2Tasks.push(concurrent('bentocache get (redis L2)', bentoKeys, (k) => bentoRedis.get({ key: k })));
    if (cacheableRedis) l2Tasks.push(concurrent('cacheable get (@keyv/redis)', cKeys, (k) => cacheableRedis.get(k)));
    rows.push(...(await runGroup('cache', `L2 hit, ${CONCURRENCY} in flight`, l2Tasks, wall)));

    const spread: BenchTask[] = [];
    if (loader) spread.push(closedLoop('DataLoader → ioredis mget + JSON.parse', rawKeys, (k) => loader.load(k)));
    spread.push(
      closedLoop('ioredis get (auto-pipelining) + JSON.parse', rawKeys, (k) => raw.get(k).then(parse)),
      closedLoop('ringcache TieredCache.get (L2)', ourKeys, (k) => l2.get(k)),
      closedLoop('ringcache TieredCache.get (L2, batchGets: false)', ourKeys, (k) => l2Single.get(k)),
    );
    rows.push(...(await runGroup('cache', `L2 hit, ${CONCURRENCY} workers, gets spread across ticks`, spread, wall)));

    const manyTasks: BenchTask[] = [
      batch('ioredis mget (one raw MGET, no parse)', rawKeys, (ks) => plain.mget(ks)),
      batch('ringcache TieredCache.getMany (L2)', ourKeys, (ks) => l2.getMany(ks)),
      batch('ioredis mget + JSON.parse (reference)', rawKeys, (ks) => plain.mget(ks).then((vs) => vs.map((v) => (v === null ? v : JSON.parse(v))))),
      batch('ioredis mget on an auto-pipelining client (one raw MGET, no parse)', rawKeys, (ks) => raw.mget(ks)),
    ];
    if (mp) manyTasks.push(batch('ringcache TieredCache.getMany (L2, msgpackSerializer)', mpKeys, (ks) => mp.getMany(ks)));
    if (bentoRedis?.getMany) manyTasks.push(batch('bentocache getMany (redis L2)', bentoKeys, (ks) => bentoRedis.getMany!({ keys: ks })));
    if (cacheableRedis) manyTasks.push(batch('cacheable getMany (@keyv/redis)', cKeys, (ks) => cacheableRedis.getMany(ks)));
    rows.push(...(await runGroup('cache', `getMany, ${BATCH} keys`, manyTasks, wall)));

    // MessagePack against its own floor: the raw MGET of the same bytes plus msgpackr decoding
    // them, the fastest way we know (each value copied to the start of one reused buffer, whose
    // DataView msgpackr keeps, and unpacked there: as the cache does), and two usual ways (one
    // unpack per reply; one unpackMultiple over the values laid end to end). No cache can
    // answer faster than the floor.
    const Packr = optionalRequire<{
      Packr: new (o: { useRecords: boolean; copyBuffers: boolean }) => { pack(v: unknown): Uint8Array; unpack(b: Uint8Array, end?: number): unknown; unpackMultiple(b: Uint8Array): unknown[] };
    }>('msgpackr')?.Packr;
    if (mp && Packr) {
      const packr = new Packr({ useRecords: false, copyBuffers: true });
      const scratch = Buffer.allocUnsafeSlow(8192);
      const viaScratch = (v: Buffer | null): unknown => {
        if (v === null) return v;
        v.copy(scratch, 0);
        return packr.unpack(scratch, v.length);
      };
      const rawMp = keys.map((k) => `rawmp:${k}`);
      await raw.mset(rawMp.flatMap((k, i) => [k, Buffer.from(packr.pack(valueOf(i)))]));
      const present = (vs: (Buffer | null)[]): Buffer[] => vs.filter((v): v is Buffer => v !== null);
      rows.push(
        ...(await runGroup('cache', `getMany, ${BATCH} keys, MessagePack vs its floor`, [
          batch('ioredis mgetBuffer + msgpackr unpack of each value from one reused buffer (floor)', rawMp, (ks) => plain.mgetBuffer(ks).then((vs) => vs.map(viaScratch))),
          batch('ioredis mgetBuffer + msgpackr unpack per value', rawMp, (ks) => plain.mgetBuffer(ks).then((vs) => vs.map((v) => (v === null ? v : packr.unpack(v))))),
          batch('ioredis mgetBuffer + one msgpackr unpackMultiple', rawMp, (ks) => plain.mgetBuffer(ks).then((vs) => packr.unpackMultiple(Buffer.concat(present(vs))))),
          batch('ioredis mget (one raw MGET, no parse)', rawKeys, (ks) => plain.mget(ks)),
          batch('ringcache TieredCache.getMany (L2, msgpackSerializer)', mpKeys, (ks) => mp.getMany(ks)),
        ], wall)),
      );
    }

    // The same with 100-byte Buffer values (stored raw, no serializer): the cache's own cost.
    const blob = (i: number): Buffer => Buffer.alloc(100, i & 0xff);
    const rawBin = keys.map((k) => `rawbin:${k}`);
    const ourBin = keys.map((k) => `rcbin:${k}`);
    await raw.mset(rawBin.flatMap((k, i) => [k, blob(i)]));
    await l2.setMany(ourBin.map((k, i) => [k, blob(i)]), { ttlMs: 3_600_000 });
    rows.push(
      ...(await runGroup('cache', `L2 hit, ${CONCURRENCY} in flight, 100 B Buffers`, [
        concurrent('ioredis getBuffer (auto-pipelining)', rawBin, (k) => raw.getBuffer(k)),
        concurrent('ringcache TieredCache.get (L2)', ourBin, (k) => l2.get(k)),
      ], wall)),
    );
    rows.push(
      ...(await runGroup('cache', `getMany, ${BATCH} keys, 100 B Buffers`, [
        batch('ioredis mgetBuffer', rawBin, (ks) => plain.mgetBuffer(ks)),
        batch('ringcache TieredCache.getMany (L2)', ourBin, (ks) => l2.getMany(ks)),
      ], wall)),
    );
  } finally {
    await l2.close();
    await l2Single.close();
    await bentoRedis?.disconnect().catch(() => {});
    await cacheableRedis?.disconnect().catch(() => {});
    raw.disconnect();
    plain.disconnect();
    ourClient.disconnect();
    await stop();
  }
  if (sink === -1) console.log(sink);
  return rows;
}

if (require.main === module) runMain(runCacheBench);
