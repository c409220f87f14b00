/**
 * The C++ core and the TypeScript engine give bit-identical answers: every Engine method on
 * 100k+ seeded random inputs (keys of every shape, random ring tables), compared as arrays.
 * Runs once, in the `native` project (the engines are built here, whatever the project's own;
 * test/unit/engine-configs.test.ts compares the hybrid dispatch too).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Key, type RingHash, type RingTable } from '../../src/engine';
import { loadNativeBinding, nativeEngine } from '../../src/engine/native';
import { project } from '../helpers/project';
import { keyBytes, randomKey, rng, show, tableFor, type Rng } from '../helpers/random-keys';

const N = 100_000;
const js: Engine = engines.js;
let native: Engine;
/** Keys of every shape: lengths 0..300, ASCII, brace-heavy, UTF-16 with lone surrogates, views. */
let keys: Key[] = [];

/** First index where two array-likes differ, or -1 (lengths compared too). */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** `points` sorted with duplicates and runs, and a bucket index per the RingTable contract. */
function randomTable(g: Rng, count: number, bits: number): RingTable {
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
function referenceFind(points: Uint32Array, h: number): number {
  if (points.length === 0) return -1;
  for (let i = 0; i < points.length; i++) if (points[i] >= h) return i;
  return 0;
}

function randomTables(seed: number, howMany: number): RingTable[] {
  const g = rng(seed);
  const tables: RingTable[] = [randomTable(g, 0, 0), randomTable(g, 0, 8), randomTable(g, 1, 0), randomTable(g, 3, 24)];
  while (tables.length < howMany) {
    const count = g() < 0.2 ? g.int(8) : g.int(3000);
    const bits = g() < 0.15 ? 0 : g() < 0.1 ? 20 : g.int(17);
    tables.push(randomTable(g, count, bits));
  }
  return tables;
}

/** Packs keys (strings as UTF-8) the way the packed methods read them. */
function pack(batch: readonly Key[]): { data: Uint8Array; offsets: Uint32Array } {
  const parts = batch.map(keyBytes);
  const offsets = new Uint32Array(parts.length + 1);
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i] + parts[i].length;
  return { data: new Uint8Array(Buffer.concat(parts)), offsets };
}

/** Splits `keys` into random batches of 0..2000 keys. */
function batches(g: Rng): Key[][] {
  const out: Key[][] = [[]];
  for (let i = 0; i < keys.length; ) {
    const n = g.int(2001);
    out.push(keys.slice(i, i + n));
    i += n;
  }
  return out;
}

