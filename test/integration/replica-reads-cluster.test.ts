/**
 * Reads from replicas on a real Redis Cluster (3 masters + 3 replicas, started here on free
 * loopback ports, stopped by PID): ClusterStore with `scaleReads`.
 *
 * - the share of reads on replicas, counted from each node's own INFO commandstats;
 * - kill -9 of a replica under read load: 0 errors, 0 wrong values; it comes back;
 * - a live reshard (redis-cli --cluster reshard) under read load with `scaleReads: 'slave'`:
 *   0 errors, 0 wrong values — a replica of the source no longer has the keys already moved,
 *   and answers them as missing: those are read again from the master, which redirects (ASK);
 * - bad input: unknown policy, policy on a passed Cluster, a cluster without replicas.
 *
 * The load reads a fixed, replicated data set (test/helpers/read-load.ts). Default (hybrid)
 * project only: timing-driven chaos on real servers, nothing engine-dependent.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../../src/stores/cluster-store';
import { notDefaultProject } from '../helpers/project';
import { dataKeys, readCalls, readLoad, snapshot, until, valueOf } from '../helpers/read-load';
import { RedisCluster } from '../helpers/redis-cluster';
import { RespClient, RespError, sleep } from '../helpers/redis-server';

const skip = notDefaultProject;
let cluster: RedisCluster;
const KEYS = dataKeys('crr', 3000);

beforeAll(async () => {
  if (skip) return;
  cluster = await RedisCluster.start();
});

afterAll(async () => {
  await cluster?.stop();
});

/** Ports of running replicas and masters, as the cluster sees them now. */
async function roles(): Promise<{ masters: number[]; replicas: number[] }> {
  const t = (await cluster.topology()).filter((n) => !n.failed);
  return { masters: t.filter((n) => n.role === 'master').map((n) => n.port), replicas: t.filter((n) => n.role === 'replica').map((n) => n.port) };
}

/** Writes the data set and waits until every running replica serves its share of it. */
async function seedCluster(store: ClusterStore): Promise<void> {
  await store.mset(KEYS.map((k) => [k, valueOf(k)] as const));
  const deadline = Date.now() + 10_000;
  for (const port of (await roles()).replicas) {
    const c = await RespClient.connect(port);
    try {
      await c.call('READONLY');
      for (;;) {
        const replies = await Promise.all(KEYS.map((k) => c.send('GET', k)));
        // MOVED: a key of another shard.
        if (replies.every((r, i) => (r instanceof RespError ? r.message.startsWith('MOVED') : r === valueOf(KEYS[i])))) break;
        if (Date.now() > deadline) throw new Error(`replica ${port} did not receive its keys`);
        await sleep(20);
      }
    } finally {
      c.close();
    }
  }
}

/** Waits until ioredis's slot table of every store lists a replica for every slot. */
async function replicasListed(...stores: ClusterStore[]): Promise<void> {
  const listed = (s: ClusterStore): boolean => {
    const slots = (s.cluster as unknown as { slots: (string[] | undefined)[] }).slots;
    for (let i = 0; i < 16384; i++) if ((slots[i]?.length ?? 0) < 2) return false;
    return true;
  };
  for (const s of stores) {
    await s.get('warm-up');
    await until(() => listed(s), 'replicas in the slot table (CLUSTER SLOTS omits a replica until its offset is non-zero)');
  }
}

