/**
 * The pure TypeScript engine on its own (imported directly, whatever backend is chosen):
 * MD5 vs RFC 1321 and node:crypto, MurmurHash3 vs published vectors and the `murmurhash`
 * package, CRC16/key slots vs a bit-by-bit reference and `cluster-key-slot`, ring search vs a
 * linear scan, and junk arguments → TypeError/RangeError with the native binding's codes.
 */
import { createHash } from 'node:crypto';
import * as vm from 'node:vm';
import generate from 'cluster-key-slot';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { jsEngine as js } from '../../src/engine/js';
import type { Key, RingHash, RingTable } from '../../src/engine/types';
import {
  keyBytes,
  offsetView,
  randomAscii,
  randomBraces,
  randomBytes,
  randomKey,
  randomUnicode,
  rng,
  show,
  tableFor,
  type Rng,
} from '../helpers/random-keys';
import { crc16Reference, keySlotReference, MURMUR3_VECTORS, RFC1321_VECTORS } from '../helpers/reference';

const cryptoMd5 = (bytes: Uint8Array): Buffer => createHash('md5').update(bytes).digest();
const md5Hex = (key: Key): string => {
  const out = new Uint8Array(16);
  js.md5(key, out);
  return Buffer.from(out).toString('hex');
};

/** A view whose ArrayBuffer has been transferred away. */
function detached<T>(make: (buffer: ArrayBuffer) => T): T {
  const buffer = new ArrayBuffer(8);
  const view = make(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

/** Every shape of key, `n` of them, seeded. */
function randomKeys(seed: number, n: number, maxLength?: number): Key[] {
  const g = rng(seed);
  return Array.from({ length: n }, () => randomKey(g, maxLength));
}

describe('md5', () => {
  it('matches the RFC 1321 test suite', () => {
    for (const [input, digest] of RFC1321_VECTORS) {
      expect(md5Hex(input), input).toBe(digest);
      expect(md5Hex(Buffer.from(input)), input).toBe(digest);
      expect(js.md5Uint32(input), input).toBe(Buffer.from(digest, 'hex').readUInt32LE(0));
    }
  });

  it('matches node:crypto for every length 0..130 (block edges 55/56/63/64/119/120), strings and views', () => {
    const g = rng(1);
    const bad: string[] = [];
    for (let len = 0; len <= 130; len++) {
      const ascii = randomAscii(g, len);
      const unicode = randomUnicode(g, len);
      // Multi-byte chars placed so the UTF-8 length lands exactly on `len`.
      const mixed = 'é'.repeat(len >> 2) + 'x'.repeat(len - 2 * (len >> 2));
      for (const s of [ascii, unicode, mixed]) {
        const bytes = Buffer.from(s);
        const want = cryptoMd5(bytes);
        for (const key of [s, bytes, offsetView(g, bytes, false), offsetView(g, bytes, true)]) {
          if (md5Hex(key) !== want.toString('hex') || js.md5Uint32(key) !== want.readUInt32LE(0)) bad.push(show(key));
        }
      }
      expect(Buffer.byteLength(mixed), 'mixed string length').toBe(len);
    }
    expect(bad).toEqual([]);
  });

  it('matches node:crypto on 20k random keys (ASCII, non-ASCII, astral, lone surrogates, empty, offset views)', () => {
    const bad: string[] = [];
    for (const key of randomKeys(2, 20_000)) {
      const want = cryptoMd5(keyBytes(key));
      if (md5Hex(key) !== want.toString('hex') || js.md5Uint32(key) !== want.readUInt32LE(0)) bad.push(show(key));
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('hashes 1 MiB inputs (ASCII, non-ASCII past the scratch buffer, a Buffer at an offset)', () => {
    const g = rng(3);
    const ascii = randomAscii(g, 1 << 20);
    const unicode = randomUnicode(g, 1 << 19);
    const bytes = offsetView(g, randomBytes(g, 1 << 20), true);
    for (const key of [ascii, unicode, bytes]) {
      const want = cryptoMd5(keyBytes(key));
      expect(md5Hex(key)).toBe(want.toString('hex'));
      expect(js.md5Uint32(key)).toBe(want.readUInt32LE(0));
    }
  });

  it('writes exactly out[0..16) of a longer out (a Buffer is an out too)', () => {
    const out = Buffer.alloc(20, 0xaa);
    js.md5('abc', out);
    expect(out.subarray(0, 16).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect([...out.subarray(16)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
  });

  it('accepts a Uint8Array from another realm', () => {
    const foreign = vm.runInNewContext('new Uint8Array([97, 98, 99])') as Uint8Array;
    expect(foreign instanceof Uint8Array).toBe(false);
    expect(md5Hex(foreign)).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
});

describe('murmur3', () => {
  it('matches published x86_32 vectors', () => {
    for (const [key, seed, want] of MURMUR3_VECTORS) {
      expect(js.murmur3(key, seed), `${show(key)} seed ${seed}`).toBe(want);
      expect(js.murmur3(keyBytes(key), seed), `${show(key)} bytes seed ${seed}`).toBe(want);
    }
  });

  it('matches murmurhash.v3 on random ASCII strings and on the bytes of random keys, random seeds', () => {
    const g = rng(4);
    const bad: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const s = randomAscii(g, g.int(70));
      const seed = g.u32();
      if (js.murmur3(s, seed) !== murmurhash.v3(s, seed)) bad.push(`${show(s)} seed ${seed}`);
    }
    for (const key of randomKeys(5, 10_000)) {
      const seed = g.u32();
      const want = murmurhash.v3(keyBytes(key), seed);
      if (js.murmur3(key, seed) !== want) bad.push(`${show(key)} seed ${seed}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('takes the seed mod 2^32 after truncation, as the native binding does', () => {
    const h = (seed: number): number => js.murmur3('abc', seed);
    expect(h(-1)).toBe(h(0xffffffff));
    expect(h(2 ** 32 + 5)).toBe(h(5));
    expect(h(1.9)).toBe(h(1));
    expect(h(-1.5)).toBe(h(0xffffffff));
    expect(h(-0)).toBe(h(0));
  });
});

describe('crc16 and keySlot', () => {
  it('crc16 matches the XMODEM check value and a bit-by-bit reference', () => {
    expect(js.crc16('123456789')).toBe(0x31c3);
    expect(js.crc16(Buffer.from('123456789'))).toBe(0x31c3);
    const bad: string[] = [];
    for (const key of randomKeys(6, 20_000)) if (js.crc16(key) !== crc16Reference(keyBytes(key))) bad.push(show(key));
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('follows the Redis hash-tag rule', () => {
    const crcSlot = (s: string): number => crc16Reference(Buffer.from(s)) & 16383;
    expect(js.keySlot('foo{}{bar}')).toBe(8363);
    expect(js.keySlot('foo{}{bar}')).toBe(crcSlot('foo{}{bar}'));
    expect(js.keySlot('{}}')).toBe(crcSlot('{}}'));
    expect(js.keySlot('{user1000}.following')).toBe(js.keySlot('user1000'));
    expect(js.keySlot('{user1000}.followers')).toBe(js.keySlot('user1000'));
    expect(js.keySlot('{')).toBe(crcSlot('{'));
    expect(js.keySlot('}{')).toBe(crcSlot('}{'));
    expect(js.keySlot('{bar')).toBe(crcSlot('{bar'));
    expect(js.keySlot('a{b}c{d}')).toBe(js.keySlot('b'));
    expect(js.keySlot('foo{{bar}}')).toBe(js.keySlot('{bar'));
    expect(js.keySlot('{é}x')).toBe(crcSlot('é'));
    expect(js.keySlot('123456789')).toBe(0x31c3 & 16383);
    expect(js.keySlot('')).toBe(0);
  });

  it('keySlot of a string equals keySlot of its UTF-8 bytes and the reference, on random keys with braces', () => {
    const g = rng(7);
    const bad: string[] = [];
    const keys: Key[] = [...randomKeys(8, 20_000)];
    for (let i = 0; i < 10_000; i++) keys.push(randomBraces(g, g.int(20)));
    for (const key of keys) {
      const bytes = keyBytes(key);
      const want = keySlotReference(bytes);
      if (js.keySlot(key) !== want || js.keySlot(bytes) !== want) bad.push(show(key));
      if (typeof key === 'string' && js.keySlot(offsetView(g, bytes, false)) !== want) bad.push(`view ${show(key)}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('agrees with cluster-key-slot wherever that package follows Redis (first tag not empty)', () => {
    const g = rng(9);
    const bad: string[] = [];
    let compared = 0;
    for (let i = 0; i < 20_000; i++) {
      const s = g() < 0.5 ? randomAscii(g, g.int(40)) : randomBraces(g, g.int(20));
      // cluster-key-slot keeps looking for a tag after an empty `{}`; Redis does not.
      const open = s.indexOf('{');
      if (open >= 0 && s[open + 1] === '}') continue;
      compared++;
      // Its own string encoder writes a lone surrogate as itself, not U+FFFD: give it bytes.
      if (js.keySlot(s) !== generate(Buffer.from(s) as never)) bad.push(show(s));
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(10_000);
  });

  it('keySlots and keySlotsPacked equal keySlot per key', () => {
    const g = rng(10);
    const keys = randomKeys(11, 5_000);
    const out = new Uint16Array(keys.length + 3).fill(0xffff);
    js.keySlots(keys, out);
    expect(Array.from(out.subarray(0, keys.length))).toEqual(keys.map((k) => js.keySlot(k)));
    expect(Array.from(out.subarray(keys.length))).toEqual([0xffff, 0xffff, 0xffff]);

    // Packed: junk before the first offset and after the last must not leak into any key.
    const parts = keys.map(keyBytes);
    const lead = 5;
    const data = new Uint8Array(lead + parts.reduce((n, p) => n + p.length, 0) + 7).map(() => g.pick([0x7b, 0x7d, 0x61]));
    const offsets = new Uint32Array(keys.length + 1);
    offsets[0] = lead;
    parts.forEach((p, i) => {
      data.set(p, offsets[i]);
      offsets[i + 1] = offsets[i] + p.length;
    });
    const packed = new Uint16Array(keys.length);
    js.keySlotsPacked(offsetView(g, data, true), offsets, packed);
    expect(Array.from(packed)).toEqual(keys.map((k) => js.keySlot(k)));
  });
});

describe('ring search', () => {
  /** The contract, plainly: first point >= h, else 0; -1 on an empty ring. */
  function referenceFind(points: Uint32Array, h: number): number {
    if (points.length === 0) return -1;
    for (let i = 0; i < points.length; i++) if (points[i] >= h) return i;
    return 0;
  }

  function randomPoints(g: Rng, count: number): Uint32Array {
    const raw: number[] = [];
    while (raw.length < count) {
      const x = g();
      if (x < 0.15 && raw.length > 0) raw.push(g.pick(raw));
      else if (x < 0.2) raw.push(g.pick([0, 1, 0xfffffffe, 0xffffffff, 0x80000000]));
      else if (x < 0.35) raw.push(0x12340000 + g.int(0x10000));
      else raw.push(g.u32());
    }
    return Uint32Array.from(raw.sort((a, b) => a - b));
  }

  function randomTables(seed: number, howMany: number): RingTable[] {
    const g = rng(seed);
    const tables = [tableFor(new Uint32Array(0), 0), tableFor(new Uint32Array(0), 16), tableFor(Uint32Array.of(7), 0)];
    while (tables.length < howMany) {
      const count = g() < 0.3 ? g.int(6) : g.int(2000);
      const bits = g() < 0.05 ? 24 : g.int(17);
      let points = randomPoints(g, count);
      if (g() < 0.3) {
        // A subarray view into a bigger array (the contract allows it).
        const backing = new Uint32Array(count + 4).fill(0xdeadbeef);
        backing.set(points, 2);
        points = backing.subarray(2, 2 + count);
      }
      tables.push(tableFor(points, bits));
    }
    return tables;
  }

  it('ringFind equals a linear scan (bits 0..16 and 24, duplicates, edge hashes, exact point values)', () => {
    const g = rng(12);
    const bad: string[] = [];
    let compared = 0;
    for (const t of randomTables(13, 300)) {
      const hashes = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
      for (let i = 0; i < 50; i++) hashes.push(g.u32());
      for (let i = 0; i < Math.min(t.points.length, 50); i++) {
        const p = t.points[g.int(t.points.length)];
        hashes.push(p, (p + 1) >>> 0, (p - 1) >>> 0);
      }
      for (const h of hashes) {
        compared++;
        const got = js.ringFind(t, h);
        const want = referenceFind(t.points, h);
        if (got !== want) bad.push(`n=${t.points.length} shift=${t.shift} h=${h}: ${got} != ${want}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(20_000);
  });

  it('ringLookup and ringLookupPacked equal ringFind of md5Uint32 / murmur3(seed)', () => {
    const keys = randomKeys(14, 2_000, 80);
    const parts = keys.map(keyBytes);
    const data = Buffer.concat(parts);
    const offsets = new Uint32Array(keys.length + 1);
    parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.length));
    for (const t of randomTables(15, 12)) {
      for (const [hash, seed] of [
        [0, 0],
        [1, 0],
        [1, 0x9747b28c],
      ] as [RingHash, number][]) {
        const want = keys.map((k) => js.ringFind(t, hash === 0 ? js.md5Uint32(k) : js.murmur3(k, seed)));
        const out = new Int32Array(keys.length);
        js.ringLookup(t, keys, hash, seed, out);
        expect(Array.from(out), `lookup n=${t.points.length} hash=${hash}`).toEqual(want);
        const packed = new Int32Array(keys.length);
        js.ringLookupPacked(t, data, offsets, hash, seed, packed);
        expect(Array.from(packed), `packed n=${t.points.length} hash=${hash}`).toEqual(want);
      }
    }
  });

  it('an empty ring answers -1 everywhere', () => {
    const empty = tableFor(new Uint32Array(0), 8);
    expect(js.ringFind(empty, 12345)).toBe(-1);
    const out = new Int32Array(3).fill(7);
    js.ringLookup(empty, ['a', '', Buffer.from('b')], 1, 0, out);
    expect(Array.from(out)).toEqual([-1, -1, -1]);
    const packed = new Int32Array(3).fill(7);
    js.ringLookupPacked(empty, Buffer.from('ab'), Uint32Array.of(0, 1, 1, 2), 0, 0, packed);
    expect(Array.from(packed)).toEqual([-1, -1, -1]);
  });

  it('a corrupt (non-monotonic) bucket index gives the native core answer and never reads out of bounds', () => {
    // native/core/ring-search.cc: bucket end clamped to n; a start past the end means search all.
    const clamped = (t: RingTable, h: number): number => {
      const n = t.points.length;
      if (n === 0) return -1;
      const b = t.shift === 32 ? 0 : h >>> t.shift;
      let lo = t.buckets[b];
      let hi = Math.min(t.buckets[b + 1], n);
      if (lo > hi) [lo, hi] = [0, n];
      while (lo < hi && t.points[lo] < h) lo++;
      return lo === n ? 0 : lo;
    };
    const g = rng(16);
    for (let k = 0; k < 200; k++) {
      const t = tableFor(randomPoints(g, g.int(50)), g.int(9));
      for (let b = 0; b < t.buckets.length - 1; b++) if (g() < 0.3) t.buckets[b] = g.int(t.points.length + 10);
      for (let j = 0; j < 50; j++) {
        const h = g.u32();
        const got = js.ringFind(t, h);
        expect(got, `shift=${t.shift} h=${h}`).toBe(clamped(t, h));
        expect(got).toBeLessThan(Math.max(t.points.length, 1));
      }
    }
  });
});

describe('junk arguments throw TypeError/RangeError with the native codes', () => {
  const t = tableFor(Uint32Array.of(1, 2, 3), 8);
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['number key', () => js.md5Uint32(42 as never), TypeError, /^key must be a string or Uint8Array \(received number\)/],
    ['null key', () => js.crc16(null as never), TypeError, /^key must be a string or Uint8Array/],
    ['Uint16Array key', () => js.keySlot(new Uint16Array(2) as never), TypeError, /^key .*Uint16Array/],
    ['Uint8ClampedArray key', () => js.murmur3(new Uint8ClampedArray(2) as never, 0), TypeError, /^key/],
    ['DataView key', () => js.md5(new DataView(new ArrayBuffer(2)) as never, new Uint8Array(16)), TypeError, /^key/],
    ['detached key', () => js.keySlot(detached((b) => new Uint8Array(b))), TypeError, /^key is detached/],
    ['detached Buffer key', () => js.md5Uint32(detached((b) => Buffer.from(b))), TypeError, /^key is detached/],
    ['md5 out of 15', () => js.md5('k', new Uint8Array(15)), RangeError, /^out length must be at least 16/],
    ['md5 Uint16Array out', () => js.md5('k', new Uint16Array(16) as never), TypeError, /^out must be a Uint8Array/],
    ['md5 detached out', () => js.md5('k', detached((b) => new Uint8Array(b))), TypeError, /^out is detached/],
    ['seed string', () => js.murmur3('k', '1' as never), TypeError, /^seed must be a number/],
    ['seed NaN', () => js.murmur3('k', NaN), RangeError, /^seed must be a finite number/],
    ['seed Infinity', () => js.murmur3(Buffer.from('k'), Infinity), RangeError, /^seed/],
    ['seed bigint', () => js.murmur3('k', 1n as never), TypeError, /^seed/],
    ['keys not an array', () => js.keySlots('ab' as never, new Uint16Array(2)), TypeError, /^keys must be an Array/],
    ['keys[1] junk', () => js.keySlots(['a', 1] as never, new Uint16Array(2)), TypeError, /^keys\[1\] must be/],
    ['keys[0] detached', () => js.keySlots([detached((b) => new Uint8Array(b))], new Uint16Array(1)), TypeError, /^keys\[0\] is detached/],
    ['keySlots short out', () => js.keySlots(['a', 'b'], new Uint16Array(1)), RangeError, /^out length/],
    ['keySlots Int32Array out', () => js.keySlots(['a'], new Int32Array(1) as never), TypeError, /^out/],
    ['packed data string', () => js.keySlotsPacked('ab' as never, Uint32Array.of(0, 2), new Uint16Array(1)), TypeError, /^data/],
    ['packed offsets Array', () => js.keySlotsPacked(new Uint8Array(2), [0, 2] as never, new Uint16Array(1)), TypeError, /^offsets/],
    ['offsets empty', () => js.keySlotsPacked(new Uint8Array(2), new Uint32Array(0), new Uint16Array(2)), RangeError, /^offsets/],
    ['offsets decreasing', () => js.keySlotsPacked(new Uint8Array(4), Uint32Array.of(0, 3, 2), new Uint16Array(2)), RangeError, /^offsets must be non-decreasing/],
    ['offsets past data', () => js.keySlotsPacked(new Uint8Array(4), Uint32Array.of(0, 5), new Uint16Array(1)), RangeError, /^offsets must not pass/],
    ['packed short out', () => js.keySlotsPacked(new Uint8Array(4), Uint32Array.of(0, 1, 4), new Uint16Array(1)), RangeError, /^out length/],
    ['detached offsets', () => js.keySlotsPacked(new Uint8Array(4), detached((b) => new Uint32Array(b)), new Uint16Array(1)), TypeError, /^offsets is detached/],
    ['shift 7', () => js.ringFind({ ...t, shift: 7 }, 1), RangeError, /^shift must be an integer in 8..32/],
    ['shift 33', () => js.ringFind({ ...t, shift: 33 }, 1), RangeError, /^shift/],
    ['shift 8.5', () => js.ringFind({ ...t, shift: 8.5 }, 1), RangeError, /^shift/],
    ['shift string', () => js.ringFind({ ...t, shift: '24' as never }, 1), TypeError, /^shift must be a number/],
    ['points Array', () => js.ringFind({ ...t, points: [1, 2, 3] as never }, 1), TypeError, /^points must be a Uint32Array/],
    ['buckets Int32Array', () => js.ringFind({ ...t, buckets: new Int32Array(257) as never }, 1), TypeError, /^buckets/],
    ['buckets short', () => js.ringFind({ ...t, buckets: t.buckets.subarray(1) }, 1), RangeError, /^buckets length must be/],
    ['buckets last', () => js.ringFind({ ...t, points: t.points.subarray(1) }, 1), RangeError, /^buckets last entry/],
    ['table null', () => js.ringFind(null as never, 1), TypeError, /table/],
    ['hash string', () => js.ringFind(t, '1' as never), TypeError, /^hash must be a number/],
    ['hash NaN', () => js.ringFind(t, NaN), RangeError, /^hash must be a finite number/],
    ['ring hash 2', () => js.ringLookup(t, ['a'], 2 as never, 0, new Int32Array(1)), RangeError, /^hash must be 0 \(md5\) or 1/],
    ['ring hash string', () => js.ringLookup(t, ['a'], '0' as never, 0, new Int32Array(1)), TypeError, /^hash/],
    ['ring seed NaN', () => js.ringLookup(t, ['a'], 1, NaN, new Int32Array(1)), RangeError, /^seed/],
    ['ring out Uint32Array', () => js.ringLookup(t, ['a'], 0, 0, new Uint32Array(1) as never), TypeError, /^out must be an Int32Array/],
    ['ring out short', () => js.ringLookup(t, ['a', 'b'], 0, 0, new Int32Array(1)), RangeError, /^out length/],
    ['ring keys[2] junk', () => js.ringLookup(t, ['a', 'b', {}] as never, 0, 0, new Int32Array(3)), TypeError, /^keys\[2\] must be a string or Uint8Array \(received object\)/],
    ['ring packed offsets', () => js.ringLookupPacked(t, new Uint8Array(1), Uint32Array.of(1, 0), 0, 0, new Int32Array(1)), RangeError, /^offsets/],
    ['ring packed out short', () => js.ringLookupPacked(t, new Uint8Array(2), Uint32Array.of(0, 1, 2), 1, 0, new Int32Array(1)), RangeError, /^out length/],
  ];
  for (const [what, f, cls, message] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(cls);
      expect((err as Error).message).toMatch(message);
      const code = (err as { code?: string }).code;
      expect(code).toBe(cls === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE');
    });
  }

  it('empty but live views are keys, not errors', () => {
    expect(js.md5Uint32(new Uint8Array(0))).toBe(cryptoMd5(new Uint8Array(0)).readUInt32LE(0));
    expect(js.keySlot(Buffer.alloc(0))).toBe(0);
    expect(js.keySlot(new Uint8Array(new ArrayBuffer(4), 4, 0))).toBe(0);
    const out = new Uint16Array(0);
    js.keySlotsPacked(new Uint8Array(0), Uint32Array.of(0), out);
  });
});

describe('ring table check reuse', () => {
  it('re-checks whenever the table, its arrays or shift change, and after a detach', () => {
    const points = new Uint32Array([10, 20, 30]);
    const good: RingTable = { points, buckets: new Uint32Array([0, 3]), shift: 32 };
    expect(js.ringFind(good, 15)).toBe(1);
    expect(js.ringFind(good, 15)).toBe(1); // the reused check
    // Same object, swapped members: each is checked again.
    const t: RingTable = { ...good };
    expect(js.ringFind(t, 31)).toBe(0);
    t.buckets = new Uint32Array([0, 2]);
    expect(() => js.ringFind(t, 1)).toThrow(RangeError);
    t.buckets = good.buckets;
    t.shift = 31;
    expect(() => js.ringFind(t, 1)).toThrow(RangeError);
    t.shift = 32;
    t.points = new Uint16Array(3) as unknown as Uint32Array;
    expect(() => js.ringFind(t, 1)).toThrow(TypeError);
    // A checked table whose points get detached: TypeError, not an empty ring.
    const own = new Uint32Array([5, 6]);
    const d: RingTable = { points: own, buckets: new Uint32Array([0, 2]), shift: 32 };
    expect(js.ringFind(d, 6)).toBe(1);
    structuredClone(own.buffer, { transfer: [own.buffer] });
    expect(() => js.ringFind(d, 6)).toThrow(TypeError);
  });
});
