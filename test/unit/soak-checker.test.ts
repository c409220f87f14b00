/**
 * The soak's history checker on hand-built histories: each rule has a history that must fail it
 * and a near twin that must pass, so the checker cannot pass everything (or fail everything).
 */
import { describe, expect, it } from 'vitest';
import { checkHistory, describeViolation, type CheckBounds } from '../soak/checker';
import type { FaultRecord, HistoryRecord, OpKind, OpRecord } from '../soak/history';
import { slope, slopePerMinute } from '../soak/samples';

const bounds: CheckBounds = {
  perState: { calm: 100, kill9: 100, 'pubsub-kill': 300, reshard: 100, sigstop: 2100, 'slow-link': 600, 'data-loss': 100 },
  failSafeMs: 5000,
};

const w = (p: string, key: string, wrote: number | undefined, start: number, end: number, ok = true, op: OpKind = 'write-set'): OpRecord => ({
  t: 'op',
  p,
  op,
  keys: [key],
  start,
  end,
  wrote,
  ok,
  ...(ok ? {} : { err: 'CacheWriteError: L2 write failed' }),
});
const r = (p: string, key: string, got: number | null, start: number, end: number, op: OpKind = 'getOrSet', staleServed?: string[]): OpRecord => ({
  t: 'op',
  p,
  op,
  keys: [key],
  start,
  end,
  got: [got],
  ok: true,
  ...(staleServed ? { staleServed } : {}),
});
const fault = (state: FaultRecord['state'], start: number, end: number): FaultRecord => ({ t: 'fault', state, what: state, start, end });

function check(h: HistoryRecord[]) {
  return checkHistory(h, bounds);
}