describe.skipIf(skip)('scaleReads on Redis Cluster', () => {
  it("'slave': ≥ 60 % of reads on replicas by each node's commandstats (every replica takes some); 'all': masters and replicas share them", async () => {
    const writer = new ClusterStore(cluster.startupNodes);
    const stores = { slave: new ClusterStore(cluster.startupNodes, { scaleReads: 'slave' }), all: new ClusterStore(cluster.startupNodes, { scaleReads: 'all' }) };
    try {
      await seedCluster(writer);
      await replicasListed(...Object.values(stores));
      const { masters, replicas } = await roles();
      for (const [name, store] of Object.entries(stores)) {
        await store.mget(KEYS.slice(0, 50)); // connects every node
        const before = await snapshot([...masters, ...replicas]);
        const load = readLoad(store, KEYS, 4);
        await until(() => load.tally.reads >= 2000, '2000 reads');
        const t = await load.stop();
        const calls = await readCalls([...masters, ...replicas], before);
        const onReplicas = replicas.reduce((a, p) => a + calls.get(p)!, 0);
        const onMasters = masters.reduce((a, p) => a + calls.get(p)!, 0);
        const share = onReplicas / (onReplicas + onMasters);
        console.log(`cluster scaleReads ${name}:`, JSON.stringify({ reads: t.reads, masters: masters.map((p) => calls.get(p)), replicas: replicas.map((p) => calls.get(p)), share }));
        expect(t.errors).toEqual([]);
        expect(t.wrong).toEqual([]);
        for (const p of replicas) expect(calls.get(p)!).toBeGreaterThan(0);
        if (name === 'slave') {
          expect(share).toBeGreaterThanOrEqual(0.6);
          expect(onMasters).toBe(0); // no misses here, and every replica is up
        } else {
          // One replica per master: master and replica take turns.
          expect(share).toBeGreaterThan(0.3);
          expect(share).toBeLessThan(0.7);
        }
      }
      // fromMaster: on masters only.
      const before = await snapshot([...masters, ...replicas]);
      const vals = await stores.slave.mget(KEYS.slice(0, 100), { fromMaster: true });
      expect(vals).toEqual(KEYS.slice(0, 100).map(valueOf));
      const calls = await readCalls(replicas, before);
      for (const p of replicas) expect(calls.get(p)).toBe(0);
    } finally {
      await Promise.all([writer, ...Object.values(stores)].map((s) => s.close()));
    }
  });

  it('kill -9 of a replica under read load: 0 errors, 0 wrong values; it comes back and takes reads again', async () => {
    const writer = new ClusterStore(cluster.startupNodes);
    const store = new ClusterStore(cluster.startupNodes, { scaleReads: 'slave' });
    try {
      await seedCluster(writer);
      const master = await cluster.masterOf(0);
      const [replica] = await cluster.replicasOf(master.id);
      await replicasListed(store);
      const load = readLoad(store, KEYS, 4);
      await sleep(300);
      await cluster.kill9(replica.port);
      const killedAt = Date.now();
      await sleep(2500); // past cluster-node-timeout: the cluster marks it failed
      const reviving = cluster.revive(replica.port);
      await reviving;
      await sleep(1500);
      const t = await load.stop();
      console.log('cluster replica kill:', JSON.stringify({ reads: t.reads, maxLatencyMs: t.maxLatencyMs, readsAfterKill: t.completions.filter((c) => c > killedAt).length }));
      expect(t.errors).toEqual([]);
      expect(t.wrong).toEqual([]);
      expect(t.completions.filter((c) => c > killedAt).length).toBeGreaterThan(0);
      // Back: it serves reads again (once ioredis's slot table lists it).
      await until(async () => {
        const before = await snapshot([replica.port]);
        await store.mget(KEYS.slice(0, 200));
        return (await readCalls([replica.port], before)).get(replica.port)! > 0;
      }, 'the revived replica to take reads');
    } finally {
      await Promise.all([writer, store].map((s) => s.close()));
    }
  });

  it("a live reshard under read load with scaleReads 'slave': 0 errors, 0 wrong values", async () => {
    const writer = new ClusterStore(cluster.startupNodes);
    const store = new ClusterStore(cluster.startupNodes, { scaleReads: 'slave' });
    try {
      await seedCluster(writer);
      const [from, to] = await cluster.masters();
      await replicasListed(store);
      const load = readLoad(store, KEYS, 4);
      await sleep(300);
      const { ms } = await cluster.reshard(from.id, to.id, 1000, 10);
      await sleep(500);
      const t = await load.stop();
      console.log('cluster reshard under replica reads:', JSON.stringify({ reshardMs: ms, reads: t.reads, maxLatencyMs: t.maxLatencyMs, stats: store.stats }));
      expect(t.errors).toEqual([]);
      expect(t.wrong).toEqual([]);
      expect(t.reads).toBeGreaterThan(0);
    } finally {
      await Promise.all([writer, store].map((s) => s.close()));
    }
  });

  it('bad input: unknown policy → TypeError, scaleReads with a passed Cluster → TypeError, each naming the option', () => {
    expect(() => new ClusterStore(cluster.startupNodes, { scaleReads: 'replicas' as never })).toThrow(TypeError);
    expect(() => new ClusterStore(cluster.startupNodes, { scaleReads: 1 as never })).toThrow(/options\.scaleReads/);
    const own = new Cluster(cluster.startupNodes, { lazyConnect: true });
    try {
      expect(() => new ClusterStore(own, { scaleReads: 'slave' })).toThrow(TypeError);
      expect(() => new ClusterStore(own, { scaleReads: 'slave' })).toThrow(/options\.scaleReads/);
    } finally {
      own.disconnect();
    }
  });

  it('bad input: a replica policy on a cluster with no replica rejects reads with a RangeError naming the option; master reads work', async () => {
    const bare = await RedisCluster.start({ masters: 3, replicasPerMaster: 0 });
    const store = new ClusterStore(bare.startupNodes, { scaleReads: 'slave' });
    try {
      await expect(store.get('k')).rejects.toThrow(RangeError);
      await expect(store.mget(['k', 'j'])).rejects.toThrow(/options\.scaleReads 'slave'/);
      await store.set('k', 'v');
      expect(await store.get('k', { fromMaster: true })).toBe('v');
    } finally {
      await store.close();
      await bare.stop();
    }
  });
});
