/**
 * A candidate: one entry of a key on its way between the levels — a value a loader produced or
 * a caller set, a hit read from L2, or a stale value fail-safe may serve. Conversions from L1
 * and L2 entries, and the size L1's byte bound charges for it.
 */
import { KIND_NEGATIVE, type DecodedEntry } from './envelope';
import type { L1Entry } from './l1';
import type { Serializer } from './serializer';

export interface Candidate {
  value: unknown;
  negative: boolean;
  createdAt: number;
  expiresAt: number;
  staleUntil: number;
  tags: readonly string[] | undefined;
  /** Encoded size in bytes; 0 until encoded (or estimated for L1). */
  size: number;
}

/** L1 entry → candidate (a stale value for fail-safe). */
export function fromL1(e: L1Entry): Candidate {
  return { value: e.value, negative: e.negative, createdAt: e.createdAt, expiresAt: e.expiresAt, staleUntil: e.staleUntil, tags: e.tags, size: e.size };
}

/** Decoded L2 entry → candidate. */
export function fromDecoded(d: DecodedEntry): Candidate {
  return {
    value: d.value,
    negative: d.kind === KIND_NEGATIVE,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
    staleUntil: d.expiresAt + d.graceMs,
    tags: d.tags,
    size: d.size,
  };
}

/** Size of a value for L1's byte bound when no envelope was built (L1-only caches). */
export function estimateSize(value: unknown, serializer: Serializer): number {
  if (value === undefined) return 16;
  if (value instanceof Uint8Array) return value.byteLength + 16;
  if (typeof value === 'string') return value.length * 2 + 16;
  try {
    const s = serializer.serialize(value);
    return (typeof s === 'string' ? s.length : s.byteLength) + 16;
  } catch {
    return 1024;
  }
}

/** `v`, frozen when the cache has `freeze` and `v` is an object (Buffers stay writable). */
export function freezeValue(v: unknown, freeze: boolean): unknown {
  if (freeze && typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) Object.freeze(v);
  return v;
}
