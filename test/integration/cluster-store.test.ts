/**
 * ClusterStore on a real 3 masters + 3 replicas Redis Cluster (started by this file on free
 * loopback ports, stopped by PID in afterAll): single-key and batched operations over every
 * slot, input order, hash tags, the keys ioredis's cluster-key-slot 1.1.1 gets wrong, bytes,
 * TTLs, typed errors, argument validation. Change under load (resharding, ASK, failover) is in
 * cluster-chaos.test.ts.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClusterStore, DEFAULT_CLUSTER_STORE_OPTIONS } from '../../src/stores/cluster-store';
import { groupBySlot } from '../../src/cluster/group-by-slot';
import { keySlot } from '../../src/cluster/key-slot';
import { CommandError, RingcacheError, StoreClosedError } from '../../src/errors';
import { RedisCluster } from '../helpers/redis-cluster';
import { RespClient, redisCall } from '../helpers/redis-server';
import { countSocketWrites } from '../helpers/socket-writes';

// ioredis 6's own slot function (a nested dependency pinned at 1.1.1).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ioredisSlot = require(require.resolve('cluster-key-slot', { paths: [require.resolve('ioredis')] })) as (key: string) => number;

/** Every non-empty string over `{ } a b` of length <= 6 (4 + 16 + … + 4096 = 5460). */
function bracketStrings(): string[] {
  const out: string[] = [];
  let level = [''];
  for (let len = 1; len <= 6; len++) {
    const next: string[] = [];
    for (const p of level) for (const c of ['{', '}', 'a', 'b']) next.push(p + c);
    out.push(...next);
    level = next;
  }
  return out;
}

let cluster: RedisCluster;
let store: ClusterStore;

beforeAll(async () => {
  cluster = await RedisCluster.start();
  store = new ClusterStore(cluster.startupNodes);
});

afterAll(async () => {
  await store?.close();
  await cluster?.stop();
});

beforeEach(async () => {
  await cluster.flushAll();
});

/** For each key, whether the master owning Redis's slot for it holds it (one pipeline per master). */
async function livesWhereRedisSaysBool(keys: string[]): Promise<boolean[]> {
  const masters = await cluster.masters();
  const ownerOf = (slot: number) => masters.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b))!;
  const conns = new Map<number, RespClient>();
  try {
    return await Promise.all(
      keys.map(async (k) => {
        const port = ownerOf(keySlot(k)).port;
        let c = conns.get(port);
        if (!c) conns.set(port, (c = await RespClient.connect(port)));
        return (await c.call('EXISTS', k)) === 1;
      }),
    );
  } finally {
    for (const c of conns.values()) c.close();
  }
}

