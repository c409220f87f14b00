/**
 * The C++ binding on its own, loaded the way src/engine/native.ts loads it (node-gyp-build
 * from the repo root), below the public validation layer: known vectors, differential checks
 * against node:crypto / murmurhash / bitwise references, and junk at every entry point, which
 * must throw TypeError or RangeError and never take the process down.
 *
 * Run: npx vitest run test/unit/native-binding.test.ts --project native
 */
import { createHash } from 'node:crypto';
import { types } from 'node:util';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { NATIVE_ABI_VERSION, type Key, type NativeBinding } from '../../src/engine/types';
import { loadBinding } from '../helpers/load-binding';
import { keyBytes, offsetView, randomBytes, randomKey, randomUnicode, rng, show, tableFor } from '../helpers/random-keys';
import { crc16Reference, keySlotReference, RFC1321_VECTORS } from '../helpers/reference';

const skip = process.env.RINGCACHE_BACKEND === 'js';

const b = skip ? (undefined as unknown as NativeBinding) : loadBinding();

const FUNCTIONS = [
  'crc16',
  'keySlot',
  'keySlots',
  'keySlotsPacked',
  'md5',
  'md5Uint32',
  'murmur3',
  'ringFind',
  'ringLookup',
  'ringLookupPacked',
];

const md5Hex = (key: Key): string => createHash('md5').update(keyBytes(key)).digest('hex');

function nativeMd5Hex(key: Key): string {
  const out = new Uint8Array(16);
  b.md5(key, out);
  return Buffer.from(out).toString('hex');
}

/** Lower bound of `h` over points, wrapping to 0; -1 on an empty ring. */
function ringFindReference(points: Uint32Array, h: number): number {
  if (points.length === 0) return -1;
  const i = points.findIndex((p) => p >= h);
  return i < 0 ? 0 : i;
}

function sortedPoints(r: ReturnType<typeof rng>, n: number, spread = 2 ** 32): Uint32Array {
  return Uint32Array.from({ length: n }, () => Math.floor(r() * spread) >>> 0).sort();
}

/** Keys packed as the packed entry points take them. */
function pack(keys: readonly Key[]): { data: Uint8Array; offsets: Uint32Array } {
  const parts = keys.map(keyBytes);
  const offsets = new Uint32Array(parts.length + 1);
  parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.length));
  return { data: Buffer.concat(parts), offsets };
}

/** A view whose ArrayBuffer has been transferred away. */
function detached<T extends ArrayBufferView>(make: (buffer: ArrayBuffer) => T): T {
  const view = make(new ArrayBuffer(64));
  structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
  return view;
}

/** Strings whose UTF-8 straddles the binding's 256-byte stack buffer with a multibyte char at the edge. */
function boundaryStrings(): string[] {
  const chars = ['é', '€', '😀', '\ud800', '\udfff', 'x'];
  const out: string[] = [];
  for (let prefix = 240; prefix <= 262; prefix++) {
    for (const ch of chars) for (const tail of ['', 'z', '\u00ff'.repeat(3)]) out.push('a'.repeat(prefix) + ch + tail);
  }
  for (let n = 250; n <= 260; n++) out.push('é'.repeat(n >> 1), '😀'.repeat(n >> 2), 'ä'.repeat(n));
  return out;
}

