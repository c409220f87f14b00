/**
 * TieredCache on a real redis-server (started here on a free port, stopped by PID): ioredis and
 * RedisStore L2s, the invalidation bus between instances — including both bentocache holes:
 * (a) an L2 read in flight when its invalidation arrives must not promote the old value;
 * (b) invalidations published while a subscriber is disconnected (`CLIENT KILL TYPE pubsub`)
 * must not leave stale L1 entries — and the distributed lease lock across instances.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TieredCache } from '../../src/cache/tiered-cache';
import type { TieredCacheOptions } from '../../src/cache/options';
import { RedisStore } from '../../src/stores/redis-store';
import { RingStore } from '../../src/stores/ring-store';
import { afterBusMessage, ChaosStore, countCommands, countReads, killSubscriptions } from '../helpers/chaos-store';
import { RedisSentinel } from '../helpers/redis-sentinel';
import { RedisServer, redisCall, sleep } from '../helpers/redis-server';

let server: RedisServer;
const clients: Redis[] = [];
const caches: TieredCache[] = [];

function client(): Redis {
  const r = new Redis({ ...server.options, enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  r.on('error', () => {});
  clients.push(r);
  return r;
}

function cache(opts: TieredCacheOptions = {}): TieredCache {
  const c = new TieredCache({ l2: client(), ...opts });
  caches.push(c);
  return c;
}

async function pair(opts: TieredCacheOptions = {}): Promise<[TieredCache, TieredCache]> {
  const a = cache({ bus: true, ...opts });
  const b = cache({ bus: true, ...opts });
  await Promise.all([a.ready(), b.ready()]);
  return [a, b];
}

const settled = afterBusMessage;

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

describe('L2 on a real Redis', () => {
  it('an ioredis Redis and a RedisStore both work as L2; Redis TTL = logical TTL + grace', async () => {
    const a = cache({ graceMs: 5000 });
    const b = new TieredCache({ l2: new RedisStore(client()) });
    caches.push(b);
    const t0 = Date.now();
    await a.set('k', { n: 1 }, { ttlMs: 10_000 });
    const t1 = Date.now();
    expect(await b.get('k')).toEqual({ n: 1 });
    // The server's absolute expiry, set between t0 and t1 (one clock: the same machine).
    const expireAt = Number(await redisCall(server.port, 'PEXPIRETIME', 'k'));
    expect(expireAt).toBeGreaterThanOrEqual(t0 + 15_000 - 1);
    expect(expireAt).toBeLessThanOrEqual(t1 + 15_000 + 1);
    await b.setMany([
      ['x', 0],
      ['y', false],
    ]);
    expect(await a.getMany(['x', 'y', 'k', 'none'])).toEqual([0, false, { n: 1 }, undefined]);
    await a.deleteMany(['x', 'y']);
    expect(await redisCall(server.port, 'EXISTS', 'x', 'y')).toBe(0);
  });

  it('concurrent get()s on one Redis are read with one MGET by default', async () => {
    const r = client();
    const c = new TieredCache({ l2: r, l1: false });
    caches.push(c);
    await c.setMany(Array.from({ length: 100 }, (_, i) => [`k${i}`, { i }] as const));
    expect(await c.get('warm')).toBeUndefined();
    const calls = countCommands(r);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    expect(await Promise.all([...keys, 'none'].map((k) => c.get(k)))).toEqual([...keys.map((_, i) => ({ i })), undefined]);
    expect(calls).toEqual({ mget: 1, get: 0 });
    expect(await c.get('k7')).toEqual({ i: 7 });
    expect(calls).toEqual({ mget: 1, get: 1 });
  });

  it('on an auto-pipelining client a read is sent at once when nothing is queued, and behind what is', async () => {
    const r = client();
    const c = new TieredCache({ l2: r, l1: false });
    caches.push(c);
    await c.setMany([
      ['a', 1],
      ['b', 2],
    ]);
    // Nothing queued: the MGET is written at once (through the auto-pipeline it would wait in
    // the queue until ioredis sends it on a later turn).
    const many = c.getMany(['a', 'b', 'none']);
    expect(r.autoPipelineQueueSize).toBe(0);
    expect(await many).toEqual([1, 2, undefined]);
    // The gets of one tick: one MGET, also at once once flushed.
    const gets = [c.get('a'), c.get('b')];
    await new Promise((resolve) => process.nextTick(resolve));
    expect(r.autoPipelineQueueSize).toBe(0);
    expect(await Promise.all(gets)).toEqual([1, 2]);
    // A write queued in the auto-pipeline in the same tick: the read waits behind it. Sent at
    // once, the MGET would reach Redis before the DEL and still see the values.
    void r.del('a', 'b');
    expect(r.autoPipelineQueueSize).toBe(1);
    const after = c.getMany(['a', 'b']);
    expect(r.autoPipelineQueueSize).toBe(2);
    expect(await after).toEqual([undefined, undefined]);
    await c.set('a', 3);
    void r.del('a');
    expect(await c.get('a')).toBeUndefined();
  });

  it("direct reads honour the client's keyPrefix, as its own commands do", async () => {
    const r = new Redis({ ...server.options, enableAutoPipelining: true, keyPrefix: 'app:' });
    r.on('error', () => {});
    clients.push(r);
    const c = new TieredCache({ l2: r, l1: false });
    caches.push(c);
    await c.setMany([
      ['k1', { n: 1 }],
      ['k2', 'two'],
    ]);
    expect(await redisCall(server.port, 'EXISTS', 'app:k1', 'app:k2', 'k1', 'k2')).toBe(2);
    const calls = countCommands(r);
    expect(await c.getMany(['k1', 'k2', 'k3'])).toEqual([{ n: 1 }, 'two', undefined]);
    expect(await c.get('k1')).toEqual({ n: 1 });
    expect(calls).toEqual({ mget: 1, get: 1 });
  });
});

describe('bus', () => {
  it('a write, delete, setMany, clear or deleteByTag on A removes the keys from B’s L1', async () => {
    const [a, b] = await pair();
    // (A read racing with the bus message of a write is not promoted: wait for the message.)
    await settled(b, () => a.set('k', 'v1'));
    expect(await b.get('k')).toBe('v1');
    expect(b.peek('k')).toBe('v1');
    await a.set('k', 'v2');
    await vi.waitFor(() => expect(b.peek('k')).toBeUndefined());
    expect(await b.get('k')).toBe('v2');

    await a.delete('k');
    await vi.waitFor(() => expect(b.peek('k')).toBeUndefined());
    expect(await b.get('k')).toBeUndefined();

    await settled(b, () =>
      a.setMany([
        ['m1', 1],
        ['m2', 2],
      ]),
    );
    expect(await b.getMany(['m1', 'm2'])).toEqual([1, 2]);
    await a.setMany([
      ['m1', 10],
      ['m2', 20],
    ]);
    await vi.waitFor(() => expect([b.peek('m1'), b.peek('m2')]).toEqual([undefined, undefined]));
    expect(await b.getMany(['m1', 'm2'])).toEqual([10, 20]);

    const bUsers = b.namespace('users');
    await settled(b, () => Promise.all([a.namespace('users').set('1', 'alice'), a.set('root', 'r')]), 2);
    expect(await bUsers.get('1')).toBe('alice');
    expect(await b.get('root')).toBe('r');
    await settled(b, () => a.clear('users'));
    expect(bUsers.peek('1')).toBeUndefined();
    expect(b.peek('root')).toBe('r'); // a namespace clear leaves the rest of B's L1 alone (bentocache#32)
    expect(await bUsers.get('1')).toBeUndefined();

    await settled(b, () => a.set('t', 'tagged', { tags: ['grp'] }));
    expect(await b.get('t')).toBe('tagged');
    await a.deleteByTag('grp');
    await vi.waitFor(() => expect(b.peek('t')).toBeUndefined());
    expect(await b.get('t')).toBeUndefined();
    expect(b.stats().bus.received).toBeGreaterThanOrEqual(6);
  });

  it('hole (a): an L2 read in flight when the invalidation arrives does not promote the old value', async () => {
    const a = cache({ bus: true });
    const redisB = client();
    const chaos = new ChaosStore(new RedisStore(redisB));
    const b = new TieredCache({ l2: chaos, bus: { client: redisB } });
    caches.push(b);
    await Promise.all([a.ready(), b.ready()]);
    await settled(b, () => a.set('k', 'v1'));

    let onHeld!: () => void;
    const held = new Promise<void>((r) => (onHeld = r));
    const release = chaos.hold(['read'], onHeld);
    const inflight = b.get('k');
    await held; // B's GET has read v1 from Redis; its reply is held
    await settled(b, () => a.set('k', 'v2')); // the invalidation arrived
    release();
    expect(await inflight).toBe('v1'); // began before the write: a concurrent read
    expect(b.peek('k')).toBeUndefined(); // … but it did not reach L1
    expect(b.stats().supersededWrites).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 5; i++) expect(await b.get('k')).toBe('v2');
    // The same for getOrSet and getMany (L1 emptied first so they read L2).
    await settled(b, () => a.set('k', 'v2b'));
    expect(b.peek('k')).toBeUndefined();
    const release2 = chaos.hold(['read']);
    let loaderCalls = 0;
    const p1 = b.getOrSet('k', () => (loaderCalls++, 'loader'));
    const p2 = b.getMany(['k']);
    await vi.waitFor(() => expect(chaos.heldReplies).toBe(2)); // both read v2b; replies held
    await settled(b, () => a.set('k', 'v3'));
    release2();
    // Both began before the write: they answer what they read, but do not promote it.
    expect(await Promise.all([p1, p2])).toEqual(['v2b', ['v2b']]);
    expect(loaderCalls).toBe(0);
    expect(b.peek('k')).toBeUndefined();
    expect(await b.get('k')).toBe('v3');

    // The same for get()s read together in one MGET (batchGets).
    const c = new TieredCache({ l2: chaos, bus: { client: redisB }, batchGets: 16 });
    caches.push(c);
    await c.ready();
    await settled(c, () => a.setMany([['k', 'w1'], ['j', 'j1']]));
    expect(await c.getMany(['warm'])).toEqual([undefined]);
    let onHeld3!: () => void;
    const held3 = new Promise<void>((r) => (onHeld3 = r));
    const release3 = chaos.hold(['read'], onHeld3);
    const both = Promise.all([c.get('k'), c.get('j')]);
    await held3;
    await settled(c, () => a.set('k', 'w2'));
    release3();
    expect(await both).toEqual(['w1', 'j1']);
    expect(c.peek('k')).toBeUndefined(); // invalidated while in flight: not promoted
    expect(c.peek('j')).toBe('j1'); // untouched key of the same batch: promoted
    expect(await c.get('k')).toBe('w2');
  });

  it('cross-process refill race: a load whose SET lands after another instance’s delete is deleted again', async () => {
    const redisA = client();
    const chaosA = new ChaosStore(new RedisStore(redisA));
    const a = new TieredCache({ l2: chaosA, bus: { client: redisA } });
    const b = cache({ bus: true });
    caches.push(a);
    await Promise.all([a.ready(), b.ready()]);
    // A loads k from the "database" (old data); its SET to Redis is slowed down.
    let finishLoad!: (v: string) => void;
    const loading = a.getOrSet('k', () => new Promise<string>((r) => (finishLoad = r)));
    await sleep(20);
    chaosA.delay(300);
    finishLoad('old-row');
    await sleep(50); // A passed its epoch check; its SET is on its way
    // Meanwhile B deletes k (the row changed): DEL + invalidation, before A's SET lands.
    await afterBusMessage(a, () => b.delete('k'));
    expect(await loading).toBe('old-row');
    // A's SET lands after the DEL, then A's repair DEL (queued after it) removes it again.
    await vi.waitFor(async () => expect(a.stats().repairs).toBe(1));
    chaosA.delay(0);
    await vi.waitFor(async () => expect(await redisCall(server.port, 'EXISTS', 'k')).toBe(0), { timeout: 3000 });
    expect(await b.get('k')).toBeUndefined();
    // Two instances loading the same key concurrently do not repair each other's loads: once each
    // has received the other's invalidation (the repair decision is made on receipt), no repair.
    const [ra, rb] = [a.stats().bus.received, b.stats().bus.received];
    await Promise.all([a.getOrSet('h', async () => 'x'), b.getOrSet('h', async () => 'x')]);
    await vi.waitFor(() => expect([a.stats().bus.received - ra, b.stats().bus.received - rb]).toEqual([1, 1]), { timeout: 5000 });
    expect(a.stats().repairs + b.stats().repairs).toBe(1);
    expect(await redisCall(server.port, 'EXISTS', 'h')).toBe(1);
  });

  it('hole (b): invalidations lost while B’s subscriber is disconnected leave no stale value', async () => {
    const [a, b] = await pair();
    await settled(b, () => Promise.all([a.set('k', 'v1'), a.set('other', 'o1')]), 2);
    expect(await b.get('k')).toBe('v1');
    expect(await b.get('other')).toBe('o1');
    expect(b.peek('k')).toBe('v1');

    const { killed, lost, restored } = await killSubscriptions(server.port, b);
    expect(killed).toBeGreaterThanOrEqual(2);
    // Written while B is reconnecting: B's subscription cannot receive this invalidation.
    await a.set('k', 'v2');
    await lost;
    expect(b.busConnected).toBe(false);
    // During the outage: no stale read, and L1 is not refilled (nothing could invalidate it).
    expect(await b.get('k')).toBe('v2');
    expect(b.peek('k')).toBeUndefined();
    await a.set('other', 'o2');
    await restored;
    expect(b.busConnected).toBe(true);
    expect(await b.get('k')).toBe('v2');
    expect(await b.get('other')).toBe('o2');
    expect(b.stats().bus.lost).toBe(1);
    expect(b.stats().bus.restored).toBe(1);
    // And the bus works again.
    expect(b.peek('k')).toBe('v2');
    await a.set('k', 'v3');
    await vi.waitFor(() => expect(b.peek('k')).toBeUndefined());
    expect(await b.get('k')).toBe('v3');
  });

  it('hole (b), second detector: a gap in a publisher’s sequence numbers flushes L1', async () => {
    const [a, b] = await pair();
    await settled(b, () => a.set('k', 'v1'));
    expect(await b.get('k')).toBe('v1');
    const r0 = b.stats().bus.received;
    const pub = client();
    const channel = '__rc:bus';
    await pub.publish(channel, JSON.stringify({ p: 'ghost', s: 1, t: 'k', n: '', k: ['unrelated'] }));
    await vi.waitFor(() => expect(b.stats().bus.received).toBe(r0 + 1));
    expect(b.peek('k')).toBe('v1');
    // Message 2 (say, invalidating k) was lost: 3 arrives.
    await pub.publish(channel, JSON.stringify({ p: 'ghost', s: 3, t: 'k', n: '', k: ['unrelated'] }));
    await vi.waitFor(() => expect(b.stats().bus.gaps).toBe(1));
    expect(b.peek('k')).toBeUndefined();
  });

  it('a publisher whose PUBLISH failed announces the gap with a heartbeat', async () => {
    const [a, b] = await pair();
    await a.set('x', 1);
    await vi.waitFor(() => expect(b.stats().bus.received).toBe(1));
    await b.set('k', 'v1');
    await b.get('k');
    // A's next publish fails (a command error), so B misses that invalidation…
    const pubClient = clients[0];
    const original = pubClient.publish.bind(pubClient);
    let fail = true;
    (pubClient as unknown as { publish: unknown }).publish = (...args: Parameters<typeof original>) =>
      fail ? Promise.reject(new Error('injected publish failure')) : original(...args);
    await a.set('k', 'v2');
    expect(a.stats().bus.publishErrors).toBe(1);
    fail = false;
    // … until the heartbeat tells B a message was lost: B flushes.
    await vi.waitFor(() => expect(b.stats().bus.gaps).toBe(1), { timeout: 3000 });
    expect(b.peek('k')).toBeUndefined();
    expect(await b.get('k')).toBe('v2');
  });
});

describe('distributed single-flight', () => {
  it('3 instances × 30 concurrent getOrSet on one key: the loader runs once in total', async () => {
    const instances = [cache({ lock: true }), cache({ lock: true }), cache({ lock: true })];
    let calls = 0;
    const loader = async () => {
      calls++;
      await sleep(100);
      return { loaded: true };
    };
    const all = await Promise.all(instances.flatMap((c) => Array.from({ length: 30 }, () => c.getOrSet('hot', loader))));
    expect(calls).toBe(1);
    for (const v of all) expect(v).toEqual({ loaded: true });
    const s = instances.map((c) => c.stats().lock);
    expect(s.reduce((n, x) => n + x.acquired, 0)).toBe(1);
    expect(s.reduce((n, x) => n + x.waited, 0)).toBe(2);
    expect(await redisCall(server.port, 'EXISTS', '__rc:lock:hot')).toBe(0); // released
  });

  it('3 instances × getOrSetMany on overlapping batches: a per-key lease, each key loaded once in total', async () => {
    const instances = [cache({ lock: { pollMs: 10 } }), cache({ lock: { pollMs: 10 } }), cache({ lock: { pollMs: 10 } })];
    const loads = new Map<string, number>();
    let calls = 0;
    const loader = async (keys: string[]) => {
      calls++;
      for (const k of keys) loads.set(k, (loads.get(k) ?? 0) + 1);
      await sleep(100);
      return keys.map((k) => `v:${k}`);
    };
    const batches = [
      ['a', 'b', 'c'],
      ['b', 'c', 'd'],
      ['c', 'd', 'a', 'e'],
    ];
    const all = await Promise.all(instances.flatMap((c, n) => Array.from({ length: 5 }, () => c.getOrSetMany(batches[n], loader).then((v) => [batches[n], v] as const))));
    for (const [keys, values] of all) expect(values).toEqual(keys.map((k) => `v:${k}`));
    expect([...loads.entries()].sort()).toEqual(['a', 'b', 'c', 'd', 'e'].map((k) => [k, 1]));
    expect(calls).toBeLessThanOrEqual(3); // at most one bulk call per instance here (no waiter timed out)
    const s = instances.map((c) => c.stats().lock);
    expect(s.reduce((n, x) => n + x.acquired, 0)).toBe(5);
    expect(s.reduce((n, x) => n + x.waited, 0)).toBe(10 - 5); // 10 (instance, key) pairs
    expect(await redisCall(server.port, 'KEYS', '__rc:lock:*')).toEqual([]); // released
  });

  it('getOrSetMany: its own keys are loaded at once; a key whose holder stores nothing within waitMs in one more call', async () => {
    const a = cache({ lock: { waitMs: 150, pollMs: 10, leaseMs: 5000 } });
    const b = cache({ lock: { waitMs: 150, pollMs: 10, leaseMs: 5000 } });
    const pa = a.getOrSet('k', () => sleep(600).then(() => 'A'));
    await vi.waitFor(async () => expect(await redisCall(server.port, 'EXISTS', '__rc:lock:k')).toBe(1)); // a holds k's lease
    // Each loader call records how many lease waits had timed out by then.
    const calls: [number, string[]][] = [];
    const t0 = Date.now();
    const got = await b.getOrSetMany(['j', 'k'], async (keys) => (calls.push([b.stats().lock.timeouts, keys]), keys.map((x) => `B:${x}`)));
    const elapsed = Date.now() - t0;
    expect(got).toEqual(['B:j', 'B:k']);
    expect(calls).toEqual([
      [0, ['j']], // not held up by the wait for k
      [1, ['k']], // k only after its wait gave up
    ]);
    // A lower bound only (a loaded machine can only make it longer): k waited its waitMs.
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(b.stats().lock).toEqual({ acquired: 1, waited: 0, timeouts: 1 });
    expect(await pa).toBe('A');
  });

  it('getOrSetMany: a waiter answers the stale values at the soft timeout instead of waiting for the lease', async () => {
    const a = cache({ lock: true, graceMs: 10_000 });
    const b = cache({ lock: true, graceMs: 10_000 });
    expect(await b.getOrSetMany(['k'], () => ['old'], { ttlMs: 40 })).toEqual(['old']);
    await sleep(60); // past the 40 ms TTL (a lower bound: a slow machine only sleeps longer)
    // a's load ends only when the test says so: b must answer before it, at its soft timeout.
    let finishA!: () => void;
    const aLoading = new Promise<void>((r) => (finishA = r));
    const pa = a.getOrSetMany(['k'], () => aLoading.then(() => ['new']));
    await vi.waitFor(async () => expect(await redisCall(server.port, 'EXISTS', '__rc:lock:k')).toBe(1)); // a holds the lease
    let bCalls = 0;
    expect(await b.getOrSetMany(['k'], () => (bCalls++, ['b-loaded']), { softTimeoutMs: 50 })).toEqual(['old']);
    finishA();
    expect(await pa).toEqual(['new']);
    expect(b.stats().staleServed).toBe(1);
    // b's background work found a's value instead of loading.
    await vi.waitFor(() => expect(b.stats().lock.waited).toBe(1));
    expect(bCalls).toBe(0);
  });

  it('a waiter holding a stale value answers it at the soft timeout instead of waiting for the lock', async () => {
    const a = cache({ lock: true, graceMs: 10_000 });
    const b = cache({ lock: true, graceMs: 10_000 });
    expect(await b.getOrSet('k', () => 'old', { ttlMs: 40 })).toBe('old');
    await sleep(60); // past the 40 ms TTL (a lower bound: a slow machine only sleeps longer)
    // a's load ends only when the test says so: b must answer before it, at its soft timeout.
    let finishA!: () => void;
    const aLoading = new Promise<void>((r) => (finishA = r));
    const pa = a.getOrSet('k', () => aLoading.then(() => 'new'));
    await vi.waitFor(async () => expect(await redisCall(server.port, 'EXISTS', '__rc:lock:k')).toBe(1)); // a holds the lock
    expect(await b.getOrSet('k', () => 'b-loaded', { softTimeoutMs: 50 })).toBe('old');
    finishA();
    expect(await pa).toBe('new');
    expect(b.stats().staleServed).toBe(1);
  });

  it('a waiter loads by itself when the holder never stores a value within waitMs', async () => {
    const a = cache({ lock: { waitMs: 150, pollMs: 10, leaseMs: 5000 } });
    const b = cache({ lock: { waitMs: 150, pollMs: 10, leaseMs: 5000 } });
    let calls = 0;
    const pa = a.getOrSet('k', async () => {
      calls++;
      await sleep(600);
      return 'A';
    });
    await vi.waitFor(async () => expect(await redisCall(server.port, 'EXISTS', '__rc:lock:k')).toBe(1)); // a holds the lock
    const t0 = Date.now();
    expect(await b.getOrSet('k', async () => (calls++, 'B'))).toBe('B');
    // A lower bound only (a loaded machine can only make it longer): b waited its waitMs.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(b.stats().lock.timeouts).toBe(1);
    expect(await pa).toBe('A');
    expect(calls).toBe(2);
  });
});

describe('Sentinel-backed L2', () => {
  it('a Redis over Sentinel as L2 (and bus: the subscriber follows the same Sentinel config)', async () => {
    const setup = await RedisSentinel.start();
    const opened: Redis[] = [];
    const sentinelClient = (): Redis => {
      const r = new Redis({ sentinels: setup.endpoints, name: setup.name, enableAutoPipelining: true });
      r.on('error', () => {});
      opened.push(r);
      return r;
    };
    const a = new TieredCache({ l2: sentinelClient(), bus: true });
    const b = new TieredCache({ l2: new RedisStore(sentinelClient()), bus: true });
    try {
      await Promise.all([a.ready(), b.ready()]);
      await afterBusMessage(b, () => a.set('k', { v: 1 }));
      expect(await b.get('k')).toEqual({ v: 1 });
      expect(b.peek('k')).toEqual({ v: 1 });
      await afterBusMessage(b, () => a.set('k', { v: 2 }));
      expect(b.peek('k')).toBeUndefined();
      expect(await b.get('k')).toEqual({ v: 2 });
      expect(await redisCall(await setup.masterPort(), 'EXISTS', 'k')).toBe(1);
    } finally {
      await a.close();
      await b.close();
      for (const r of opened) r.disconnect();
      await setup.stop();
    }
  });
});

describe('RingStore L2', () => {
  it('a ring over 2 standalone servers as L2: batches, markers, bus and lock on an explicit client', async () => {
    const second = await RedisServer.start();
    const ringA = new RingStore([`127.0.0.1:${server.port}`, `127.0.0.1:${second.port}`]);
    const ringB = new RingStore([`127.0.0.1:${server.port}`, `127.0.0.1:${second.port}`]);
    const a = new TieredCache({ l2: ringA, bus: { client: client() }, lock: { client: client() }, markerCacheMs: 0 });
    const b = new TieredCache({ l2: ringB, bus: { client: client() }, markerCacheMs: 0 });
    try {
      expect(() => new TieredCache({ l2: ringA, bus: true })).toThrow(/options.bus.client/);
      await Promise.all([a.ready(), b.ready()]);
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      await afterBusMessage(b, () => a.setMany(keys.map((k, i) => [k, i])));
      expect(await b.getMany(keys)).toEqual(keys.map((_, i) => i));
      // Keys landed on both servers.
      expect(Number(await redisCall(second.port, 'DBSIZE'))).toBeGreaterThan(5);
      await afterBusMessage(b, () => a.set('k0', 'new'));
      expect(await b.get('k0')).toBe('new');
      await a.namespace('ns').set('x', 1, { tags: ['t'] });
      expect(await b.namespace('ns').get('x')).toBe(1);
      await afterBusMessage(b, () => a.deleteByTag('t'));
      expect(await b.namespace('ns').get('x')).toBeUndefined();
      expect(await a.getOrSet('locked', async () => 'v')).toBe('v');
    } finally {
      await a.close();
      await b.close();
      await ringA.close();
      await ringB.close();
      await second.stop();
    }
  });
});