describe('ClusterStore on a real cluster', () => {
  it('get / set / del, with a TTL in milliseconds', async () => {
    expect(await store.get('a')).toBeNull();
    await store.set('a', '1');
    expect(await store.get('a')).toBe('1');
    await store.set('ttl', 'x', 60_000);
    const pttl = Number(await redisCall((await cluster.masterOf(keySlot('ttl'))).port, 'PTTL', 'ttl'));
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await store.set('short', 'x', 30);
    await new Promise((r) => setTimeout(r, 80));
    expect(await store.get('short')).toBeNull();
    expect(await store.del('a')).toBe(1);
    expect(await store.del('a')).toBe(0);
    expect(await store.get('a')).toBeNull();
  });

  it('mset / mget / mdel over keys in every slot, results in input order', async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `k:${i}:${(i * 2654435761) >>> 0}`);
    const slots = new Set(keys.map((k) => keySlot(k)));
    expect(slots.size).toBeGreaterThan(2500);
    await store.mset(keys.map((k, i) => [k, `v${i}`]));
    expect(await cluster.dbsize()).toBe(keys.length);
    // Missing keys and duplicates interleaved.
    const query = [...keys.slice(0, 500), 'missing:1', keys[3], 'missing:2', keys[3]];
    const vals = await store.mget(query);
    expect(vals).toEqual([...keys.slice(0, 500).map((_, i) => `v${i}`), null, 'v3', null, 'v3']);
    expect(await store.mget(keys)).toEqual(keys.map((_, i) => `v${i}`));
    expect(await store.mdel([...keys.slice(0, 1000), 'missing:3'])).toBe(1000);
    expect(await cluster.dbsize()).toBe(2000);
    expect(await store.mget(keys.slice(995, 1005))).toEqual([null, null, null, null, null, 'v1000', 'v1001', 'v1002', 'v1003', 'v1004']);
  });

  it('mset with a TTL sets PX on every key', async () => {
    const keys = ['t:{x}:1', 't:{x}:2', 't:other'];
    await store.mset(keys.map((k) => [k, 'v']), 40);
    expect(await store.mget(keys)).toEqual(['v', 'v', 'v']);
    await new Promise((r) => setTimeout(r, 100));
    expect(await store.mget(keys)).toEqual([null, null, null]);
  });

  it('per-slot path (crossSlotScripts: false) gives the same answers', async () => {
    const s = new ClusterStore(cluster.startupNodes, { crossSlotScripts: false });
    try {
      const keys = Array.from({ length: 500 }, (_, i) => `p:${i}`);
      await s.mset(keys.map((k) => [k, 'first']));
      // One MSET per slot, and each master gets its share in one socket write (corked).
      const masters = s.cluster.nodes('master');
      expect(masters.length).toBe(3);
      const writes = masters.map((node) => countSocketWrites(node.stream));
      await s.mset(keys.map((k) => [k, k.toUpperCase()]));
      expect(writes.map((w) => w.n)).toEqual([1, 1, 1]);
      expect(await s.mget([...keys, 'none'])).toEqual([...keys.map((k) => k.toUpperCase()), null]);
      expect(await store.mget(keys)).toEqual(keys.map((k) => k.toUpperCase()));
      expect(s.stats.scriptCalls).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('hash tags: user:{1001}:profile and user:{1001}:settings share a slot; multi-key commands work', async () => {
    const a = 'user:{1001}:profile';
    const b = 'user:{1001}:settings';
    expect(keySlot(a)).toBe(keySlot(b));
    const port = cluster.nodes[0].port;
    expect(await redisCall(port, 'CLUSTER', 'KEYSLOT', a)).toBe(keySlot(a));
    expect(await redisCall(port, 'CLUSTER', 'KEYSLOT', b)).toBe(keySlot(b));
    expect(groupBySlot([a, b, 'user:{1002}:profile']).get(keySlot(a))).toEqual([0, 1]);
    await store.mset([
      [a, 'P'],
      [b, 'S'],
    ]);
    expect(await store.mget([b, a])).toEqual(['S', 'P']);
    // A real multi-key command on one node: ioredis's own MGET of the two is not CROSSSLOT.
    expect(await store.cluster.mget(a, b)).toEqual(['P', 'S']);
    expect(await store.mdel([a, b])).toBe(2);
    expect(await store.mget([a, b])).toEqual([null, null]);
  });

  it('the 454 keys over { } a b (length <= 6) where cluster-key-slot 1.1.1 is wrong land on the right node', async () => {
    const all = bracketStrings();
    expect(all.length).toBe(5460);
    const wrong = all.filter((k) => ioredisSlot(k) !== keySlot(k));
    expect(wrong.length).toBe(454);
    expect(wrong).toContain('{}{}');
    expect(keySlot('foo{}{bar}')).not.toBe(ioredisSlot('foo{}{bar}'));
    // Redis agrees with us on a sample (the full 5460-vector check lives with keySlot's tests).
    const port = cluster.nodes[0].port;
    for (const k of [...wrong.slice(0, 20), 'foo{}{bar}']) expect(await redisCall(port, 'CLUSTER', 'KEYSLOT', k)).toBe(keySlot(k));

    // What goes wrong without ringcache: ioredis thinks these two share a slot (it hashes "bar"),
    // Redis hashes each whole key (an empty {} is no tag), so ioredis's own MGET is CROSSSLOT.
    expect(ioredisSlot('foo{}{bar}')).toBe(ioredisSlot('x{}{bar}'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('x{}{bar}'));
    await expect(store.cluster.mget('foo{}{bar}', 'x{}{bar}')).rejects.toThrow(/CROSSSLOT/);
    await store.mset([
      ['foo{}{bar}', '1'],
      ['x{}{bar}', '2'],
    ]);
    expect(await store.mget(['x{}{bar}', 'foo{}{bar}'])).toEqual(['2', '1']);

    const keys = [...wrong, 'foo{}{bar}', 'x{}{bar}'];
    await store.mset(keys.map((k) => [k, `v:${k}`]));
    expect(await cluster.dbsize()).toBe(keys.length);
    expect((await livesWhereRedisSaysBool(keys)).every(Boolean)).toBe(true);
    expect(await store.mget(keys)).toEqual(keys.map((k) => `v:${k}`));
    for (const k of keys.slice(0, 10)) expect(await store.get(k)).toBe(`v:${k}`);
    expect(await store.mdel(keys)).toBe(keys.length);
    expect(await cluster.dbsize()).toBe(0);
  });

  it('Uint8Array / Buffer keys and values; getBuffer / mgetBuffer return the exact bytes', async () => {
    const k = new Uint8Array([0x62, 0x69, 0x6e, 0xff, 0x00, 0x7b, 0x7d]); // "bin\xff\0{}"
    const v = Buffer.from([1, 2, 3, 0, 255, 0xc3]); // not valid UTF-8
    await store.set(k, v);
    expect(await store.getBuffer(k)).toEqual(v);
    expect(await store.getBuffer('missing')).toBeNull();
    await store.mset([
      [Buffer.from('buf:1'), 'one'],
      ['buf:2', new Uint8Array([0x74, 0x77, 0x6f])],
    ]);
    expect(await store.mget([Buffer.from('buf:2'), 'buf:1'])).toEqual(['two', 'one']);
    // Many slots on each master: the cross-slot script path, in Buffer mode.
    const many = Array.from({ length: 300 }, (_, i) => `bytes:${i}`);
    await store.mset(many.map((key, i) => [key, Buffer.from([i & 255, 0xff, 0xfe])]));
    const got = await store.mgetBuffer([k, ...many, 'missing']);
    expect(got[0]).toEqual(v);
    expect(got.slice(1, -1)).toEqual(many.map((_, i) => Buffer.from([i & 255, 0xff, 0xfe])));
    expect(got.at(-1)).toBeNull();
    expect(await store.mdel([k, 'buf:1', Buffer.from('buf:2')])).toBe(3);
  });

  it("honours the Cluster's keyPrefix: slots of the prefixed keys, scripts and commands alike", async () => {
    // A hash-tag prefix puts every key in one slot: the store must route by the prefixed key.
    const s = new ClusterStore(cluster.startupNodes, { clusterOptions: { keyPrefix: '{app}:' } });
    try {
      const keys = Array.from({ length: 50 }, (_, i) => `p${i}`);
      await s.mset(keys.map((k) => [k, k]));
      await s.set('one', '1');
      expect(await s.mget([...keys, 'one'])).toEqual([...keys, '1']);
      expect(await s.get('one')).toBe('1');
      // Stored under the prefixed names, all in the slot of "app".
      expect(await store.mget(['{app}:p0', '{app}:one', 'p0'])).toEqual(['p0', '1', null]);
      const m = await cluster.masterOf(keySlot('{app}:x'));
      expect(Number(await redisCall(m.port, 'DBSIZE'))).toBe(51);
      expect(await s.mdel([...keys, 'one'])).toBe(51);
      // A prefix without a tag spreads keys over every master: the script path with prefixes.
      const t = new ClusterStore(cluster.startupNodes, { clusterOptions: { keyPrefix: 'app:' } });
      try {
        await t.mset(keys.map((k) => [k, `t${k}`]));
        expect(await t.mgetBuffer(keys)).toEqual(keys.map((k) => Buffer.from(`t${k}`)));
        expect(await store.mget(keys.map((k) => `app:${k}`))).toEqual(keys.map((k) => `t${k}`));
        expect(t.stats.scriptCalls).toBeGreaterThan(0);
      } finally {
        await t.close();
      }
    } finally {
      await s.close();
    }
  });

  it('empty batches', async () => {
    expect(await store.mget([])).toEqual([]);
    expect(await store.mdel([])).toBe(0);
    await store.mset([]);
  });

  it('cross-slot write scripts: mset with TTL and mdel counts, per master in one call', async () => {
    const keys = Array.from({ length: 600 }, (_, i) => `w:${i}`);
    const before = store.stats.scriptCalls;
    await store.mset(keys.map((k) => [k, `x${k}`]), 60_000);
    expect(store.stats.scriptCalls - before).toBe(3);
    const m = await cluster.masterOf(keySlot(keys[7]));
    const pttl = Number(await redisCall(m.port, 'PTTL', keys[7]));
    expect(pttl).toBeGreaterThan(50_000);
    expect(await store.mget(keys)).toEqual(keys.map((k) => `x${k}`));
    // Duplicates and missing keys: counted once / not at all.
    expect(await store.mdel([...keys.slice(0, 100), keys[5], 'w:none'])).toBe(100);
    expect(await cluster.dbsize()).toBe(500);
  });

  it('scripts over a slot in migration: nothing half-written, every key ends right (ASK fallback)', async () => {
    const [src, dst] = await cluster.masters();
    const slot = src.slots[0][0] + 3;
    let tag = '';
    for (let i = 0; keySlot(tag) !== slot; i++) tag = `m${i}`;
    const inSlot = Array.from({ length: 20 }, (_, i) => `{${tag}}:${i}`);
    // Other keys on the same master, so the slot's keys ride in the same script as them.
    const others: string[] = [];
    for (let i = 0; others.length < 30; i++) {
      const k = `o:${i}`;
      if (src.slots.some(([a, b]) => keySlot(k) >= a && keySlot(k) <= b) && keySlot(k) !== slot) others.push(k);
    }
    await store.mset(inSlot.map((k) => [k, 'old']));
    let during: (string | null)[] = [];
    const before = store.stats;
    await cluster.migrateSlotSlowly(slot, dst.id, {
      keyDelayMs: 2,
      onMigrating: async () => {
        // Some of the slot's keys are on the target now, some still on the source, one is new.
        const batch = [...inSlot, `{${tag}}:new`, ...others];
        await store.mset(batch.map((k) => [k, `v:${k}`]));
        during = await store.mget(batch);
        expect(await store.mdel([inSlot[0], inSlot[19], others[0]])).toBe(3);
      },
    });
    const batch = [...inSlot, `{${tag}}:new`, ...others];
    expect(during).toEqual(batch.map((k) => `v:${k}`));
    expect(store.stats.scriptFallbacks).toBeGreaterThan(before.scriptFallbacks);
    const expected = batch.map((k) => ([inSlot[0], inSlot[19], others[0]].includes(k) ? null : `v:${k}`));
    expect(await store.mget(batch)).toEqual(expected);
    expect((await cluster.masterOf(slot)).id).toBe(dst.id);
  });

  it('recovers when the script cache is flushed (NOSCRIPT → EVAL)', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `ns:${i}`);
    await store.mset(keys.map((k) => [k, k]));
    expect(await store.mget(keys)).toEqual(keys);
    for (const m of await cluster.masters()) await redisCall(m.port, 'SCRIPT', 'FLUSH');
    const before = store.stats;
    expect(await store.mget(keys)).toEqual(keys);
    expect(store.stats.scriptCalls).toBeGreaterThan(before.scriptCalls);
    expect(store.stats.scriptFallbacks).toBe(before.scriptFallbacks);
  });

  it('a Redis error that retrying cannot fix is a CommandError with key, slot and cause', async () => {
    await store.cluster.lpush('list', 'x');
    const err = await store.get('list').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toBeInstanceOf(RingcacheError);
    const e = err as CommandError;
    expect(e.code).toBe('ERR_RINGCACHE_COMMAND');
    expect(e.key).toBe('list');
    expect(e.slot).toBe(keySlot('list'));
    expect(e.node).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(String((e.cause as Error).message)).toMatch(/^WRONGTYPE/);
    await expect(store.mget(['a', 'list', 'b'])).rejects.toBeInstanceOf(CommandError);
  });

  it('validates arguments, naming them', async () => {
    await expect(store.get(1 as never)).rejects.toThrow(/Expected string or Uint8Array for key but received number 1/);
    await expect(store.mget('abc' as never)).rejects.toThrow(/for keys but received string 'abc'/);
    await expect(store.mget(['a', null as never])).rejects.toThrow(/for keys\[1\]/);
    await expect(store.set('a', 5 as never)).rejects.toThrow(/for value but received number 5/);
    await expect(store.set('a', 'b', 0)).rejects.toThrow(RangeError);
    await expect(store.set('a', 'b', 1.5)).rejects.toThrow(/integer for ttlMs/);
    await expect(store.mset([['a']] as never)).rejects.toThrow(/\[key, value\] pair for entries\[0\]/);
    await expect(store.mset([['a', {}]] as never)).rejects.toThrow(/for entries\[0\]\[1\]/);
    expect(() => new ClusterStore({} as never)).toThrow(/ioredis Cluster or an array of startup nodes for cluster/);
    expect(() => new ClusterStore([], {})).toThrow(/at least one startup node/);
    expect(() => new ClusterStore(cluster.startupNodes, { retryTimeoutMs: -1 })).toThrow(/options\.retryTimeoutMs/);
    expect(() => new ClusterStore(cluster.startupNodes, { crossSlotScripts: 'yes' as never })).toThrow(/options\.crossSlotScripts/);
  });

  it('defaults are frozen and documented values', () => {
    expect(Object.isFrozen(DEFAULT_CLUSTER_STORE_OPTIONS)).toBe(true);
    expect(DEFAULT_CLUSTER_STORE_OPTIONS).toEqual({
      retryTimeoutMs: 10_000,
      retryDelayMs: 100,
      crossSlotScripts: true,
      maxRedirections: 32,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 0,
      scaleReads: 'master',
      replicaRefreshMs: 1000,
      replicaAck: false,
    });
  });

  it('over a Cluster the caller owns: close() leaves it open; a closed store rejects with StoreClosedError', async () => {
    const own = new Cluster(cluster.startupNodes);
    try {
      const s = new ClusterStore(own);
      await s.mset([
        ['o:1', 'a'],
        ['o:2', 'b'],
      ]);
      expect(await s.mget(['o:2', 'o:1'])).toEqual(['b', 'a']);
      await s.close();
      await s.close();
      const err = await s.get('o:1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreClosedError);
      expect((err as StoreClosedError).code).toBe('ERR_RINGCACHE_CLOSED');
      expect(await own.get('o:1')).toBe('a');
    } finally {
      own.disconnect();
    }
  });
});
