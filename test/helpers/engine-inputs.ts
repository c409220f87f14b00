/**
 * Seeded inputs for comparing two engines: random ring tables (duplicates, dense clusters,
 * subarray views), packed batches, random batch splits, and the plain-loop reference lookup.
 * Shared by the vitest differential (test/unit/engines-agree.test.ts) and the emulated arm64
 * run (test/arm64/), so both compare the engines on the same kinds of input.
 */
import type { Key, RingTable } from '../../src/engine/types';
import { keyBytes, tableFor, type Rng } from './random-keys';

/** First index where two array-likes differ, or -1 (lengths compared too). */
export function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** `points` sorted with duplicates and runs, and a bucket index per the RingTable contract. */
export function randomTable(g: Rng, count: number, bits: number): RingTable {
  const raw: number[] = [];
  while (raw.length < count) {
    const x = g();
    if (x < 0.1 && raw.length > 0) raw.push(g.pick(raw)); // duplicate
    else if (x < 0.15) raw.push(g.pick([0, 1, 0xffffffff, 0xfffffffe, 0x80000000]));
    else if (x < 0.3) raw.push((0x12340000 + g.int(0x10000)) >>> 0); // a dense cluster
    else raw.push(g.u32());
  }
  raw.sort((a, b) => a - b);
  // Sometimes a subarray view into a bigger array (the contract allows it).
  let points = Uint32Array.from(raw);
  if (g() < 0.3) {
    const pad = 1 + g.int(5);
    const backing = new Uint32Array(raw.length + 2 * pad).fill(0xdeadbeef);
    backing.set(raw, pad);
    points = backing.subarray(pad, pad + raw.length);
  }
  return tableFor(points, bits);
}

/** The contract's lookup, written plainly: first point >= h, else 0; -1 on an empty ring. */
export function referenceFind(points: Uint32Array, h: number): number {
  if (points.length === 0) return -1;
  for (let i = 0; i < points.length; i++) if (points[i] >= h) return i;
  return 0;
}

/** Edge tables first (empty, one point), then random sizes up to `maxPoints` and bucket bits. */
export function randomTables(g: Rng, howMany: number, maxPoints = 3000): RingTable[] {
  const tables: RingTable[] = [randomTable(g, 0, 0), randomTable(g, 0, 8), randomTable(g, 1, 0), randomTable(g, 3, 24)];
  while (tables.length < howMany) {
    const count = g() < 0.2 ? g.int(8) : g.int(maxPoints);
    const bits = g() < 0.15 ? 0 : g() < 0.1 ? 20 : g.int(17);
    tables.push(randomTable(g, count, bits));
  }
  return tables;
}

/** Packs keys (strings as UTF-8) the way the packed methods read them. */
export function pack(batch: readonly Key[]): { data: Uint8Array; offsets: Uint32Array } {
  const parts = batch.map(keyBytes);
  const offsets = new Uint32Array(parts.length + 1);
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i] + parts[i].length;
  return { data: new Uint8Array(Buffer.concat(parts)), offsets };
}

/** Splits `keys` into random batches of 0..maxBatch keys (an empty batch first). */
export function batches(keys: readonly Key[], g: Rng, maxBatch = 2000): Key[][] {
  const out: Key[][] = [[]];
  for (let i = 0; i < keys.length; ) {
    const n = g.int(maxBatch + 1);
    out.push(keys.slice(i, i + n));
    i += n;
  }
  return out;
}
