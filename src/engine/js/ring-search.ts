/**
 * Ring search over the tables described in `../types.ts`: sorted uint32 `points` and a
 * bucket index in front (`buckets[b]` = first point index in hash bucket `b`), so a lookup
 * is one bucket read and a binary search over the few points of that bucket.
 */
import {
  checkApart,
  checkArray,
  checkBatchKey,
  checkNumber,
  checkPacked,
  checkRoom,
  checkUint32,
  checkView,
  INT32,
  offsetsChanged,
  rangeError,
  typeError,
  UINT32,
  UINT8,
} from './check';
import { md5Uint32, md5Uint32Range } from './md5';
import { md5Uint32Pair, pairOut } from './md5-pair';
import { murmur3, murmur3Range } from './murmur3';
import { RING_HASH_MD5, RING_HASH_MURMUR3, type Key, type RingHash, type RingTable } from '../types';

/**
 * Checks a table in the native binding's order: `shift` an integer in 8..32 (bucket bits
 * 24..0), `points` and `buckets` Uint32Arrays, `buckets.length === 2 ** (32 - shift) + 1`,
 * last bucket `=== points.length`. Bucket monotonicity is not checked (O(buckets));
 * {@link search} stays in bounds without it.
 */
export function checkTable(table: RingTable): RingTable {
  // Rings build a new table object on every change, so a get() reuses the last one checked:
  // skip the re-check (10-30 ns of a ~200 ns lookup) when nothing in it was swapped. A
  // detached `points` reads as length 0 and takes the full check (TypeError, as native).
  if (table === lastTable && table.points === lastPoints && table.buckets === lastBuckets && table.shift === lastShift && lastPoints.length > 0) {
    return table;
  }
  checkTableFully(table);
  lastTable = table;
  lastPoints = table.points;
  lastBuckets = table.buckets;
  lastShift = table.shift;
  return table;
}

let lastTable: RingTable | undefined;
let lastPoints: Uint32Array = new Uint32Array(0);
let lastBuckets: Uint32Array | undefined;
let lastShift = -1;

function checkTableFully(table: RingTable): void {
  if (table === null || typeof table !== 'object') throw typeError('table must be an object');
  const shift = checkNumber(table.shift, 'shift');
  if (!Number.isInteger(shift) || shift < 8 || shift > 32) throw rangeError('shift must be an integer in 8..32');
  const points = checkView(table.points, UINT32, 'points');
  const buckets = checkView(table.buckets, UINT32, 'buckets');
  const count = (1 << (32 - shift)) + 1;
  if (buckets.length !== count) {
    throw rangeError(
      `buckets length must be 2^(32 - shift) + 1 = ${count} for shift ${shift} (received ${buckets.length})`,
    );
  }
  if (buckets[count - 1] !== points.length) throw rangeError('buckets last entry must equal points.length');
}

/**
 * The first index `i` with `points[i] >= h` (uint32 `h`), 0 when there is none (the ring
 * wraps), -1 for an empty ring. `shift === 32` is the single bucket 0 (in JS `h >>> 32` is
 * `h`). A corrupt bucket index may give a wrong answer but never reads out of bounds, and
 * the same wrong answer as the native core (`native/core/ring-search.cc`): the bucket's end
 * is clamped to `points.length`, and a bucket whose start is past its end is ignored in
 * favour of searching all points.
 */
export function search(points: Uint32Array, buckets: Uint32Array, shift: number, h: number): number {
  const n = points.length;
  if (n === 0) return -1;
  const b = shift === 32 ? 0 : h >>> shift;
  let lo = buckets[b];
  let hi = buckets[b + 1];
  if (hi > n) hi = n;
  if (lo > hi) {
    lo = 0;
    hi = n;
  }
  if (hi - lo < WINDOW && lo + WINDOW <= n) {
    // Fixed three-step lower bound (0-7 points below h) over [lo, lo + 8), entries at or past `hi`
    // counted as >= h: no data-dependent branch. Buckets hold 2.7-5.3 points on average
    // (continuum.ts), so nearly every lookup takes this path; on fresh keys the compare of a
    // classic binary search is a coin flip the predictor loses, and a ternary compiles to a
    // branch in V8, hence the arithmetic masks.
    lo += 4 & -below(points[lo + 3], h, lo + 3, hi);
    lo += 2 & -below(points[lo + 1], h, lo + 1, hi);
    lo += below(points[lo], h, lo, hi);
  } else {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid] < h) lo = mid + 1;
      else hi = mid;
    }
  }
  return lo === n ? 0 : lo;
}

