/**
 * The soak's history checker: a pure function of the logged history (no clock, no I/O), so it
 * can be tested on hand-built histories and re-run on a saved log.
 *
 * Rules (README "Soak"):
 * - Bounded staleness. A write is acknowledged when its call resolved (the database `INCR` and
 *   the cache's set/delete/deleteByTag/clear). A read of key k that starts more than B ms after
 *   an acknowledged write of version v of k has ended must return a version ≥ v. B depends on
 *   the fault state: the largest bound of every fault overlapping [write start, read start]
 *   (`calm` when none). A read during which the cache emitted `stale:served` for k (fail-safe)
 *   may be older for up to `failSafeMs` (the value's TTL + grace: every copy made before the
 *   newer write expires by then).
 * - Nothing lost. A version read must have been written (0, or a version an `INCR` returned)
 *   by a write that began before the read ended. A read with a loader (`getOrSet…`) never fails
 *   and never misses: the database of record always answers.
 * - Reported, not judged: errors callers saw (writes may fail while L2 is down, plain reads
 *   without a loader too), and the largest staleness seen in each fault state.
 */
import { FAULT_STATES, hasLoader, isRead, type FaultRecord, type FaultState, type HistoryRecord, type OpRecord } from './history';

export interface CheckBounds {
  /** B per fault state, in ms (see the README's table for how each is derived). */
  perState: Readonly<Record<FaultState, number>>;
  /** How much older a read flagged `stale:served` may be: ttlMs + graceMs. */
  failSafeMs: number;
}

export type ViolationKind = 'stale' | 'never-written' | 'future-version' | 'read-failed' | 'missing';

export interface CheckViolation {
  kind: ViolationKind;
  key: string;
  /** The read that broke the rule. */
  read: OpRecord;
  /** The version it returned (null: a miss; undefined: it failed). */
  got: number | null | undefined;
  /** For `stale`: the acknowledged write it should have seen (or a newer one). */
  newer?: OpRecord;
  /** For `stale`: read start − newer write end, and the bound it exceeded. */
  stalenessMs?: number;
  boundMs?: number;
  state?: FaultState;
  /** The operations on this key and the faults around it, in start order. */
  excerpt: HistoryRecord[];
}

export interface CheckReport {
  ops: number;
  reads: number;
  writes: number;
  /** Writes whose call resolved. */
  acknowledged: number;
  /** Versions checked (one per key per read that answered). */
  versionsChecked: number;
  faults: FaultRecord[];
  violations: CheckViolation[];
  /** Largest staleness (read start − end of the first acknowledged newer write) per state; 0 if none. */
  maxStalenessMs: Record<FaultState, number>;
  /** Reads that returned an older version than an acknowledged write (within the bound or not), per state. */
  staleReads: Record<FaultState, number>;
  /** Reads answered by fail-safe (`stale:served`). */
  staleServed: number;
  /** Errors callers saw: `op: message head` → count. */
  callerErrors: Record<string, number>;
}

/** Excerpt: this much history before the newer write (or the read) is included. */
const EXCERPT_BEFORE_MS = 1000;
const EXCERPT_MAX = 24;

function zeroPerState(): Record<FaultState, number> {
  const r = {} as Record<FaultState, number>;
  for (const s of FAULT_STATES) r[s] = 0;
  return r;
}

/** The error message reduced to its class of cause (quoted keys, numbers and addresses dropped), for counting. */
export function errorHead(msg: string): string {
  return msg
    .split('\n')[0]
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b\d+(\.\d+)*(:\d+)?\b/g, 'N')
    .slice(0, 120);
}

