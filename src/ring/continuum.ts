/**
 * The ring in typed arrays: sorted `Uint32Array` points, a parallel owner index
 * (`Uint16Array` up to 65536 owners, else `Uint32Array`) and the bucket index of
 * `src/engine/types.ts` in front, so a ring point costs 4 + 2 bytes (+ under one byte of
 * buckets) instead of hashring's ~67-byte object, and lookups go straight to the engine.
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
/** One bucket per ~4 points (lookups then search ~2 points): ~1 byte of index per point. */
const POINTS_PER_BUCKET_LOG2 = 2;
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

/** Bucket bits for `n` points: about one bucket per 4 points, 0 for tiny rings. */
function bucketBits(n: number): number {
  if (n < 16) return 0;
  return Math.min(MAX_BUCKET_BITS, Math.floor(Math.log2(n)) - POINTS_PER_BUCKET_LOG2);
}

/** `buckets[b]` = first index with `points[i] >= b * 2^shift`; the last entry is `points.length`. */
export function buildBuckets(points: Uint32Array, bits: number): Uint32Array {
  const size = 2 ** bits;
  const buckets = new Uint32Array(size + 1);
  const n = points.length;
  // Point i is the first of every bucket up to its own that has none yet.
  let b = 0;
  for (let i = 0; i < n; i++) {
    const own = bits === 0 ? 0 : points[i] >>> (32 - bits);
    while (b <= own) buckets[b++] = i;
  }
  while (b <= size) buckets[b++] = n;
  return buckets;
}

/** Step 1 of {@link Continuum.update}: owners renumbered by `remap` (-1 drops), ties re-sorted if needed. */
function renumber(points: Uint32Array, owners: Uint16Array | Uint32Array, remap: Int32Array | undefined): PointList {
  const n = points.length;
  const values = new Uint32Array(n);
  const renamed = new Uint32Array(n);
  if (!remap) {
    values.set(points);
    renamed.set(owners);
    return { values, owners: renamed };
  }
  let monotonic = true;
  let w = 0;
  for (let i = 0; i < n; i++) {
    const o = remap[owners[i]];
    if (o < 0) continue;
    const v = points[i];
    // Two equal values whose owners now come in the wrong order: ties need re-sorting.
    if (w > 0 && values[w - 1] === v && renamed[w - 1] > o) monotonic = false;
    values[w] = v;
    renamed[w++] = o;
  }
  const list = { values: values.subarray(0, w), owners: renamed.subarray(0, w) };
  if (!monotonic) sortTies(list.values, list.owners);
  return list;
}

/** Steps 2 and 3 of {@link Continuum.update}: one pass skipping removals and merging additions. */
function merge(kept: PointList, removals: PointList, additions: PointList): PointList {
  const { values, owners } = kept;
  const rv = removals.values;
  const ro = removals.owners;
  const av = additions.values;
  const ao = additions.owners;
  const n = values.length;
  const outV = new Uint32Array(n - rv.length + av.length);
  const outO = new Uint32Array(outV.length);
  let r = 0;
  let a = 0;
  let w = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const o = owners[i];
    // Removals not found (cannot happen for a consistent diff) are passed over.
    while (r < rv.length && (rv[r] < v || (rv[r] === v && ro[r] < o))) r++;
    if (r < rv.length && rv[r] === v && ro[r] === o) {
      r++;
      continue;
    }
    while (a < av.length && (av[a] < v || (av[a] === v && ao[a] < o))) {
      outV[w] = av[a];
      outO[w++] = ao[a++];
    }
    outV[w] = v;
    outO[w++] = o;
  }
  while (a < av.length) {
    outV[w] = av[a];
    outO[w++] = ao[a++];
  }
  return w === outV.length ? { values: outV, owners: outO } : { values: outV.slice(0, w), owners: outO.slice(0, w) };
}

/** Owners in the narrowest array that holds `ownerCount` of them. */
function narrowOwners(owners: Uint32Array, ownerCount: number): Uint16Array | Uint32Array {
  return ownerCount <= 0x10000 ? new Uint16Array(owners) : owners;
}

/** A sorted point table with owners, kept in sync with its engine search table. */
export class Continuum {
  readonly #engine: Engine;
  #points: Uint32Array = EMPTY_POINTS;
  #owners: Uint16Array | Uint32Array = new Uint16Array(0);
  /** The engine's view: `points`, `buckets`, `shift` (replaced, never mutated, on change). */
  table: RingTable = { points: EMPTY_POINTS, buckets: new Uint32Array([0, 0]), shift: 32 };

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Number of points. */
  get size(): number {
    return this.#points.length;
  }

  /** Sorted point values (do not modify). */
  get points(): Uint32Array {
    return this.#points;
  }

  /** Owner of each point, parallel to {@link points} (do not modify). */
  get owners(): Uint16Array | Uint32Array {
    return this.#owners;
  }

  /** Bytes held by the points, owners and bucket index. */
  get byteLength(): number {
    return this.#points.byteLength + this.#owners.byteLength + this.table.buckets.byteLength;
  }

  /** Empties the ring. */
  clear(): void {
    this.#set(EMPTY_POINTS, new Uint16Array(0));
  }

  /** Replaces the ring by points given in generation order (sorted here, ties kept in order). */
  setFromGeneration(values: Uint32Array, owners: Uint32Array, ownerCount: number): void {
    const sorted = sortPoints(values, owners);
    this.#set(sorted.values, narrowOwners(sorted.owners, ownerCount));
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
    // The loops below touch only Uint32Arrays (one element kind: monomorphic and fast); the
    // owners are narrowed to 16 bits once at the end.
    const kept = renumber(this.#points, this.#owners, remap);
    const merged = merge(kept, removals, additions);
    this.#set(merged.values, narrowOwners(merged.owners, ownerCount));
  }

  /** Index of the first point `>= hash` (uint32), 0 past the last point, -1 when empty. */
  find(hash: number): number {
    return this.#engine.ringFind(this.table, hash);
  }

  #set(points: Uint32Array, owners: Uint16Array | Uint32Array): void {
    this.#points = points;
    this.#owners = owners;
    const bits = bucketBits(points.length);
    this.table = { points, buckets: buildBuckets(points, bits), shift: 32 - bits };
  }
}
