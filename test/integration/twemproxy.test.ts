/**
 * twemproxy interop with Debian's real nutcracker 0.5.0 (`distribution: ketama`, `hash: md5`)
 * fronting 4 real redis-servers, all started by this file on free loopback ports (nutcracker
 * with explicit `-s`/`-a 127.0.0.1`) and stopped by PID in afterAll.
 *
 * For each pool config — plain `host:port:1`, named and weighted servers listed out of name
 * order, `hash_tag: "{}"` — ≥ 10k keys are written through nutcracker, each key's backend is
 * read back from the backends themselves (KEYS), and a RingStore in `'twemproxy'` mode over the
 * same backends must place every key on that backend. Then the other direction: what the
 * RingStore writes, nutcracker reads. RedisStore is also checked as a plain store behind
 * nutcracker.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TieredCache } from '../../src/cache/tiered-cache';
import { NodeUnavailableError } from '../../src/errors';
import { RedisStore } from '../../src/stores/redis-store';
import { RingStore, type RingNodeConfig } from '../../src/stores/ring-store';
import { countReads } from '../helpers/chaos-store';
import { Nutcracker, type NutcrackerServer } from '../helpers/nutcracker';
import { RedisServer, redisCall } from '../helpers/redis-server';

let backends: RedisServer[] = [];

beforeAll(async () => {
  backends = await Promise.all([0, 1, 2, 3].map(() => RedisServer.start()));
});

afterAll(async () => {
  await Promise.all(backends.map((s) => s.stop()));
});

beforeEach(async () => {
  await Promise.all(backends.map((s) => redisCall(s.port, 'FLUSHALL')));
});

const idOf = (s: RedisServer): string => `127.0.0.1:${s.port}`;

/** 10 000 keys of varied shapes, plus the empty key (twemproxy hashes it to 0), UTF-8 and tagged keys. */
function testKeys(): string[] {
  const keys = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? `user:${i}:profile` : i % 3 === 1 ? `k${i}` : `{t${i % 97}}:item:${i}`));
  keys.push('', 'ключ', 'clé-é', '😀', '{}', '{', 'a{b}c');
  return keys;
}

/** Backend id of every stored key (KEYS * on each backend). */
async function backendOf(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const b of backends) {
    for (const k of (await redisCall(b.port, 'KEYS', '*')) as string[]) {
      expect(out.has(k)).toBe(false);
      out.set(k, idOf(b));
    }
  }
  return out;
}

interface PoolCase {
  title: string;
  servers: (b: RedisServer[]) => NutcrackerServer[];
  hashTag?: string;
}

const cases: PoolCase[] = [
  { title: 'host:port:1, no names', servers: (b) => b.map((s) => ({ port: s.port })) },
  {
    title: 'named and weighted servers, listed out of name order',
    servers: (b) => [
      { port: b[0].port, weight: 1, name: 'cache-b' },
      { port: b[1].port, weight: 2, name: 'cache-a' },
      { port: b[2].port, weight: 1, name: 'c' },
      { port: b[3].port, weight: 3, name: 'cache-aa' },
    ],
  },
  { title: 'hash_tag "{}"', servers: (b) => b.map((s) => ({ port: s.port })), hashTag: '{}' },
];

