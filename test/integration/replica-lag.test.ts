/**
 * Hole (c) on real servers: a TieredCache whose L2 reads from a LAGGING replica.
 *
 * Setup (started here on free loopback ports, stopped by PID): a Sentinel-managed master with
 * one replica that replicates through a TCP proxy delaying the master→replica stream by 300 ms
 * (test/helpers/delay-proxy.ts), and 3 sentinels. Writer A reads and writes the master; reader
 * B reads from the replica (`scaleReads: 'slave'`); both share the invalidation bus.
 *
 * Each round: B has the old value of a fresh key in L1; B reads the key in a loop; A writes
 * the new value (master, then the bus message, which reaches B ~300 ms before the replica has
 * the write). Once the replica serves the new value (checked on the replica itself — no clock
 * bound), every read B starts must return the new value.
 *
 * - `replicaLagMs: 0` (the guard off): B reads the old value from the replica right after the
 *   invalidation, keeps it in L1, and serves it long after the replica caught up — the hole,
 *   reproduced (asserted, so this test fails if the setup stops producing the lag).
 * - default `replicaLagMs` (1000 ms > the 300 ms lag): 0 reads of the old value after the
 *   replica caught up, over every round; the invalidated key's reads went to the master.
 *
 * Default (hybrid) project only: timing-driven, nothing engine-dependent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TieredCache } from '../../src/cache/tiered-cache';
import { RedisStore } from '../../src/stores/redis-store';
import { commandCalls } from '../helpers/command-stats';
import { notDefaultProject } from '../helpers/project';
import { until } from '../helpers/read-load';
import { RedisSentinel } from '../helpers/redis-sentinel';
import { redisCall, sleep } from '../helpers/redis-server';

const skip = notDefaultProject;
const LAG_MS = 300;
const ROUNDS = 10;
let setup: RedisSentinel;

beforeAll(async () => {
  if (skip) return;
  setup = await RedisSentinel.start({ replicas: 1, replicaDelayMs: LAG_MS });
});

afterAll(async () => {
  await setup?.stop();
});

/**
 * The raw L2 bytes of `key` on the master and on the replica agree (the replica caught up).
 * GETRANGE, not GET: the master's GET count is the reader's master reads.
 */
async function caughtUp(master: number, replica: number, key: string): Promise<boolean> {
  const [m, r] = await Promise.all([redisCall(master, 'GETRANGE', key, 0, -1), redisCall(replica, 'GETRANGE', key, 0, -1)]);
  return m !== '' && m === r;
}

interface RoundResult {
  /** Reads started after the replica caught up that returned the old value. */
  staleAfterCatchUp: number;
  /** Reads that returned the old value at all after the write (allowed before catch-up). */
  staleBeforeCatchUp: number;
  readsAfterCatchUp: number;
}

/** Runs the rounds with reader options `replicaLagMs`; one fresh key per round. */
async function rounds(replicaLagMs: number | undefined, tag: string): Promise<{ results: RoundResult[]; masterGetsOfB: number }> {
  const node = { sentinels: setup.endpoints, name: setup.name };
  const master = await setup.masterPort();
  const replica = setup.data.find((d) => d.port !== master)!.port;
  const writerStore = new RedisStore(node);
  const readerStore = new RedisStore(node, { scaleReads: 'slave' });
  const a = new TieredCache<string>({ l2: writerStore, bus: true, prefix: 'lag:', name: 'writer' });
  const b = new TieredCache<string>({ l2: readerStore, bus: true, prefix: 'lag:', name: 'reader', replicaLagMs, l1: { ttlMs: 600_000 } });
  const results: RoundResult[] = [];
  let masterGetsOfB = 0;
  try {
    await Promise.all([a.ready(), b.ready()]);
    for (let r = 0; r < ROUNDS; r++) {
      const key = `${tag}:${r}`;
      await a.set(key, 'old');
      await until(() => caughtUp(master, replica, `lag:${key}`), 'the replica to have the old value');
      // B's L1 takes the old value from the replica (no recent invalidation in B: the window,
      // if any, started with A's write, which B saw over the bus; let it pass).
      await sleep((replicaLagMs ?? 1000) + 50);
      expect(await b.get(key)).toBe('old');
      const reads: { start: number; value: string | undefined }[] = [];
      let running = true;
      const loop = (async () => {
        while (running) {
          const start = Date.now();
          reads.push({ start, value: await b.get(key) });
          await sleep(2);
        }
      })();
      const before = await commandCalls(master);
      await a.set(key, 'new');
      await until(() => caughtUp(master, replica, `lag:${key}`), 'the replica to catch up');
      const caughtUpAt = Date.now();
      await sleep(100);
      running = false;
      await loop;
      reads.push({ start: Date.now(), value: await b.get(key) });
      // A's own traffic on the master is SET + PUBLISH; GETs there are B's (A reads nothing).
      masterGetsOfB += ((await commandCalls(master)).get ?? 0) - (before.get ?? 0);
      const after = reads.filter((x) => x.start > caughtUpAt);
      results.push({
        staleAfterCatchUp: after.filter((x) => x.value === 'old').length,
        staleBeforeCatchUp: reads.filter((x) => x.start <= caughtUpAt && x.value === 'old').length,
        readsAfterCatchUp: after.length,
      });
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
    await Promise.all([writerStore.close(), readerStore.close()]);
  }
  return { results, masterGetsOfB };
}

describe.skipIf(skip)('hole (c): a lagging replica under a TieredCache', () => {
  it('without the guard (replicaLagMs: 0): the old value read from the lagging replica stays in L1 after the replica caught up', async () => {
    const { results, masterGetsOfB } = await rounds(0, 'off');
    const stale = results.reduce((n, r) => n + r.staleAfterCatchUp, 0);
    console.log('hole (c), guard off:', JSON.stringify({ roundsWithStaleL1: results.filter((r) => r.staleAfterCatchUp > 0).length, stale, masterGetsOfB }));
    expect(masterGetsOfB).toBe(0); // every read of B on the replica
    // The hole: most rounds keep the old value (a round can miss it if B's read after the
    // invalidation happens to be issued after the replica caught up).
    expect(results.filter((r) => r.staleAfterCatchUp > 0).length).toBeGreaterThanOrEqual(ROUNDS / 2);
  });

  it('with the default guard (replicaLagMs 1000 > 300 ms lag): 0 reads of the old value once the replica caught up, over every round', async () => {
    const { results, masterGetsOfB } = await rounds(undefined, 'on');
    console.log('hole (c), guard on:', JSON.stringify({ results, masterGetsOfB }));
    for (const r of results) {
      expect(r.staleAfterCatchUp).toBe(0);
      expect(r.readsAfterCatchUp).toBeGreaterThan(0);
    }
    // The invalidated key's reads went to the master while the replica lagged.
    expect(masterGetsOfB).toBeGreaterThan(0);
  });
});
