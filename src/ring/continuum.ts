/**
 * The ring in typed arrays: sorted `Uint32Array` points, a parallel owner index
 * (`Uint16Array` up to 65536 owners, else `Uint32Array`) and the bucket index of
 * `src/engine/types.ts` in front, so a ring point costs 4 + 2 bytes (+ at most 1.5 bytes of
 * buckets) instead of hashring's ~65-byte object, and lookups go straight to the engine.
 *
 * Order: ascending by value; equal values by owner, ascending. Owners are numbered in server
 * order, and hashring (like the ketama C code) generates points server by server and sorts them
 * stably, so "ties keep insertion order" is exactly "ties ordered by owner". Two equal points of
 * one owner are indistinguishable, so no finer order is needed — which is what lets
 * {@link Continuum.update} change a ring by merging only the points that change.
 */
import type { Engine, RingTable } from '../engine';

/** Points with their owners, sorted by (value, owner). */
export interface PointList {
  values: Uint32Array;
  owners: Uint32Array;
}

const EMPTY_POINTS = new Uint32Array(0);
/**
 * Bucket index size: at most 1.5 bytes per point (2.7 to 5.3 points per bucket), so a point
 * costs at most 4 + 2 + 1.5 bytes (+ 1/32 spare room). One more bucket bit than ~8 points per
 * bucket took a lone search from ~45 to ~37 ns (10 to 1000 servers, measured).
 */
const BUCKET_BYTES_PER_POINT = 1.5;
const MAX_BUCKET_BITS = 24;

/**
 * Stable LSD radix sort by value (three 11-bit digits), carrying owners along. Stable, so
 * points given in generation order come out with ties in generation order.
 */
export function sortPoints(values: Uint32Array, owners: Uint32Array): PointList {
  const n = values.length;
  let v: Uint32Array = values;
  let o: Uint32Array = owners;
  let v2: Uint32Array = new Uint32Array(n);
  let o2: Uint32Array = new Uint32Array(n);
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(v[i] >>> shift) & 2047]++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = count[(v[i] >>> shift) & 2047]++;
      v2[at] = v[i];
      o2[at] = o[i];
    }
    [v, v2] = [v2, v];
    [o, o2] = [o2, o];
  }
  return { values: v, owners: o };
}

/** Sorts each run of equal values by owner (after a renumbering that was not order-preserving). */
function sortTies(values: Uint32Array, owners: Uint32Array): void {
  const n = values.length;
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && values[j] === values[i]) j++;
    for (let a = i + 1; a < j; a++) {
      const x = owners[a];
      let b = a - 1;
      while (b >= i && owners[b] > x) {
        owners[b + 1] = owners[b];
        b--;
      }
      owners[b + 1] = x;
    }
    i = j;
  }
}

/** Bucket bits for `n` points (see {@link BUCKET_BYTES_PER_POINT}), 0 for tiny rings. */
function bucketBits(n: number): number {
  if (n < 16) return 0;
  return Math.min(MAX_BUCKET_BITS, Math.floor(Math.log2((n * BUCKET_BYTES_PER_POINT) / 4)));
}

/**
 * `buckets[b]` = first index with `points[i] >= b * 2^shift`; the last entry is `points.length`.
 * Written into `into` when given (its length must be `2^bits + 1`). Counted, then summed: the
 * first index of bucket b is the number of points in the buckets before it.
 */
export function buildBuckets(points: Uint32Array, bits: number, into?: Uint32Array): Uint32Array {
  const size = 1 << bits;
  const buckets = into ?? new Uint32Array(size + 1);
  buckets.fill(0);
  if (bits > 0) countPerBucket(points, 32 - bits, buckets);
  else buckets[0] = points.length;
  startsFromCounts(buckets, size);
  buckets[size] = points.length;
  return buckets;
}

/**
 * `counts[b]` += points in bucket b. Two small one-loop functions rather than one: V8 kept
 * deoptimising the combined one (type feedback per loop), at ~2 ms per 160k-point call.
 */
function countPerBucket(points: Uint32Array, shift: number, counts: Uint32Array): void {
  const n = points.length;
  for (let i = 0; i < n; i++) counts[(points[i] >>> shift) | 0]++;
}

/** Counts → exclusive running sums (each bucket's first point index), over `counts[0 … size)`. */
function startsFromCounts(counts: Uint32Array, size: number): void {
  let sum = 0;
  for (let b = 0; b < size; b++) {
    const count = counts[b];
    counts[b] = sum;
    sum += count;
  }
}

