/**
 * RingStore on 4 real standalone redis-servers (started by this file on free loopback ports,
 * stopped by PID in afterAll): placement against HashRing in every compatibility mode, input
 * order, one command per node per batch, hash tags, bytes, TTLs, typed errors with ejection
 * off, membership changes with `movement`, argument validation, and RedisStore on one node.
 * Node failure under load is in ring-store-chaos.test.ts.
 */
import Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CommandError, NodeUnavailableError, RingcacheError, StoreClosedError } from '../../src/errors';
import { HashRing } from '../../src/ring/hash-ring';
import { RedisStore } from '../../src/stores/redis-store';
import { clientOptions, DEFAULT_CONNECTION_OPTIONS } from '../../src/stores/connection';
import { DEFAULT_RING_STORE_OPTIONS, RingStore, type RingNodeEvent } from '../../src/stores/ring-store';
import { RedisServer, redisCall, redisInfo, sleep } from '../helpers/redis-server';
import { countSocketWrites } from '../helpers/socket-writes';

let servers: RedisServer[] = [];
let ids: string[] = [];
let store: RingStore;

beforeAll(async () => {
  servers = await Promise.all([0, 1, 2, 3].map(() => RedisServer.start()));
  ids = servers.map((s) => `127.0.0.1:${s.port}`);
  store = new RingStore(ids);
});

afterAll(async () => {
  await store?.close();
  await Promise.all(servers.map((s) => s.stop()));
});

beforeEach(async () => {
  await Promise.all(servers.filter((s) => s.pid !== undefined).map((s) => redisCall(s.port, 'FLUSHALL')));
});

const keysOf = (n: number, prefix = 'k'): string[] => Array.from({ length: n }, (_, i) => `${prefix}:${i}`);
const portOf = (id: string): number => Number(id.slice(id.lastIndexOf(':') + 1));

/** Keys stored on each server (KEYS *), as key → id. */
async function whereStored(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of servers) for (const k of (await redisCall(s.port, 'KEYS', '*')) as string[]) out.set(k, `127.0.0.1:${s.port}`);
  return out;
}

async function commandCalls(port: number, command: string): Promise<number> {
  const stats = await redisInfo(port, 'commandstats');
  const m = /calls=(\d+)/.exec(stats.get(`cmdstat_${command}`) ?? '');
  return m ? Number(m[1]) : 0;
}

describe('RingStore placement', () => {
  it('places every key where a hashring-compatible HashRing says, and nodeFor agrees', async () => {
    const keys = keysOf(2000);
    await store.mset(keys.map((k) => [k, `v-${k}`]));
    const ring = new HashRing(ids);
    const stored = await whereStored();
    expect(stored.size).toBe(keys.length);
    for (const k of keys) {
      expect(stored.get(k)).toBe(ring.get(k));
      expect(store.nodeFor(k)).toBe(ring.get(k));
    }
    // Every node got a share; distribution() reports it per node.
    expect(new Set(stored.values()).size).toBe(4);
    const report = store.distribution(keys);
    expect(report.servers.map((x) => x.server)).toEqual(ids);
    for (const x of report.servers) expect(x.count).toBe([...stored.values()].filter((id) => id === x.server).length);
    expect(store.distribution(20_000).maxOverMean).toBeLessThan(1.3);
  });

  it.each(['libmemcached', 'twemproxy', 'libketama', 'hash_ring'] as const)('places keys as HashRing in %s mode', async (compatibility) => {
    const s = new RingStore(ids, { compatibility });
    try {
      const keys = keysOf(500, compatibility);
      await s.mset(keys.map((k) => [k, '1']));
      const ring = new HashRing(ids, 'md5', { compatibility });
      const stored = await whereStored();
      for (const k of keys) expect(stored.get(k)).toBe(ring.get(k));
    } finally {
      await s.close();
    }
  });

  it('hashTag {} co-locates keys by the tag (twemproxy rule: first {, first } after it, non-empty)', async () => {
    const s = new RingStore(ids, { hashTag: '{}' });
    try {
      const ring = new HashRing(ids);
      for (let u = 0; u < 50; u++) {
        const owner = ring.get(String(u));
        for (const k of [`user:{${u}}:a`, `{${u}}`, `x{${u}}y{z}`, `cart:{${u}}`]) expect(s.nodeFor(k)).toBe(owner);
      }
      // No tag, empty tag, unclosed tag: the whole key.
      for (const k of ['plain', 'a{}b', 'a{b', 'a}b{']) expect(s.nodeFor(k)).toBe(ring.get(k));
      expect(s.nodeFor(Buffer.from('u:{7}:x'))).toBe(ring.get('7'));
      await s.mset([['user:{9}:a', '1'], ['user:{9}:b', '2']]);
      const stored = await whereStored();
      expect(stored.get('user:{9}:a')).toBe(ring.get('9'));
      expect(stored.get('user:{9}:b')).toBe(ring.get('9'));
    } finally {
      await s.close();
    }
  });

  it('accepts URLs, options and instances, with ids, weights and aliases', async () => {
    const own = new Redis({ host: '127.0.0.1', port: servers[2].port });
    const s = new RingStore([
      `redis://127.0.0.1:${servers[0].port}/0`,
      { host: '127.0.0.1', port: servers[1].port },
      own,
      { node: `127.0.0.1:${servers[3].port}`, id: 'fourth', weight: 2 },
    ]);
    try {
      expect(s.nodes.map((n) => n.id)).toEqual([ids[0], ids[1], ids[2], 'fourth']);
      const ring = new HashRing({ [ids[0]]: 1, [ids[1]]: 1, [ids[2]]: 1, fourth: 2 });
      const keys = keysOf(300, 'mixed');
      await s.mset(keys.map((k) => [k, k]));
      expect(await s.mget(keys)).toEqual(keys);
      for (const k of keys) expect(s.nodeFor(k)).toBe(ring.get(k));
      expect(s.client(ids[2])).toBe(own);
    } finally {
      await s.close();
    }
    // The instance we passed is left open.
    expect(await own.ping()).toBe('PONG');
    own.disconnect();
  });
});