describe.runIf(project === 'native')('native engine ≡ TypeScript engine', () => {
  beforeAll(() => {
    native = nativeEngine(loadNativeBinding());
    const r = rng(0xa9ee);
    keys = Array.from({ length: N }, () => randomKey(r, 300));
    expect(native.backend).toBe('native');
    expect(js.backend).toBe('js');
  });

  it(`single-key methods agree on ${N} keys: md5, md5Uint32, murmur3, crc16, keySlot`, () => {
    const bad: string[] = [];
    const a = new Uint8Array(20);
    const b = new Uint8Array(20);
    const g = rng(1);
    let compared = 0;
    for (let i = 0; i < keys.length && bad.length < 10; i++) {
      const k = keys[i];
      a.fill(0xaa);
      b.fill(0xaa);
      native.md5(k, a);
      js.md5(k, b);
      if (firstDiff(a, b) >= 0) bad.push(`md5 ${show(k)}`);
      if (native.md5Uint32(k) !== js.md5Uint32(k)) bad.push(`md5Uint32 ${show(k)}`);
      const seed = i % 97 === 0 ? g.pick([0, 0xffffffff, 0x80000000]) : g.u32();
      if (native.murmur3(k, seed) !== js.murmur3(k, seed)) bad.push(`murmur3 ${show(k)} seed ${seed}`);
      if (native.crc16(k) !== js.crc16(k)) bad.push(`crc16 ${show(k)}`);
      if (native.keySlot(k) !== js.keySlot(k)) bad.push(`keySlot ${show(k)}`);
      compared++;
    }
    expect(bad).toEqual([]);
    expect(compared).toBe(N);
  });

  it('md5 writes exactly out[0..16) and leaves the rest (and a subarray’s neighbours) alone', () => {
    const backingA = new Uint8Array(40).fill(0x55);
    const backingB = new Uint8Array(40).fill(0x55);
    native.md5('abc', backingA.subarray(3, 23));
    js.md5('abc', backingB.subarray(3, 23));
    expect(Array.from(backingA)).toEqual(Array.from(backingB));
    expect(Buffer.from(backingA.subarray(3, 19)).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(backingA.subarray(19).every((x) => x === 0x55) && backingA[2] === 0x55).toBe(true);
  });

  it('keySlots and keySlotsPacked agree over all keys in random batches (tails untouched)', () => {
    let compared = 0;
    for (const batch of batches(rng(2))) {
      const extra = 3;
      const a = new Uint16Array(batch.length + extra).fill(0xfeed);
      const b = new Uint16Array(batch.length + extra).fill(0xfeed);
      native.keySlots(batch, a);
      js.keySlots(batch, b);
      const d = firstDiff(a, b);
      expect(d, d >= 0 ? `keySlots ${show(batch[d] ?? '')}` : '').toBe(-1);
      const { data, offsets } = pack(batch);
      const pa = new Uint16Array(batch.length + extra).fill(0xfeed);
      const pb = new Uint16Array(batch.length + extra).fill(0xfeed);
      native.keySlotsPacked(data, offsets, pa);
      js.keySlotsPacked(data, offsets, pb);
      const pd = firstDiff(pa, pb);
      expect(pd, pd >= 0 ? `keySlotsPacked ${show(batch[pd] ?? '')}` : '').toBe(-1);
      // …and the packed form equals the unpacked one.
      expect(firstDiff(pa, a)).toBe(-1);
      compared += batch.length;
    }
    expect(compared).toBe(N);
  });

  it('ringFind agrees (and matches the contract) on random tables and hashes', () => {
    const tables = randomTables(3, 120);
    const g = rng(4);
    let compared = 0;
    const bad: string[] = [];
    for (const t of tables) {
      const hashes: number[] = [0, 1, 0xffffffff, 0x80000000];
      for (let j = 0; j < Math.min(t.points.length, 200); j++) {
        const p = t.points[g.int(t.points.length)];
        hashes.push(p, (p + 1) >>> 0, (p - 1) >>> 0);
      }
      while (hashes.length < 900) hashes.push(g.u32());
      for (const h of hashes) {
        const a = native.ringFind(t, h);
        const b = js.ringFind(t, h);
        compared++;
        if (a !== b || (compared % 7 === 0 && a !== referenceFind(t.points, h))) {
          if (bad.length < 10) {
            bad.push(`n=${t.points.length} shift=${t.shift} h=${h}: native ${a}, js ${b}, reference ${referenceFind(t.points, h)}`);
          }
        }
      }
    }
    expect(bad).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(N);
  });

  it('ringLookup and ringLookupPacked agree for md5 and murmur3 with random seeds', () => {
    const tables = randomTables(5, 60);
    const g = rng(6);
    let compared = 0;
    let nonTrivial = 0;
    const bs = batches(rng(7));
    bs.forEach((batch, bi) => {
      const t = tables[bi % tables.length];
      const hash: RingHash = g() < 0.5 ? 0 : 1;
      const seed = g() < 0.1 ? 0 : g.u32();
      const run = (e: Engine, packed: boolean): Int32Array => {
        const out = new Int32Array(batch.length + 2).fill(0x7eadbeef);
        if (packed) {
          const { data, offsets } = pack(batch);
          e.ringLookupPacked(t, data, offsets, hash, seed, out);
        } else {
          e.ringLookup(t, batch, hash, seed, out);
        }
        return out;
      };
      const a = run(native, false);
      const b = run(js, false);
      const pa = run(native, true);
      const pb = run(js, true);
      const ctx = `batch ${bi} n=${t.points.length} shift=${t.shift} hash=${hash} seed=${seed}`;
      const d = firstDiff(a, b);
      expect(d, `${ctx} ringLookup ${d >= 0 ? show(batch[d] ?? '') : ''}`).toBe(-1);
      expect(firstDiff(pa, pb), `${ctx} ringLookupPacked`).toBe(-1);
      expect(firstDiff(a, pa), `${ctx} packed ≠ unpacked`).toBe(-1);
      // Spot-check against the contract: hash the key with the single-key method, then find.
      for (let i = 0; i < batch.length; i += 97) {
        const h = hash === 0 ? js.md5Uint32(batch[i]) : js.murmur3(batch[i], seed);
        expect(a[i], `${ctx} key ${show(batch[i])}`).toBe(referenceFind(t.points, h));
      }
      compared += batch.length;
      if (t.points.length > 1) nonTrivial += batch.length;
    });
    expect(compared).toBe(N);
    expect(nonTrivial).toBeGreaterThan(N / 2);
  });

  it('agree on corrupt (non-monotonic) bucket indexes: same answer, no crash', () => {
    const g = rng(8);
    let compared = 0;
    for (let k = 0; k < 200; k++) {
      const t = randomTable(g, g.int(50), g.int(9));
      for (let b = 0; b < t.buckets.length - 1; b++) if (g() < 0.3) t.buckets[b] = g.int(t.points.length + 10);
      for (let j = 0; j < 50; j++) {
        const h = g.u32();
        expect(native.ringFind(t, h), `shift=${t.shift} h=${h}`).toBe(js.ringFind(t, h));
        compared++;
      }
    }
    expect(compared).toBe(10_000);
  });

  it('agree on edge shapes: no keys, empty offsets, a single offset, empty ring', () => {
    const outcome = (f: () => unknown): string => {
      try {
        return `ok ${JSON.stringify(f())}`;
      } catch (e) {
        return `throws ${(e as Error).constructor.name}`;
      }
    };
    const t = randomTable(rng(10), 5, 8);
    const empty = randomTable(rng(10), 0, 8);
    const cases: [string, (e: Engine) => unknown][] = [
      ['keySlots([])', (e) => e.keySlots([], new Uint16Array(0))],
      ['keySlotsPacked(offsets [])', (e) => e.keySlotsPacked(new Uint8Array(0), new Uint32Array(0), new Uint16Array(0))],
      ['keySlotsPacked(offsets [0])', (e) => e.keySlotsPacked(new Uint8Array(0), new Uint32Array([0]), new Uint16Array(0))],
      ['ringLookup([])', (e) => e.ringLookup(t, [], 0, 0, new Int32Array(0))],
      ['ringLookupPacked(offsets [])', (e) => e.ringLookupPacked(t, new Uint8Array(0), new Uint32Array(0), 0, 0, new Int32Array(0))],
      ['ringLookupPacked(offsets [0])', (e) => e.ringLookupPacked(t, new Uint8Array(0), new Uint32Array([0]), 1, 0, new Int32Array(0))],
      ['ringLookup(empty ring)', (e) => {
        const o = new Int32Array(2);
        e.ringLookup(empty, ['a', ''], 1, 0, o);
        return Array.from(o);
      }],
      ['ringLookupPacked(empty ring)', (e) => {
        const o = new Int32Array(3).fill(5);
        e.ringLookupPacked(empty, Buffer.from('ab'), new Uint32Array([0, 1, 2]), 0, 0, o);
        return Array.from(o);
      }],
      ['ringFind(empty ring)', (e) => e.ringFind(empty, 123)],
    ];
    const bad: string[] = [];
    for (const [what, f] of cases) {
      const a = outcome(() => f(native));
      const b = outcome(() => f(js));
      if (a !== b) bad.push(`${what}: native ${a}, js ${b}`);
    }
    expect(bad).toEqual([]);
  });

  it('agree on numbers outside uint32 for seed and hash: same value, or both throw the same error class', () => {
    const outcome = (f: () => number): string => {
      try {
        return `value ${f()}`;
      } catch (e) {
        return `throws ${(e as Error).constructor.name}`;
      }
    };
    const t = randomTable(rng(9), 100, 8);
    const bad: string[] = [];
    for (const x of [-1, -0, 1.5, -1.5, 2 ** 32, 2 ** 32 + 5, 2 ** 53, -(2 ** 53), 1e300, NaN, Infinity, -Infinity]) {
      const pairs: [string, () => number, () => number][] = [
        ['murmur3 seed', () => native.murmur3('abc', x), () => js.murmur3('abc', x)],
        ['ringFind hash', () => native.ringFind(t, x), () => js.ringFind(t, x)],
        [
          'ringLookup seed',
          () => {
            const o = new Int32Array(1);
            native.ringLookup(t, ['abc'], 1, x, o);
            return o[0];
          },
          () => {
            const o = new Int32Array(1);
            js.ringLookup(t, ['abc'], 1, x, o);
            return o[0];
          },
        ],
      ];
      for (const [what, n, j] of pairs) {
        const a = outcome(n);
        const b = outcome(j);
        if (a !== b) bad.push(`${what} ${x}: native ${a}, js ${b}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
