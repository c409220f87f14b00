/**
 * Regression tests of issue 17 (TieredCache correctness defects found in review), over the
 * in-memory stores and the cache's ManualClock: each test failed before its fix. The defects
 * that need a real Redis (write order with auto-pipelining, the bus) are in
 * test/integration/cache-regressions.test.ts.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, useClock } from '../../src/cache/clock';
import type { TieredCacheOptions } from '../../src/cache/options';
import { TieredCache } from '../../src/cache/tiered-cache';
import { CacheTimeoutError, CacheWriteError, LoaderError } from '../../src/errors';
import { ChaosStore, MemoryStore } from '../helpers/chaos-store';
import { deferred } from '../helpers/deferred';

let clock: ManualClock;

beforeEach(() => {
  clock = new ManualClock();
  useClock(clock);
});

afterEach(() => {
  useClock(undefined);
});

/** Lets every pending promise job and I/O callback run (no time passes on the cache clock). */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** Moves the cache clock forward by `ms` in 5 ms steps, settling in between. */
async function pass(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 5) {
    clock.advance(Math.min(5, ms - t));
    await settle(2);
  }
}

function make(opts: TieredCacheOptions = {}, mem = new MemoryStore()): { cache: TieredCache; mem: MemoryStore; chaos: ChaosStore } {
  const chaos = new ChaosStore(mem);
  const cache = new TieredCache({ l2: chaos, circuitBreaker: false, ...opts });
  return { cache, mem, chaos };
}

describe('defect 1: fail-safe never brings back a value from before an invalidation', () => {
  const invalidations: [string, (c: TieredCache) => Promise<unknown>][] = [
    ['delete', (c) => c.delete('k')],
    ['clear', (c) => c.clear()],
    ['deleteByTag', (c) => c.deleteByTag('t')],
    ['set', (c) => c.set('k', 'new')],
  ];
  for (const [name, invalidate] of invalidations) {
    it(`${name} during a failing load`, async () => {
      const { cache } = make({ graceMs: 60_000, failSafeThrottleMs: 5000 });
      await cache.set('k', 'old', { ttlMs: 100, tags: ['t'] });
      await pass(150);
      const d = deferred<string>();
      const p = cache.getOrSet('k', d.loader);
      await settle();
      expect(d.calls()).toBe(1);
      await invalidate(cache);
      d.reject(new Error('db down'));
      const r = await p.then(
        (v) => v,
        (e: unknown) => e,
      );
      // The caller began before the invalidation: it may fail or get the old value, but no
      // later read may see it.
      if (r !== 'old') expect(r).toBeInstanceOf(LoaderError);
      const after = await cache.get('k');
      expect(after === undefined || after === 'new').toBe(true);
      expect(cache.peek('k') === undefined || cache.peek('k') === 'new').toBe(true);
    });
  }

  it('a delete during the soft wait, then the soft timeout', async () => {
    const { cache } = make({ graceMs: 60_000, failSafeThrottleMs: 5000, softTimeoutMs: 50 });
    await cache.set('k', 'old', { ttlMs: 100 });
    await pass(150);
    const d = deferred<string>();
    const p = cache.getOrSet('k', d.loader).catch((e: unknown) => e);
    await pass(20);
    await cache.delete('k');
    await pass(50); // the soft timeout
    expect(cache.peek('k')).toBeUndefined();
    d.reject(new Error('db down'));
    await p;
    expect(await cache.get('k')).toBeUndefined();
  });

  it('getOrSetMany: a delete during the soft wait of a bulk load', async () => {
    const { cache } = make({ graceMs: 60_000, failSafeThrottleMs: 5000, softTimeoutMs: 50 });
    await cache.setMany([['a', 'old-a'], ['b', 'old-b']], { ttlMs: 100 });
    await pass(150);
    let fail!: (e: unknown) => void;
    const p = cache.getOrSetMany(['a', 'b'], () => new Promise<string[]>((_r, j) => (fail = j))).catch((e: unknown) => e);
    await pass(20);
    await cache.delete('a');
    await pass(50);
    expect(cache.peek('a')).toBeUndefined();
    fail(new Error('db down'));
    await p;
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe('old-b'); // not invalidated: fail-safe as documented
  });
});