describe('RingStore operations', () => {
  it('get / set / del / getBuffer, strings and bytes, TTL in milliseconds', async () => {
    expect(await store.get('a')).toBeNull();
    await store.set('a', '1');
    expect(await store.get('a')).toBe('1');
    const bytes = Uint8Array.from([0, 255, 1, 128]);
    await store.set(Buffer.from([1, 2, 3]), bytes);
    expect(await store.getBuffer(Uint8Array.from([1, 2, 3]))).toEqual(Buffer.from(bytes));
    await store.set('ttl', 'x', 60_000);
    const pttl = Number(await redisCall(portOf(store.nodeFor('ttl')!), 'PTTL', 'ttl'));
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await store.set('short', 'x', 30);
    await sleep(80);
    expect(await store.get('short')).toBeNull();
    expect(await store.del('a')).toBe(1);
    expect(await store.del('a')).toBe(0);
    await store.set('ü-ключ', 'värde ✓');
    expect(await store.get('ü-ключ')).toBe('värde ✓');
    // A string key and its UTF-8 bytes are the same key: same node, same value, in any batch.
    await store.mset([[Buffer.from('ü-ключ'), 'bytes ✓'], ['plain', 'p']]);
    expect(store.nodeFor(Buffer.from('ü-ключ'))).toBe(store.nodeFor('ü-ключ'));
    expect(await store.mget(['ü-ключ', Uint8Array.from(Buffer.from('plain')), Buffer.from('ü-ключ')])).toEqual(['bytes ✓', 'p', 'bytes ✓']);
  });

  it('mget / mgetBuffer / mset / mdel answer in input order, duplicates and missing keys included', async () => {
    const keys = keysOf(1000, 'order');
    await store.mset(keys.map((k, i) => [k, String(i)]));
    const probe = [...keys].reverse();
    probe.splice(10, 0, 'missing', keys[5], 'missing2');
    const expected = probe.map((k) => (k.startsWith('missing') ? null : String(keys.indexOf(k))));
    expect(await store.mget(probe)).toEqual(expected);
    expect((await store.mgetBuffer(probe)).map((b) => (b === null ? null : b.toString()))).toEqual(expected);
    expect(await store.mget([])).toEqual([]);
    expect(await store.mdel([])).toBe(0);
    await store.mset([]);
    expect(await store.mdel([...keys.slice(0, 100), 'missing'])).toBe(100);
    expect(await store.mget(keys.slice(0, 3))).toEqual([null, null, null]);
  });

  it('sends one command per node for a batch (MGET, MSET, DEL), SET … PX per key with a TTL', async () => {
    const keys = keysOf(1000, 'batch');
    const before = await Promise.all(servers.map((s) => Promise.all(['mget', 'mset', 'del', 'set'].map((c) => commandCalls(s.port, c)))));
    await store.mset(keys.map((k) => [k, 'x']));
    await store.mget(keys);
    await store.mdel(keys);
    // Each node's SETs leave in one socket write (its socket corked while they are issued).
    const writes = ids.map((id) => countSocketWrites(store.client(id)!.stream));
    await store.mset(keys.slice(0, 100).map((k) => [k, 'y']), 10_000);
    expect(writes.map((w) => w.n)).toEqual(ids.map(() => 1));
    for (let i = 0; i < servers.length; i++) {
      const after = await Promise.all(['mget', 'mset', 'del', 'set'].map((c) => commandCalls(servers[i].port, c)));
      expect(after[0] - before[i][0]).toBe(1);
      expect(after[1] - before[i][1]).toBe(1);
      expect(after[2] - before[i][2]).toBe(1);
    }
    const ring = new HashRing(ids);
    const setCalls = await Promise.all(servers.map((s, i) => commandCalls(s.port, 'set').then((n) => n - before[i][3])));
    expect(setCalls).toEqual(ids.map((id) => keys.slice(0, 100).filter((k) => ring.get(k) === id).length));
    const pttl = Number(await redisCall(portOf(store.nodeFor(keys[0])!), 'PTTL', keys[0]));
    expect(pttl).toBeGreaterThan(5_000);
  });

  it('a reply error is a CommandError naming the node and the key, and is not a node failure', async () => {
    await redisCall(portOf(store.nodeFor('list')!), 'RPUSH', 'list', 'x');
    const err = await store.get('list').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: 'ERR_RINGCACHE_COMMAND', key: 'list', node: store.nodeFor('list') });
    expect((err as Error).message).toMatch(/WRONGTYPE/);
    expect(store.nodes.every((n) => n.state === 'up' && n.failures === 0)).toBe(true);
  });

  it('validates arguments with messages that name them', async () => {
    await expect(store.get(1 as never)).rejects.toThrow(/for key but received number 1/);
    await expect(store.set('k', 5 as never)).rejects.toThrow(/for value but received number 5/);
    await expect(store.set('k', 'v', 0)).rejects.toThrow(RangeError);
    await expect(store.set('k', 'v', 1.5)).rejects.toThrow(/ttlMs/);
    await expect(store.mget(['a', null] as never)).rejects.toThrow(/keys\[1\]/);
    await expect(store.mset([['a']] as never)).rejects.toThrow(/entries\[0\]/);
    expect(() => store.nodeFor({} as never)).toThrow(TypeError);
    expect(() => new RingStore([])).toThrow(/at least one node/);
    expect(() => new RingStore(['nope'])).toThrow(/redis:\/\/ URL or 'host:port' for nodes\[0\]/);
    expect(() => new RingStore([ids[0], ids[0]])).toThrow(/distinct node ids/);
    expect(() => new RingStore(ids, { hashTag: '{' })).toThrow(/options.hashTag/);
    expect(() => new RingStore(ids, { ejectAfter: 0 })).toThrow(/options.ejectAfter/);
    expect(() => new RingStore(ids, { algorithm: 'sha1' as never })).toThrow(/options.algorithm/);
    expect(() => new RingStore([{ node: ids[0], weight: 0 }])).toThrow(/nodes\[0\].weight/);
    expect(() => new RingStore([{ sentinels: [{ host: '127.0.0.1', port: 1 }] }])).toThrow(/nodes\[0\].name/);
  });
});

