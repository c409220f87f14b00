/**
 * RingStore per-node `replicaAck` (Redis WAIT) on real servers: a master with one replica
 * (`--replicaof`) and a plain node. Writes to the master resolve only once the replica holds them,
 * and reject with NodeUnavailableError once the replica is gone — without marking the node down —
 * while the same write through a store without the option resolves. The plain node never waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeUnavailableError } from '../../src/errors';
import { RingStore } from '../../src/stores/ring-store';
import { RedisServer, redisCall, redisInfo, sleep } from '../helpers/redis-server';
import { notDefaultProject } from '../helpers/project';

describe.skipIf(notDefaultProject)('RingStore replicaAck', () => {
  let master: RedisServer;
  let replica: RedisServer;
  /** WAIT up to 5 s: writes the live replica must acknowledge (room for a loaded CI machine). */
  let acked: RingStore;
  /** WAIT up to 300 ms: writes no replica can acknowledge, rejected quickly. */
  let short: RingStore;
  let plain: RingStore;

  beforeAll(async () => {
    master = await RedisServer.start();
    replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    // Synced on both sides: WAIT counts a replica only once its master lists it as online.
    for (let i = 0; ; i++) {
      const linked = (await redisInfo(replica.port, 'replication')).get('master_link_status') === 'up';
      if (linked && (await redisInfo(master.port, 'replication')).get('slave0')?.includes('state=online')) break;
      if (i > 200) throw new Error('the replica did not sync');
      await sleep(50);
    }
    acked = new RingStore([{ node: `127.0.0.1:${master.port}`, replicaAck: { replicas: 1, timeoutMs: 5000 } }]);
    short = new RingStore([{ node: `127.0.0.1:${master.port}`, replicaAck: { replicas: 1, timeoutMs: 300 } }]);
    plain = new RingStore([`127.0.0.1:${master.port}`]);
  });

  afterAll(async () => {
    await acked?.close();
    await short?.close();
    await plain?.close();
    await replica?.stop();
    await master?.stop();
  });

  it('a write resolves once the replica holds it (set, mset, del, mdel)', async () => {
    await acked.set('k1', 'v1');
    expect(await redisCall(replica.port, 'GET', 'k1')).toBe('v1');
    await acked.mset([['k2', 'v2'], ['k3', 'v3']]);
    expect(await redisCall(replica.port, 'MGET', 'k2', 'k3')).toEqual(['v2', 'v3']);
    expect(await acked.del('k1')).toBe(1);
    expect(await redisCall(replica.port, 'EXISTS', 'k1')).toBe(0);
    expect(await acked.mdel(['k2', 'k3'])).toBe(2);
    expect(await redisCall(replica.port, 'EXISTS', 'k2', 'k3')).toBe(0);
  });

  it('rejects a write no replica can acknowledge, without marking the node down; the plain store resolves', async () => {
    await replica.kill9();
    try {
      await expect(plain.set('lonely', 'x')).resolves.toBeUndefined();
      const err = await short.set('lonely', 'y').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NodeUnavailableError);
      expect((err as Error).message).toMatch(/^SET was not acknowledged by 1 replica\(s\) of 127\.0\.0\.1:\d+ within 300 ms: 0 acknowledged$/);
      await expect(short.mset([['a', '1'], ['b', '2']])).rejects.toThrow(/^MSET was not acknowledged/);
      await expect(short.mdel(['a', 'b'])).rejects.toThrow(/^DEL was not acknowledged/);
      expect(short.nodes.map((n) => [n.state, n.failures])).toEqual([['up', 0]]);
      // Reads never wait.
      expect(await short.get('lonely')).toBe('y');
    } finally {
      await replica.restart();
    }
  });

  it('validates the option, naming it', () => {
    expect(() => new RingStore([{ node: '127.0.0.1:1', replicaAck: 'yes' as never }])).toThrow(/nodes\[0\]\.replicaAck/);
    expect(() => new RingStore([{ node: '127.0.0.1:1', replicaAck: { replicas: 0 } }])).toThrow(/nodes\[0\]\.replicaAck\.replicas/);
  });
});
