/**
 * TieredCache over in-memory stores (MemoryStore, ChaosStore): API, values, TTLs, stampede,
 * batches, namespaces, tags, fail-safe, timeouts, circuit breaker, epochs, observability.
 * Redis-backed behaviour (bus, lock, kill -9) is in test/integration/cache*.test.ts.
 *
 * Where time is logic (TTLs, grace, timeouts, the circuit breaker) the test runs on the fake
 * clock (test/helpers/fake-clock.ts) and checks both sides of each bound (1 ms before and after)
 * instead of sleeping past it with a margin.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TieredCache } from '../../src/cache/tiered-cache';
import { DEFAULT_TIERED_CACHE_OPTIONS, type TieredCacheOptions } from '../../src/cache/options';
import { decodeEntry, encodeEntry } from '../../src/cache/envelope';
import { jsonSerializer } from '../../src/cache/serializer';
import { CacheTimeoutError, CacheWriteError, LoaderError } from '../../src/errors';
import { ChaosStore, MemoryStore } from '../helpers/chaos-store';
import { advance, useFakeClock, useRealClock } from '../helpers/fake-clock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function make(opts: TieredCacheOptions = {}): { cache: TieredCache; mem: MemoryStore; chaos: ChaosStore } {
  const mem = new MemoryStore();
  const chaos = new ChaosStore(mem);
  const cache = new TieredCache({ l2: chaos, circuitBreaker: false, ...opts });
  return { cache, mem, chaos };
}

afterEach(async () => {
  await useRealClock();
});

describe('values', () => {
  it('round-trips 0, false, empty string, null, objects and Buffers (raw) through L1 and L2', async () => {
    const { cache, mem } = make();
    const values: [string, unknown][] = [
      ['zero', 0],
      ['false', false],
      ['empty', ''],
      ['null', null],
      ['obj', { a: [1, 'x', null], b: { c: true } }],
      ['buf', Buffer.from([0, 1, 2, 255])],
      ['u8', new Uint8Array([9, 8, 7])],
    ];
    for (const [k, v] of values) await cache.set(k, v);
    for (const [k, v] of values) {
      const got = await cache.get(k);
      expect(got).toEqual(v instanceof Uint8Array ? v : v);
      expect(await cache.has(k)).toBe(true);
    }
    // A second instance on the same L2 (empty L1) reads them back from the envelopes.
    const other = new TieredCache({ l2: mem });
    for (const [k, v] of values) {
      const got = await other.get(k);
      if (v instanceof Uint8Array) {
        expect(Buffer.isBuffer(got)).toBe(true);
        expect([...(got as Buffer)]).toEqual([...v]);
      } else expect(got).toEqual(v);
      expect(await other.has(k)).toBe(true);
    }
    expect(await other.get('nope')).toBeUndefined();
    expect(await other.has('nope')).toBe(false);
  });

  it('L1 hits return the cached object itself; freeze makes it immutable', async () => {
    const { cache } = make();
    const obj = { n: 1 };
    await cache.set('o', obj);
    expect(await cache.get('o')).toBe(obj);
    const frozen = make({ freeze: true }).cache;
    await frozen.set('o', { n: 1 });
    const got = (await frozen.get('o')) as { n: number };
    expect(Object.isFrozen(got)).toBe(true);
  });

  it('refuses undefined values and non-string keys with messages naming the argument', async () => {
    const { cache } = make();
    await expect(cache.set('k', undefined)).rejects.toThrow(/for value/);
    await expect(cache.get(1 as unknown as string)).rejects.toThrow(/Expected a string for key but received number 1/);
    await expect(cache.getOrSet('k', 'x' as never)).rejects.toThrow(/for loader/);
    await expect(cache.getMany(['a', 2 as unknown as string])).rejects.toThrow(/keys\[1\]/);
    await expect(cache.set('k', 1, { ttlMs: -1 })).rejects.toThrow(/options.ttlMs/);
    expect(() => new TieredCache({ l1: { maxEntries: 0 } })).toThrow(/options.l1.maxEntries/);
    expect(() => new TieredCache({ l2: {} as never })).toThrow(/options.l2/);
    expect(() => new TieredCache({ jitter: 2 })).toThrow(/options.jitter/);
    expect(() => cache.namespace('')).toThrow(/for name/);
    expect(() => cache.peek(3 as unknown as string)).toThrow(/for key/);
  });

  it('envelope: header fields, tags and foreign values', () => {
    const buf = encodeEntry({ a: 1 }, false, 1000, 2000, 300, ['t1', 'é'], jsonSerializer);
    const d = decodeEntry(buf, jsonSerializer)!;
    expect(d).toMatchObject({ value: { a: 1 }, createdAt: 1000, expiresAt: 2000, graceMs: 300, tags: ['t1', 'é'] });
    expect(decodeEntry(Buffer.from('plain redis value'), jsonSerializer)).toBeUndefined();
    const inf = decodeEntry(encodeEntry('x', false, 1, Infinity, 0, undefined, jsonSerializer), jsonSerializer)!;
    expect(inf.expiresAt).toBe(Infinity);
  });

  it('a pluggable serializer is used for L2', async () => {
    const calls: string[] = [];
    const serializer = {
      serialize: (v: unknown) => {
        calls.push('s');
        return Buffer.from(JSON.stringify(v)).reverse();
      },
      deserialize: (d: string | Buffer) => {
        calls.push('d');
        return JSON.parse(Buffer.from(d as Buffer).reverse().toString());
      },
    };
    const mem = new MemoryStore();
    await new TieredCache({ l2: mem, serializer }).set('k', { x: 'y' });
    expect(await new TieredCache({ l2: mem, serializer }).get('k')).toEqual({ x: 'y' });
    expect(calls).toEqual(['s', 'd']);
  });

  it('defaults are frozen and documented values', () => {
    expect(Object.isFrozen(DEFAULT_TIERED_CACHE_OPTIONS)).toBe(true);
    expect(DEFAULT_TIERED_CACHE_OPTIONS.l1.maxEntries).toBe(10_000);
  });
});

describe('levels and TTLs', () => {
  it('L1 only (no L2) works, and peek is L1-only and synchronous', async () => {
    const cache = new TieredCache({});
    await cache.set('a', 1);
    expect(cache.peek('a')).toBe(1);
    expect(cache.peek('b')).toBeUndefined();
    expect(await cache.getOrSet('b', () => 2)).toBe(2);
    expect(cache.peek('b')).toBe(2);
  });

  it('L2 only (l1: false) reads every time from L2', async () => {
    const { cache, chaos } = make({ l1: false });
    await cache.set('a', 1);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('a')).toBe(1);
    expect(chaos.count('getBuffer') + chaos.count('mgetBuffer')).toBe(2);
  });

  it('promotes L2 hits into L1 for the remaining TTL capped by the L1 TTL', async () => {
    await useFakeClock();
    const mem = new MemoryStore();
    await new TieredCache({ l2: mem }).set('k', 'v', { ttlMs: 150 });
    const chaos = new ChaosStore(mem);
    const b = new TieredCache({ l2: chaos, l1: { ttlMs: 10_000 } });
    expect(await b.get('k')).toBe('v');
    expect(b.peek('k')).toBe('v');
    await advance(149);
    expect(b.peek('k')).toBe('v');
    await advance(2);
    // Logical expiry of the entry (150 ms) ends the L1 life too, despite L1's 10 s.
    expect(b.peek('k')).toBeUndefined();
    expect(await b.get('k')).toBeUndefined();

    await new TieredCache({ l2: mem }).set('k2', 'v', { ttlMs: 60_000 });
    const c = new TieredCache({ l2: chaos, l1: { ttlMs: 50 } });
    expect(await c.get('k2')).toBe('v');
    const before = chaos.count('getBuffer') + chaos.count('mgetBuffer');
    await advance(49);
    expect(await c.get('k2')).toBe('v'); // L1 TTL not over: no L2 read
    expect(chaos.count('getBuffer') + chaos.count('mgetBuffer')).toBe(before);
    await advance(2);
    expect(await c.get('k2')).toBe('v'); // L1 TTL over: re-read from L2
    expect(chaos.count('getBuffer') + chaos.count('mgetBuffer')).toBe(before + 1);
  });

  it('per-call TTL overrides and jitter shorten the L2 TTL within bounds', async () => {
    await useFakeClock(); // time stands still: each TTL is read exactly
    const { cache, mem } = make({ jitter: 0.5 });
    for (let i = 0; i < 50; i++) await cache.set(`j${i}`, i, { ttlMs: 10_000 });
    const now = Date.now();
    const ttls = [...mem.data.values()].map((e) => e.until - now);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(10_000);
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(5_000);
    expect(new Set(ttls.map((t) => Math.round(t / 100))).size).toBeGreaterThan(5);
  });

  it('bounds L1 by bytes and counts evictions', async () => {
    const cache = new TieredCache({ l1: { maxEntries: undefined, maxBytes: 2000 } });
    for (let i = 0; i < 100; i++) await cache.set(`k${i}`, 'x'.repeat(100));
    const s = cache.stats();
    expect(s.l1.bytes).toBeLessThanOrEqual(2000);
    expect(s.l1.evictions).toBeGreaterThan(80);
    expect(cache.peek('k99')).toBe('x'.repeat(100));
    expect(cache.peek('k0')).toBeUndefined();
  });
});

describe('stampede protection', () => {
  it('1000 concurrent getOrSet on one missing key run the loader once', async () => {
    const { cache } = make();
    let calls = 0;
    const loader = async () => {
      calls++;
      await sleep(20);
      return { v: 42 };
    };
    const all = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet('hot', loader)));
    expect(calls).toBe(1);
    expect(new Set(all).size).toBe(1);
    expect(all[0]).toEqual({ v: 42 });
  });

  it('getOrSetMany calls the bulk loader once for the misses only, and shares in-flight keys', async () => {
    const { cache } = make();
    await cache.set('a', 'A');
    let singleCalls = 0;
    const slow = cache.getOrSet('c', async () => {
      singleCalls++;
      await sleep(30);
      return 'C';
    });
    const bulkCalls: string[][] = [];
    const res = await cache.getOrSetMany(['a', 'b', 'c', 'd', 'b'], async (keys) => {
      bulkCalls.push(keys);
      return keys.map((k) => k.toUpperCase());
    });
    expect(res).toEqual(['A', 'B', 'C', 'D', 'B']);
    expect(bulkCalls).toEqual([['b', 'd']]);
    expect(singleCalls).toBe(1);
    expect(await slow).toBe('C');
    // A Map result works too, and a concurrent batch joins the first one's keys.
    let mapCalls = 0;
    const [r1, r2] = await Promise.all([
      cache.getOrSetMany(['x', 'y'], async (keys) => {
        mapCalls++;
        await sleep(20);
        return new Map(keys.map((k) => [k, `${k}!`]));
      }),
      cache.getOrSetMany(['y', 'x'], async (keys) => {
        mapCalls++;
        return keys.map(() => 'wrong');
      }),
    ]);
    expect(r1).toEqual(['x!', 'y!']);
    expect(r2).toEqual(['y!', 'x!']);
    expect(mapCalls).toBe(1);
  });

  it('negative caching: undefined from the loader is cached for negativeTtlMs, opt-out per call', async () => {
    await useFakeClock();
    const { cache } = make({ negativeTtlMs: 300 });
    let calls = 0;
    const loader = () => {
      calls++;
      return undefined;
    };
    expect(await cache.getOrSet('missing', loader)).toBeUndefined();
    expect(await cache.getOrSet('missing', loader)).toBeUndefined();
    expect(calls).toBe(1);
    expect(await cache.has('missing')).toBe(false);
    await advance(299);
    await cache.getOrSet('missing', loader);
    expect(calls).toBe(1);
    await advance(2);
    await cache.getOrSet('missing', loader);
    expect(calls).toBe(2);
    let calls2 = 0;
    const l2 = () => {
      calls2++;
      return undefined;
    };
    await cache.getOrSet('m2', l2, { negativeCache: false });
    await cache.getOrSet('m2', l2, { negativeCache: false });
    expect(calls2).toBe(2);
  });
});

describe('batches', () => {
  it('getMany/setMany/deleteMany: L1 first, one L2 batch for the rest, input order', async () => {
    const { cache, mem, chaos } = make();
    await cache.setMany([
      ['a', 1],
      ['b', 0],
      ['c', null],
    ]);
    const other = new TieredCache({ l2: chaos });
    await other.get('a'); // a now in other's L1
    const before = chaos.count('mgetBuffer');
    expect(await other.getMany(['a', 'b', 'zz', 'c'])).toEqual([1, 0, undefined, null]);
    expect(chaos.count('mgetBuffer')).toBe(before + 1);
    await cache.deleteMany(['a', 'b']);
    expect(mem.data.has('a')).toBe(false);
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, null]);
  });
});

describe('namespaces and tags', () => {
  it('namespaces prefix keys; clear(namespace) clears them everywhere without SCAN', async () => {
    const mem = new MemoryStore();
    // No bus here: b reads L2 only (l1: false), so what it sees is what the markers say.
    const a = new TieredCache({ l2: mem, markerCacheMs: 0 });
    const b = new TieredCache({ l2: mem, markerCacheMs: 0, l1: false });
    const users = a.namespace('users');
    await users.set('1', 'alice');
    await a.set('1', 'root');
    await users.namespace('admins').set('1', 'bob');
    expect(mem.data.has('@users@1')).toBe(true);
    expect(mem.data.has('@users:admins@1')).toBe(true);
    expect(await b.namespace('users').get('1')).toBe('alice');
    await a.clear('users');
    expect(await users.get('1')).toBeUndefined();
    expect(await b.namespace('users').get('1')).toBeUndefined();
    expect(await b.namespace('users').namespace('admins').get('1')).toBeUndefined();
    expect(await b.get('1')).toBe('root');
    // New writes after the clear are visible.
    await users.set('1', 'carol');
    expect(await b.namespace('users').get('1')).toBe('carol');
    // clear() on a view clears that view.
    await users.clear();
    expect(await b.namespace('users').get('1')).toBeUndefined();
  });

  it('clear() on the root clears every namespace of the cache (one root marker, no SCAN)', async () => {
    const mem = new MemoryStore();
    const a = new TieredCache({ l2: mem, markerCacheMs: 0 });
    const reader = new TieredCache({ l2: mem, markerCacheMs: 0, l1: false });
    await a.set('r', 1);
    await a.namespace('x').set('1', 2);
    await a.clear();
    expect(a.peek('r')).toBeUndefined();
    expect(await reader.getMany(['r', 'x:1'])).toEqual([undefined, undefined]);
    expect(await reader.namespace('x').get('1')).toBeUndefined();
    expect(mem.data.has('__rc:n:')).toBe(true);
    await a.set('r', 3);
    expect(await reader.get('r')).toBe(3);
  });

  it('deleteByTag invalidates tagged values in L1 and, through markers, for other instances', async () => {
    const mem = new MemoryStore();
    const a = new TieredCache({ l2: mem, markerCacheMs: 0 });
    const b = new TieredCache({ l2: mem, markerCacheMs: 0 });
    const reader = new TieredCache({ l2: mem, markerCacheMs: 0, l1: false });
    await a.set('p1', 'x', { tags: ['products'] });
    await a.set('p2', 'y', { tags: ['products', 'featured'] });
    await a.set('u1', 'z', { tags: ['users'] });
    expect(await b.getMany(['p1', 'p2', 'u1'])).toEqual(['x', 'y', 'z']);
    await a.deleteByTag('featured');
    expect(await a.get('p2')).toBeUndefined();
    expect(await a.get('p1')).toBe('x');
    await b.deleteByTag(['products']);
    // b's own L1 dropped them at once; another instance's L2 reads see the marker (a's L1
    // would need the bus: see the integration tests).
    expect(await b.getMany(['p1', 'p2', 'u1'])).toEqual([undefined, undefined, 'z']);
    expect(await reader.getMany(['p1', 'p2', 'u1'])).toEqual([undefined, undefined, 'z']);
    // Values written after the tag deletion are valid again.
    await a.set('p1', 'new', { tags: ['products'] });
    expect(await reader.get('p1')).toBe('new');
  });
});

describe('resilience', () => {
  it('L2 errors never fail a read: get falls back to L1 or undefined, getOrSet to the loader', async () => {
    await useFakeClock();
    const { cache, chaos } = make({ l1: { ttlMs: 30 }, graceMs: 5_000 });
    await cache.set('k', 'v');
    const failed: string[] = [];
    cache.on('l2:error', ({ key }) => failed.push(String(key)));
    chaos.alwaysThrow();
    await advance(31);
    // L1 TTL over, L2 down: the L1 entry (still logically fresh) serves.
    expect(await cache.get('k')).toBe('v');
    expect(await cache.get('unknown')).toBeUndefined();
    expect(await cache.getOrSet('other', () => 'loaded')).toBe('loaded');
    // The reads of unknown and other, and other's write, must have failed on L2 (k's read does
    // too unless the coarse clock had not yet passed its L1 TTL); every failure is counted once.
    await vi.waitFor(() => expect(failed.filter((k) => k === 'other').length).toBe(2));
    expect(failed).toContain('unknown');
    expect(failed.every((k) => ['k', 'unknown', 'other'].includes(k))).toBe(true);
    expect(cache.stats().l2.errors).toBe(failed.length);
  });

  it("l2WriteFailure 'throw' (default): writes reject with CacheWriteError and L1 does not keep the value", async () => {
    expect(DEFAULT_TIERED_CACHE_OPTIONS.l2WriteFailure).toBe('throw');
    const { cache, mem, chaos } = make();
    const other = new TieredCache({ l2: mem });
    await cache.set('k', 'old');
    await cache.set('m', 'old');
    chaos.alwaysThrow(['write']);
    const err = await cache.set('k', 'new').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheWriteError);
    expect((err as CacheWriteError).code).toBe('ERR_RINGCACHE_CACHE_WRITE');
    expect((err as CacheWriteError).keys).toEqual(['k']);
    expect((err as Error).cause).toBeInstanceOf(Error);
    // The writer agrees with L2 and with the other instances: the old value.
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k')).toBe('old');
    expect(await other.get('k')).toBe('old');
    const many = await cache.setMany([['k', 'n1'], ['m', 'n2']]).catch((e: unknown) => e);
    expect(many).toBeInstanceOf(CacheWriteError);
    expect([...(many as CacheWriteError).keys].sort()).toEqual(['k', 'm']);
    expect(await cache.getMany(['k', 'm'])).toEqual(['old', 'old']);
    await expect(cache.delete('k')).rejects.toBeInstanceOf(CacheWriteError);
    await expect(cache.deleteMany(['k', 'm'])).rejects.toBeInstanceOf(CacheWriteError);
    await expect(cache.clear()).rejects.toBeInstanceOf(CacheWriteError);
    await expect(cache.deleteByTag('t')).rejects.toBeInstanceOf(CacheWriteError);
    // Loads never fail their read over an L2 write failure.
    expect(await cache.getOrSet('loaded', () => 'v')).toBe('v');
    chaos.neverThrow();
    await cache.set('k', 'new');
    expect(await new TieredCache({ l2: mem }).get('k')).toBe('new');
  });

  it("l2WriteFailure 'ignore': writes resolve, the value lives in the writer's L1 only", async () => {
    const { cache, chaos } = make({ l2WriteFailure: 'ignore' });
    const errors: unknown[] = [];
    cache.on('l2:error', (e) => errors.push(e));
    chaos.alwaysThrow(['write']);
    await expect(cache.set('w', 1)).resolves.toBeUndefined();
    expect(cache.peek('w')).toBe(1);
    await expect(cache.setMany([['x', 2]])).resolves.toBeUndefined();
    await expect(cache.delete('w')).resolves.toBeUndefined();
    await expect(cache.deleteMany(['x'])).resolves.toBeUndefined();
    await expect(cache.clear()).resolves.toBeUndefined();
    expect(errors.length).toBeGreaterThanOrEqual(5);
    expect(() => new TieredCache({ l2WriteFailure: 'maybe' as 'throw' })).toThrow(/options\.l2WriteFailure/);
  });

  it('markers expire in L2 after twice the longest entry lifetime plus a minute (or markerTtlMs)', async () => {
    await useFakeClock(); // time stands still: each marker TTL is read exactly
    const { cache, mem } = make({ ttlMs: 10_000, graceMs: 5_000 });
    const until = (k: string) => (mem.data.get(k) as { until: number }).until - Date.now();
    await cache.clear();
    expect(until('__rc:n:')).toBe(2 * 15_000 + 60_000);
    // A per-call TTL longer than the defaults lengthens the markers written afterwards.
    await cache.set('long', 1, { ttlMs: 100_000 });
    await cache.deleteByTag('t');
    expect(until('__rc:t:t')).toBe(2 * 105_000 + 60_000);
    const fixed = make({ markerTtlMs: 5_000 });
    await fixed.cache.clear();
    expect((fixed.mem.data.get('__rc:n:') as { until: number }).until - Date.now()).toBe(5_000);
    const never = make({ markerTtlMs: Infinity });
    await never.cache.clear();
    expect((never.mem.data.get('__rc:n:') as { until: number }).until).toBe(Infinity);
    // The cleared state holds while entries created before the marker can still be alive.
    await cache.set('a', 1);
    await cache.clear();
    expect(await new TieredCache({ l2: mem }).get('a')).toBeUndefined();
  });

  it('fail-safe: a failing loader serves the stale value within the grace period, then throws', async () => {
    await useFakeClock();
    const { cache } = make({ ttlMs: 50, graceMs: 300, failSafeThrottleMs: 20 });
    expect(await cache.getOrSet('k', () => 'v1')).toBe('v1');
    await advance(51);
    const failing = () => {
      throw new Error('db down');
    };
    expect(await cache.getOrSet('k', failing)).toBe('v1');
    expect(cache.stats().staleServed).toBe(1);
    await advance(21); // past the throttle, still within grace (50 + 300 ms)
    expect(await cache.getOrSet('k', failing)).toBe('v1');
    expect(cache.stats().staleServed).toBe(2);
    await advance(350 - 72 + 1); // 1 ms past the end of grace
    const err = await cache.getOrSet('k', failing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoaderError);
    expect((err as LoaderError).code).toBe('ERR_RINGCACHE_LOADER');
    expect(((err as LoaderError).cause as Error).message).toBe('db down');
  });

  it('fail-safe from L2: another instance serves the stale L2 envelope when its loader fails', async () => {
    await useFakeClock();
    const mem = new MemoryStore();
    const a = new TieredCache({ l2: mem, ttlMs: 40, graceMs: 5000 });
    await a.getOrSet('k', () => 'v1');
    await advance(41);
    const b = new TieredCache({ l2: mem });
    expect(await b.get('k')).toBeUndefined(); // plain get: expired is a miss
    expect(
      await b.getOrSet('k', () => {
        throw new Error('down');
      }),
    ).toBe('v1');
  });

  it('soft timeout answers stale at once and refreshes in the background; hard timeout rejects', async () => {
    await useFakeClock();
    const { cache } = make({ ttlMs: 30, graceMs: 10_000 });
    await cache.getOrSet('k', () => 'old');
    await advance(31);
    let done = false;
    let answered = false;
    const pending = cache
      .getOrSet(
        'k',
        async () => {
          await sleep(500);
          done = true;
          return 'new';
        },
        { softTimeoutMs: 30, ttlMs: 10_000 },
      )
      .finally(() => (answered = true));
    await advance(29);
    expect(answered).toBe(false); // the loader gets its soft timeout…
    await advance(2);
    expect(answered).toBe(true); // … then the stale value answers, at 30 ms, not 500
    expect(await pending).toBe('old');
    expect(done).toBe(false);
    await advance(470);
    expect(done).toBe(true);
    expect(await cache.get('k')).toBe('new');

    let hardDone = false;
    const hard = cache
      .getOrSet('h', () => sleep(200).then(() => 'late'), { hardTimeoutMs: 40, ttlMs: 10_000 })
      .catch((e: unknown) => e)
      .finally(() => (hardDone = true));
    await advance(39);
    expect(hardDone).toBe(false);
    await advance(2);
    const err = await hard;
    expect(err).toBeInstanceOf(CacheTimeoutError);
    expect((err as CacheTimeoutError).timeoutMs).toBe(40);
    // The loader kept running and filled the cache.
    expect(await cache.get('h')).toBeUndefined();
    await advance(160);
    expect(await cache.get('h')).toBe('late');
  });

  it('getOrSetMany: hard timeout serves stale values or rejects; the late result is still stored', async () => {
    await useFakeClock();
    const { cache } = make({ ttlMs: 30, graceMs: 10_000 });
    await cache.getOrSetMany(['a'], async () => ['a0']);
    await advance(31); // 'a' expired, within grace
    const slow = (keys: string[]) => sleep(150).then(() => keys.map((k) => `${k}1`));
    const stale = cache.getOrSetMany(['a'], slow, { hardTimeoutMs: 30, ttlMs: 10_000 });
    await advance(31);
    expect(await stale).toEqual(['a0']);
    const failed = cache.getOrSetMany(['a', 'b'], slow, { hardTimeoutMs: 30, ttlMs: 10_000 }).catch((e: unknown) => e);
    await advance(31);
    const err = await failed;
    expect(err).toBeInstanceOf(CacheTimeoutError);
    await advance(150);
    expect(await cache.getMany(['a', 'b'])).toEqual(['a1', 'b1']);
    expect(cache.stats().loader.timeouts).toBe(2);
  });

  it('getOrSetMany: soft timeout answers stale values at once and refreshes in the background', async () => {
    await useFakeClock();
    const { cache } = make({ ttlMs: 30, graceMs: 10_000 });
    await cache.getOrSetMany(['a', 'b'], async (keys) => keys.map((k) => `${k}0`));
    await advance(31); // expired, within grace
    let done = 0;
    const slow = (keys: string[]) =>
      sleep(300).then(() => {
        done++;
        return keys.map((k) => `${k}1`);
      });
    let answered = false;
    const first = cache.getOrSetMany(['a', 'b'], slow, { softTimeoutMs: 30, ttlMs: 10_000 }).finally(() => (answered = true));
    await advance(29);
    expect(answered).toBe(false);
    await advance(2);
    expect(answered).toBe(true); // at the soft timeout, not after the 300 ms load
    expect(await first).toEqual(['a0', 'b0']);
    expect(cache.stats().staleServed).toBe(2);
    expect(done).toBe(0);
    await advance(270);
    expect(done).toBe(1);
    expect(await cache.getMany(['a', 'b'])).toEqual(['a1', 'b1']);
    // A key without a stale value keeps the batch waiting (for the load, up to the hard
    // timeout); the stale keys are answered at the soft timeout and refreshed meanwhile.
    await cache.set('s', 's0', { ttlMs: 20 });
    await advance(21);
    answered = false;
    const waiting = cache.getOrSetMany(['s', 'fresh'], slow, { softTimeoutMs: 30, ttlMs: 10_000 }).finally(() => (answered = true));
    await advance(299);
    expect(answered).toBe(false); // past the soft timeout: still waiting for 'fresh'
    await advance(2);
    expect(await waiting).toEqual(['s1', 'fresh1']);
    const failing = cache.getOrSetMany(['s2', 'x'], slow, { softTimeoutMs: 30, hardTimeoutMs: 60, ttlMs: 10_000 }).catch((e: unknown) => e);
    await advance(61);
    const err = await failing;
    expect(err).toBeInstanceOf(CacheTimeoutError);
    expect((err as CacheTimeoutError).timeoutMs).toBe(60);
    await advance(300); // let the background load end inside the fake clock
  });

  it('an L2 call past l2TimeoutMs counts as an L2 error and the read falls back', async () => {
    await useFakeClock();
    const { cache, chaos } = make({ l2TimeoutMs: 30 });
    chaos.delay(200);
    let answered = false;
    const p = cache.getOrSet('k', () => 'fromLoader').finally(() => (answered = true));
    // The read gives up at 30 ms (not at the 200 ms reply), the loader answers, and its SET waits
    // for L2 up to l2TimeoutMs too: 60 ms in all.
    await advance(59);
    expect(answered).toBe(false);
    await advance(2);
    expect(answered).toBe(true);
    expect(await p).toBe('fromLoader');
    expect(cache.stats().l2).toMatchObject({ timeouts: 2, errors: 2 }); // the read and the SET
    await advance(200); // the late replies arrive and change nothing
    expect(cache.stats().l2).toMatchObject({ timeouts: 2, errors: 2 });
  });

  it('get(): an L2 reply slower than l2TimeoutMs resolves from the L1 entry or as a miss', async () => {
    await useFakeClock();
    const { cache, chaos } = make({ l2TimeoutMs: 30, l1: { ttlMs: 10 } });
    await cache.set('k', 'v');
    await advance(11);
    chaos.delay(300);
    const settle = async <T>(p: Promise<T>): Promise<T> => {
      await advance(31); // each read gives up at l2TimeoutMs, long before the 300 ms reply
      return p;
    };
    expect(await settle(cache.get('k'))).toBe('v'); // past its L1 TTL, within its logical TTL
    expect(await settle(cache.get('none'))).toBeUndefined();
    expect(await settle(cache.getMany(['k', 'none']))).toEqual(['v', undefined]);
    expect(cache.stats().l2.timeouts).toBe(3);
    await advance(300);
  });

  it('circuit breaker opens after consecutive failures, skips L2, and a half-open probe closes it', async () => {
    await useFakeClock();
    const mem = new MemoryStore();
    const chaos = new ChaosStore(mem);
    const cache = new TieredCache({ l2: chaos, l1: false, circuitBreaker: { failureThreshold: 3, breakDurationMs: 100 } });
    const states: unknown[] = [];
    cache.on('circuit:change', (e) => states.push(e.state));
    chaos.alwaysThrow();
    for (let i = 0; i < 3; i++) await cache.get(`k${i}`);
    expect(cache.stats().circuit).toBe('open');
    const calls = chaos.count('getBuffer') + chaos.count('mgetBuffer');
    for (let i = 0; i < 10; i++) expect(await cache.get('x')).toBeUndefined();
    expect(chaos.count('getBuffer') + chaos.count('mgetBuffer')).toBe(calls); // skipped
    expect(cache.stats().l2.skipped).toBe(10);
    chaos.neverThrow();
    await mem.set('y', encodeEntry('yes', false, Date.now(), Date.now() + 60_000, 0, undefined, jsonSerializer));
    await advance(98);
    expect(await cache.get('y')).toBeUndefined(); // still open: skipped
    expect(cache.stats().l2.skipped).toBe(11);
    await advance(2);
    expect(await cache.get('y')).toBe('yes'); // the probe
    expect(cache.stats().circuit).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('getMany with known markers: failures, an open circuit and unknown tag markers', async () => {
    const mem = new MemoryStore();
    const chaos = new ChaosStore(mem);
    const writer = new TieredCache({ l2: mem });
    await useFakeClock();
    const cache = new TieredCache({ l2: chaos, l1: { ttlMs: 10 }, graceMs: 60_000, circuitBreaker: { failureThreshold: 2, breakDurationMs: 60_000 } });
    await cache.set('a', 'a0');
    await cache.set('b', 'b0');
    expect(await cache.getMany(['a', 'b', 'none'])).toEqual(['a0', 'b0', undefined]); // markers now known
    await advance(11); // past the L1 TTL: L2 is asked
    chaos.alwaysThrow(['read']);
    const reads = () => chaos.count('mgetBuffer') + chaos.count('getBuffer');
    const before = reads();
    expect(await cache.getMany(['a', 'b', 'none'])).toEqual(['a0', 'b0', undefined]); // stale from L1
    expect(reads()).toBe(before + 1); // one batch
    expect(cache.stats().l2.errors).toBe(1);
    expect(await cache.getMany(['a'])).toEqual(['a0']);
    expect(cache.stats().circuit).toBe('open');
    expect(await cache.getMany(['a', 'none'])).toEqual(['a0', undefined]); // skipped, still served
    expect(reads()).toBe(before + 2); // the skipped batch reached no store
    expect(cache.stats().l2.skipped).toBe(1);

    // A reader that has never seen these tags reads their markers before trusting the entries.
    const reader = new TieredCache({ l2: mem, l1: false });
    expect(await reader.getMany(['warm'])).toEqual([undefined]); // namespace markers known
    await writer.set('p1', 'x', { tags: ['products'] });
    await writer.set('u1', 'z', { tags: ['users'] });
    await writer.deleteByTag('products');
    expect(await reader.getMany(['p1', 'u1'])).toEqual([undefined, 'z']);
    await writer.set('p1', 'new', { tags: ['products'] });
    expect(await reader.getMany(['p1', 'u1'])).toEqual(['new', 'z']);
    await Promise.all([writer.close(), cache.close(), reader.close()]);
  });

  it('batchGets: get()s that miss L1 in one turn are read with one MGET, each with its own outcome', async () => {
    const mem = new MemoryStore();
    const chaos = new ChaosStore(mem);
    const writer = new TieredCache({ l2: mem });
    // A generic store could be partitioned: batching is opt-in there (default on a plain Redis
    // client or a RedisStore, see the integration tests).
    const unbatched = new TieredCache({ l2: chaos, l1: false });
    const cache = new TieredCache({ l2: chaos, l1: false, circuitBreaker: false, batchGets: 256 });
    await writer.set('a', { n: 1 });
    await writer.set('b', 0);
    await writer.namespace('ns').set('a', 'ns-a');
    await writer.set('buf', Buffer.from([1, 2, 3]));
    await writer.getOrSet('neg', async () => undefined);
    // Namespace markers known (else each get() first reads them, on its own): the hot path.
    expect(await cache.getMany(['warm'])).toEqual([undefined]);
    expect(await cache.namespace('ns').getMany(['warm'])).toEqual([undefined]);
    const gets0 = chaos.count('getBuffer');
    const mgets0 = chaos.count('mgetBuffer');
    const got = await Promise.all([
      cache.get('a'),
      cache.get('b'),
      cache.namespace('ns').get('a'),
      cache.get('buf'),
      cache.get('neg'),
      cache.get('none'),
      cache.get('a'), // the same key twice: both answered
      // Called from a continuation later in the same turn: joins the batch too.
      Promise.resolve().then(() => cache.get('b')),
    ]);
    expect(got).toEqual([{ n: 1 }, 0, 'ns-a', Buffer.from([1, 2, 3]), undefined, undefined, { n: 1 }, 0]);
    expect(chaos.count('mgetBuffer') - mgets0).toBe(1);
    expect(chaos.count('getBuffer') - gets0).toBe(0);
    expect(cache.stats().l2).toMatchObject({ hits: 7, misses: 3 }); // a negative entry is a hit; 2 warm-up misses
    // A lone get() is a GET.
    expect(await cache.get('a')).toEqual({ n: 1 });
    expect(chaos.count('getBuffer') - gets0).toBe(1);

    // At most batchGets keys per MGET; false sends one GET per get().
    const small = new TieredCache({ l2: chaos, l1: false, batchGets: 2 });
    await small.get('warm');
    const m1 = chaos.count('mgetBuffer');
    const g1 = chaos.count('getBuffer');
    expect(await Promise.all(['a', 'b', 'a', 'b', 'none'].map((k) => small.get(k)))).toEqual([{ n: 1 }, 0, { n: 1 }, 0, undefined]);
    expect([chaos.count('mgetBuffer') - m1, chaos.count('getBuffer') - g1]).toEqual([2, 1]);
    const off = new TieredCache({ l2: chaos, l1: false, batchGets: false });
    await off.get('warm');
    const g2 = chaos.count('getBuffer');
    const m2 = chaos.count('mgetBuffer');
    expect(await Promise.all(['a', 'b', 'none'].map((k) => off.get(k)))).toEqual([{ n: 1 }, 0, undefined]);
    expect([chaos.count('mgetBuffer') - m2, chaos.count('getBuffer') - g2]).toEqual([0, 3]);
    await unbatched.get('warm');
    const g3 = chaos.count('getBuffer');
    await Promise.all(['a', 'b'].map((k) => unbatched.get(k)));
    expect(chaos.count('getBuffer') - g3).toBe(2);
    expect(() => new TieredCache({ batchGets: 0 })).toThrow(/options.batchGets/);
    expect(() => new TieredCache({ batchGets: 'x' as unknown as number })).toThrow(/options.batchGets/);
    await Promise.all([writer.close(), cache.close(), small.close(), off.close(), unbatched.close()]);
  });

  it('batchGets: concurrent getOrSet()s read L2 in one MGET; only the real misses load', async () => {
    const mem = new MemoryStore();
    const chaos = new ChaosStore(mem);
    const writer = new TieredCache({ l2: mem });
    const cache = new TieredCache({ l2: chaos, batchGets: 256 });
    await writer.setMany(Array.from({ length: 20 }, (_, i) => [`k${i}`, i] as const));
    await cache.getMany(['warm']);
    const m0 = chaos.count('mgetBuffer');
    const g0 = chaos.count('getBuffer');
    const loaded: string[] = [];
    const keys = [...Array.from({ length: 20 }, (_, i) => `k${i}`), 'new1', 'new2'];
    const got = await Promise.all(keys.map((k) => cache.getOrSet(k, async () => (loaded.push(k), `loaded ${k}`))));
    expect(got).toEqual([...Array.from({ length: 20 }, (_, i) => i), 'loaded new1', 'loaded new2']);
    expect(loaded).toEqual(['new1', 'new2']);
    expect([chaos.count('mgetBuffer') - m0, chaos.count('getBuffer') - g0]).toEqual([1, 0]);
    expect(cache.peek('k3')).toBe(3); // promoted
    expect(await writer.get('new2')).toBe('loaded new2'); // stored
    await Promise.all([writer.close(), cache.close()]);
  });

  it('batchGets: a failed or late MGET is one L2 error and every get() falls back on its own', async () => {
    const mem = new MemoryStore();
    const chaos = new ChaosStore(mem);
    await useFakeClock();
    const cache = new TieredCache({ l2: chaos, l1: { ttlMs: 10 }, graceMs: 60_000, l2TimeoutMs: 40, circuitBreaker: false, batchGets: 256 });
    await cache.set('a', 'a0');
    await cache.set('b', 'b0');
    expect(await cache.get('warm')).toBeUndefined(); // namespace markers known
    await advance(11); // past the L1 TTL, within grace
    chaos.alwaysThrow(['read']);
    const m0 = chaos.count('mgetBuffer');
    expect(await Promise.all([cache.get('a'), cache.get('b'), cache.get('none')])).toEqual(['a0', 'b0', undefined]);
    expect(chaos.count('mgetBuffer') - m0).toBe(1);
    expect(cache.stats().l2.errors).toBe(1);
    chaos.neverThrow().delay(300);
    let answered = false;
    const late = Promise.all([cache.get('a'), cache.get('none'), cache.get('b')]).finally(() => (answered = true));
    await advance(39);
    expect(answered).toBe(false);
    await advance(2);
    expect(await late).toEqual(['a0', undefined, 'b0']); // at l2TimeoutMs, not at the 300 ms reply
    expect(chaos.count('mgetBuffer') - m0).toBe(2);
    expect(cache.stats().l2).toMatchObject({ errors: 2, timeouts: 1 });
    chaos.delay(0);
    await advance(300); // the late replies arrive and change nothing
    expect(cache.stats().l2).toMatchObject({ errors: 2, timeouts: 1 });
    await cache.close();
  });

  it('eager refresh reloads in the background once past the threshold', async () => {
    await useFakeClock();
    const { cache } = make({ ttlMs: 1000, eagerRefreshThreshold: 0.5 });
    let n = 0;
    const loader = async () => `v${++n}`;
    expect(await cache.getOrSet('k', loader)).toBe('v1');
    await advance(499);
    expect(await cache.getOrSet('k', loader)).toBe('v1');
    await advance(1);
    expect(n).toBe(1); // not yet past the threshold: no refresh
    await advance(2);
    expect(await cache.getOrSet('k', loader)).toBe('v1'); // served at once, refresh started
    await advance(1);
    expect(n).toBe(2);
    expect(await cache.getOrSet('k', loader)).toBe('v2');
  });
});

describe('coherence inside one process', () => {
  it('an L2 read in flight when the key is deleted does not promote its old value', async () => {
    const mem = new MemoryStore();
    await new TieredCache({ l2: mem }).set('k', 'old');
    const chaos = new ChaosStore(mem);
    const b = new TieredCache({ l2: chaos });
    let held!: () => void;
    const heldP = new Promise<void>((r) => (held = r));
    const release = chaos.hold(['read'], held);
    const inflight = b.get('k');
    await heldP;
    await b.set('k', 'new'); // writes are not held
    release();
    expect(await inflight).toBe('old'); // the read began before the write
    expect(b.peek('k')).toBe('new');
    expect(await b.get('k')).toBe('new');
    expect(b.stats().supersededWrites).toBe(1);
  });

  it('a load overtaken by a delete of its key is returned but not cached', async () => {
    const { cache } = make();
    let release!: () => void;
    const p = cache.getOrSet('k', () => new Promise<string>((r) => (release = () => r('loaded'))));
    await sleep(5);
    await cache.delete('k');
    release();
    expect(await p).toBe('loaded');
    expect(await cache.get('k')).toBeUndefined();
  });
});

describe('observability', () => {
  it('stats per level, events and diagnostics_channel', async () => {
    const { cache, chaos } = make({ graceMs: 1000, ttlMs: 20 });
    const hits: unknown[] = [];
    const onHit = (m: unknown) => hits.push(m);
    diagnostics_channel.subscribe('ringcache:cache:hit', onHit);
    const loads: unknown[] = [];
    const onLoad = (m: unknown) => loads.push(m);
    diagnostics_channel.subscribe('ringcache:cache:load', onLoad);
    const errors: unknown[] = [];
    cache.on('l2:error', (e) => errors.push(e));
    try {
      await cache.getOrSet('k', () => 'v');
      await cache.get('k');
      const other = new TieredCache({ l2: chaos, name: 'other' });
      await other.get('k');
      chaos.alwaysThrow(['read']);
      await cache.get('zz');
      const s = cache.stats();
      expect(s.l1.hits).toBe(1);
      expect(s.loader.calls).toBe(1);
      expect(s.loader.totalMs).toBeGreaterThanOrEqual(0);
      expect(s.l2.misses).toBe(1);
      expect(s.l2.errors).toBe(1);
      expect(errors).toHaveLength(1);
      expect(hits).toEqual([
        { cache: 'default', key: 'k', level: 'l1' },
        { cache: 'other', key: 'k', level: 'l2' },
      ]);
      expect(loads).toHaveLength(1);
    } finally {
      diagnostics_channel.unsubscribe('ringcache:cache:hit', onHit);
      diagnostics_channel.unsubscribe('ringcache:cache:load', onLoad);
    }
  });
});