describe('RingStore membership', () => {
  it('movement previews a change; addNode / removeNode move exactly those keys', async () => {
    const extra = await RedisServer.start();
    const extraId = `127.0.0.1:${extra.port}`;
    const s = new RingStore(ids);
    try {
      const keys = keysOf(4000, 'member');
      const report = s.movement({ add: [extraId] }, keys);
      expect(report.keys).toBe(4000);
      // About 1/5 of the keys move, all to the new node.
      expect(report.fraction).toBeGreaterThan(0.12);
      expect(report.fraction).toBeLessThan(0.3);
      expect(report.gained).toEqual([{ server: extraId, count: report.moved }]);
      const before = keys.map((k) => s.nodeFor(k));
      expect(s.addNode(extraId)).toBe(extraId);
      const after = keys.map((k) => s.nodeFor(k));
      const moved = keys.filter((_, i) => before[i] !== after[i]);
      expect(moved.length).toBe(report.moved);
      for (const k of moved) expect(s.nodeFor(k)).toBe(extraId);
      await s.mset(keys.map((k) => [k, k]));
      expect(await s.mget(keys)).toEqual(keys);
      expect(Number(await redisCall(extra.port, 'DBSIZE'))).toBe(report.moved);

      const back = s.movement({ remove: [extraId] }, keys);
      expect(back.moved).toBe(report.moved);
      await s.removeNode(extraId);
      expect(keys.map((k) => s.nodeFor(k))).toEqual(before);
      expect(s.nodes.map((n) => n.id)).toEqual(ids);
      expect(() => s.addNode(ids[0])).toThrow(/distinct node ids/);
      await expect(s.removeNode('nope:1')).rejects.toThrow(RangeError);
      expect(() => s.movement({ remove: ['nope:1'] })).toThrow(RangeError);
    } finally {
      await s.close();
      await extra.stop();
    }
  });
});

