/**
 * Option validation and merging: per-call options over the cache's, every value checked with
 * a message naming it (`Expected a number >= 1 for options.ttlMs but received -1`).
 */
import { describe } from '../validate';
import type { CacheEntryOptions } from './options';

/** Per-call options after merging with the cache's defaults. */
export interface Resolved {
  ttlMs: number;
  l1TtlMs: number;
  jitter: number;
  graceMs: number;
  negativeCache: boolean;
  negativeTtlMs: number;
  softTimeoutMs: number;
  hardTimeoutMs: number;
  eagerRefreshThreshold: number;
  failSafeThrottleMs: number;
  tags: readonly string[] | undefined;
  lock: boolean;
}

/** Throws a TypeError/RangeError naming the option unless `v` is a number ≥ min (Infinity allowed). */
export function checkNum(v: unknown, name: string, min: number): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`Expected a number for ${name} but received ${describe(v)}`);
  if (v < min) throw new RangeError(`Expected a number >= ${min} for ${name} but received ${v}`);
  return v;
}

/**
 * As {@link checkNum}, and an integer (a Redis `PX` argument, a count): finite, at most
 * `max`, unless `allowInfinity`.
 */
export function checkInt(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER, allowInfinity = false): number {
  checkNum(v, name, min);
  if (allowInfinity && v === Infinity) return v;
  if (!Number.isInteger(v) || (v as number) > max) {
    throw new RangeError(`Expected an integer in ${min}..${max}${allowInfinity ? ' or Infinity' : ''} for ${name} but received ${v as number}`);
  }
  return v as number;
}

/** The longest delay a Node.js timer accepts (longer ones fire after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** As {@link checkNum}, and finite and at most {@link MAX_TIMER_MS} (a timer's delay). */
export function checkDelay(v: unknown, name: string, min: number): number {
  checkNum(v, name, min);
  if ((v as number) > MAX_TIMER_MS) throw new RangeError(`Expected a finite number <= ${MAX_TIMER_MS} for ${name} but received ${v as number}`);
  return v as number;
}

/** Throws a TypeError naming the option unless `v` is a boolean or a plain object. */
export function checkFlagOrObject<T extends object>(v: unknown, name: string): boolean | T {
  if (typeof v !== 'boolean' && (typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw new TypeError(`Expected a boolean or an object for ${name} but received ${describe(v)}`);
  }
  return v as boolean | T;
}

/** Most bytes of one tag and most tags of one entry (the envelope stores them as uint16). */
const MAX_TAG = 0xffff;

function checkFraction(v: unknown, name: string): number {
  checkNum(v, name, 0);
  if ((v as number) > 1) throw new RangeError(`Expected a number in 0..1 for ${name} but received ${v as number}`);
  return v as number;
}

export function checkBool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`Expected a boolean for ${name} but received ${describe(v)}`);
  return v;
}

export function checkString(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new TypeError(`Expected a string for ${name} but received ${describe(v)}`);
  return v;
}

/** Throws a TypeError/RangeError naming the argument unless `v` is a string of at most 65,535 UTF-8 bytes. */
export function checkTag(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new TypeError(`Expected a string for ${name} but received ${describe(v)}`);
  // Cheap bound first: a UTF-8 byte is at most 3 per UTF-16 unit.
  if (v.length * 3 > MAX_TAG && Buffer.byteLength(v, 'utf8') > MAX_TAG) {
    throw new RangeError(`Expected a tag of at most ${MAX_TAG} UTF-8 bytes for ${name} but received ${Buffer.byteLength(v, 'utf8')} bytes`);
  }
  return v;
}

export function checkTags(v: unknown, name: string): readonly string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new TypeError(`Expected an array of strings for ${name} but received ${describe(v)}`);
  if (v.length > MAX_TAG) throw new RangeError(`Expected at most ${MAX_TAG} tags for ${name} but received ${v.length}`);
  for (let i = 0; i < v.length; i++) checkTag(v[i], `${name}[${i}]`);
  return v.length === 0 ? undefined : Object.freeze([...v]);
}

/** Merges per-call options over `base` (or validates a full set when `base` is undefined). */
export function resolveEntry(o: CacheEntryOptions | Resolved, base: Resolved | undefined, where: string): Resolved {
  if (typeof o !== 'object' || o === null) throw new TypeError(`Expected an object for ${where} but received ${describe(o)}`);
  const pick = <K extends keyof Resolved>(k: K): Resolved[K] => ((o as Resolved)[k] === undefined ? base![k] : (o as Resolved)[k]);
  return {
    ttlMs: checkNum(pick('ttlMs'), `${where}.ttlMs`, 1),
    l1TtlMs: checkNum(pick('l1TtlMs'), `${where}.l1TtlMs`, 1),
    jitter: checkFraction(pick('jitter'), `${where}.jitter`),
    graceMs: checkNum(pick('graceMs'), `${where}.graceMs`, 0),
    negativeCache: checkBool(pick('negativeCache'), `${where}.negativeCache`),
    negativeTtlMs: checkNum(pick('negativeTtlMs'), `${where}.negativeTtlMs`, 1),
    softTimeoutMs: checkNum(pick('softTimeoutMs'), `${where}.softTimeoutMs`, 0),
    hardTimeoutMs: checkNum(pick('hardTimeoutMs'), `${where}.hardTimeoutMs`, 0),
    eagerRefreshThreshold: checkFraction(pick('eagerRefreshThreshold'), `${where}.eagerRefreshThreshold`),
    failSafeThrottleMs: checkNum(pick('failSafeThrottleMs'), `${where}.failSafeThrottleMs`, 0),
    tags: base === undefined ? undefined : checkTags((o as CacheEntryOptions).tags, `${where}.tags`) ?? base.tags,
    lock: (o as Resolved).lock === undefined ? (base?.lock ?? false) : checkBool((o as Resolved).lock, `${where}.lock`),
  };
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) r[k] = o[k];
  return r;
}
