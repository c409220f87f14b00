/**
 * The seam between ringcache and its two cores.
 *
 * An {@link Engine} is the small, hot-path interface that both the C++ Node-API core
 * (`native/`) and the pure TypeScript core (`src/engine/js/`) implement with bit-identical
 * results. Everything above `src/engine` (rings, slots, routing, cache) receives an `Engine`
 * and never learns which one it got.
 *
 * Contract for every method:
 * - Keys are `string | Uint8Array`. A string is hashed as the UTF-8 bytes that
 *   `Buffer.from(str)` produces (a lone surrogate becomes U+FFFD, EF BF BD).
 * - Engines re-check argument *types* cheaply and throw `TypeError`/`RangeError`; they never
 *   abort the process. Friendly, argument-naming validation happens in the public layer.
 * - Output arrays are caller-allocated (no allocation per call on the hot path).
 * - The part of `out` a batch writes (its first n entries) must not share memory with any
 *   typed array the call reads (`data`, `offsets`, `points`, `buckets`, a Uint8Array key):
 *   RangeError `out must not overlap <input>`, thrown before the first write for everything
 *   but the keys of an array (checked as each is read). `md5`'s `out` may overlap its key:
 *   the digest is of the key as it was.
 * - Packed offsets are read once each and checked where they are used, so offsets on a
 *   SharedArrayBuffer that another thread writes give either the answer for the values read
 *   or a RangeError naming `offsets`, never a read outside `data`.
 */

/** A key: a JS string (hashed as UTF-8) or raw bytes. */
export type Key = string | Uint8Array;

/** Hash used to place ring keys: `0` = md5 (LE uint32 of digest bytes 0-3), `1` = murmur3 x86_32. */
export type RingHash = 0 | 1;

export const RING_HASH_MD5 = 0 as const;
export const RING_HASH_MURMUR3 = 1 as const;

/**
 * Ring search tables, identical in both engines.
 *
 * - `points`: sorted ascending uint32 ring points (ties keep insertion order; the ring layer
 *   owns a parallel owner array). Its length is the point count; it may be a subarray view.
 * - `buckets`: length `2 ** bits + 1`; `buckets[b]` is the first index `i` with
 *   `points[i] >= (b << shift) >>> 0` (i.e. lower bound of the bucket's first hash), and the last entry
 *   equals `points.length`. `shift = 32 - bits`, `bits` in 0..24 (`bits = 0` → shift 32,
 *   a single bucket: `buckets = [0, points.length]`; JS code must then use bucket 0 since
 *   `h >>> 32 === h` in JS).
 *
 * Lookup of hash `h`: the first index `i` with `points[i] >= h`; if there is none, `0` (wrap).
 * With no points the result is `-1`.
 */
export interface RingTable {
  points: Uint32Array;
  buckets: Uint32Array;
  shift: number;
}

export interface Engine {
  /** Which core this is. Only `src/engine/index.ts` may look at it for choosing. */
  readonly backend: 'native' | 'js';

  /** RFC 1321 MD5 of `key`, written into `out[0..16)` (`out.length >= 16`, else RangeError). */
  md5(key: Key, out: Uint8Array): void;
  /** Little-endian uint32 of MD5 digest bytes 0-3 (hashring / ketama / twemproxy key hash). */
  md5Uint32(key: Key): number;
  /** MurmurHash3 x86_32 of `key` with `seed` (uint32), unsigned result. */
  murmur3(key: Key, seed: number): number;
  /** CRC16-XMODEM (poly 0x1021, init 0, no reflection): `'123456789'` → 0x31C3. */
  crc16(key: Key): number;
  /**
   * Redis Cluster slot: `crc16(tag) & 16383` where tag is the bytes between the first `{`
   * and the first `}` after it, when that is non-empty; else the whole key.
   */
  keySlot(key: Key): number;
  /** `out[i] = keySlot(keys[i])`; `out.length >= keys.length`, else RangeError. */
  keySlots(keys: readonly Key[], out: Uint16Array): void;
  /**
   * Packed byte keys: key `i` is `data[offsets[i] .. offsets[i+1])`; there are
   * `offsets.length - 1` keys; offsets must be non-decreasing and `<= data.length`
   * (else RangeError); `out.length >= offsets.length - 1`.
   */
  keySlotsPacked(data: Uint8Array, offsets: Uint32Array, out: Uint16Array): void;

  /** Ring lookup of one hash: index into `table.points`, `-1` when the ring is empty. */
  ringFind(table: RingTable, hash: number): number;
  /**
   * Hash each key with `hash` (md5Uint32 or murmur3 with `seed`) and look it up:
   * `out[i]` = point index, or `-1` (as int32) when the ring is empty.
   */
  ringLookup(table: RingTable, keys: readonly Key[], hash: RingHash, seed: number, out: Int32Array): void;
  /** As {@link Engine.ringLookup} over packed byte keys (layout as in keySlotsPacked). */
  ringLookupPacked(
    table: RingTable,
    data: Uint8Array,
    offsets: Uint32Array,
    hash: RingHash,
    seed: number,
    out: Int32Array,
  ): void;
}

/**
 * What the native binding exports (`native/binding`). Same semantics as {@link Engine},
 * with the RingTable passed as three positional arguments (points, buckets, shift).
 * `abiVersion` must equal {@link NATIVE_ABI_VERSION}; a stale build is refused.
 */
export interface NativeBinding {
  abiVersion: number;
  md5(key: Key, out: Uint8Array): void;
  md5Uint32(key: Key): number;
  murmur3(key: Key, seed: number): number;
  crc16(key: Key): number;
  keySlot(key: Key): number;
  keySlots(keys: readonly Key[], out: Uint16Array): void;
  keySlotsPacked(data: Uint8Array, offsets: Uint32Array, out: Uint16Array): void;
  ringFind(points: Uint32Array, buckets: Uint32Array, shift: number, hash: number): number;
  ringLookup(
    points: Uint32Array,
    buckets: Uint32Array,
    shift: number,
    keys: readonly Key[],
    hash: RingHash,
    seed: number,
    out: Int32Array,
  ): void;
  ringLookupPacked(
    points: Uint32Array,
    buckets: Uint32Array,
    shift: number,
    data: Uint8Array,
    offsets: Uint32Array,
    hash: RingHash,
    seed: number,
    out: Int32Array,
  ): void;
}

/** Bumped whenever the binding's exported interface changes (also in native/binding). */
export const NATIVE_ABI_VERSION = 1;