describe('RingStore node failure with ejection off', () => {
  it('a dead node fails with NodeUnavailableError naming node and key; others keep working; restored on recovery', async () => {
    const victim = await RedisServer.start();
    const victimId = `127.0.0.1:${victim.port}`;
    const s = new RingStore([ids[0], ids[1], victimId], { autoEject: false });
    const events: [string, RingNodeEvent][] = [];
    for (const e of ['down', 'ejected', 'restored'] as const) s.on(e, (ev) => events.push([e, ev]));
    try {
      const keys = keysOf(300, 'off');
      await s.mset(keys.map((k) => [k, k]));
      const victimKey = keys.find((k) => s.nodeFor(k) === victimId)!;
      const otherKey = keys.find((k) => s.nodeFor(k) !== victimId)!;
      await victim.kill9();
      for (let i = 0; i < 5; i++) {
        const err = await s.get(victimKey).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NodeUnavailableError);
        expect(err).toBeInstanceOf(RingcacheError);
        expect(err).toMatchObject({ code: 'ERR_RINGCACHE_NODE_UNAVAILABLE', node: victimId, key: victimKey });
        expect(await s.get(otherKey)).toBe(otherKey);
      }
      const batchErr = await s.mget(keys).catch((e: unknown) => e);
      expect(batchErr).toMatchObject({ node: victimId });
      // Never ejected: the key still belongs to the dead node.
      expect(s.nodeFor(victimKey)).toBe(victimId);
      expect(s.nodes.find((n) => n.id === victimId)).toMatchObject({ state: 'down', onRing: true });
      expect(s.nodes.find((n) => n.id === victimId)!.failures).toBeGreaterThanOrEqual(6);
      await victim.restart();
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await s.set(victimKey, 'back');
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(50);
        }
      }
      expect(await s.get(victimKey)).toBe('back');
      expect(events.map(([e]) => e)).toEqual(['down', 'restored']);
      expect(events[0][1]).toMatchObject({ node: victimId, failures: 1 });
      expect(events[1][1].downMs).toBeGreaterThan(0);
    } finally {
      await s.close();
      await victim.stop();
    }
  });

  it('a Sentinel-backed node whose sentinels are all unreachable fails after failoverTimeoutMs, and its client keeps trying', async () => {
    const gone = await RedisServer.start();
    const deadPort = gone.port;
    await gone.stop();
    const node = { sentinels: [{ host: '127.0.0.1', port: deadPort }], name: 'nowhere' };
    const s = new RingStore([node, ids[0]], { failoverTimeoutMs: 300, autoEject: false });
    const single = new RedisStore(node, { failoverTimeoutMs: 300 });
    try {
      const key = Array.from({ length: 50 }, (_, i) => `s${i}`).find((k) => s.nodeFor(k) === 'nowhere')!;
      const t0 = Date.now();
      await expect(s.get(key)).rejects.toMatchObject({ code: 'ERR_RINGCACHE_NODE_UNAVAILABLE', node: 'nowhere', key });
      await expect(single.get(key)).rejects.toMatchObject({ code: 'ERR_RINGCACHE_NODE_UNAVAILABLE', node: 'nowhere' });
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      // A real-time bound on purpose: failing after failoverTimeoutMs (300 ms) rather than hanging
      // is the feature; 3 s of margin for a loaded machine.
      expect(elapsed).toBeLessThan(3000);
      // Not given up for good (ioredis ends a client whose sentinel retry is turned off).
      expect(s.client('nowhere')!.status).not.toBe('end');
      expect(single.client.status).not.toBe('end');
    } finally {
      await s.close();
      await single.close();
    }
  });

  it('clientOptions gives the defaults the stores use, for clients created by hand', () => {
    expect(clientOptions('plain')).toMatchObject({ maxRetriesPerRequest: 0, socketTimeout: 1000, connectTimeout: 1000 });
    expect(clientOptions('plain', { timeoutMs: 250 })).toMatchObject({ socketTimeout: 250, connectTimeout: 250 });
    const sentinel = clientOptions('sentinel');
    expect(sentinel).toMatchObject({ maxRetriesPerRequest: null, commandTimeout: 10_000 });
    expect([1, 2, 3, 4, 10].map((n) => (sentinel.retryStrategy as (n: number) => number)(n))).toEqual([50, 100, 150, 200, 200]);
    expect(sentinel.reconnectOnError!(new Error('READONLY You can\'t write against a read only replica.'))).toBe(2);
    expect(sentinel.reconnectOnError!(new Error('WRONGTYPE'))).toBe(false);
    expect(Object.isFrozen(DEFAULT_CONNECTION_OPTIONS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RING_STORE_OPTIONS)).toBe(true);
    expect(() => clientOptions('cluster' as never)).toThrow(/for kind/);
  });

  it('rejects with StoreClosedError after close', async () => {
    const s = new RingStore(ids);
    await s.close();
    await expect(s.get('a')).rejects.toBeInstanceOf(StoreClosedError);
    await expect(s.mget(['a'])).rejects.toBeInstanceOf(StoreClosedError);
    await s.close();
  });
});

