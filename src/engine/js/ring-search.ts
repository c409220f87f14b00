/**
 * Ring search over the tables described in `../types.ts`: sorted uint32 `points` and a
 * bucket index in front (`buckets[b]` = first point index in hash bucket `b`), so a lookup
 * is one bucket read and a binary search over the few points of that bucket.
 */
import {
  checkArray,
  checkKeyBytes,
  checkNumber,
  checkPacked,
  checkRoom,
  checkView,
  INT32,
  UINT32,
  UINT8,
} from './check';
import { md5Uint32, md5Uint32Range } from './md5';
import { murmur3, murmur3Range } from './murmur3';
import { RING_HASH_MD5, RING_HASH_MURMUR3, type Key, type RingHash, type RingTable } from '../types';

/**
 * Checks a table's types and shape: `shift` an integer in 8..32 (bucket bits 24..0),
 * `buckets.length === 2 ** (32 - shift) + 1`, last bucket `=== points.length`. Bucket
 * monotonicity is not checked (O(buckets)); {@link search} stays in bounds without it.
 */
export function checkTable(table: RingTable): RingTable {
  if (table === null || typeof table !== 'object') throw new TypeError('table must be an object');
  const points = checkView(table.points, UINT32, 'table.points');
  const buckets = checkView(table.buckets, UINT32, 'table.buckets');
  const shift = checkNumber(table.shift, 'table.shift');
  if (!Number.isInteger(shift) || shift < 8 || shift > 32) {
    throw new RangeError(`table.shift must be an integer in 8..32 (received ${shift})`);
  }
  const count = (1 << (32 - shift)) + 1;
  if (buckets.length !== count) {
    throw new RangeError(`table.buckets must have length 2 ** (32 - shift) + 1 = ${count} (received ${buckets.length})`);
  }
  if (buckets[count - 1] !== points.length) {
    throw new RangeError(
      `table.buckets[${count - 1}] must equal table.points.length (${points.length}), received ${buckets[count - 1]}`,
    );
  }
  return table;
}

/**
 * The first index `i` with `points[i] >= h` (uint32 `h`), 0 when there is none (the ring
 * wraps), -1 for an empty ring. `shift === 32` is the single bucket 0 (in JS `h >>> 32` is
 * `h`). Both bucket bounds are clamped to `points.length` so a corrupt, non-monotonic bucket
 * index gives a wrong answer but never reads out of bounds; the native core clamps alike.
 */
export function search(points: Uint32Array, buckets: Uint32Array, shift: number, h: number): number {
  const n = points.length;
  if (n === 0) return -1;
  const b = shift === 32 ? 0 : h >>> shift;
  let lo = buckets[b];
  let hi = buckets[b + 1];
  if (lo > n) lo = n;
  if (hi > n) hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid] < h) lo = mid + 1;
    else hi = mid;
  }
  return lo === n ? 0 : lo;
}

/** Ring lookup of one uint32 hash (`hash >>> 0`). */
export function ringFind(table: RingTable, hash: number): number {
  const t = checkTable(table);
  const h = checkNumber(hash, 'hash') >>> 0;
  return search(t.points, t.buckets, t.shift, h);
}

function checkRingHash(hash: RingHash): RingHash {
  if (checkNumber(hash, 'hash') !== RING_HASH_MD5 && hash !== RING_HASH_MURMUR3) {
    throw new RangeError(`hash must be 0 (md5) or 1 (murmur3) (received ${hash})`);
  }
  return hash;
}

/** `out[i]` = ring index of `keys[i]` hashed with md5Uint32 (`hash` 0) or murmur3 (`hash` 1, `seed`). */
export function ringLookup(table: RingTable, keys: readonly Key[], hash: RingHash, seed: number, out: Int32Array): void {
  const { points, buckets, shift } = checkTable(table);
  const list = checkArray(keys, 'keys');
  const kind = checkRingHash(hash);
  const s = checkNumber(seed, 'seed') >>> 0;
  const o = checkView(out, INT32, 'out');
  const n = list.length;
  checkRoom(o, n, 'out');
  const empty = points.length === 0;
  for (let i = 0; i < n; i++) {
    let k = list[i];
    if (typeof k !== 'string') k = checkKeyBytes(k, 'keys', i);
    if (empty) o[i] = -1;
    else o[i] = search(points, buckets, shift, kind === RING_HASH_MD5 ? md5Uint32(k as Key) : murmur3(k as Key, s));
  }
}

/** As {@link ringLookup} over packed byte keys `data[offsets[i] .. offsets[i + 1])`. */
export function ringLookupPacked(
  table: RingTable,
  data: Uint8Array,
  offsets: Uint32Array,
  hash: RingHash,
  seed: number,
  out: Int32Array,
): void {
  const { points, buckets, shift } = checkTable(table);
  const d = checkView(data, UINT8, 'data');
  const offs = checkView(offsets, UINT32, 'offsets');
  const kind = checkRingHash(hash);
  const s = checkNumber(seed, 'seed') >>> 0;
  const o = checkView(out, INT32, 'out');
  const n = checkPacked(d, offs);
  checkRoom(o, n, 'out');
  if (points.length === 0) {
    o.fill(-1, 0, n);
    return;
  }
  for (let i = 0; i < n; i++) {
    const start = offs[i];
    const end = offs[i + 1];
    const h = kind === RING_HASH_MD5 ? md5Uint32Range(d, start, end) : murmur3Range(d, start, end, s);
    o[i] = search(points, buckets, shift, h);
  }
}