/** True when `remap` maps every owner to itself (nothing to renumber or drop). */
function isIdentity(remap: Int32Array): boolean {
  for (let q = 0; q < remap.length; q++) if (remap[q] !== q) return false;
  return true;
}

/** True when `remap` keeps the order of the owners it keeps (so ties stay in order). */
function preservesOrder(remap: Int32Array): boolean {
  let last = -1;
  for (let q = 0; q < remap.length; q++) {
    const p = remap[q];
    if (p < 0) continue;
    if (p <= last) return false;
    last = p;
  }
  return true;
}

/**
 * Owners renumbered by a `remap` that reorders them, ties re-sorted: the rare case (hashring's
 * `add()` moves integer-like server names to the front); the result's owners need no remap.
 */
function renumberReordered(points: Uint32Array, owners: Uint16Array | Uint32Array, remap: Int32Array): PointList {
  const n = points.length;
  const values = new Uint32Array(n);
  const renamed = new Uint32Array(n);
  let w = 0;
  for (let i = 0; i < n; i++) {
    const o = remap[owners[i]];
    if (o < 0) continue;
    values[w] = points[i];
    renamed[w++] = o;
  }
  const list = { values: values.subarray(0, w), owners: renamed.subarray(0, w) };
  sortTies(list.values, list.owners);
  return list;
}

/**
 * Step 1 of {@link Continuum.update}, in place: each point renumbered by `remap` (dropped at
 * -1) and skipped when it is the next removal. Returns the number of points kept.
 */
function compact(values: Uint32Array, owners: Uint16Array | Uint32Array, n: number, remap: Int32Array, removals: PointList): number {
  const rv = removals.values;
  const ro = removals.owners;
  const rn = rv.length;
  let r = 0;
  let w = 0;
  for (let i = 0; i < n; i++) {
    const o = remap[owners[i]];
    if (o < 0) continue;
    const v = values[i];
    if (r < rn) {
      // Removals not found (cannot happen for a consistent diff) are passed over.
      while (r < rn && (rv[r] < v || (rv[r] === v && ro[r] < o))) r++;
      if (r < rn && rv[r] === v && ro[r] === o) {
        r++;
        continue;
      }
    }
    values[w] = v;
    owners[w++] = o;
  }
  return w;
}

/** Step 2, in place: merges `additions` into the `n` first points, from the back (room is there). */
function mergeFromBack(values: Uint32Array, owners: Uint16Array | Uint32Array, n: number, additions: PointList): void {
  const av = additions.values;
  const ao = additions.owners;
  let i = n - 1;
  let a = av.length - 1;
  let w = n + av.length - 1;
  while (a >= 0) {
    if (i >= 0 && (values[i] > av[a] || (values[i] === av[a] && owners[i] > ao[a]))) {
      values[w] = values[i];
      owners[w--] = owners[i--];
    } else {
      values[w] = av[a];
      owners[w--] = ao[a--];
    }
  }
}

function identity(n: number): Int32Array {
  const map = new Int32Array(n);
  for (let i = 0; i < n; i++) map[i] = i;
  return map;
}

/** Room for `size` points and a little more, so that most later additions merge in place. */
function capacityFor(size: number): number {
  return size + (size >>> 5) + 16;
}

/** An owner array of `capacity` entries wide enough for `ownerCount` owners, holding `from[0 … n)`. */
function ownerBuffer(ownerCount: number, capacity: number, from: Uint16Array | Uint32Array, n: number): Uint16Array | Uint32Array {
  const out = ownerCount <= 0x10000 ? new Uint16Array(capacity) : new Uint32Array(capacity);
  out.set(from.subarray(0, n));
  return out;
}

/**
 * A sorted point table with owners, kept in sync with its engine search table.
 *
 * Points and owners live in buffers with a little spare room (1/32), and {@link update}
 * rewrites them in place: filling freshly allocated memory costs ~10× more than rewriting warm
 * memory (page faults), which made a 160k-point update ~4× slower. The engine table is a new
 * object over `subarray` views after each change.
 */
export class Continuum {
  readonly #engine: Engine;
  /** Capacity buffers; the first {@link size} entries are the ring. */
  #values: Uint32Array = EMPTY_POINTS;
  #ownerBuf: Uint16Array | Uint32Array = new Uint16Array(0);
  #size = 0;
  #points: Uint32Array = EMPTY_POINTS;
  #owners: Uint16Array | Uint32Array = new Uint16Array(0);
  /** Owners the points are numbered among (`owners[i] < ownerCount`). */
  #ownerCount = 0;
  /** The engine's view: `points`, `buckets`, `shift` (a new object after each change). */
  table: RingTable = { points: EMPTY_POINTS, buckets: new Uint32Array([0, 0]), shift: 32 };

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Number of points. */
  get size(): number {
    return this.#size;
  }

