/**
 * Regression tests of issue 17 that need a real redis-server (started here on a free port,
 * stopped by PID): write order with `enableAutoPipelining` (defect 8), fail-safe against a
 * bus invalidation from another instance (defect 1), and the interleavings of issue 19 item 7
 * that involve Redis: a lease that expires while its holder still loads, a bus invalidation
 * during a loader, close() with work in flight, a partial multi-node write.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TieredCacheOptions } from '../../src/cache/options';
import { TieredCache } from '../../src/cache/tiered-cache';
import { RedisStore } from '../../src/routing/redis-store';
import { RingStore } from '../../src/routing/ring-store';
import { CacheWriteError, LoaderError } from '../../src/errors';
import { afterBusMessage } from '../helpers/chaos-store';
import { deferred } from '../helpers/deferred';
import { RedisServer, redisCall, redisInfo, sleep } from '../helpers/redis-server';

let server: RedisServer;
const clients: Redis[] = [];
const caches: TieredCache[] = [];

function client(autoPipelining = true): Redis {
  const r = new Redis({ ...server.options, enableAutoPipelining: autoPipelining, maxRetriesPerRequest: 2 });
  r.on('error', () => {});
  clients.push(r);
  return r;
}

function cache(opts: TieredCacheOptions = {}, l2: Redis = client()): TieredCache {
  const c = new TieredCache({ l2, ...opts });
  caches.push(c);
  return c;
}

/** SET commands the server has run (lease attempts and writes). */
async function setCalls(): Promise<number> {
  const stat = (await redisInfo(server.port, 'commandstats')).get('cmdstat_set') ?? 'calls=0';
  return Number(/calls=(\d+)/.exec(stat)![1]);
}

beforeAll(async () => {
  server = await RedisServer.start();
});

afterEach(async () => {
  for (const c of caches.splice(0)) await c.close();
  for (const r of clients.splice(0)) r.disconnect();
  await redisCall(server.port, 'FLUSHALL');
});

afterAll(async () => {
  await server?.stop();
});

describe('defect 8: one connection sees one write order (enableAutoPipelining)', () => {
  for (const autoPipelining of [true, false]) {
    it(`set then setMany of the same key, delete then setMany (autoPipelining: ${autoPipelining})`, async () => {
      const writer = cache({}, client(autoPipelining));
      const reader = cache({ l1: false });
      await Promise.all([writer.set('k', 'first'), writer.setMany([['k', 'second'], ['j', 'x']])]);
      expect(await writer.get('k')).toBe('second');
      expect(await reader.get('k')).toBe('second');
      await Promise.all([writer.delete('k'), writer.setMany([['k', 'third'], ['j', 'y']])]);
      expect(await reader.get('k')).toBe('third');
      // Through a RedisStore too (the same path).
      const store = cache({ l1: false }, client(autoPipelining));
      const viaStore = new TieredCache({ l2: new RedisStore(client(autoPipelining)) });
      caches.push(viaStore);
      await Promise.all([viaStore.set('s', 1), viaStore.setMany([['s', 2], ['t', 3]])]);
      expect(await store.get('s')).toBe(2);
    });
  }
});

describe('defect 1 with the bus: a write on another instance during a failing load', () => {
  it('the old value does not come back on the loading instance', async () => {
    const a = cache({ bus: true, graceMs: 60_000, failSafeThrottleMs: 5000 });
    const b = cache({ bus: true });
    await Promise.all([a.ready(), b.ready()]);
    await a.set('k', 'old', { ttlMs: 100 });
    await sleep(150); // real Redis TTLs: past the logical TTL, well within grace
    const d = deferred<string>();
    const p = a.getOrSet('k', d.loader).catch((e: unknown) => e);
    await d.started;
    await afterBusMessage(a, () => b.set('k', 'new'));
    d.reject(new Error('db down'));
    const r = await p;
    if (r !== 'old') expect(r).toBeInstanceOf(LoaderError);
    expect(await a.get('k')).toBe('new');
  });
});

