/**
 * ClusterStore `replicaAck` (Redis WAIT) on a real 3 + 3 cluster: with it, a write resolves only
 * once a replica holds it, and rejects when no replica can acknowledge (the replica killed),
 * where the same write without the option resolves — the write a failover would lose. Found by
 * the soak (issue 14): without it, a value or deletion acknowledged by a master that died before
 * replicating came back after the failover with no invalidation to follow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../../src/stores/cluster-store';
import { keySlot } from '../../src/cluster/key-slot';
import { ClusterUnavailableError } from '../../src/errors';
import { RedisCluster } from '../helpers/redis-cluster';
import { RespClient } from '../helpers/redis-server';
import { notDefaultProject } from '../helpers/project';

let cluster: RedisCluster;
/** WAIT up to 5 s: writes a live replica must acknowledge (room for a loaded CI machine). */
let acked: ClusterStore;
/** WAIT up to 300 ms: writes no replica can acknowledge, rejected quickly. */
let short: ClusterStore;
let plain: ClusterStore;

/** The value of `key` on the replica of its master, read there (READONLY). */
async function onReplica(key: string): Promise<unknown> {
  const master = await cluster.masterOf(keySlot(key));
  const [replica] = await cluster.replicasOf(master.id);
  const c = await RespClient.connect(replica.port);
  try {
    await c.call('READONLY');
    return await c.call('GET', key);
  } finally {
    c.close();
  }
}

describe.skipIf(notDefaultProject)('ClusterStore replicaAck', () => {
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    acked = new ClusterStore(cluster.startupNodes, { replicaAck: { replicas: 1, timeoutMs: 5000 }, retryTimeoutMs: 3000 });
    short = new ClusterStore(cluster.startupNodes, { replicaAck: { replicas: 1, timeoutMs: 300 }, retryTimeoutMs: 3000 });
    plain = new ClusterStore(cluster.startupNodes, { retryTimeoutMs: 3000 });
  });

  afterAll(async () => {
    await acked?.close();
    await short?.close();
    await plain?.close();
    await cluster?.stop();
  });

  it('every write resolves only once a replica has it; each sends WAITs (counted)', async () => {
    const before = acked.stats.replicaWaits;
    await acked.set('ra:1', 'one');
    expect(await onReplica('ra:1')).toBe('one');
    expect(acked.stats.replicaWaits).toBe(before + 1);
    // Keys over many slots and all three masters: per master one script (+ WAIT) or per slot.
    const keys = Array.from({ length: 30 }, (_, i) => `ra:m${i}`);
    await acked.mset(keys.map((k) => [k, `v-${k}`]));
    for (const k of keys) expect(await onReplica(k)).toBe(`v-${k}`);
    const afterMset = acked.stats.replicaWaits;
    expect(afterMset).toBeGreaterThanOrEqual(before + 1 + 3);
    expect(await acked.mdel(keys)).toBe(30);
    for (const k of keys) expect(await onReplica(k)).toBeNull();
    expect(acked.stats.replicaWaits).toBeGreaterThanOrEqual(afterMset + 3);
    expect(await acked.del('ra:1')).toBe(1);
    expect(await onReplica('ra:1')).toBeNull();
    // Reads never wait.
    const w = acked.stats.replicaWaits;
    expect(await acked.get('ra:1')).toBeNull();
    expect(await acked.mget(keys)).toEqual(keys.map(() => null));
    expect(acked.stats.replicaWaits).toBe(w);
  });

  it('rejects a write no replica can acknowledge; without the option the same write resolves', async () => {
    const key = 'ra:lonely';
    const master = await cluster.masterOf(keySlot(key));
    const [replica] = await cluster.replicasOf(master.id);
    await cluster.kill9(replica.port);
    try {
      await expect(plain.set(key, 'unreplicated')).resolves.toBeUndefined();
      const err = await short.set(key, 'x').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClusterUnavailableError);
      expect((err as Error).message).toMatch(/SET was not acknowledged by 1 replica\(s\) of .* within 300 ms: 0 acknowledged/);
      await expect(short.del(key)).rejects.toThrow(/DEL was not acknowledged/);
      await expect(short.mset([[key, 'y']])).rejects.toBeInstanceOf(ClusterUnavailableError);
    } finally {
      await cluster.revive(replica.port);
    }
    await expect(acked.set(key, 'back')).resolves.toBeUndefined();
    expect(await onReplica(key)).toBe('back');
  });

  it('validates the option', () => {
    expect(() => new ClusterStore(cluster.startupNodes, { replicaAck: 1 as never })).toThrow(TypeError);
    expect(() => new ClusterStore(cluster.startupNodes, { replicaAck: { replicas: 0 } })).toThrow(/options\.replicaAck\.replicas/);
    expect(() => new ClusterStore(cluster.startupNodes, { replicaAck: { timeoutMs: 0 } })).toThrow(/options\.replicaAck\.timeoutMs/);
  });
});