describe('RingStore in twemproxy mode places keys exactly as nutcracker', () => {
  it.each(cases)('$title', async ({ servers, hashTag }) => {
    const pool = servers(backends);
    const proxy = await Nutcracker.start({ servers: pool, hashTag });
    const viaProxy = new RedisStore(proxy.address, { endpoint: 'twemproxy' });
    const nodes: RingNodeConfig[] = pool.map((s) => ({ node: `127.0.0.1:${s.port}`, weight: s.weight ?? 1, alias: s.name }));
    const ring = new RingStore(nodes, { compatibility: 'twemproxy', hashTag });
    try {
      const keys = testKeys();
      for (let i = 0; i < keys.length; i += 1000) await viaProxy.mset(keys.slice(i, i + 1000).map((k) => [k, `v:${k}`]));
      const stored = await backendOf();
      expect(stored.size).toBe(keys.length);
      const mismatches = keys.filter((k) => ring.nodeFor(k) !== stored.get(k));
      expect(mismatches).toEqual([]);
      // Every backend got keys (weights honoured roughly).
      expect(new Set(stored.values()).size).toBe(4);

      // The other direction: the ring writes, nutcracker reads the same values.
      await Promise.all(backends.map((s) => redisCall(s.port, 'FLUSHALL')));
      await ring.mset(keys.map((k) => [k, `r:${k}`]));
      const back = await viaProxy.mget(keys);
      expect(back.filter((v, i) => v !== `r:${keys[i]}`)).toEqual([]);
    } finally {
      await ring.close();
      await viaProxy.close();
      await proxy.stop();
    }
  });
});

describe('ejection agrees with nutcracker auto_eject_hosts', () => {
  it('after a backend dies, RingStore (twemproxy mode, ejection) and nutcracker place every key alike', async () => {
    const victim = await RedisServer.start();
    // Unequal weights: twemproxy rebuilds its continuum over the live servers with their
    // weight shares rescaled, so surviving servers' points change too — RingStore must do the same.
    const weights = [1, 2, 3, 1];
    const pool = [...backends.slice(0, 3), victim].map((s, i) => ({ port: s.port, weight: weights[i] }));
    const nodesOf = (p: typeof pool) => p.map((x) => ({ node: `127.0.0.1:${x.port}`, weight: x.weight }));
    const proxy = await Nutcracker.start({ servers: pool, autoEject: true, serverFailureLimit: 1, serverRetryTimeoutMs: 600_000, timeoutMs: 500 });
    const viaProxy = new RedisStore(proxy.address, { endpoint: 'twemproxy' });
    const ring = new RingStore(nodesOf(pool), { compatibility: 'twemproxy', ejectAfter: 1, retryAfterMs: 600_000 });
    try {
      const victimId = idOf(victim);
      const victimKey = Array.from({ length: 100 }, (_, i) => `v${i}`).find((k) => ring.nodeFor(k) === victimId)!;
      await victim.kill9();
      // Both eject the dead backend on its first failure.
      await expect(ring.get(victimKey)).rejects.toBeInstanceOf(NodeUnavailableError);
      expect(ring.nodes.find((n) => n.id === victimId)).toMatchObject({ state: 'ejected' });
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await viaProxy.set(victimKey, 'x');
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      await Promise.all(backends.map((s) => redisCall(s.port, 'FLUSHALL')));
      const keys = testKeys().slice(0, 5000);
      for (let i = 0; i < keys.length; i += 1000) await viaProxy.mset(keys.slice(i, i + 1000).map((k) => [k, 'v']));
      const stored = await backendOf();
      expect(stored.size).toBe(keys.length);
      expect(keys.filter((k) => ring.nodeFor(k) !== stored.get(k))).toEqual([]);
      // And the ring over the 3 live servers is exactly what both use.
      const live = new RingStore(nodesOf(pool.slice(0, 3)), { compatibility: 'twemproxy' });
      expect(keys.filter((k) => live.nodeFor(k) !== ring.nodeFor(k))).toEqual([]);
      // (Skipping the dead server's points instead would not agree: keys of live servers move.)
      const before = new RingStore(nodesOf(pool), { compatibility: 'twemproxy' });
      expect(keys.filter((k) => before.nodeFor(k) !== victimId && before.nodeFor(k) !== ring.nodeFor(k)).length).toBeGreaterThan(0);
      await before.close();
      await live.close();
    } finally {
      await ring.close();
      await viaProxy.close();
      await proxy.stop();
      await victim.stop();
    }
  });
});