describe('issue 19 item 7: interleavings', () => {
  it("a lease that expires while its holder still loads: the old holder's release keeps the new holder's lease", async () => {
    const lock = { leaseMs: 150, waitMs: 10_000, pollMs: 10 };
    const a = cache({ lock });
    const b = cache({ lock });
    const da = deferred<string>();
    const db = deferred<string>();
    const pa = a.getOrSet('k', da.loader);
    await da.started;
    const pb = b.getOrSet('k', db.loader);
    // b waits until a's lease expires in Redis (real time: the lease is Redis's PX), then loads.
    await db.started;
    const lockKey = '__rc:lock:k';
    const tokenB = await redisCall(server.port, 'GET', lockKey);
    expect(tokenB).not.toBeNull();
    da.resolve('from-a');
    expect(await pa).toBe('from-a');
    await sleep(20); // a's release (a fire-and-forget EVAL) has run
    expect(await redisCall(server.port, 'GET', lockKey)).toBe(tokenB);
    db.resolve('from-b');
    expect(await pb).toBe('from-b');
    await sleep(20);
    expect(await redisCall(server.port, 'GET', lockKey)).toBeNull();
    expect(a.stats().lock.acquired + b.stats().lock.acquired).toBe(2);
  });

  it('a bus invalidation during a loader: the loaded value is returned to its caller but not stored', async () => {
    const a = cache({ bus: true });
    const b = cache({ bus: true });
    await Promise.all([a.ready(), b.ready()]);
    const d = deferred<string>();
    const p = a.getOrSet('k', d.loader);
    await d.started;
    await afterBusMessage(a, () => b.set('k', 'written'));
    d.resolve('loaded-before-the-write');
    expect(await p).toBe('loaded-before-the-write');
    expect(a.stats().supersededWrites).toBe(1);
    expect(await a.get('k')).toBe('written');
    expect(await b.get('k')).toBe('written');
    expect(await cache({ l1: false }).get('k')).toBe('written');
  });

  it('close() with reads, loads and lock waits in flight: every call settles, nothing is left pending', async () => {
    const lock = { leaseMs: 5000, waitMs: 10_000, pollMs: 10 };
    const a = cache({ bus: true, lock });
    const b = cache({ bus: true, lock });
    await Promise.all([a.ready(), b.ready()]);
    await a.set('r', 'v');
    const d = deferred<string>();
    const load = a.getOrSet('k', d.loader);
    await d.started;
    const sets0 = await setCalls();
    const waiting = b.getOrSet('k', () => 'b-loaded'); // waits for a's lease
    // b has tried the lease once (and so waits for a's value) before anything is closed.
    while ((await setCalls()) === sets0) await sleep(2);
    const reads = [b.get('r'), a.get('r'), b.getMany(['r', 'x'])];
    await Promise.all([a.close(), b.close()]);
    d.resolve('a-loaded');
    expect(await load).toBe('a-loaded');
    // b's wait ends with a's value (polled from L2) once a stored it.
    expect(await waiting).toBe('a-loaded');
    expect(b.stats().lock).toEqual({ acquired: 0, waited: 1, timeouts: 0 });
    expect(b.stats().loader.calls).toBe(0);
    expect(await Promise.all(reads)).toEqual(['v', 'v', ['v', undefined]]);
    expect(a.busConnected).toBe(false);
    expect(b.busConnected).toBe(false);
  });
});

describe('issue 19 item 7: CacheWriteError on a partial multi-node write', () => {
  let second: RedisServer;
  beforeAll(async () => {
    second = await RedisServer.start();
  });
  afterAll(async () => {
    await second?.stop();
  });

  it('setMany over a ring with one node down: CacheWriteError names the batch, L1 is rolled back, the healthy node has the new values', async () => {
    const store = new RingStore([`127.0.0.1:${server.port}`, `127.0.0.1:${second.port}`], { autoEject: false, timeoutMs: 500 });
    const c = new TieredCache({ l2: store, circuitBreaker: false, l2TimeoutMs: 2000 });
    caches.push(c);
    const keys = Array.from({ length: 40 }, (_v, i) => `k${i}`);
    await c.setMany(keys.map((k) => [k, 'v0']));
    await second.stop(); // the keys placed on it fail; the others are stored
    let err: unknown;
    try {
      await c.setMany(keys.map((k) => [k, 'v1']));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CacheWriteError);
    // The store reports that the batch failed, not which of its keys: the error names the whole
    // batch and L1 drops all of it (conservative: a key that did land is read from L2 again).
    expect([...(err as CacheWriteError).keys].sort()).toEqual([...keys].sort());
    // Read the healthy node directly (through the ring, a read may need a marker key that lives
    // on the dead node).
    const healthy = cache({ l1: false });
    let landed = 0;
    for (const k of keys) {
      expect(c.peek(k)).toBeUndefined();
      if (store.nodeFor(k) === `127.0.0.1:${server.port}`) {
        landed++;
        expect(await healthy.get(k)).toBe('v1');
      }
    }
    expect(landed).toBeGreaterThan(0);
    expect(landed).toBeLessThan(keys.length);
    await store.close();
  });
});
