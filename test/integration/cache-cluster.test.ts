/**
 * TieredCache on a real Redis Cluster (3 masters, no replicas, started here on free ports and
 * stopped by PID): an ioredis `Cluster` and a ClusterStore as L2, keys across slots, namespace
 * markers and tags, the bus over sharded pub/sub (SPUBLISH/SSUBSCRIBE on the channel's shard)
 * including a killed subscription, and the lease lock.
 */
import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TieredCache } from '../../src/cache/tiered-cache';
import type { TieredCacheOptions } from '../../src/cache/options';
import { ClusterStore } from '../../src/stores/cluster-store';
import { keySlot } from '../../src/cluster/key-slot';
import { RedisCluster } from '../helpers/redis-cluster';
import { afterBusMessage, killSubscriptions } from '../helpers/chaos-store';
import { redisCall, sleep } from '../helpers/redis-server';

let cluster: RedisCluster;
const clients: Cluster[] = [];
const caches: TieredCache[] = [];

function client(): Cluster {
  const c = new Cluster(cluster.startupNodes, { enableAutoPipelining: true });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

function cache(opts: TieredCacheOptions = {}): TieredCache {
  const c = new TieredCache({ l2: client(), ...opts });
  caches.push(c);
  return c;
}

const settled = afterBusMessage;

beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0 });
});

afterEach(async () => {
  for (const c of caches.splice(0)) await c.close();
  for (const c of clients.splice(0)) c.disconnect();
  await cluster.flushAll();
});

afterAll(async () => {
  await cluster?.stop();
});

describe('TieredCache on a Redis Cluster', () => {
  it('an ioredis Cluster and a ClusterStore as L2: keys across slots, batches, namespaces, tags', async () => {
    const a = cache({ markerCacheMs: 0 });
    const b = new TieredCache({ l2: new ClusterStore(client()), l1: false, markerCacheMs: 0 });
    caches.push(b);
    const keys = Array.from({ length: 50 }, (_, i) => `user:${i}`);
    expect(new Set(keys.map((k) => keySlot(k))).size).toBe(50);
    await a.setMany(keys.map((k, i) => [k, { i }]));
    expect(await b.getMany(keys)).toEqual(keys.map((_, i) => ({ i })));
    // Concurrent get()s on the cluster, coalesced into one batch read across slots and masters.
    const c = new TieredCache({ l2: client(), l1: false, batchGets: 64 }); // opt-in on a cluster
    caches.push(c);
    await c.getMany(['warm']);
    expect(await Promise.all(keys.map((k) => c.get(k)))).toEqual(keys.map((_, i) => ({ i })));
    expect(c.stats().l2).toMatchObject({ hits: 50, errors: 0 });
    expect(await b.getOrSetMany([...keys.slice(0, 3), 'new:1'], async (missing) => missing.map(() => 'loaded'))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, 'loaded']);
    await a.namespace('ns').set('x', 1);
    await a.set('t', 2, { tags: ['tg'] });
    expect(await b.namespace('ns').get('x')).toBe(1);
    await b.clear('ns');
    await b.deleteByTag('tg');
    expect(await b.namespace('ns').get('x')).toBeUndefined();
    expect(await b.get('t')).toBeUndefined();
    await a.deleteMany(keys);
    expect((await b.getMany(keys)).every((v) => v === undefined)).toBe(true);
  });

  it('bus over sharded pub/sub: invalidations reach B; a killed subscription flushes and recovers', async () => {
    const a = cache({ bus: true });
    const b = cache({ bus: true });
    await Promise.all([a.ready(), b.ready()]);
    // Both subscribers are sharded subscribers on the shard owning the channel's slot.
    const owner = await cluster.masterOf(keySlot('__rc:bus'));
    expect(await redisCall(owner.port, 'PUBSUB', 'SHARDNUMSUB', '__rc:bus')).toEqual(['__rc:bus', 2]);
    await settled(b, () => a.set('k', 'v1'));
    expect(await b.get('k')).toBe('v1');
    expect(b.peek('k')).toBe('v1');
    await a.set('k', 'v2');
    await vi.waitFor(() => expect(b.peek('k')).toBeUndefined());
    expect(await b.get('k')).toBe('v2');

    // Kill every pub/sub connection on the channel's shard, then write during the reconnect.
    const { killed, lost, restored } = await killSubscriptions(owner.port, b);
    expect(killed).toBeGreaterThanOrEqual(2);
    await a.set('k', 'v3');
    await lost;
    expect(await b.get('k')).toBe('v3');
    await restored;
    expect(await b.get('k')).toBe('v3');
    expect(b.peek('k')).toBe('v3');
    await settled(b, () => a.set('k', 'v4'));
    expect(await b.get('k')).toBe('v4');
  });

  it('the lease lock works on a Cluster: 2 instances × 20 callers, one load', async () => {
    const a = cache({ lock: true });
    const b = cache({ lock: true });
    let calls = 0;
    const loader = async () => {
      calls++;
      await sleep(80);
      return 'once';
    };
    const all = await Promise.all([a, b].flatMap((c) => Array.from({ length: 20 }, () => c.getOrSet('{hot}key', loader))));
    expect(calls).toBe(1);
    expect(new Set(all)).toEqual(new Set(['once']));
  });
});
