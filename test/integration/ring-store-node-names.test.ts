/**
 * A RingStore node whose id is `'__proto__'` is a node (the CLI's item 4 of issue 20, in the
 * store): the ring spec is built with own properties, so the id is not taken for the spec
 * object's prototype. Two real redis-servers on free loopback ports, stopped by PID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashRing } from '../../src/ring/hash-ring';
import { RingStore } from '../../src/routing/ring-store';
import { RedisServer, redisCall } from '../helpers/redis-server';

let servers: RedisServer[] = [];

beforeAll(async () => {
  servers = await Promise.all([0, 1].map(() => RedisServer.start()));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe("RingStore node ids such as '__proto__'", () => {
  it('place keys on that node and store them there', async () => {
    const ids = ['__proto__', 'constructor'];
    const store = new RingStore(servers.map((s, i) => ({ node: `127.0.0.1:${s.port}`, id: ids[i] })));
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
      const ring = new HashRing(ids);
      expect(keys.map((k) => store.nodeFor(k))).toEqual(keys.map((k) => ring.get(k)));
      await store.mset(keys.map((k) => [k, 'v']));
      const onProto = keys.filter((k) => ring.get(k) === '__proto__');
      expect(onProto.length).toBeGreaterThan(50);
      expect(Number(await redisCall(servers[0].port, 'DBSIZE'))).toBe(onProto.length);
      expect(Number(await redisCall(servers[1].port, 'DBSIZE'))).toBe(keys.length - onProto.length);
    } finally {
      await store.close();
    }
  });
});
