/**
 * The typed-array continuum: stable sort, bucket index contract (src/engine/types.ts),
 * incremental update ≡ rebuild (renumbering, removals, additions, ties), lookup rule, memory.
 */
import { describe, expect, it } from 'vitest';
import { engine } from '../../src/engine';
import { buildBuckets, Continuum, sortPoints, type PointList } from '../../src/ring/continuum';
import { rng, type Rng } from '../helpers/random-keys';

/** Reference: sort (value, owner) pairs with Array.prototype.sort (stable). */
function reference(values: number[], owners: number[]): { values: number[]; owners: number[] } {
  const idx = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || owners[a] - owners[b]);
  return { values: idx.map((i) => values[i]), owners: idx.map((i) => owners[i]) };
}

/** Random points with many ties (small value range when `narrow`). */
function randomPoints(r: Rng, n: number, owners: number, narrow: boolean): { values: number[]; owners: number[] } {
  const v: number[] = [];
  const o: number[] = [];
  for (let i = 0; i < n; i++) {
    v.push(narrow ? r.int(50) * 0x1000000 : r.u32());
    o.push(r.int(owners));
  }
  return { values: v, owners: o };
}

/** A PointList sorted by (value, owner), as update() takes them. */
function list(values: number[], owners: number[]): PointList {
  const sorted = reference(values, owners);
  return { values: Uint32Array.from(sorted.values), owners: Uint32Array.from(sorted.owners) };
}

describe('sortPoints', () => {
  it('is a stable sort by value (ties keep generation order)', () => {
    const r = rng(1);
    for (const n of [0, 1, 2, 17, 1000, 50_000]) {
      const v = Array.from({ length: n }, () => (r() < 0.5 ? r.int(40) : r.u32()));
      const o = Array.from({ length: n }, (_, i) => i); // generation index as owner
      const sorted = sortPoints(Uint32Array.from(v), Uint32Array.from(o));
      const idx = o.slice().sort((a, b) => v[a] - v[b]);
      expect(Array.from(sorted.values)).toEqual(idx.map((i) => v[i]));
      expect(Array.from(sorted.owners)).toEqual(idx);
    }
  });
});

describe('buildBuckets', () => {
  it('buckets[b] is the first index with points[i] >= b << shift; the last is points.length', () => {
    const r = rng(2);
    for (const n of [0, 1, 15, 16, 100, 5000]) {
      const points = Uint32Array.from({ length: n }, () => r.u32()).sort();
      for (const bits of [0, 1, 4, 10]) {
        const buckets = buildBuckets(points, bits);
        expect(buckets.length).toBe(2 ** bits + 1);
        expect(buckets[2 ** bits]).toBe(n);
        for (let b = 0; b < 2 ** bits; b++) {
          const start = b * 2 ** (32 - bits);
          let lb = 0;
          while (lb < n && points[lb] < start) lb++;
          expect(buckets[b]).toBe(lb);
        }
      }
    }
  });
});

describe('Continuum', () => {
  it('finds the first point >= hash, wrapping to 0, -1 when empty', () => {
    const r = rng(3);
    const c = new Continuum(engine);
    expect(c.find(123)).toBe(-1);
    const { values, owners } = randomPoints(r, 3000, 7, false);
    c.setFromGeneration(Uint32Array.from(values), Uint32Array.from(owners), 7);
    const sorted = c.points;
    for (let k = 0; k < 5000; k++) {
      const h = k < 10 ? [0, 1, 0xffffffff, sorted[0], sorted[sorted.length - 1], sorted[5], sorted[5] + 1][k % 7] : r.u32();
      let lb = 0;
      while (lb < sorted.length && sorted[lb] < h) lb++;
      expect(c.find(h)).toBe(lb === sorted.length ? 0 : lb);
    }
  });

  it('update() ≡ rebuilding: random renumberings (order-changing too), removals and additions, many ties', () => {
    const r = rng(4);
    for (let round = 0; round < 200; round++) {
      const narrow = r() < 0.5;
      let ownerCount = 1 + r.int(12);
      const start = randomPoints(r, r.int(400), ownerCount, narrow);
      // Generation order lists owners in ascending order (server by server), as rings do.
      start.owners.sort((a, b) => a - b);
      const c = new Continuum(engine);
      c.setFromGeneration(Uint32Array.from(start.values), Uint32Array.from(start.owners), ownerCount);
      // The multiset the continuum should hold, as (value, owner) pairs.
      let pairs = start.values.map((v, i) => [v, start.owners[i]] as [number, number]);
      for (let step = 0; step < 5; step++) {
        // Renumber: drop some owners, permute the rest (sometimes out of order), add new ones.
        const newCount = 1 + r.int(12);
        const remap = new Int32Array(ownerCount).fill(-1);
        const targets = Array.from({ length: newCount }, (_, i) => i).sort(() => r() - 0.5);
        for (let q = 0; q < ownerCount; q++) if (r() < 0.8 && targets.length) remap[q] = targets.pop()!;
        pairs = pairs.filter(([, o]) => remap[o] >= 0).map(([v, o]) => [v, remap[o]]);
        // Remove a random subset of what is left, add new points (some equal to existing ones).
        const removals: [number, number][] = [];
        pairs = pairs.filter((p) => {
          if (r() < 0.2) {
            removals.push(p);
            return false;
          }
          return true;
        });
        const added = randomPoints(r, r.int(100), newCount, narrow);
        for (let i = 0; i < added.values.length; i++) {
          if (pairs.length && r() < 0.2) added.values[i] = pairs[r.int(pairs.length)][0];
          pairs.push([added.values[i], added.owners[i]]);
        }
        const removed = list(
          removals.map((p) => p[0]),
          removals.map((p) => p[1]),
        );
        c.update(remap, removed, list(added.values, added.owners), newCount);
        ownerCount = newCount;
        const want = reference(
          pairs.map((p) => p[0]),
          pairs.map((p) => p[1]),
        );
        expect(Array.from(c.points)).toEqual(want.values);
        expect(Array.from(c.owners)).toEqual(want.owners);
        // The engine table follows.
        expect(c.table.points).toBe(c.points);
        expect(c.table.buckets[c.table.buckets.length - 1]).toBe(c.size);
      }
    }
  });

  it('uses 32-bit owners past 65536 owners', () => {
    const n = 70_000;
    const values = Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0);
    const owners = Uint32Array.from({ length: n }, (_, i) => i);
    const want = Array.from(values.keys()).sort((a, b) => values[a] - values[b]);
    const c = new Continuum(engine);
    c.setFromGeneration(values.slice(), owners, n);
    expect(c.owners).toBeInstanceOf(Uint32Array);
    expect(Array.from(c.owners)).toEqual(want);
    expect(c.owners[c.find(values[69_999])]).toBe(69_999);
  });

  it('keeps a point at most 8 bytes (4 value + 2 owner + bucket index)', () => {
    const r = rng(5);
    for (const [n, owners] of [
      [400, 10],
      [16_000, 100],
      [160_000, 1000],
    ]) {
      const c = new Continuum(engine);
      const p = randomPoints(r, n, owners, false);
      c.setFromGeneration(Uint32Array.from(p.values), Uint32Array.from(p.owners), owners);
      expect(c.owners).toBeInstanceOf(Uint16Array);
      expect(c.byteLength / n).toBeLessThanOrEqual(8);
    }
  });
});