describe('RedisStore on one server', () => {
  it('implements the store contract over one connection', async () => {
    const s = new RedisStore(`redis://127.0.0.1:${servers[0].port}`);
    try {
      await s.set('a', '1');
      await s.set(Uint8Array.from([9, 9]), Uint8Array.from([0, 1]), 60_000);
      expect(await s.get('a')).toBe('1');
      expect(await s.getBuffer(Buffer.from([9, 9]))).toEqual(Buffer.from([0, 1]));
      await s.mset([['b', '2'], ['c', '3']]);
      await s.mset([['d', '4'], ['e', '5']], 60_000);
      expect(Number(await redisCall(servers[0].port, 'PTTL', 'e'))).toBeGreaterThan(50_000);
      expect(await s.mget(['e', 'nope', 'a', 'd'])).toEqual(['5', null, '1', '4']);
      expect((await s.mgetBuffer(['b'])).map(String)).toEqual(['2']);
      expect(await s.mdel(['a', 'b', 'nope'])).toBe(2);
      expect(await s.del('c')).toBe(1);
      await redisCall(servers[0].port, 'RPUSH', 'list', 'x');
      await expect(s.get('list')).rejects.toMatchObject({ code: 'ERR_RINGCACHE_COMMAND', key: 'list', node: ids[0] });
      expect(s.node).toBe(ids[0]);
    } finally {
      await s.close();
    }
    await expect(s.get('a')).rejects.toBeInstanceOf(StoreClosedError);
  });

  it('a dead server is a NodeUnavailableError naming it', async () => {
    const victim = await RedisServer.start();
    const s = new RedisStore({ host: '127.0.0.1', port: victim.port });
    try {
      await s.set('k', 'v');
      await victim.kill9();
      await expect(s.get('k')).rejects.toMatchObject({ code: 'ERR_RINGCACHE_NODE_UNAVAILABLE', node: `127.0.0.1:${victim.port}`, key: 'k' });
    } finally {
      await s.close();
      await victim.stop();
    }
  });
});
