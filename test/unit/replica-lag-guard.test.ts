/**
 * ReplicaLagGuard (src/cache/replica-lag.ts) on a hand-driven clock: which reads go to the
 * master, for how long, and that memory stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { lagGuardedReads, ReplicaLagGuard } from '../../src/cache/replica-lag';

describe('ReplicaLagGuard', () => {
  it('a key invalidated at t reads from the master until t + lagMs, other keys do not', () => {
    const g = new ReplicaLagGuard(100);
    g.noteKey('a', 1000);
    expect(g.fromMaster('a', 1000)).toBe(true);
    expect(g.fromMaster('a', 1099)).toBe(true);
    expect(g.fromMaster('b', 1050)).toBe(false);
    expect(g.fromMaster(['b', 'c', 'a'], 1050)).toBe(true);
    expect(g.fromMaster('a', 1100)).toBe(false);
    expect(g.masterReads).toBe(3);
  });

  it('a second invalidation extends the window; broad invalidation sends every key to the master', () => {
    const g = new ReplicaLagGuard(100);
    g.noteKey('a', 1000);
    g.noteKey('b', 1020);
    g.noteKey('a', 1050);
    expect(g.fromMaster('b', 1119)).toBe(true);
    expect(g.fromMaster('a', 1120)).toBe(true); // not pruned with b's older window
    expect(g.fromMaster('b', 1120)).toBe(false);
    expect(g.fromMaster('a', 1150)).toBe(false);
    g.noteAll(2000);
    expect(g.fromMaster('anything', 2099)).toBe(true);
    expect(g.fromMaster(['x', 'y'], 2100)).toBe(false);
  });

  it('memory is bounded: past maxKeys every read goes to the master for the window, and the keys are forgotten', () => {
    const g = new ReplicaLagGuard(100, 10);
    for (let i = 0; i < 10; i++) g.noteKey(`k${i}`, 1000);
    expect(g.fromMaster('other', 1000)).toBe(false);
    g.noteKey('k10', 1000);
    expect(g.fromMaster('other', 1050)).toBe(true);
    expect(g.fromMaster('k3', 1100)).toBe(false);
  });

  it('lagGuardedReads: only for a store that reads from replicas, and only with a positive lag', () => {
    const calls: unknown[] = [];
    const store = (scaleReads: unknown) => ({
      scaleReads,
      getBuffer: async (k: string, o?: { fromMaster?: boolean }) => (calls.push([k, o?.fromMaster === true]), null),
      mgetBuffer: async (ks: readonly string[], o?: { fromMaster?: boolean }) => (calls.push([ks, o?.fromMaster === true]), ks.map(() => null)),
    });
    expect(lagGuardedReads(store('master'), 100, () => 0)).toBeUndefined();
    expect(lagGuardedReads(store(undefined), 100, () => 0)).toBeUndefined();
    expect(lagGuardedReads(store('slave'), 0, () => 0)).toBeUndefined();
    const t = { now: 1000 };
    const r = lagGuardedReads(store('all'), 100, () => t.now)!;
    r.guard.noteKey('a', 1000);
    void r.getBuffer('a');
    void r.getBuffer('b');
    void r.mgetBuffer(['b', 'a']);
    t.now = 1100;
    void r.getBuffer('a');
    expect(calls).toEqual([['a', true], ['b', false], [['b', 'a'], true], ['a', false]]);
  });
});
