/**
 * Least privilege: a Redis ACL user limited to its prefix's keys and channels (`~app:* &app:*`,
 * nothing else) runs every TieredCache feature with `prefix: 'app:'` — get/set, batches, the bus,
 * the lease lock, tags, namespaces and `clear` — on a standalone server and on a Cluster, with no
 * L2 error. A channel outside what the user may use rejects `ready()` with an error naming the
 * channel and the ACL rule that is missing (it used to neither resolve nor reject).
 */
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TieredCache } from '../../src/cache/tiered-cache';
import type { TieredCacheOptions } from '../../src/cache/options';
import { afterBusMessage } from '../helpers/chaos-store';
import { RedisCluster } from '../helpers/redis-cluster';
import { notDefaultProject } from '../helpers/project';
import { HOST, RedisServer, redisCall } from '../helpers/redis-server';

const run = notDefaultProject ? describe.skip : describe;

const USER = ['ACL', 'SETUSER', 'app', 'reset', 'on', '>app-secret', '~app:*', '&app:*', '+@all'] as const;
const auth = { username: 'app', password: 'app-secret' };

let server: RedisServer;
let cluster: RedisCluster;

type Make = () => Redis | Cluster;
const topologies: [string, Make][] = [
  ['standalone', () => new Redis({ host: HOST, port: server.port, ...auth })],
  ['cluster', () => new Cluster([{ host: HOST, port: cluster.nodes[0]!.port }], { redisOptions: auth })],
];

/** Two caches as the ACL user, and every L2 error either saw. */
async function pairAs(make: Make, opts: TieredCacheOptions = {}) {
  const clients = [make(), make()];
  for (const c of clients) c.on('error', () => {});
  const errors: unknown[] = [];
  const caches = clients.map((l2) => {
    const c = new TieredCache({ l2, prefix: 'app:', bus: true, lock: true, ...opts });
    c.on('l2:error', (e) => errors.push(e));
    return c;
  });
  const close = async () => {
    await Promise.all(caches.map((c) => c.close()));
    for (const c of clients) c.disconnect();
  };
  return { a: caches[0]!, b: caches[1]!, errors, close };
}

run('a Redis ACL user limited to ~app:* &app:*', () => {
  beforeAll(async () => {
    [server, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start({ masters: 3, replicasPerMaster: 0 })]);
    await redisCall(server.port, ...USER);
    for (const n of cluster.nodes) await redisCall(n.port, ...USER);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });

  for (const [name, make] of topologies) {
    it(`${name}: every feature works under the prefix alone`, async () => {
      const { a, b, errors, close } = await pairAs(make);
      try {
        await Promise.all([a.ready(), b.ready()]);
        expect(a.busConnected && b.busConnected).toBe(true);
        // get/set and the bus
        await a.set('k', 1, { tags: ['t1'] });
        expect(await b.get('k')).toBe(1);
        await afterBusMessage(b, () => a.set('k', 2, { tags: ['t1'] }));
        expect(await b.get('k')).toBe(2);
        // batches
        await a.setMany([
          ['m1', 'x'],
          ['m2', 'y'],
        ]);
        expect(await b.getMany(['m1', 'm2', 'none'])).toEqual(['x', 'y', undefined]);
        // the lease lock: two instances, one load
        let loads = 0;
        const loader = async () => {
          loads++;
          await new Promise((r) => setTimeout(r, 50));
          return 'loaded';
        };
        expect(await Promise.all([a.getOrSet('lk', loader), b.getOrSet('lk', loader)])).toEqual(['loaded', 'loaded']);
        expect(loads).toBe(1);
        expect(await a.getOrSetMany(['g1', 'g2'], async (ks) => ks.map((k) => `v-${k}`))).toEqual(['v-g1', 'v-g2']);
        // tags (other bus messages may still be in flight here: wait for the effect itself)
        await a.deleteByTag('t1');
        await vi.waitFor(async () => expect(await b.get('k')).toBeUndefined());
        // namespaces and clear
        const ua = a.namespace('users');
        const ub = b.namespace('users');
        await ua.set('42', { n: 'Ada' });
        expect(await ub.get('42')).toEqual({ n: 'Ada' });
        await ua.clear();
        await vi.waitFor(async () => expect(await ub.get('42')).toBeUndefined());
        await a.clear();
        await vi.waitFor(async () => expect(await b.get('m1')).toBeUndefined());
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it(`${name}: a bus channel the user may not use rejects ready(), naming the channel and the rule`, async () => {
      const { a, close } = await pairAs(make, { bus: { channel: 'ringcache:bus:app:' } });
      try {
        const err = (await a.ready().then(
          () => undefined,
          (e: unknown) => e,
        )) as Error;
        expect(err).toBeInstanceOf(Error);
        expect(err.message).toContain('ringcache:bus:app:');
        expect(err.message).toContain('&ringcache:bus:app:');
        expect(err.message).toMatch(/NOPERM/);
        expect(a.busConnected).toBe(false);
      } finally {
        await close();
      }
    });
  }
});
