/**
 * The cache's failure handling against a real redis-server, where the unit tests use the
 * in-memory ChaosStore: CacheWriteError rollback (the server refuses writes: OOM; the server is
 * killed), marker expiry (the server's own PEXPIRETIME), l2TimeoutMs and the circuit breaker (a
 * paused server: SIGSTOP), and a batched MGET that fails (killed server) or comes late (a
 * delaying TCP proxy, test/helpers/delay-proxy.ts). "One MGET" is counted by the server
 * (`INFO commandstats`), not by the client's method calls.
 *
 * Default (hybrid) project only: the engines play no part in the cache logic.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TieredCacheOptions } from '../../src/cache/options';
import { TieredCache } from '../../src/cache/tiered-cache';
import { CacheWriteError } from '../../src/errors';
import { callsSince, commandCalls } from '../helpers/command-stats';
import { DelayProxy } from '../helpers/delay-proxy';
import { notDefaultProject } from '../helpers/project';
import { RedisServer, redisCall, sleep } from '../helpers/redis-server';

let server: RedisServer;
const clients: Redis[] = [];
const caches: TieredCache[] = [];
let paused = false;

function client(port = server.port): Redis {
  const r = new Redis({ host: '127.0.0.1', port, enableAutoPipelining: true, maxRetriesPerRequest: 1, retryStrategy: () => 50, connectTimeout: 500 });
  r.on('error', () => {});
  clients.push(r);
  return r;
}

function cache(opts: TieredCacheOptions = {}, port?: number): TieredCache {
  const c = new TieredCache({ l2: client(port), ...opts });
  caches.push(c);
  return c;
}

/** Runs `f` while the server is paused (SIGSTOP: connections stay open, nothing answers). */
async function whilePaused<T>(f: () => Promise<T>): Promise<T> {
  process.kill(server.pid!, 'SIGSTOP');
  paused = true;
  try {
    return await f();
  } finally {
    process.kill(server.pid!, 'SIGCONT');
    paused = false;
  }
}