describe('RedisStore behind nutcracker', () => {
  it('get / set (TTL) / del / mget / mset (TTL) / mdel, strings and bytes', async () => {
    const proxy = await Nutcracker.start({ servers: backends.map((s) => ({ port: s.port })) });
    const s = new RedisStore(proxy.address, { endpoint: 'twemproxy' });
    try {
      expect(await s.get('a')).toBeNull();
      await s.set('a', '1');
      await s.set('ttl', 'x', 60_000);
      await s.set(Buffer.from([0xff, 0]), Uint8Array.from([1, 2, 3]));
      expect(await s.get('a')).toBe('1');
      expect(await s.getBuffer(Buffer.from([0xff, 0]))).toEqual(Buffer.from([1, 2, 3]));
      const keys = Array.from({ length: 500 }, (_, i) => `m${i}`);
      await s.mset(keys.map((k) => [k, k]));
      await s.mset(keys.slice(0, 50).map((k) => [`${k}:ttl`, k]), 60_000);
      expect(await s.mget([...keys, 'nope', ...keys.slice(0, 50).map((k) => `${k}:ttl`)])).toEqual([...keys, null, ...keys.slice(0, 50)]);
      expect((await s.mgetBuffer(['a', 'nope'])).map((b) => b?.toString() ?? null)).toEqual(['1', null]);
      // The TTLs reached the backends.
      const ttls = await Promise.all(backends.map((b) => redisCall(b.port, 'PTTL', 'ttl')));
      expect(ttls.filter((t) => Number(t) > 50_000)).toHaveLength(1);
      expect(await s.mdel([...keys, 'nope'])).toBe(500);
      expect(await s.del('a')).toBe(1);
      expect(await s.del('a')).toBe(0);
      expect(await s.mget(keys.slice(0, 3))).toEqual([null, null, null]);
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  it("a backend that is down is a NodeUnavailableError (nutcracker answers '-ERR Connection refused')", async () => {
    const dead = await RedisServer.start();
    const deadPort = dead.port;
    await dead.stop();
    const pool = [{ port: backends[0].port }, { port: deadPort }];
    const proxy = await Nutcracker.start({ servers: pool });
    const s = new RedisStore(proxy.address, { endpoint: 'twemproxy' });
    const ring = new RingStore(pool.map((p) => `127.0.0.1:${p.port}`), { compatibility: 'twemproxy' });
    try {
      const keys = Array.from({ length: 50 }, (_, i) => `d${i}`);
      const onDead = keys.find((k) => ring.nodeFor(k) === `127.0.0.1:${deadPort}`)!;
      const onLive = keys.find((k) => ring.nodeFor(k) !== `127.0.0.1:${deadPort}`)!;
      await s.set(onLive, 'ok');
      expect(await s.get(onLive)).toBe('ok');
      const err = await s.get(onDead).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NodeUnavailableError);
      expect(err).toMatchObject({ node: proxy.address, key: onDead });
      expect((err as Error).message).toMatch(/Connection refused/);
    } finally {
      await ring.close();
      await s.close();
      await proxy.stop();
    }
  });

  it('TieredCache over nutcracker: concurrent get()s go out as one MGET that nutcracker splits', async () => {
    const proxy = await Nutcracker.start({ servers: backends.map((b) => ({ port: b.port })) });
    const store = new RedisStore(proxy.address, { endpoint: 'twemproxy' });
    const cache = new TieredCache({ l2: store, l1: false });
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `tc:${i}`);
      await cache.setMany(keys.map((k, i) => [k, { i }]));
      expect(new Set((await backendOf()).values()).size).toBe(4); // spread over every backend
      expect(await cache.getMany(['warm'])).toEqual([undefined]);
      const calls = countReads(store);
      expect(await Promise.all([...keys, 'none'].map((k) => cache.get(k)))).toEqual([...keys.map((_, i) => ({ i })), undefined]);
      expect(calls).toEqual({ mget: 1, get: 0 });
      expect(cache.stats().l2).toMatchObject({ hits: 200, errors: 0 });
    } finally {
      await cache.close();
      await store.close();
      await proxy.stop();
    }
  });
});