describe('defect 2: getOrSetMany joining a failing load', () => {
  it('does not leave an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => {
      unhandled.push(e);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const { cache } = make();
      const a = deferred<string>();
      const pa = cache.getOrSet('a', a.loader).catch((e: unknown) => e);
      await settle();
      let finish!: (v: string[]) => void;
      const pm = cache.getOrSetMany(['a', 'b'], () => new Promise<string[]>((r) => (finish = r))).catch((e: unknown) => e);
      await settle();
      a.reject(new Error('a failed'));
      await settle(10);
      finish(['B']);
      expect(await pa).toBeInstanceOf(LoaderError);
      expect(await pm).toBeInstanceOf(LoaderError);
      await settle(10);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('defect 3: namespace views cannot alias', () => {
  it('a cleared namespace key is not readable through the root or another view', async () => {
    const { cache, mem } = make();
    const users = cache.namespace('users');
    await users.set('42', 'v');
    await users.clear();
    expect(await cache.get('users:42')).toBeUndefined();
    expect(await users.get('42')).toBeUndefined();
    // A second instance (cold L1, markers read from L2) agrees.
    const other = new TieredCache({ l2: mem });
    expect(await other.get('users:42')).toBeUndefined();
    expect(await other.namespace('users').get('42')).toBeUndefined();
  });

  it('root keys with the separator and nested views are different keys', async () => {
    const { cache } = make();
    await cache.set('a:b:k', 'root');
    await cache.namespace('a').namespace('b').set('k', 'nested');
    await cache.namespace('a:b').set('k', 'flat');
    expect(await cache.get('a:b:k')).toBe('root');
    expect(await cache.namespace('a').get('b:k')).toBeUndefined();
    await cache.namespace('a').clear();
    expect(await cache.namespace('a').namespace('b').get('k')).toBeUndefined();
    expect(await cache.get('a:b:k')).toBe('root');
    expect(await cache.namespace('a:b').get('k')).toBe('flat');
  });
});

describe("defect 4: user keys cannot reach the cache's own keys", () => {
  it('getOrSet/set of a marker-like key leaves the marker alone', async () => {
    const { cache, mem } = make();
    const users = cache.namespace('users');
    await users.set('1', 'v');
    await users.clear();
    const markerKeys = [...mem.data.keys()].filter((k) => k.includes('__rc:n:'));
    expect(markerKeys.length).toBe(1);
    const markerBefore = mem.data.get(markerKeys[0])!.v.toString();
    await cache.getOrSet(markerKeys[0], () => 'junk');
    await cache.set(markerKeys[0], 'junk2');
    await cache.set('__rc:lock:x', 'junk3');
    expect(mem.data.get(markerKeys[0])!.v.toString()).toBe(markerBefore);
    expect(await cache.get(markerKeys[0])).toBe('junk2');
    const other = new TieredCache({ l2: mem });
    expect(await other.namespace('users').get('1')).toBeUndefined();
    expect(await other.get(markerKeys[0])).toBe('junk2');
    expect(await other.get('__rc:lock:x')).toBe('junk3');
  });
});

describe('defect 5: the marker table is bounded', () => {
  it('stays bounded when every entry has its own tag', async () => {
    const { cache, mem } = make({ l1: { maxEntries: 10 } });
    const writer = new TieredCache({ l2: mem, l1: false });
    const n = 6000;
    for (let i = 0; i < n; i++) await writer.set(`k${i}`, i, { tags: [`tag${i}`] });
    for (let i = 0; i < n; i++) expect(await cache.get(`k${i}`)).toBe(i);
    expect(cache.stats().tracked.markers).toBeLessThanOrEqual(4097);
    // Bounded, and still correct: a tag deleted elsewhere hides its entry here.
    await writer.deleteByTag('tag7');
    await pass(1100); // markerCacheMs
    expect(await cache.get('k7')).toBeUndefined();
    expect(await cache.get('k8')).toBe(8);
  });
});

describe('defect 6: the per-key epoch table is bounded', () => {
  it('stays bounded behind a hung loader', async () => {
    const { cache } = make();
    const p = cache.getOrSet('hung', () => new Promise<string>(() => {}), { hardTimeoutMs: 50 });
    await pass(70);
    await expect(p).rejects.toBeInstanceOf(CacheTimeoutError);
    for (let i = 0; i < 20_000; i++) await cache.set(`k${i}`, i);
    expect(cache.stats().tracked.keyEpochs).toBeLessThanOrEqual(10_000);
  });

  it('shrinks under overlapping reads that never drop to zero in flight', async () => {
    const { cache, chaos } = make({ l1: { maxEntries: 100 } });
    for (let i = 0; i < 200; i++) {
      const release = chaos.hold();
      const r = cache.get(`r${i}`);
      await settle();
      await cache.set(`w${i}`, i);
      release();
      await r;
    }
    // Overlap: one read always in flight.
    let release = chaos.hold();
    let r = cache.get('r-start');
    await settle();
    for (let i = 0; i < 500; i++) {
      await cache.set(`x${i}`, i);
      const prev = release;
      const prevRead = r;
      release = chaos.hold();
      r = cache.get(`r${i}`);
      await settle();
      prev();
      await prevRead;
    }
    expect(cache.stats().tracked.keyEpochs).toBeLessThan(10);
    release();
    await r;
  });
});

describe('defect 7: options are validated at construction, naming the option', () => {
  const redis = new Redis({ lazyConnect: true, host: '127.0.0.1', port: 1 });
  const bad: [string, TieredCacheOptions, RegExp, 'RangeError' | 'TypeError'][] = [
    ['lock.leaseMs fractional', { l2: redis, lock: { leaseMs: 1.5 } }, /options\.lock\.leaseMs/, 'RangeError'],
    ['lock.leaseMs infinite', { l2: redis, lock: { leaseMs: Infinity } }, /options\.lock\.leaseMs/, 'RangeError'],
    ['lock.pollMs infinite', { l2: redis, lock: { pollMs: Infinity } }, /options\.lock\.pollMs/, 'RangeError'],
    ['lock.waitMs NaN', { l2: redis, lock: { waitMs: NaN } }, /options\.lock\.waitMs/, 'TypeError'],
    ['lock: "yes"', { l2: redis, lock: 'yes' as never }, /options\.lock/, 'TypeError'],
    ['bus: 1', { l2: redis, bus: 1 as never }, /options\.bus/, 'TypeError'],
    ['bus.degradedL1TtlMs', { l2: redis, bus: { degradedL1TtlMs: -1 } }, /options\.bus\.degradedL1TtlMs/, 'RangeError'],
    ['l1.maxEntries fractional', { l1: { maxEntries: 1.5 } }, /options\.l1\.maxEntries/, 'RangeError'],
    ['l1.maxEntries infinite', { l1: { maxEntries: Infinity } }, /options\.l1\.maxEntries/, 'RangeError'],
    ['l1.maxBytes fractional', { l1: { maxBytes: 10.5 } }, /options\.l1\.maxBytes/, 'RangeError'],
    ['l1.maxBytes infinite', { l1: { maxBytes: Infinity } }, /options\.l1\.maxBytes/, 'RangeError'],
    ['batchGets fractional', { l2: new MemoryStore(), batchGets: 2.5 }, /options\.batchGets/, 'RangeError'],
    ['circuitBreaker: "on"', { l2: new MemoryStore(), circuitBreaker: 'on' as never }, /options\.circuitBreaker/, 'TypeError'],
    ['circuitBreaker.failureThreshold fractional', { l2: new MemoryStore(), circuitBreaker: { failureThreshold: 1.5 } }, /options\.circuitBreaker\.failureThreshold/, 'RangeError'],
  ];
  for (const [name, opts, re, kind] of bad) {
    it(name, () => {
      let err: unknown;
      try {
        new TieredCache(opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(kind === 'RangeError' ? RangeError : TypeError);
      expect((err as Error).message).toMatch(re);
    });
  }

  it('a tag over 65,535 bytes is a RangeError naming it (set, options, deleteByTag), and nothing is written', async () => {
    const { cache, mem } = make();
    const big = 'x'.repeat(65_536);
    await expect(cache.set('k', 1, { tags: ['ok', big] })).rejects.toThrow(RangeError);
    await expect(cache.set('k', 1, { tags: ['ok', big] })).rejects.toThrow(/options\.tags\[1\]/);
    await expect(cache.deleteByTag(big)).rejects.toThrow(/tags/);
    await expect(cache.deleteByTag(['a', big])).rejects.toThrow(/tags\[1\]/);
    expect(() => new TieredCache({ l2: mem, tags: [big] } as never)).not.toThrow(); // not a cache option
    expect(mem.data.size).toBe(0);
    expect(await cache.get('k')).toBeUndefined();
    // 65,535 bytes is fine.
    await cache.set('k', 1, { tags: ['y'.repeat(65_535)] });
    expect(await new TieredCache({ l2: mem }).get('k')).toBe(1);
  });
});

describe('defect 9: a failed clear()/deleteByTag() is not applied on the writer', () => {
  for (const [name, run] of [
    ['clear', (c: TieredCache) => c.namespace('users').clear()],
    ['deleteByTag', (c: TieredCache) => c.deleteByTag('t')],
  ] as const) {
    it(name, async () => {
      const { cache, chaos, mem } = make();
      await cache.namespace('users').set('1', 'v', { tags: ['t'] });
      chaos.alwaysThrow(['write']);
      await expect(run(cache)).rejects.toBeInstanceOf(CacheWriteError);
      chaos.neverThrow();
      // L2 was not changed: the writer agrees with L2 and with every other instance.
      expect(await new TieredCache({ l2: mem }).namespace('users').get('1')).toBe('v');
      expect(await cache.namespace('users').get('1')).toBe('v');
    });
  }
});

describe('defect 10: a soft timeout without a hard one keeps waiting', () => {
  it('when the stale value expires during the soft wait', async () => {
    const { cache } = make({ softTimeoutMs: 150, hardTimeoutMs: 0 });
    await cache.set('k', 'old', { ttlMs: 100, graceMs: 100 });
    await pass(150); // stale until 200
    const d = deferred<string>();
    const p = cache.getOrSet('k', d.loader);
    let outcome: unknown = 'pending';
    p.then(
      (v) => (outcome = v),
      (e: unknown) => (outcome = e),
    );
    await pass(200); // past the soft limit (300)
    expect(outcome).toBe('pending');
    d.resolve('new');
    await settle();
    expect(outcome).toBe('new');
  });
});

describe('defect 11: eager refresh respects failSafeThrottleMs', () => {
  it('one loader call per throttle period during an outage', async () => {
    const { cache } = make({ graceMs: 60_000, failSafeThrottleMs: 5000, eagerRefreshThreshold: 0.5 });
    await cache.set('k', 'old', { ttlMs: 100 });
    await pass(150);
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls++;
      throw new Error('down');
    };
    expect(await cache.getOrSet('k', failing)).toBe('old');
    for (let i = 0; i < 50; i++) {
      expect(await cache.getOrSet('k', failing)).toBe('old');
      await pass(10);
    }
    expect(calls).toBe(1);
  });
});

describe('defect 12: freeze covers values served by fail-safe', () => {
  it('a stale value from L2 is frozen, and the next read is not mutated', async () => {
    const mem = new MemoryStore();
    const { cache: writer } = make({}, mem);
    await writer.set('k', { n: 1 }, { ttlMs: 100, graceMs: 60_000 });
    await pass(150);
    const { cache } = make({ freeze: true, failSafeThrottleMs: 5000 }, mem);
    const v = (await cache.getOrSet('k', async () => {
      throw new Error('down');
    })) as { n: number };
    expect(v).toEqual({ n: 1 });
    expect(Object.isFrozen(v)).toBe(true);
    expect(() => {
      (v as { n: number }).n = 2;
    }).toThrow(TypeError);
    expect(await cache.get('k')).toEqual({ n: 1 });
  });
});

describe('issue 19 item 7: a timeout followed by more callers while the first load still runs', () => {
  it('hard timeout: later callers join the running load, one loader call', async () => {
    const { cache } = make({ hardTimeoutMs: 50 });
    const d = deferred<string>();
    const first = cache.getOrSet('k', d.loader).catch((e: unknown) => e);
    await pass(60);
    expect(await first).toBeInstanceOf(CacheTimeoutError);
    const later = [cache.getOrSet('k', d.loader), cache.getOrSet('k', d.loader), cache.getOrSetMany(['k'], async () => ['bulk'])];
    await settle();
    d.resolve('v');
    expect(await later[0]).toBe('v');
    expect(await later[1]).toBe('v');
    expect(d.calls()).toBe(1);
    expect(cache.stats().loader.calls).toBe(1);
    expect(await cache.get('k')).toBe('v');
    // getOrSetMany joined the in-process flight of the later callers.
    expect(await later[2]).toEqual(['v']);
    expect(cache.stats().tracked).toMatchObject({ flights: 0, loads: 0, keyEpochs: 0 });
  });

  it('soft timeout: later callers are answered stale and the load runs once', async () => {
    const { cache } = make({ softTimeoutMs: 50, graceMs: 60_000, failSafeThrottleMs: 0 });
    await cache.set('k', 'old', { ttlMs: 100 });
    await pass(150);
    const d = deferred<string>();
    const first = cache.getOrSet('k', d.loader);
    await pass(60);
    expect(await first).toBe('old');
    const second = cache.getOrSet('k', d.loader);
    await pass(60);
    expect(await second).toBe('old');
    d.resolve('new');
    await settle();
    expect(d.calls()).toBe(1);
    expect(await cache.get('k')).toBe('new');
  });

  it('a caller after an invalidation does not join a load begun before it', async () => {
    const { cache } = make();
    const d1 = deferred<string>();
    const first = cache.getOrSet('k', d1.loader);
    await settle();
    await cache.set('k', 'written');
    // L1 has the written value now; a caller that misses L1 (another view of the same key
    // cannot exist, so drop L1 by a clear of nothing else) must not get the old load's value.
    await cache.delete('k');
    const d2 = deferred<string>();
    const second = cache.getOrSet('k', d2.loader);
    await settle();
    expect(d2.calls()).toBe(1);
    d1.resolve('loaded-before');
    d2.resolve('loaded-after');
    expect(await first).toBe('loaded-before');
    expect(await second).toBe('loaded-after');
    expect(await cache.get('k')).toBe('loaded-after');
  });
});

describe('found by the model test', () => {
  it('an eager refresh whose loader hangs does not hold later callers past their timeout', async () => {
    const { cache } = make({ eagerRefreshThreshold: 0.5, hardTimeoutMs: 100, l1: { maxEntries: 10, ttlMs: 60_000 } });
    await cache.set('k', 'v', { ttlMs: 1000 });
    await pass(600); // past the refresh threshold, still fresh
    let calls = 0;
    const hang = (): Promise<string> => {
      calls++;
      return new Promise<string>(() => {});
    };
    expect(await cache.getOrSet('k', hang)).toBe('v'); // starts the background refresh
    await pass(500); // expired now
    const p = cache.getOrSet('k', hang).then(
      (v) => v,
      (e: unknown) => e,
    );
    await pass(150);
    const r = await Promise.race([p, Promise.resolve('still pending')]);
    expect(r).toBeInstanceOf(CacheTimeoutError);
    expect(calls).toBe(1); // the caller joined the running refresh
    expect(cache.stats().tracked).toMatchObject({ flights: 0, loads: 1 });
  });
});