describe.skipIf(notDefaultProject)('TieredCache failures on a real redis-server', () => {
  beforeAll(async () => {
    server = await RedisServer.start({ args: ['--maxmemory-policy', 'noeviction'] });
  });

  afterEach(async () => {
    if (paused) process.kill(server.pid!, 'SIGCONT');
    paused = false;
    for (const c of caches.splice(0)) await c.close();
    for (const r of clients.splice(0)) r.disconnect();
    if (server.pid === undefined) await server.restart();
    await redisCall(server.port, 'CONFIG', 'SET', 'maxmemory', '0');
    await redisCall(server.port, 'FLUSHALL');
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('CacheWriteError: a write the server refuses (OOM) rejects, and the writer keeps agreeing with L2 and the others', async () => {
    const a = cache();
    const b = cache({ l1: false });
    await a.setMany([
      ['k', 'old'],
      ['m', 'old'],
    ]);
    expect(a.peek('k')).toBe('old');
    await redisCall(server.port, 'CONFIG', 'SET', 'maxmemory', '1'); // every write now fails: OOM
    const err = await a.set('k', 'new').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheWriteError);
    expect((err as CacheWriteError).keys).toEqual(['k']);
    expect(String(((err as Error).cause as Error)?.message)).toMatch(/OOM/);
    expect(a.peek('k')).toBeUndefined(); // not kept in the writer's L1…
    expect(await a.get('k')).toBe('old'); // … which reads what L2 and everyone else have
    expect(await b.get('k')).toBe('old');
    const many = await a.setMany([['k', 'n1'], ['m', 'n2']]).catch((e: unknown) => e);
    expect(many).toBeInstanceOf(CacheWriteError);
    expect([...(many as CacheWriteError).keys].sort()).toEqual(['k', 'm']);
    expect(await a.getMany(['k', 'm'])).toEqual(['old', 'old']);
    expect(await b.getMany(['k', 'm'])).toEqual(['old', 'old']);
    expect(a.stats().l2.errors).toBe(2);
    await redisCall(server.port, 'CONFIG', 'SET', 'maxmemory', '0');
    await a.set('k', 'new');
    expect(await b.get('k')).toBe('new');
  });

  // Issue 17, defect 9: a failed clear()/deleteByTag() used to stay applied on the writer (the
  // marker was recorded locally before the L2 write and never rolled back).
  it('CacheWriteError: a clear() or deleteByTag() the server refuses is not applied on the writer either', async () => {
    const a = cache();
    const b = cache({ l1: false });
    await a.set('k', 'old', { tags: ['t'] });
    await redisCall(server.port, 'CONFIG', 'SET', 'maxmemory', '1');
    await expect(a.clear()).rejects.toBeInstanceOf(CacheWriteError);
    await expect(a.deleteByTag('t')).rejects.toBeInstanceOf(CacheWriteError);
    expect(await b.get('k')).toBe('old');
    expect(await a.get('k')).toBe('old'); // the writer agrees with L2 and the others
  });

  it('CacheWriteError: a write to a killed server rejects and is not kept; after the restart nothing of it is left', async () => {
    const a = cache({ l2TimeoutMs: 300 });
    await a.set('k', 'old');
    await server.kill9();
    const err = await a.set('k', 'new').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheWriteError);
    expect(a.peek('k')).toBeUndefined();
    expect(await a.get('k')).toBeUndefined(); // L2 down, nothing in L1: a miss, not 'new'
    await server.restart(); // empty (no persistence)
    await vi.waitFor(async () => expect(await a.getOrSet('k', () => 'reloaded')).toBe('reloaded'), { timeout: 5000 });
  });

  it("markers expire in the server after twice the longest entry lifetime plus a minute, or markerTtlMs (the server's PEXPIRETIME)", async () => {
    const c = cache({ ttlMs: 10_000, graceMs: 5_000 });
    const expireAt = async (key: string) => Number(await redisCall(server.port, 'PEXPIRETIME', key));
    await c.set('e', 1);
    const t0 = Date.now();
    await c.clear();
    const t1 = Date.now();
    // Set by the server between t0 and t1 (one clock: the same machine).
    const marker = await expireAt('__rc:n:');
    expect(marker).toBeGreaterThanOrEqual(t0 + 2 * 15_000 + 60_000 - 1);
    expect(marker).toBeLessThanOrEqual(t1 + 2 * 15_000 + 60_000 + 1);
    expect(await expireAt('e')).toBeLessThan(marker); // outlives every entry created before it
    await c.set('long', 1, { ttlMs: 100_000 });
    const t2 = Date.now();
    await c.deleteByTag('t');
    const t3 = Date.now();
    const tag = await expireAt('__rc:t:t');
    expect(tag).toBeGreaterThanOrEqual(t2 + 2 * 105_000 + 60_000 - 1);
    expect(tag).toBeLessThanOrEqual(t3 + 2 * 105_000 + 60_000 + 1);
    expect(await expireAt('long')).toBeLessThan(tag);

    const short = cache({ markerTtlMs: 300 });
    const t4 = Date.now();
    await short.clear('ns');
    const t5 = Date.now();
    const ns = await expireAt('__rc:n:ns');
    expect(ns).toBeGreaterThanOrEqual(t4 + 300 - 1);
    expect(ns).toBeLessThanOrEqual(t5 + 300 + 1);
    // And the server really drops it (no upper bound asserted: only that it happens).
    await vi.waitFor(async () => expect(await redisCall(server.port, 'EXISTS', '__rc:n:ns')).toBe(0), { timeout: 10_000, interval: 50 });
  });

  it('l2TimeoutMs: reads of a paused server answer from L1, as a miss or from the loader, each an L2 timeout', async () => {
    const c = cache({ l2TimeoutMs: 100, l1: { ttlMs: 10 }, circuitBreaker: false });
    await c.set('k', 'v');
    expect(await c.get('warm')).toBeUndefined(); // namespace markers known
    await sleep(20); // past the 10 ms L1 TTL (a lower bound: a slow machine only sleeps longer)
    const got = await whilePaused(async () => {
      // Answered while the server is still paused: nothing here waits for it.
      const r = [await c.get('k'), await c.get('none'), await c.getOrSet('x', () => 'loaded')];
      return { r, stats: c.stats().l2 };
    });
    expect(got.r).toEqual(['v', undefined, 'loaded']); // k: L1's entry is still logically fresh
    // Three reads and the loaded value's SET, each given up after l2TimeoutMs.
    expect(got.stats).toMatchObject({ timeouts: 4, errors: 4 });
  });

  it('circuit breaker: opens after consecutive timeouts of a paused server, skipped reads never reach it, a probe closes it', async () => {
    const c = cache({ l1: false, l2TimeoutMs: 100, batchGets: false, circuitBreaker: { failureThreshold: 3, breakDurationMs: 1000 } });
    const states: string[] = [];
    c.on('circuit:change', (e) => states.push(String(e.state)));
    await c.set('y', 'yes');
    expect(await c.get('warm')).toBeUndefined();
    const before = await commandCalls(server.port);
    await whilePaused(async () => {
      for (let i = 0; i < 3; i++) expect(await c.get(`k${i}`)).toBeUndefined();
      expect(c.stats().circuit).toBe('open');
      for (let i = 0; i < 10; i++) expect(await c.get('y')).toBeUndefined(); // skipped: L2 not asked
      expect(c.stats().l2).toMatchObject({ timeouts: 3, skipped: 10 });
    });
    // The server executed only the three reads that timed out (queued while it was paused).
    await vi.waitFor(async () => expect(await callsSince(server.port, before, ['get', 'mget'])).toEqual({ get: 3, mget: 0 }));
    // After breakDurationMs one probe goes through; it succeeds and closes the circuit.
    await vi.waitFor(async () => expect(await c.get('y')).toBe('yes'), { timeout: 5000, interval: 100 });
    expect(c.stats().circuit).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('batchGets: concurrent get()s are one MGET on the server (INFO commandstats)', async () => {
    const c = cache({ l1: false }); // a plain Redis: batching is on by default
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    await c.setMany(keys.map((k, i) => [k, i]));
    expect(await c.get('warm')).toBeUndefined();
    const before = await commandCalls(server.port);
    expect(await Promise.all([...keys, 'none'].map((k) => c.get(k)))).toEqual([...keys.map((_, i) => i), undefined]);
    expect(await callsSince(server.port, before, ['mget', 'get'])).toEqual({ mget: 1, get: 0 });
  });

  it('batchGets: an MGET that comes back late (a slow link) is one L2 timeout; every get() falls back on its own', async () => {
    const proxy = await DelayProxy.start(server.port);
    try {
      const c = cache({ l1: { ttlMs: 10 }, graceMs: 60_000, l2TimeoutMs: 100, circuitBreaker: false }, proxy.port);
      await c.setMany([
        ['a', 'a0'],
        ['b', 'b0'],
      ]);
      expect(await c.get('warm')).toBeUndefined();
      await sleep(20); // past the L1 TTL
      const before = await commandCalls(server.port);
      proxy.delay(400, 'toClient'); // the server answers at once; the reply arrives 400 ms later
      expect(await Promise.all([c.get('a'), c.get('none'), c.get('b')])).toEqual(['a0', undefined, 'b0']);
      expect(c.stats().l2).toMatchObject({ errors: 1, timeouts: 1 });
      expect(await callsSince(server.port, before, ['mget', 'get'])).toEqual({ mget: 1, get: 0 });
      proxy.delay(0);
      await sleep(450); // the late reply arrives (a lower bound) …
      expect(c.stats().l2).toMatchObject({ errors: 1, timeouts: 1 }); // … and changes nothing
    } finally {
      await proxy.close();
    }
  });

  it('batchGets: an MGET to a killed server is one L2 error; every get() falls back on its own', async () => {
    const c = cache({ l1: { ttlMs: 10 }, graceMs: 60_000, l2TimeoutMs: 300, circuitBreaker: false });
    await c.setMany([
      ['a', 'a0'],
      ['b', 'b0'],
    ]);
    expect(await c.get('warm')).toBeUndefined();
    await sleep(20); // past the L1 TTL
    const errors0 = c.stats().l2.errors;
    await server.kill9();
    expect(await Promise.all([c.get('a'), c.get('none'), c.get('b')])).toEqual(['a0', undefined, 'b0']);
    expect(c.stats().l2.errors - errors0).toBe(1);
  });
});
