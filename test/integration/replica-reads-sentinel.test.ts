/**
 * Reads from replicas over Sentinel (1 master, 2 replicas, 3 sentinels, started here on free
 * loopback ports, stopped by PID): RedisStore and RingStore with `scaleReads`.
 *
 * - the share of reads on replicas, counted from each server's own INFO commandstats;
 * - kill -9 of a replica, then of the other, under read load: 0 errors, 0 wrong values (reads
 *   move to the other replica, then to the master); each comes back and gets reads again;
 * - kill -9 of the master under read load: 0 wrong values, no read slower than the failover;
 *   the promoted replica leaves the replica list.
 *
 * The load reads a fixed, replicated data set (test/helpers/read-load.ts): every key has one
 * right value wherever it is read. Default (hybrid) project only: timing-driven chaos on real
 * servers, nothing engine-dependent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/stores/redis-store';
import { RingStore } from '../../src/stores/ring-store';
import { notDefaultProject } from '../helpers/project';
import { dataKeys, readCalls, readLoad, seed, snapshot, until } from '../helpers/read-load';
import { RedisSentinel } from '../helpers/redis-sentinel';
import { sleep } from '../helpers/redis-server';

const skip = notDefaultProject;
let setup: RedisSentinel;
const KEYS = dataKeys('rr', 200);

beforeAll(async () => {
  if (skip) return;
  setup = await RedisSentinel.start({ replicas: 2 });
});

afterAll(async () => {
  await setup?.stop();
});

const node = () => ({ sentinels: setup.endpoints, name: setup.name });
const dataPorts = () => setup.data.filter((d) => d.proc).map((d) => d.port);

describe.skipIf(skip)('scaleReads over Sentinel', () => {
  it("'slave' and 'all': at least 60 % of reads on the replicas, by each server's commandstats; both replicas share them", async () => {
    const master = await setup.masterPort();
    const replicas = dataPorts().filter((p) => p !== master);
    expect(replicas).toHaveLength(2);
    const writer = new RedisStore(node());
    const slave = new RedisStore(node(), { scaleReads: 'slave' });
    const all = new RedisStore(node(), { scaleReads: 'all' });
    const ring = new RingStore([node()], { scaleReads: 'slave' });
    try {
      await seed(writer, KEYS, replicas);
      for (const [name, store] of [['slave', slave], ['all', all], ['ring', ring]] as const) {
        await store.get(KEYS[0]); // the first poll of the sentinels
        await until(() => (store instanceof RedisStore ? store.replicas.filter((r) => r.usable).length === 2 : true), `${name}: 2 usable replicas`);
        const before = await snapshot([master, ...replicas]);
        const load = readLoad(store, KEYS, 4);
        await until(() => load.tally.reads >= 2000, `${name}: 2000 reads`);
        const t = await load.stop();
        const calls = await readCalls([master, ...replicas], before);
        const onReplicas = replicas.reduce((a, p) => a + calls.get(p)!, 0);
        const total = onReplicas + calls.get(master)!;
        console.log(`scaleReads ${name}:`, JSON.stringify({ reads: t.reads, master: calls.get(master), replicas: replicas.map((p) => calls.get(p)), share: onReplicas / total }));
        expect(t.errors).toEqual([]);
        expect(t.wrong).toEqual([]);
        expect(total).toBeGreaterThanOrEqual(t.reads); // every read reached a server (ring: GET or MGET each)
        expect(onReplicas / total).toBeGreaterThanOrEqual(0.6);
        for (const p of replicas) expect(calls.get(p)!).toBeGreaterThan(total / 5); // spread over both
        if (name === 'all') expect(calls.get(master)!).toBeGreaterThan(total / 5); // the master takes turns
        else expect(calls.get(master)!).toBeLessThan(total / 20);
      }
      // Master reads: none on replicas.
      const before = await snapshot([master, ...replicas]);
      for (const k of KEYS.slice(0, 50)) await writer.get(k);
      await slave.mget(KEYS.slice(0, 10), { fromMaster: true });
      const calls = await readCalls([master, ...replicas], before);
      expect(calls.get(master)).toBe(51);
      for (const p of replicas) expect(calls.get(p)).toBe(0);
    } finally {
      await Promise.all([writer, slave, all, ring].map((s) => s.close()));
    }
  });

  it('kill -9 of one replica, then the other, under read load: 0 errors, 0 wrong values; reads fall back to the master, and each replica gets reads again once back', async () => {
    const master = await setup.masterPort();
    const [r1, r2] = dataPorts().filter((p) => p !== master);
    const writer = new RedisStore(node());
    const store = new RedisStore(node(), { scaleReads: 'slave' });
    const ring = new RingStore([node()], { scaleReads: 'all' });
    try {
      await seed(writer, KEYS, [r1, r2]);
      await store.get(KEYS[0]);
      await until(() => store.replicas.filter((r) => r.usable).length === 2, '2 usable replicas');
      const loads = [readLoad(store, KEYS, 3), readLoad(ring, KEYS, 2)];
      await sleep(300);
      await setup.kill9(r1);
      await sleep(800);
      const both = await snapshot([master]);
      await setup.kill9(r2);
      await sleep(800);
      // No replica: every read on the master.
      const onMaster = (await readCalls([master], both)).get(master)!;
      const [a, b] = await Promise.all(loads.map((l) => l.stop()));
      console.log('replica kills:', JSON.stringify({ reads: a.reads + b.reads, readsOnMasterAfterBothKilled: onMaster, maxLatencyMs: Math.max(a.maxLatencyMs, b.maxLatencyMs) }));
      expect(a.errors).toEqual([]);
      expect(b.errors).toEqual([]);
      expect(a.wrong).toEqual([]);
      expect(b.wrong).toEqual([]);
      expect(onMaster).toBeGreaterThan(0);

      // Back (empty, then synced): reads move to them again, never to an unsynced copy.
      const again = readLoad(store, KEYS, 2);
      await setup.rejoinAsReplica(r1);
      await setup.rejoinAsReplica(r2);
      await until(() => store.replicas.filter((r) => r.usable).length === 2, 'both replicas usable again');
      const before = await snapshot([r1, r2]);
      await until(() => again.tally.reads > 200, 'reads');
      const t = await again.stop();
      const calls = await readCalls([r1, r2], before);
      expect(t.errors).toEqual([]);
      expect(t.wrong).toEqual([]);
      expect(calls.get(r1)!).toBeGreaterThan(0);
      expect(calls.get(r2)!).toBeGreaterThan(0);
    } finally {
      await Promise.all([writer, store, ring].map((s) => s.close()));
    }
  });

  it('kill -9 of the master under read load: 0 errors, 0 wrong values, no read stalls longer than the failover; the promoted replica leaves the replica list', async () => {
    const master = await setup.masterPort();
    const replicas = dataPorts().filter((p) => p !== master);
    const writer = new RedisStore(node());
    const slave = new RedisStore(node(), { scaleReads: 'slave' });
    const all = new RedisStore(node(), { scaleReads: 'all' });
    try {
      await seed(writer, KEYS, replicas);
      for (const s of [slave, all]) {
        await s.get(KEYS[0]);
        await until(() => s.replicas.filter((r) => r.usable).length === 2, '2 usable replicas');
      }
      const loads = [readLoad(slave, KEYS, 3), readLoad(all, KEYS, 3)];
      await sleep(300);
      const { promoted, failoverMs } = await setup.kill9Master();
      await sleep(1500);
      const [a, b] = await Promise.all(loads.map((l) => l.stop()));
      console.log('master kill:', JSON.stringify({ failoverMs, slave: { reads: a.reads, maxLatencyMs: a.maxLatencyMs }, all: { reads: b.reads, maxLatencyMs: b.maxLatencyMs } }));
      expect(a.errors).toEqual([]);
      expect(b.errors).toEqual([]);
      expect(a.wrong).toEqual([]);
      expect(b.wrong).toEqual([]);
      // The bound IS the feature here ("reads never stall longer than the failover"): 'all'
      // sends some reads to the dead master, which wait for the promotion (+ ≤ 200 ms to find
      // it); 1 s of margin for a loaded 2-core machine.
      expect(a.maxLatencyMs).toBeLessThanOrEqual(failoverMs + 1000);
      expect(b.maxLatencyMs).toBeLessThanOrEqual(failoverMs + 1000);
      await until(() => !slave.replicas.some((r) => r.id.endsWith(`:${promoted}`)), 'the promoted replica to leave the list');
      expect(await slave.get(KEYS[1])).toBe(`value-of-${KEYS[1]}`);
    } finally {
      await Promise.all([writer, slave, all].map((s) => s.close()));
    }
  });

  it('bad input: an unknown policy is a TypeError, a replica policy on a node without replicas a RangeError, each naming the option', () => {
    expect(() => new RedisStore(node(), { scaleReads: 'replica' as never })).toThrow(TypeError);
    expect(() => new RedisStore(node(), { scaleReads: 'replica' as never })).toThrow(/options\.scaleReads/);
    expect(() => new RedisStore('127.0.0.1:1', { scaleReads: 'slave' })).toThrow(RangeError);
    expect(() => new RedisStore('127.0.0.1:1', { scaleReads: 'all' })).toThrow(/options\.scaleReads/);
    expect(() => new RedisStore(node(), { scaleReads: 'slave', endpoint: 'twemproxy' })).toThrow(RangeError);
    expect(() => new RingStore(['127.0.0.1:1', '127.0.0.1:2'], { scaleReads: 'slave' })).toThrow(/options\.scaleReads/);
    expect(() => new RingStore(['127.0.0.1:1'], { scaleReads: 'slave' })).toThrow(RangeError);
    expect(() => new RedisStore(node(), { replicaRefreshMs: 0 })).toThrow(/options\.replicaRefreshMs/);
  });

  it('bad input: a replica policy on a Sentinel master with no replica rejects reads with a RangeError naming the option', async () => {
    const lone = await RedisSentinel.start({ replicas: 0, name: 'lonely' });
    const store = new RedisStore({ sentinels: lone.endpoints, name: lone.name }, { scaleReads: 'slave' });
    try {
      await expect(store.get('k')).rejects.toThrow(RangeError);
      await expect(store.mget(['k'])).rejects.toThrow(/options\.scaleReads 'slave'/);
      // The store is unchanged by it: master reads work.
      await store.set('k', 'v');
      expect(await store.get('k', { fromMaster: true })).toBe('v');
    } finally {
      await store.close();
      await lone.stop();
    }
  });
});
