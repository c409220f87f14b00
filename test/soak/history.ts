/**
 * The soak's logged history: what each worker did (one record per operation) and what the
 * coordinator did to the servers (one record per fault). Times are milliseconds on ONE clock:
 * each worker logs `performance.timeOrigin + performance.now()` (the process's own monotonic
 * clock, anchored at the shared wall-clock origin of its start), so every process's times are
 * comparable to within the anchoring error (≤ 1 ms on one machine, see `now()` in worker.ts).
 *
 * Every value the cache holds is `{ v }`: the key's version in the database of record, where
 * versions only go up (`INCR`). Version 0 is "never written" (the loader answers 0 for a key the
 * database does not hold), so it exists from the start.
 */

/** The cache call an operation made. */
export type OpKind =
  | 'getOrSet'
  | 'getOrSetMany'
  | 'get'
  | 'getMany'
  /** A write: `INCR` in the database, then `set` of the new version in the cache. */
  | 'write-set'
  /** A write: `INCR`, then `delete` of the key. */
  | 'write-delete'
  /** A write: `INCR`, then `deleteByTag` of the key's tag. */
  | 'write-tag'
  /** A write: `INCR`, then `clear()` of the key's namespace. */
  | 'write-clear';

/** One operation by one worker. */
export interface OpRecord {
  t: 'op';
  /** Worker name (e.g. `w2`). */
  p: string;
  op: OpKind;
  /** The keys (one for single-key calls), namespaced as `ns/key`. */
  keys: string[];
  start: number;
  end: number;
  /** Reads: the version returned per key (null: a miss). */
  got?: (number | null)[];
  /** Writes: the version the database assigned (undefined when the INCR itself failed). */
  wrote?: number;
  /** Whether the call resolved (false: it rejected, `err` says why). */
  ok: boolean;
  err?: string;
  /** Keys for which the cache emitted `stale:served` during this call (fail-safe). */
  staleServed?: string[];
}

/** One fault, from the moment it was injected until the system was back (healed and ready). */
export interface FaultRecord {
  t: 'fault';
  /** The fault state it puts the system in (see {@link FaultState}). */
  state: FaultState;
  /** What exactly was done (e.g. `kill -9 master 127.0.0.1:40001`). */
  what: string;
  start: number;
  end: number;
}

/**
 * The fault states of the README's bounds table. `calm` is "no fault": the bus is up and every
 * node answers.
 */
export type FaultState = 'calm' | 'kill9' | 'pubsub-kill' | 'reshard' | 'sigstop' | 'slow-link' | 'data-loss';

export const FAULT_STATES: readonly FaultState[] = ['calm', 'kill9', 'pubsub-kill', 'reshard', 'sigstop', 'slow-link', 'data-loss'];

export type HistoryRecord = OpRecord | FaultRecord;

export function isRead(op: OpKind): boolean {
  return op === 'getOrSet' || op === 'getOrSetMany' || op === 'get' || op === 'getMany';
}

/** Reads whose loader reads the database: they must never fail or miss. */
export function hasLoader(op: OpKind): boolean {
  return op === 'getOrSet' || op === 'getOrSetMany';
}