describe('soak checker', () => {
  it('passes a fresh history and counts everything', () => {
    const rep = check([w('w0', 'a', 1, 0, 10), r('w1', 'a', 0, 5, 8), r('w1', 'a', 1, 20, 25), r('w2', 'a', 1, 500, 501, 'get'), w('w0', 'a', 2, 600, 610, false)]);
    expect(rep.violations).toEqual([]);
    expect(rep).toMatchObject({ ops: 5, reads: 3, writes: 2, acknowledged: 1, versionsChecked: 3, staleServed: 0 });
    expect(rep.callerErrors).toEqual({ 'write-set: CacheWriteError: L2 write failed': 1 });
    expect(rep.staleReads.calm).toBe(0);
  });

  it('fails a stale read past the calm bound, with an excerpt, and passes the same read inside it', () => {
    const h = [w('w0', 'a', 1, 0, 10), w('w0', 'a', 2, 20, 30), r('w1', 'a', 1, 200, 205)];
    const rep = check(h);
    expect(rep.violations).toHaveLength(1);
    const v = rep.violations[0];
    expect(v).toMatchObject({ kind: 'stale', key: 'a', got: 1, stalenessMs: 170, boundMs: 100, state: 'calm' });
    expect(v.newer!.wrote).toBe(2);
    expect(v.excerpt).toHaveLength(3);
    expect(describeViolation(v, 0)[0]).toBe('stale: w1 read a = v1 170 ms after v2 was acknowledged (bound 100 ms, state calm)');
    expect(rep.maxStalenessMs.calm).toBe(170);
    expect(rep.staleReads.calm).toBe(1);

    const ok = check([w('w0', 'a', 1, 0, 10), w('w0', 'a', 2, 20, 30), r('w1', 'a', 1, 120, 125)]);
    expect(ok.violations).toEqual([]);
    expect(ok.maxStalenessMs.calm).toBe(90);
  });

  it('a read that started before the write ended, or a write that failed, never makes a read stale', () => {
    expect(check([w('w0', 'a', 1, 0, 1000), r('w1', 'a', 0, 999, 2000)]).violations).toEqual([]);
    expect(check([w('w0', 'a', 1, 0, 10, false), r('w1', 'a', 0, 5000, 5001)]).violations).toEqual([]);
  });

  it('uses the bound of a fault overlapping the window, and only then', () => {
    const h = (f: FaultRecord) => [f, w('w0', 'a', 1, 0, 10), r('w1', 'a', 0, 1000, 1001)];
    const inStop = check(h(fault('sigstop', 500, 2500)));
    expect(inStop.violations).toEqual([]);
    expect(inStop.maxStalenessMs.sigstop).toBe(990);
    const after = check(h(fault('sigstop', 1500, 3500)));
    expect(after.violations).toHaveLength(1);
    expect(after.violations[0]).toMatchObject({ state: 'calm', boundMs: 100 });
    expect(after.violations[0].excerpt.some((x) => x.t === 'fault')).toBe(false);
  });

  it('fail-safe: a stale:served read may be older within ttl + grace, not beyond', () => {
    const h = (at: number, served: boolean) => [w('w0', 'a', 1, 0, 10), r('w1', 'a', 0, at, at + 1, 'getOrSet', served ? ['a'] : undefined)];
    expect(check(h(4000, true)).violations).toEqual([]);
    expect(check(h(4000, true)).staleServed).toBe(1);
    expect(check(h(4000, false)).violations).toHaveLength(1);
    expect(check(h(6000, true)).violations).toHaveLength(1);
  });

  it('fails a version never written, and one written only after the read ended', () => {
    const never = check([w('w0', 'a', 1, 0, 10), r('w1', 'a', 7, 20, 30)]);
    expect(never.violations.map((v) => v.kind)).toEqual(['never-written']);
    const future = check([r('w1', 'a', 1, 0, 5), w('w0', 'a', 1, 10, 20)]);
    expect(future.violations.map((v) => v.kind)).toEqual(['future-version']);
    // A version whose INCR reply was lost (wrote undefined) may be read, if that write began first.
    expect(check([w('w0', 'a', undefined, 0, 10, false), r('w1', 'a', 1, 20, 30)]).violations).toEqual([]);
    expect(check([r('w1', 'a', 1, 0, 5), w('w0', 'a', undefined, 10, 20, false)]).violations.map((v) => v.kind)).toEqual(['never-written']);
  });

  it('a read with a loader must not fail or miss; a plain get may', () => {
    const failed: OpRecord = { t: 'op', p: 'w1', op: 'getOrSetMany', keys: ['a', 'b'], start: 0, end: 1, ok: false, err: 'ClusterUnavailableError: x' };
    const rep = check([failed, r('w1', 'a', null, 2, 3), r('w1', 'b', null, 4, 5, 'get'), { ...failed, op: 'getMany', start: 6, end: 7 }]);
    expect(rep.violations.map((v) => v.kind)).toEqual(['read-failed', 'missing']);
    expect(rep.callerErrors).toEqual({ 'getOrSetMany: ClusterUnavailableError: x': 1, 'getMany: ClusterUnavailableError: x': 1 });
    // Errors are counted by class: keys, numbers and addresses do not split them.
    const e = (key: string, port: number): OpRecord => ({ ...w('w0', key, 1, 0, 1, false), err: `CacheWriteError: set failed for key '${key}' at 127.0.0.1:${port} after 1000 ms` });
    expect(check([e('a', 7000), e('b', 7001)]).callerErrors).toEqual({ "write-set: CacheWriteError: set failed for key '…' at N after N ms": 2 });
  });

  it('checks every key of a multi-key read', () => {
    const many: OpRecord = { t: 'op', p: 'w1', op: 'getMany', keys: ['a', 'b'], start: 500, end: 501, got: [1, 0], ok: true };
    const rep = check([w('w0', 'a', 1, 0, 10), w('w0', 'b', 1, 0, 10), many]);
    expect(rep.violations.map((v) => `${v.kind} ${v.key}`)).toEqual(['stale b']);
    expect(rep.versionsChecked).toBe(2);
  });
});

describe('soak resource slopes', () => {
  it('least-squares slope per minute: exact on a line, 0 on a flat or single series', () => {
    const ts = [0, 1000, 2000, 3000];
    expect(slopePerMinute(ts, [10, 12, 14, 16])).toBeCloseTo(120, 9);
    expect(slopePerMinute(ts, [5, 5, 5, 5])).toBe(0);
    expect(slopePerMinute([7], [1])).toBe(0);
    expect(slope([1, 2, 3], [3, 1, -1])).toBeCloseTo(-2, 12);
  });
});