describe.skipIf(skip)('native binding', () => {
  it('exports exactly the NativeBinding functions and abiVersion', () => {
    expect(b.abiVersion).toBe(NATIVE_ABI_VERSION);
    expect(Object.keys(b).sort()).toEqual(['abiVersion', ...FUNCTIONS].sort());
    for (const f of FUNCTIONS) expect(typeof (b as unknown as Record<string, unknown>)[f]).toBe('function');
  });

  describe('known vectors', () => {
    it('md5: the RFC 1321 suite', () => {
      for (const [text, hex] of RFC1321_VECTORS) {
        expect(nativeMd5Hex(text)).toBe(hex);
        expect(nativeMd5Hex(Buffer.from(text))).toBe(hex);
        expect(b.md5Uint32(text)).toBe(Buffer.from(hex, 'hex').readUInt32LE(0));
      }
    });

    it('md5 writes 16 bytes into a larger out and leaves the rest', () => {
      const out = new Uint8Array(20).fill(0xaa);
      b.md5('abc', out);
      expect(Buffer.from(out.subarray(0, 16)).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
      expect([...out.subarray(16)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
    });

    it('murmur3 x86_32', () => {
      expect(b.murmur3('', 0)).toBe(0);
      expect(b.murmur3('', 1)).toBe(0x514e28b7);
      expect(b.murmur3('', 0xffffffff)).toBe(0x81f16f39);
      expect(b.murmur3(new Uint8Array(4), 0)).toBe(0x2362f9de);
      expect(b.murmur3('\0\0\0\0', 0)).toBe(0x2362f9de);
      expect(b.murmur3('Hello, world!', 1234)).toBe(0xfaf6cdb3);
      expect(b.murmur3('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
    });

    it('seed is ToUint32 of a finite number', () => {
      for (const seed of [-1, 2 ** 32 + 5, 1.9, -1.9, -0, 2 ** 53, -(2 ** 40) - 3, 1e300]) {
        expect(b.murmur3('key', seed)).toBe(b.murmur3('key', seed >>> 0));
      }
    });

    it('crc16 and keySlot', () => {
      expect(b.crc16('123456789')).toBe(0x31c3);
      expect(b.crc16('')).toBe(0);
      expect(b.keySlot('foo{}{bar}')).toBe(8363);
      expect(b.keySlot('{user1000}.following')).toBe(b.keySlot('user1000'));
      expect(b.keySlot('foo{{bar}}zap')).toBe(b.keySlot('{bar'));
      expect(b.keySlot('foo{bar}{zap}')).toBe(b.keySlot('bar'));
      expect(b.keySlot('123456789')).toBe(12739);
      expect(b.keySlot('')).toBe(0);
    });
  });

  describe('strings are hashed as Buffer.from(str)', () => {
    it('lone surrogates become EF BF BD', () => {
      for (const s of ['\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', '😀\ud83d']) {
        expect(Buffer.from(s).includes(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(true);
        expect(nativeMd5Hex(s)).toBe(md5Hex(s));
        expect(b.md5Uint32(s)).toBe(b.md5Uint32(Buffer.from(s)));
      }
      expect(nativeMd5Hex('\ud800')).toBe(md5Hex(Buffer.from([0xef, 0xbf, 0xbd])));
    });

    it('md5 matches node:crypto on random strings (non-ASCII, astral, lone surrogates, empty)', () => {
      const r = rng(1);
      for (let i = 0; i < 3000; i++) {
        const s = randomUnicode(r, i < 600 ? i : r.int(400));
        expect(nativeMd5Hex(s), show(s)).toBe(md5Hex(s));
      }
    });

    it('every hash agrees between a string and its UTF-8 bytes around the stack-buffer edge', () => {
      for (const s of boundaryStrings()) {
        const bytes = Buffer.from(s);
        expect(nativeMd5Hex(s), show(s)).toBe(md5Hex(s));
        expect(b.md5Uint32(s)).toBe(b.md5Uint32(bytes));
        expect(b.murmur3(s, 7)).toBe(murmurhash.v3(bytes, 7));
        expect(b.crc16(s)).toBe(crc16Reference(bytes));
        expect(b.keySlot(s)).toBe(keySlotReference(bytes));
      }
    });

    it('a 1 MiB string (ASCII and multibyte)', () => {
      for (const s of ['k'.repeat(1 << 20), 'ж'.repeat(1 << 19), '😀'.repeat(1 << 18) + '\ud800']) {
        expect(nativeMd5Hex(s)).toBe(md5Hex(s));
        expect(b.murmur3(s, 1)).toBe(murmurhash.v3(Buffer.from(s), 1));
        expect(b.crc16(s)).toBe(b.crc16(Buffer.from(s)));
      }
    });
  });

  describe('byte keys', () => {
    it('Buffers and Uint8Arrays at a byteOffset are hashed in place', () => {
      const r = rng(2);
      for (let i = 0; i < 500; i++) {
        const bytes = randomBytes(r, r.int(300));
        const view = offsetView(r, bytes, r() < 0.5);
        expect(view.byteOffset).toBeGreaterThan(0);
        expect(nativeMd5Hex(view)).toBe(md5Hex(bytes));
        expect(b.murmur3(view, 99)).toBe(murmurhash.v3(bytes, 99));
        expect(b.crc16(view)).toBe(crc16Reference(bytes));
        expect(b.keySlot(view)).toBe(keySlotReference(bytes));
      }
      const pooled = Buffer.from('pooled'); // a slice of Node's shared pool
      expect(nativeMd5Hex(pooled)).toBe(md5Hex('pooled'));
      expect(b.md5Uint32(new Uint8Array(0))).toBe(b.md5Uint32(''));
      expect(b.md5Uint32(new Uint8Array(8).subarray(8))).toBe(b.md5Uint32(''));
    });

    it('murmur3 and keySlot match references on random keys of every shape', () => {
      const r = rng(3);
      for (let i = 0; i < 3000; i++) {
        const key = randomKey(r);
        const bytes = keyBytes(key);
        const seed = r.u32();
        expect(b.murmur3(key, seed), show(key)).toBe(murmurhash.v3(bytes, seed));
        expect(b.keySlot(key), show(key)).toBe(keySlotReference(bytes));
        expect(b.md5Uint32(key), show(key)).toBe(createHash('md5').update(bytes).digest().readUInt32LE(0));
      }
    });
  });

  describe('batches', () => {
    const r = rng(4);
    // Long keys in the middle exercise the reader's heap buffer growing and being reused.
    const keys: Key[] = Array.from({ length: 700 }, (_, i) =>
      i % 97 === 5 ? 'L'.repeat(300 + i * 7) : randomKey(r),
    );

    it('keySlots and keySlotsPacked equal keySlot per key', () => {
      const want = keys.map((k) => b.keySlot(k));
      const out = new Uint16Array(keys.length + 3).fill(0xffff);
      b.keySlots(keys, out);
      expect([...out.subarray(0, keys.length)]).toEqual(want);
      expect([...out.subarray(keys.length)]).toEqual([0xffff, 0xffff, 0xffff]);
      const { data, offsets } = pack(keys);
      const packed = new Uint16Array(keys.length);
      b.keySlotsPacked(data, offsets, packed);
      expect([...packed]).toEqual(want);
      b.keySlots([], new Uint16Array(0));
      b.keySlotsPacked(new Uint8Array(0), new Uint32Array(1), new Uint16Array(0));
    });

    it('ringFind matches a linear scan for every shift', () => {
      for (const bits of [0, 1, 4, 8, 12, 16, 24]) {
        for (const [n, spread] of [[0, 2 ** 32], [1, 2 ** 32], [7, 2 ** 32], [300, 2 ** 32], [50, 40]]) {
          const t = tableFor(sortedPoints(r, n, spread), bits);
          for (let q = 0; q < 200; q++) {
            const h = q % 4 === 0 && n > 0 ? (t.points[r.int(n)] + r.int(3) - 1) >>> 0 : q % 4 === 1 ? r.int(64) : r.u32();
            expect(b.ringFind(t.points, t.buckets, t.shift, h)).toBe(ringFindReference(t.points, h));
          }
          expect(b.ringFind(t.points, t.buckets, t.shift, 0xffffffff)).toBe(ringFindReference(t.points, 0xffffffff));
        }
      }
    });

    it('ringLookup and ringLookupPacked equal ringFind of the key hash', () => {
      const t = tableFor(sortedPoints(r, 500), 10);
      const { data, offsets } = pack(keys);
      for (const [hash, seed] of [[0, 0], [1, 0], [1, 0x9747b28c]] as const) {
        const want = keys.map((k) =>
          b.ringFind(t.points, t.buckets, t.shift, hash === 0 ? b.md5Uint32(k) : b.murmur3(k, seed)),
        );
        const out = new Int32Array(keys.length);
        b.ringLookup(t.points, t.buckets, t.shift, keys, hash, seed, out);
        expect([...out]).toEqual(want);
        out.fill(-2);
        b.ringLookupPacked(t.points, t.buckets, t.shift, data, offsets, hash, seed, out);
        expect([...out]).toEqual(want);
      }
      const empty = tableFor(new Uint32Array(0), 4);
      const out = new Int32Array(3);
      b.ringLookup(empty.points, empty.buckets, empty.shift, ['a', 'b', 'c'], 0, 0, out);
      expect([...out]).toEqual([-1, -1, -1]);
    });

    it('points may be a subarray view', () => {
      const all = sortedPoints(r, 200);
      const points = all.subarray(50, 150);
      const t = tableFor(points, 6);
      for (let q = 0; q < 200; q++) {
        const h = r.u32();
        expect(b.ringFind(t.points, t.buckets, t.shift, h)).toBe(ringFindReference(points, h));
      }
    });
  });

  describe('junk arguments throw TypeError or RangeError, never crash', () => {
    const t = tableFor(Uint32Array.from([10, 20, 30]), 4);
    const valid = {
      key: 'key',
      out16: () => new Uint16Array(8), // room for the 5 junk keys: their TypeError comes after the out check
      offsets: () => Uint32Array.from([0, 1, 3]),
    };
    /** Valid argument lists; the fuzz replaces one argument (or truncates the list) at a time. */
    const calls: Record<string, () => unknown[]> = {
      md5: () => [valid.key, new Uint8Array(16)],
      md5Uint32: () => [valid.key],
      murmur3: () => [valid.key, 1],
      crc16: () => [valid.key],
      keySlot: () => [valid.key],
      keySlots: () => [['a', 'b'], valid.out16()],
      keySlotsPacked: () => [Buffer.from('abc'), valid.offsets(), valid.out16()],
      ringFind: () => [t.points, t.buckets, t.shift, 15],
      ringLookup: () => [t.points, t.buckets, t.shift, ['a', 'b'], 0, 0, new Int32Array(8)],
      ringLookupPacked: () => [t.points, t.buckets, t.shift, Buffer.from('abc'), valid.offsets(), 1, 0, new Int32Array(2)],
    };
    const junk = (): [string, unknown][] => [
      ['undefined', undefined],
      ['null', null],
      ['true', true],
      ['0', 0],
      ['-1', -1],
      ['2.5', 2.5],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['2**40', 2 ** 40],
      ["'str'", 'str'],
      ["''", ''],
      ['{}', {}],
      ['{ length: 2 }', { length: 2 }],
      ['[]', []],
      ['array of junk', [1, null, {}, Symbol('s'), 2n]],
      ['sparse array', [, 'a']], // eslint-disable-line no-sparse-arrays
      ['symbol', Symbol('junk')],
      ['bigint', 5n],
      ['function', () => 1],
      ['String object', new String('abc')],
      ['Number object', new Number(1)],
      ['ArrayBuffer', new ArrayBuffer(16)],
      ['DataView', new DataView(new ArrayBuffer(16))],
      ['Uint8Array(0)', new Uint8Array(0)],
      ['Uint8ClampedArray', new Uint8ClampedArray(16)],
      ['Int8Array', new Int8Array(16)],
      ['Uint16Array', new Uint16Array(16)],
      ['Int16Array', new Int16Array(16)],
      ['Uint32Array', new Uint32Array(16)],
      ['Int32Array', new Int32Array(16)],
      ['Float64Array', new Float64Array(4)],
      ['BigInt64Array', new BigInt64Array(4)],
      ['detached Uint8Array', detached((x) => new Uint8Array(x))],
      ['detached Uint16Array', detached((x) => new Uint16Array(x))],
      ['detached Uint32Array', detached((x) => new Uint32Array(x))],
      ['detached Int32Array', detached((x) => new Int32Array(x))],
      ['Proxy of an array', new Proxy(['a'], {})],
      ['shared Uint8Array', new Uint8Array(new SharedArrayBuffer(8))],
    ];

    /**
     * What each argument position takes. A value that is not `is` (the wrong type, a detached
     * view) must throw a TypeError whose message starts with the position's name. A value of
     * the right type must be accepted when its junk label is in `ok` (with the other arguments
     * as in `calls`), and otherwise throw a RangeError (out of range, too short, or making
     * another argument too short). So a validation the binding lost fails this table.
     */
    interface Position {
      name: string;
      is: (value: unknown) => boolean;
      ok?: readonly string[];
    }
    const isDetached = (v: ArrayBufferView): boolean => {
      if (v.byteLength !== 0) return false;
      try {
        new Uint8Array(v.buffer, 0, 0);
        return false;
      } catch {
        return true;
      }
    };
    const view =
      (ctor: abstract new (...args: never[]) => ArrayBufferView) =>
      (v: unknown): boolean =>
        v instanceof ctor && !isDetached(v);
    const isKey = (v: unknown): boolean => typeof v === 'string' || view(Uint8Array)(v);
    const KEY_OK = ["'str'", "''", 'Uint8Array(0)', 'shared Uint8Array'];
    const U32_OK = ['0', '-1', '2.5', '2**40']; // ToUint32 of any finite number; NaN and ±Infinity are RangeErrors
    const key: Position = { name: 'key', is: isKey, ok: KEY_OK };
    const number = (name: string, ok: readonly string[] = []): Position => ({ name, is: (v) => typeof v === 'number', ok });
    // The binding takes real arrays only (a Proxy of one is refused: napi_is_array says no).
    const keys: Position = { name: 'keys', is: (v) => Array.isArray(v) && !types.isProxy(v) && Array.from(v).every(isKey), ok: ['[]'] };
    const data: Position = { name: 'data', is: view(Uint8Array), ok: ['shared Uint8Array'] };
    const offsets: Position = { name: 'offsets', is: view(Uint32Array) };
    const table: Position[] = [{ name: 'points', is: view(Uint32Array) }, { name: 'buckets', is: view(Uint32Array) }, number('shift')];
    const ringOut: Position = { name: 'out', is: view(Int32Array), ok: ['Int32Array'] };
    const spec: Record<string, Position[]> = {
      md5: [key, { name: 'out', is: view(Uint8Array) }],
      md5Uint32: [key],
      murmur3: [key, number('seed', U32_OK)],
      crc16: [key],
      keySlot: [key],
      keySlots: [keys, { name: 'out', is: view(Uint16Array), ok: ['Uint16Array'] }],
      keySlotsPacked: [data, offsets, { name: 'out', is: view(Uint16Array), ok: ['Uint16Array'] }],
      ringFind: [...table, number('hash', U32_OK)],
      ringLookup: [...table, keys, number('hash', ['0']), number('seed', U32_OK), ringOut],
      ringLookupPacked: [...table, data, offsets, number('hash', ['0']), number('seed', U32_OK), ringOut],
    };

    /** The error `call` throws, or undefined. */
    function thrown(call: () => unknown): unknown {
      try {
        call();
      } catch (err) {
        return err;
      }
      return undefined;
    }

    it('the spec covers every function and argument', () => {
      expect(Object.keys(spec).sort()).toEqual([...FUNCTIONS].sort());
      for (const [name, args] of Object.entries(calls)) expect(spec[name].length, name).toBe(args().length);
    });

    it('one junk argument at every position of every function: TypeError, RangeError or accepted, as specified', () => {
      let checked = 0;
      for (const [name, args] of Object.entries(calls)) {
        const fn = (b as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
        expect(thrown(() => fn(...args())), `${name} with valid arguments`).toBeUndefined();
        spec[name].forEach((position, pos) => {
          for (const [label, value] of junk()) {
            const a = args();
            a[pos] = value;
            const err = thrown(() => fn(...a));
            const what = `${name} arg ${pos} (${position.name}) = ${label}: ${String(err)}`;
            if (!position.is(value)) {
              expect(err, what).toBeInstanceOf(TypeError);
              expect((err as Error).message.startsWith(position.name), what).toBe(true);
            } else if (position.ok?.includes(label)) {
              expect(err, what).toBeUndefined();
            } else {
              expect(err, what).toBeInstanceOf(RangeError);
            }
            checked++;
          }
          // Missing trailing arguments arrive as undefined, which no position takes.
          expect(thrown(() => fn(...args().slice(0, pos))), `${name} with ${pos} arguments`).toBeInstanceOf(TypeError);
        });
      }
      expect(checked).toBe(Object.values(spec).flat().length * junk().length);
    });

    it('random junk argument lists: a wrong type anywhere throws, accepted values everywhere do not', () => {
      const r = rng(5);
      const pool = junk();
      const tally = { mustThrow: 0, mustPass: 0, either: 0 };
      for (const [name, args] of Object.entries(calls)) {
        const fn = (b as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
        for (let i = 0; i < 300; i++) {
          const labels: string[] = [];
          let wrongType = false;
          let allOk = true;
          const a = args().map((v, pos) => {
            if (r() < 0.5) return (labels.push(`arg ${pos}`), v);
            const [label, value] = r.pick(pool);
            const position = spec[name][pos];
            labels.push(label);
            wrongType ||= !position.is(value);
            allOk &&= position.is(value) && (position.ok?.includes(label) ?? false);
            return value;
          });
          const err = thrown(() => fn(...a));
          const what = `${name}(${labels.join(', ')}): ${String(err)}`;
          if (wrongType) {
            tally.mustThrow++;
            expect(err instanceof TypeError || err instanceof RangeError, what).toBe(true);
          } else if (allOk) {
            // Values accepted one at a time: still accepted together (the positions are independent).
            tally.mustPass++;
            expect(err, what).toBeUndefined();
          } else {
            // Right types, some out of range: whether that throws can depend on another
            // argument (16 zero offsets fit a Uint16Array(16) out), but never anything else.
            tally.either++;
            if (err !== undefined) expect(err instanceof TypeError || err instanceof RangeError, what).toBe(true);
          }
        }
      }
      expect(tally.mustThrow + tally.mustPass + tally.either).toBe(300 * Object.keys(calls).length);
      expect(tally.mustThrow).toBeGreaterThan(1000);
      expect(tally.mustPass).toBeGreaterThan(100);
      expect(tally.either).toBeGreaterThan(0);
    });

    const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
      ['number key', () => b.md5Uint32(42 as never), TypeError, /^key must be a string or Uint8Array/],
      ['Uint16Array key', () => b.crc16(new Uint16Array(2) as never), TypeError, /^key .*Uint16Array/],
      ['detached key', () => b.keySlot(detached((x) => new Uint8Array(x))), TypeError, /^key is detached/],
      ['md5 out of 15', () => b.md5('k', new Uint8Array(15)), RangeError, /^out length must be at least 16/],
      ['md5 Uint16Array out', () => b.md5('k', new Uint16Array(16) as never), TypeError, /^out must be a Uint8Array/],
      ['md5 detached out', () => b.md5('k', detached((x) => new Uint8Array(x))), TypeError, /^out is detached/],
      ['seed string', () => b.murmur3('k', '1' as never), TypeError, /^seed must be a number/],
      ['seed NaN', () => b.murmur3('k', NaN), RangeError, /^seed must be a finite number/],
      ['seed -Infinity', () => b.murmur3('k', -Infinity), RangeError, /^seed/],
      ['seed bigint', () => b.murmur3('k', 1n as never), TypeError, /^seed/],
      ['keys not an array', () => b.keySlots('ab' as never, new Uint16Array(2)), TypeError, /^keys must be an Array/],
      ['keys[1] junk', () => b.keySlots(['a', 1] as never, new Uint16Array(2)), TypeError, /^keys\[1\] must be/],
      ['keySlots short out', () => b.keySlots(['a', 'b'], new Uint16Array(1)), RangeError, /^out length/],
      ['keySlots Int32Array out', () => b.keySlots(['a'], new Int32Array(1) as never), TypeError, /^out/],
      ['offsets empty', () => b.keySlotsPacked(new Uint8Array(2), new Uint32Array(0), new Uint16Array(2)), RangeError, /^offsets/],
      ['offsets decreasing', () => b.keySlotsPacked(new Uint8Array(4), Uint32Array.from([0, 3, 2]), new Uint16Array(2)), RangeError, /^offsets must be non-decreasing/],
      ['offsets past data', () => b.keySlotsPacked(new Uint8Array(4), Uint32Array.from([0, 5]), new Uint16Array(1)), RangeError, /^offsets must not pass/],
      ['offsets huge', () => b.keySlotsPacked(new Uint8Array(4), Uint32Array.from([0xffffffff, 0xffffffff]), new Uint16Array(1)), RangeError, /^offsets/],
      ['packed short out', () => b.keySlotsPacked(new Uint8Array(4), Uint32Array.from([0, 1, 2]), new Uint16Array(1)), RangeError, /^out/],
      ['offsets Int32Array', () => b.keySlotsPacked(new Uint8Array(4), new Int32Array(2) as never, new Uint16Array(1)), TypeError, /^offsets/],
      ['shift 7', () => b.ringFind(t.points, t.buckets, 7, 1), RangeError, /^shift must be an integer in 8\.\.32/],
      ['shift 33', () => b.ringFind(t.points, t.buckets, 33, 1), RangeError, /^shift/],
      ['shift 28.5', () => b.ringFind(t.points, t.buckets, 28.5, 1), RangeError, /^shift/],
      ['shift NaN', () => b.ringFind(t.points, t.buckets, NaN, 1), RangeError, /^shift/],
      ['shift string', () => b.ringFind(t.points, t.buckets, '28' as never, 1), TypeError, /^shift must be a number/],
      ['buckets for another shift', () => b.ringFind(t.points, t.buckets, 27, 1), RangeError, /^buckets length must be/],
      ['buckets last != points.length', () => b.ringFind(t.points, Uint32Array.from([...t.buckets.subarray(0, -1), 2]), 28, 1), RangeError, /^buckets last entry/],
      ['shift 32 with 3 buckets', () => b.ringFind(t.points, Uint32Array.from([0, 0, 3]), 32, 1), RangeError, /^buckets/],
      ['points Int32Array', () => b.ringFind(new Int32Array(3) as never, t.buckets, 28, 1), TypeError, /^points must be a Uint32Array/],
      ['buckets Float64Array', () => b.ringFind(t.points, new Float64Array(17) as never, 28, 1), TypeError, /^buckets/],
      ['detached points', () => b.ringFind(detached((x) => new Uint32Array(x)), t.buckets, 28, 1), TypeError, /^points is detached/],
      ['ringFind hash NaN', () => b.ringFind(t.points, t.buckets, 28, NaN), RangeError, /^hash/],
      ['ringFind hash string', () => b.ringFind(t.points, t.buckets, 28, '1' as never), TypeError, /^hash/],
      ['ring hash 2', () => b.ringLookup(t.points, t.buckets, 28, ['a'], 2 as never, 0, new Int32Array(1)), RangeError, /^hash must be 0 \(md5\) or 1/],
      ['ring hash 0.5', () => b.ringLookup(t.points, t.buckets, 28, ['a'], 0.5 as never, 0, new Int32Array(1)), RangeError, /^hash/],
      ['ring hash string', () => b.ringLookup(t.points, t.buckets, 28, ['a'], '0' as never, 0, new Int32Array(1)), TypeError, /^hash/],
      ['ring seed null', () => b.ringLookup(t.points, t.buckets, 28, ['a'], 1, null as never, new Int32Array(1)), TypeError, /^seed/],
      ['ringLookup Uint32Array out', () => b.ringLookup(t.points, t.buckets, 28, ['a'], 1, 0, new Uint32Array(1) as never), TypeError, /^out must be an Int32Array/],
      ['ringLookup short out', () => b.ringLookup(t.points, t.buckets, 28, ['a', 'b'], 1, 0, new Int32Array(1)), RangeError, /^out/],
      ['ringLookupPacked short out', () => b.ringLookupPacked(t.points, t.buckets, 28, Buffer.from('abc'), Uint32Array.from([0, 1, 3]), 0, 0, new Int32Array(1)), RangeError, /^out/],
      ['ringLookupPacked detached out', () => b.ringLookupPacked(t.points, t.buckets, 28, Buffer.from('abc'), Uint32Array.from([0, 3]), 0, 0, detached((x) => new Int32Array(x))), TypeError, /^out is detached/],
    ];
    it.each(cases)('%s', (_label, call, ErrorClass, message) => {
      expect(call).toThrow(ErrorClass);
      expect(call).toThrow(message);
    });

    it('errors carry Node-style codes', () => {
      const codeOf = (call: () => unknown): unknown => {
        try {
          call();
        } catch (err) {
          return (err as { code?: unknown }).code;
        }
        return undefined;
      };
      expect(codeOf(() => b.crc16(1 as never))).toBe('ERR_INVALID_ARG_TYPE');
      expect(codeOf(() => b.md5('k', new Uint8Array(1)))).toBe('ERR_OUT_OF_RANGE');
    });
  });

  describe('keys arrays whose getters run JS', () => {
    it('an exception from a getter propagates and nothing crashes', () => {
      const keys = ['a', 'b', 'c'];
      Object.defineProperty(keys, 1, {
        get() {
          throw new Error('getter boom');
        },
      });
      expect(() => b.keySlots(keys, new Uint16Array(3))).toThrow('getter boom');
      expect(() => b.ringLookup(Uint32Array.from([1]), Uint32Array.from([0, 1]), 32, keys, 0, 0, new Int32Array(3))).toThrow(
        'getter boom',
      );
    });

    it('a getter that throws a non-Error value: that value propagates as it is', () => {
      for (const value of ['boom', undefined, null, 42, Symbol('s')]) {
        const keys = ['a', 'b'];
        Object.defineProperty(keys, 1, {
          get() {
            throw value;
          },
        });
        let caught: unknown = 'nothing thrown';
        try {
          b.keySlots(keys, new Uint16Array(2));
        } catch (err) {
          caught = err;
        }
        expect(caught).toBe(value);
      }
    });

    it('a getter that detaches the output or the ring mid-batch gets a TypeError, not a write into freed memory', () => {
      for (const target of ['out', 'points', 'buckets'] as const) {
        const t = tableFor(sortedPoints(rng(6), 64), 4);
        const out = new Int32Array(600);
        const victim = target === 'out' ? out : t[target];
        const keys: string[] = Array.from({ length: 600 }, (_, i) => `k${i}`);
        Object.defineProperty(keys, 300, {
          get() {
            structuredClone(victim.buffer, { transfer: [victim.buffer as ArrayBuffer] });
            return 'k300';
          },
        });
        expect(() => b.ringLookup(t.points, t.buckets, t.shift, keys, 1, 0, out)).toThrow(`${target} is detached`);
      }
      const slots = new Uint16Array(600);
      const keys: string[] = Array.from({ length: 600 }, (_, i) => `k${i}`);
      Object.defineProperty(keys, 400, {
        get() {
          structuredClone(slots.buffer, { transfer: [slots.buffer as ArrayBuffer] });
          return 'k400';
        },
      });
      expect(() => b.keySlots(keys, slots)).toThrow(/^out is detached/);
    });

    it('a getter that shrinks a resizable output gets a RangeError', () => {
      type Resizable = ArrayBuffer & { resize?: (bytes: number) => void };
      const Growable = ArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => Resizable;
      const buffer = new Growable(600 * 2, { maxByteLength: 600 * 2 });
      if (typeof buffer.resize !== 'function') return; // no resizable buffers on this Node
      const out = new Uint16Array(buffer); // length-tracking
      const keys: string[] = Array.from({ length: 600 }, (_, i) => `k${i}`);
      Object.defineProperty(keys, 5, {
        get() {
          buffer.resize?.(10);
          return 'k5';
        },
      });
      expect(() => b.keySlots(keys, out)).toThrow(RangeError);
    });
  });

  it('random valid-but-weird ring tables never crash and stay in range', () => {
    const r = rng(7);
    for (let i = 0; i < 400; i++) {
      const bits = r.pick([0, 1, 3, 8, 12]);
      const n = r.pick([0, 1, 2, 5, 40, 300]);
      const points = Uint32Array.from({ length: n }, () => (r() < 0.3 ? r.pick([0, 1, 0xffffffff]) : r.u32()));
      if (r() < 0.5) points.sort(); // sorted points with a junk index, or junk everywhere
      const buckets = new Uint32Array(2 ** bits + 1).map(() =>
        r.pick([0, n, r.int(n + 1), r.u32(), 0xffffffff, n + 1]),
      );
      buckets[buckets.length - 1] = n;
      const shift = 32 - bits;
      const inRange = (x: number): boolean => (n === 0 ? x === -1 : Number.isInteger(x) && x >= 0 && x < n);
      for (let q = 0; q < 20; q++) {
        const found = b.ringFind(points, buckets, shift, r.u32());
        expect(inRange(found), `ringFind -> ${found} (n=${n})`).toBe(true);
      }
      const keys = Array.from({ length: 20 }, () => randomKey(r, 40));
      const out = new Int32Array(keys.length);
      b.ringLookup(points, buckets, shift, keys, r.pick([0, 1] as const), r.u32(), out);
      expect(out.every(inRange)).toBe(true);
      const { data, offsets } = pack(keys);
      b.ringLookupPacked(points, buckets, shift, data, offsets, r.pick([0, 1] as const), r.u32(), out);
      expect(out.every(inRange)).toBe(true);
    }
  });
});