  /** Sorted point values (a view; do not modify or keep across changes). */
  get points(): Uint32Array {
    return this.#points;
  }

  /** Owner of each point, parallel to {@link points} (a view; do not modify or keep). */
  get owners(): Uint16Array | Uint32Array {
    return this.#owners;
  }

  /** Bytes held by the point and owner buffers (spare room included) and the bucket index. */
  get byteLength(): number {
    return this.#values.byteLength + this.#ownerBuf.byteLength + this.table.buckets.byteLength;
  }

  /** Empties the ring (and lets its buffers go). */
  clear(): void {
    this.#values = EMPTY_POINTS;
    this.#ownerBuf = new Uint16Array(0);
    this.#publish(0, 0);
  }

  /**
   * Replaces the ring by points given in generation order (sorted here, ties kept in order).
   * For {@link update} to apply later, that order must list owners in ascending order (server
   * by server, as hashring and the ketama implementations generate them).
   */
  setFromGeneration(values: Uint32Array, owners: Uint32Array, ownerCount: number): void {
    const sorted = sortPoints(values, owners);
    const n = sorted.values.length;
    this.#values = sorted.values;
    this.#ownerBuf = ownerBuffer(ownerCount, n, sorted.owners, n);
    this.#publish(n, ownerCount);
  }

  /**
   * Changes the ring in place of a rebuild, in O(points + changes · log changes):
   * 1. renumber owners by `remap` (old owner → new owner, or -1 to drop all its points);
   * 2. drop one point per entry of `removals` (by value and *new* owner);
   * 3. merge `additions` in.
   * `removals` and `additions` must be sorted by (value, owner), e.g. by {@link sortPoints}
   * from generation order. `ownerCount` is the number of owners afterwards.
   */
  update(remap: Int32Array | undefined, removals: PointList, additions: PointList, ownerCount: number): void {
    let n = this.#size;
    let map = remap ?? identity(Math.max(ownerCount, this.#ownerCount));
    if (remap && !preservesOrder(remap)) {
      // Rare (hashring's add() moves integer-like names first): renumber with ties re-sorted.
      const kept = renumberReordered(this.#points, this.#owners, remap);
      n = kept.values.length;
      this.#values = kept.values;
      this.#ownerBuf = kept.owners;
      map = identity(ownerCount);
    }
    // Owners about to exceed 16 bits: widen first.
    if (ownerCount > 0x10000 && this.#ownerBuf instanceof Uint16Array) {
      this.#ownerBuf = ownerBuffer(ownerCount, this.#values.length, this.#ownerBuf, n);
    }
    // A pure addition (new servers last, no count changes) needs no pass before the merge.
    if (removals.values.length > 0 || !isIdentity(map)) n = compact(this.#values, this.#ownerBuf, n, map, removals);
    const size = n + additions.values.length;
    if (size > this.#values.length) {
      const capacity = capacityFor(size);
      const values = new Uint32Array(capacity);
      values.set(this.#values.subarray(0, n));
      this.#values = values;
      this.#ownerBuf = ownerBuffer(ownerCount, capacity, this.#ownerBuf, n);
    }
    mergeFromBack(this.#values, this.#ownerBuf, n, additions);
    // Back under 16 bits: narrow.
    if (ownerCount <= 0x10000 && this.#ownerBuf instanceof Uint32Array) {
      this.#ownerBuf = ownerBuffer(ownerCount, this.#values.length, this.#ownerBuf, size);
    }
    this.#publish(size, ownerCount);
  }

  /** Index of the first point `>= hash` (uint32), 0 past the last point, -1 when empty. */
  find(hash: number): number {
    return this.#engine.ringFind(this.table, hash);
  }

  /** New views and engine table over the first `size` entries; the bucket index reused when it can be. */
  #publish(size: number, ownerCount: number): void {
    this.#size = size;
    this.#ownerCount = ownerCount;
    const points = this.#values.subarray(0, size);
    this.#points = points;
    this.#owners = this.#ownerBuf.subarray(0, size);
    const bits = bucketBits(size);
    const old = this.table.buckets;
    const buckets = buildBuckets(points, bits, old.length === 2 ** bits + 1 && old.length > 2 ? old : undefined);
    this.table = { points, buckets, shift: 32 - bits };
  }
}