export function checkHistory(history: readonly HistoryRecord[], bounds: CheckBounds): CheckReport {
  const faults = history.filter((r): r is FaultRecord => r.t === 'fault').sort((a, b) => a.start - b.start);
  const ops = history.filter((r): r is OpRecord => r.t === 'op');
  // key → writes of it (those that know their version), in start order.
  const writesOf = new Map<string, OpRecord[]>();
  // key → start times of writes whose INCR failed (version unknown).
  const unknownWrites = new Map<string, number[]>();
  const opsOf = new Map<string, OpRecord[]>();
  const report: CheckReport = {
    ops: ops.length,
    reads: 0,
    writes: 0,
    acknowledged: 0,
    versionsChecked: 0,
    faults,
    violations: [],
    maxStalenessMs: zeroPerState(),
    staleReads: zeroPerState(),
    staleServed: 0,
    callerErrors: {},
  };
  for (const op of ops) {
    for (const k of op.keys) {
      let l = opsOf.get(k);
      if (l === undefined) opsOf.set(k, (l = []));
      l.push(op);
    }
    if (!op.ok) {
      const head = `${op.op}: ${errorHead(op.err ?? 'unknown error')}`;
      report.callerErrors[head] = (report.callerErrors[head] ?? 0) + 1;
    }
    if (isRead(op.op)) {
      report.reads++;
      continue;
    }
    report.writes++;
    if (op.ok) report.acknowledged++;
    const k = op.keys[0];
    if (op.wrote === undefined) {
      let l = unknownWrites.get(k);
      if (l === undefined) unknownWrites.set(k, (l = []));
      l.push(op.start);
      continue;
    }
    let l = writesOf.get(k);
    if (l === undefined) writesOf.set(k, (l = []));
    l.push(op);
  }
  for (const l of opsOf.values()) l.sort((a, b) => a.start - b.start);

  /** The state (and its bound) of a window: the overlapping fault with the largest bound. */
  const stateOf = (from: number, to: number): { state: FaultState; bound: number } => {
    let state: FaultState = 'calm';
    let bound = bounds.perState.calm;
    for (const f of faults) {
      if (f.start > to) break;
      if (f.end < from) continue;
      const b = bounds.perState[f.state];
      if (b > bound) {
        bound = b;
        state = f.state;
      }
    }
    return { state, bound };
  };

  const excerpt = (key: string, from: number, to: number): HistoryRecord[] => {
    const around = (opsOf.get(key) ?? []).filter((o) => o.end >= from - EXCERPT_BEFORE_MS && o.start <= to);
    const fs = faults.filter((f) => f.end >= from - EXCERPT_BEFORE_MS && f.start <= to);
    const all: HistoryRecord[] = [...around.slice(-EXCERPT_MAX), ...fs];
    return all.sort((a, b) => a.start - b.start);
  };

  const violate = (v: Omit<CheckViolation, 'excerpt'>, from: number): void => {
    report.violations.push({ ...v, excerpt: excerpt(v.key, from, v.read.end) });
  };

  for (const op of ops) {
    if (!isRead(op.op)) continue;
    const loader = hasLoader(op.op);
    if (!op.ok) {
      if (loader) violate({ kind: 'read-failed', key: op.keys[0], read: op, got: undefined }, op.start);
      continue;
    }
    const got = op.got ?? [];
    for (let i = 0; i < op.keys.length; i++) {
      const key = op.keys[i];
      const g = got[i] ?? null;
      if (g === null) {
        if (loader) violate({ kind: 'missing', key, read: op, got: null }, op.start);
        continue;
      }
      report.versionsChecked++;
      const writes = writesOf.get(key) ?? [];
      const served = op.staleServed?.includes(key) === true;
      if (served) report.staleServed++;
      if (g !== 0) {
        const producer = writes.find((w) => w.wrote === g);
        if (producer === undefined) {
          // A version no write reported may come from a write whose INCR reply was lost.
          const maybe = (unknownWrites.get(key) ?? []).some((s) => s < op.end);
          if (!maybe || !Number.isInteger(g) || g < 0) {
            violate({ kind: 'never-written', key, read: op, got: g }, op.start);
            continue;
          }
        } else if (producer.start > op.end) {
          violate({ kind: 'future-version', key, read: op, got: g, newer: producer }, op.start);
          continue;
        }
      }
      // Acknowledged writes of newer versions that ended before this read started.
      let first: OpRecord | undefined;
      let broke: { w: OpRecord; state: FaultState; bound: number } | undefined;
      for (const w of writes) {
        if (!w.ok || w.wrote! <= g || w.end >= op.start) continue;
        if (first === undefined || w.end < first.end) first = w;
        const { state, bound } = stateOf(w.start, op.start);
        const allowed = served ? Math.max(bound, bounds.failSafeMs) : bound;
        if (op.start - w.end > allowed && broke === undefined) broke = { w, state, bound: allowed };
      }
      if (first === undefined) continue;
      const staleness = op.start - first.end;
      const { state } = stateOf(first.start, op.start);
      report.staleReads[state]++;
      if (staleness > report.maxStalenessMs[state]) report.maxStalenessMs[state] = staleness;
      if (broke !== undefined) {
        violate(
          { kind: 'stale', key, read: op, got: g, newer: broke.w, stalenessMs: op.start - broke.w.end, boundMs: broke.bound, state: broke.state },
          broke.w.start,
        );
      }
    }
  }
  return report;
}

function showOp(o: OpRecord, t0: number): string {
  const t = `[${(o.start - t0).toFixed(0)}, ${(o.end - t0).toFixed(0)}]`;
  const what = isRead(o.op) ? `→ ${JSON.stringify(o.got ?? null)}` : `v${o.wrote ?? '?'}`;
  const ss = o.staleServed?.length ? ` stale:served ${o.staleServed.join(',')}` : '';
  return `${t} ${o.p} ${o.op} ${o.keys.join(',')} ${what}${o.ok ? '' : ` FAILED ${o.err}`}${ss}`;
}

/** Human-readable lines for a violation (times relative to `t0`, the soak's start). */
export function describeViolation(v: CheckViolation, t0: number): string[] {
  const head =
    v.kind === 'stale'
      ? `stale: ${v.read.p} read ${v.key} = v${v.got} ${v.stalenessMs!.toFixed(0)} ms after v${v.newer!.wrote} was acknowledged (bound ${v.boundMs} ms, state ${v.state})`
      : `${v.kind}: ${v.read.p} ${v.read.op} ${v.key} → ${v.got === undefined ? `error ${v.read.err}` : JSON.stringify(v.got)}`;
  const lines = [head];
  for (const r of v.excerpt) {
    lines.push(r.t === 'fault' ? `  [${(r.start - t0).toFixed(0)}, ${(r.end - t0).toFixed(0)}] FAULT ${r.state}: ${r.what}` : `  ${showOp(r, t0)}`);
  }
  return lines;
}