/** Width of the branch-free bucket search in {@link search}. */
const WINDOW = 8;

/**
 * 1 when `j < hi` and `p < h` (uint32s), else 0, without a compare: `p < h` is the sign of
 * `(p >>> 1) - (h >>> 1)`, the low bits breaking a tie; `j - hi` (both < 2^31) is negative
 * exactly when `j < hi`.
 */
function below(p: number, h: number, j: number, hi: number): number {
  return (((p >>> 1) - (h >>> 1) - (~p & h & 1)) & (j - hi)) >>> 31;
}

/** Ring lookup of one uint32 hash (`hash >>> 0`). */
export function ringFind(table: RingTable, hash: number): number {
  const t = checkTable(table);
  const h = checkUint32(hash, 'hash');
  return search(t.points, t.buckets, t.shift, h);
}

function checkRingHash(hash: RingHash): RingHash {
  if (checkNumber(hash, 'hash') !== RING_HASH_MD5 && hash !== RING_HASH_MURMUR3) {
    throw rangeError('hash must be 0 (md5) or 1 (murmur3)');
  }
  return hash;
}

/** `out[i]` = ring index of `keys[i]` hashed with md5Uint32 (`hash` 0) or murmur3 (`hash` 1, `seed`). */
export function ringLookup(table: RingTable, keys: readonly Key[], hash: RingHash, seed: number, out: Int32Array): void {
  const { points, buckets, shift } = checkTable(table);
  const list = checkArray(keys, 'keys');
  const kind = checkRingHash(hash);
  const s = checkUint32(seed, 'seed');
  const o = checkView(out, INT32, 'out');
  const n = list.length;
  checkRoom(o, n, 'out');
  checkApart(o, n, points, 'points');
  checkApart(o, n, buckets, 'buckets');
  const empty = points.length === 0;
  let i = 0;
  if (kind === RING_HASH_MD5 && !empty) {
    // Two keys at a time: two interleaved md5s cost about 1.5 of one (md5-pair.ts).
    for (; i + 1 < n; i += 2) {
      const k1 = list[i];
      const k2 = list[i + 1];
      if (typeof k1 === 'string' && typeof k2 === 'string' && md5Uint32Pair(k1, k2)) {
        o[i] = search(points, buckets, shift, pairOut[0] >>> 0);
        o[i + 1] = search(points, buckets, shift, pairOut[1] >>> 0);
      } else {
        o[i] = search(points, buckets, shift, md5Uint32(checkBatchKey(k1, i, o, n)));
        o[i + 1] = search(points, buckets, shift, md5Uint32(checkBatchKey(k2, i + 1, o, n)));
      }
    }
  }
  for (; i < n; i++) {
    const k = checkBatchKey(list[i], i, o, n);
    if (empty) o[i] = -1;
    else o[i] = search(points, buckets, shift, kind === RING_HASH_MD5 ? md5Uint32(k) : murmur3(k, s));
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
  const n = checkPacked(d, offs);
  const kind = checkRingHash(hash);
  const s = checkUint32(seed, 'seed');
  const o = checkView(out, INT32, 'out');
  checkRoom(o, n, 'out');
  checkApart(o, n, points, 'points');
  checkApart(o, n, buckets, 'buckets');
  checkApart(o, n, d, 'data');
  checkApart(o, n, offs, 'offsets');
  if (points.length === 0) {
    o.fill(-1, 0, n);
    return;
  }
  // Two passes, as in the native core: hash every key into `out` (as int32), then search each
  // hash. Each loop's iterations are independent, so the CPU overlaps consecutive keys. Each
  // offset is read once and checked where it is used (see checkPacked).
  const limit = d.length;
  let lo = offs[0];
  if (kind === RING_HASH_MD5) {
    for (let i = 0; i < n; i++) {
      const hi = offs[i + 1];
      if (hi < lo || hi > limit) throw offsetsChanged(i + 1, hi, limit);
      o[i] = md5Uint32Range(d, lo, hi);
      lo = hi;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const hi = offs[i + 1];
      if (hi < lo || hi > limit) throw offsetsChanged(i + 1, hi, limit);
      o[i] = murmur3Range(d, lo, hi, s);
      lo = hi;
    }
  }
  for (let i = 0; i < n; i++) o[i] = search(points, buckets, shift, o[i] >>> 0);
}
