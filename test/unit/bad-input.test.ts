/**
 * Junk at every public function, and straight at the chosen engine: always a TypeError or
 * RangeError (public messages name the argument: `key`, `keys[3]`, `seed`, `out`, `offsets`,
 * `data`), never a crash, never a silent answer. Runs once per engine.
 */
import { describe, expect, it } from 'vitest';
import calculate from '../../src/compat/cluster-key-slot';
import { engine, type RingTable } from '../../src/engine';
import { crc16, keySlot, keySlots, keySlotsPacked, md5, md5Uint32, murmur3, packKeys } from '../../src/index';
import { tableFor } from '../helpers/random-keys';

/** A Uint8Array whose buffer has been transferred away. */
function detached<T extends ArrayBufferView>(make: (b: ArrayBuffer) => T): T {
  const buffer = new ArrayBuffer(8);
  const view = make(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  expect(view.byteLength).toBe(0);
  return view;
}
const detachedBytes = (): Uint8Array => detached((b) => new Uint8Array(b));

/** Values that are neither a string nor a live Uint8Array. */
function junkKeys(): [string, unknown][] {
  return [
    ['undefined', undefined],
    ['null', null],
    ['number', 42],
    ['NaN', NaN],
    ['boolean', true],
    ['object', { length: 3 }],
    ['null-prototype object', Object.create(null)],
    ['String object', new String('abc')],
    ['symbol', Symbol('k')],
    ['bigint', 10n],
    ['function', () => 'abc'],
    ['array', ['a', 'b']],
    ['array of bytes', [1, 2, 3]],
    ['ArrayBuffer', new ArrayBuffer(4)],
    ['DataView', new DataView(new ArrayBuffer(4))],
    ['Uint16Array', new Uint16Array(2)],
    ['Int8Array', new Int8Array(2)],
    ['Uint8ClampedArray', new Uint8ClampedArray(2)],
    ['Float64Array', new Float64Array(1)],
  ];
}

/** Key views whose buffer was transferred away (tested apart: Node 20 lacks ArrayBuffer#detached). */
function detachedKeys(): [string, unknown][] {
  return [
    ['detached Uint8Array', detachedBytes()],
    ['detached Buffer', detached((b) => Buffer.from(b))],
    ['detached Uint8Array at an offset', detached((b) => new Uint8Array(b, 2, 4))],
  ];
}

/** Runs `fn`, which must throw one of `classes`; the message must match `name` when given. */
function expectReject(fn: () => unknown, classes: ErrorConstructor[], name?: RegExp, label = ''): Error {
  let err: unknown;
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    err = e;
  }
  expect(threw, `${label}: expected a throw, got a return`).toBe(true);
  expect(
    classes.some((c) => err instanceof c),
    `${label}: expected ${classes.map((c) => c.name).join('/')}, got ${String((err as Error)?.stack ?? err)}`,
  ).toBe(true);
  if (name) expect((err as Error).message, label).toMatch(name);
  return err as Error;
}
const TYPE = [TypeError];
const RANGE = [RangeError];
const EITHER = [TypeError, RangeError];

/** A short name for a junk value in failure messages. */
function label(v: unknown): string {
  if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function') return typeof v;
  if (v === null || typeof v !== 'object') return `${typeof v} ${String(v)}`;
  const view = v as ArrayBufferView;
  const tag = `${v.constructor?.name ?? 'object'}`;
  return ArrayBuffer.isView(v) && view.byteLength === 0 ? `${tag}(0)` : tag;
}

/** Matches a message naming `arg` as a whole word (`key` does not match `keys`). */
const names = (arg: string): RegExp => new RegExp(`(^|[^\\w\\[])${arg.replace(/[[\]]/g, '\\$&')}(?![\\w\\[])`);

describe('public API rejects junk, naming the argument', () => {
  const singleKey: [string, (k: never) => unknown][] = [
    ['md5', md5],
    ['md5Uint32', md5Uint32],
    ['murmur3', (k) => murmur3(k)],
    ['crc16', crc16],
    ['keySlot', keySlot],
    ['cluster-key-slot()', calculate],
    ['cluster-key-slot.generate', calculate.generate],
  ];

  for (const [fname, fn] of singleKey) {
    it(`${fname}(junk) throws TypeError naming key`, () => {
      let n = 0;
      for (const [what, junk] of junkKeys()) {
        const err = expectReject(() => fn(junk as never), TYPE, names('key'), what);
        expect(err.message, what).toMatch(/^Expected /);
        n++;
      }
      expect(n).toBe(junkKeys().length);
    });
  }

  it('murmur3 rejects seeds that are not a uint32, naming seed', () => {
    for (const seed of [-1, 1.5, 2 ** 32, -0.5, NaN, Infinity, -Infinity, 2 ** 53]) {
      expectReject(() => murmur3('abc', seed), EITHER, names('seed'), label(seed));
    }
    for (const seed of [null, '1', {}, 10n, Symbol('s'), [1], () => 1, true, new Number(1)]) {
      expectReject(() => murmur3('abc', seed as never), TYPE, names('seed'), label(seed));
    }
    // Edges that are valid.
    expect(murmur3('abc', 0)).toBe(murmur3('abc'));
    expect(murmur3('abc', undefined)).toBe(murmur3('abc'));
    expect(murmur3('abc', 0xffffffff)).toBeTypeOf('number');
    expect(murmur3('abc', -0)).toBe(murmur3('abc', 0));
  });

  const nonArrays: unknown[] = [undefined, null, 'abc', 42, { length: 1, 0: 'a' }, new Set(['a']), new Uint8Array(2), Symbol('x'), 1n];
  const batchFns: [string, (keys: never) => unknown][] = [
    ['keySlots', (k) => keySlots(k)],
    ['packKeys', packKeys],
    ['cluster-key-slot.generateMulti', calculate.generateMulti],
  ];

  for (const [fname, fn] of batchFns) {
    it(`${fname} rejects a non-array (keys) and junk elements (keys[3])`, () => {
      for (const junk of nonArrays) expectReject(() => fn(junk as never), TYPE, names('keys'), label(junk));
      let n = 0;
      for (const [what, junk] of junkKeys()) {
        // All in one slot, so generateMulti has no early answer and must look at keys[3].
        const batch = ['{t}a', Buffer.from('{t}b'), '{t}c', junk, '{t}e'];
        const err = expectReject(() => fn(batch as never), TYPE, names('keys[3]'), what);
        expect(err.message, what).toMatch(/^Expected /);
        n++;
      }
      expect(n).toBeGreaterThan(15);
      // A hole in a sparse array is undefined.
      // eslint-disable-next-line no-sparse-arrays
      expectReject(() => fn(['{t}a', , '{t}c'] as never), TYPE, names('keys[1]'), 'hole');
    });
  }

  it('keySlots rejects a junk out, naming out', () => {
    for (const out of [null, [0, 0], {}, 'out', new Uint8Array(4), new Int16Array(4), new Uint32Array(4), new Float32Array(4)]) {
      expectReject(() => keySlots(['a'], out as never), TYPE, names('out'), label(out));
    }
    expectReject(() => keySlots(['a', 'b'], new Uint16Array(1)), RANGE, names('out'));
  });

  it('keySlotsPacked rejects junk data, offsets and out, naming each', () => {
    const data = Buffer.from('abcdef');
    const offsets = new Uint32Array([0, 3, 6]);
    const typedJunk: unknown[] = [undefined, null, 'abc', [0, 3], {}, 5, Symbol('d'), 1n, new ArrayBuffer(8)];
    for (const j of [...typedJunk, new Uint16Array(6), new Int8Array(6), new Uint8ClampedArray(6)]) {
      expectReject(() => keySlotsPacked(j as never, offsets), TYPE, names('data'), label(j));
    }
    for (const j of [...typedJunk, new Int32Array([0, 3]), new Uint16Array([0, 3]), new Float64Array([0, 3])]) {
      expectReject(() => keySlotsPacked(data, j as never), TYPE, names('offsets'), label(j));
    }
    for (const bad of [[0, 3, 2], [0, 7], [1, 0], [0xffffffff]]) {
      expectReject(() => keySlotsPacked(data, new Uint32Array(bad)), RANGE, names('offsets'), String(bad));
    }
    for (const j of [null, [0, 0], new Uint8Array(4), new Int16Array(4)]) {
      expectReject(() => keySlotsPacked(data, offsets, j as never), TYPE, names('out'), label(j));
    }
    expectReject(() => keySlotsPacked(data, offsets, new Uint16Array(1)), RANGE, names('out'));
  });

  // Node 20 has no ArrayBuffer.prototype.detached, so a check that reads it never fires there;
  // a detached view then looks like an empty one and would be hashed as the empty key.
  it('detached views are rejected (TypeError/RangeError naming the argument), not read as empty', () => {
    const fns: [string, (k: never) => unknown][] = [...singleKey, ['keySlots([k])', (k) => keySlots([k])]];
    const bad: string[] = [];
    const check = (what: string, fn: () => unknown, arg: string): void => {
      try {
        const r = fn();
        bad.push(`${what}: returned ${String(r)}`);
      } catch (e) {
        const cls = e instanceof TypeError || e instanceof RangeError;
        if (!cls || !names(arg).test((e as Error).message)) bad.push(`${what}: ${String(e)}`);
      }
    };
    for (const [fname, fn] of fns) {
      for (const [what, junk] of detachedKeys()) {
        check(`${fname}(${what})`, () => fn(junk as never), fname.startsWith('keySlots') ? 'keys[0]' : 'key');
      }
    }
    check('keySlots(keys, detached out)', () => keySlots(['a'], detached((b) => new Uint16Array(b))), 'out');
    check('keySlotsPacked(detached data)', () => keySlotsPacked(detachedBytes(), new Uint32Array([0])), 'data');
    check('keySlotsPacked(data, detached offsets)', () => keySlotsPacked(Buffer.from('ab'), detached((b) => new Uint32Array(b))), 'offsets');
    check('keySlotsPacked(data, offsets, detached out)', () => keySlotsPacked(Buffer.from('ab'), new Uint32Array([0, 2]), detached((b) => new Uint16Array(b))), 'out');
    check('packKeys([detached])', () => packKeys([detachedBytes()]), 'keys[0]');
    expect(bad).toEqual([]);
  });

  it('cluster-key-slot.generateMulti checks every key, even once the answer is -1', () => {
    for (const [what, junk] of junkKeys()) {
      expectReject(() => calculate.generateMulti(['a', 'b', junk] as never), TYPE, names('keys[2]'), what);
    }
  });

  it('cluster-key-slot.generateMulti rejects an empty array (RangeError naming keys)', () => {
    expectReject(() => calculate.generateMulti([]), RANGE, names('keys'));
  });

  it('keys on a SharedArrayBuffer and huge keys are accepted, not junk', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(5));
    shared.set(Buffer.from('hello'));
    expect(keySlot(shared)).toBe(keySlot('hello'));
    expect(crc16(shared)).toBe(crc16('hello'));
    expect(keySlot('x'.repeat(5_000_000))).toBe(keySlot(Buffer.alloc(5_000_000, 'x')));
  });
});

describe(`the chosen engine (${engine.backend}) re-checks types: TypeError/RangeError, never a crash`, () => {
  const good = (): RingTable => tableFor(new Uint32Array([10, 20, 0x80000000]), 8);
  // Type junk only: numbers outside uint32 are compared across engines in engines-agree.
  const typeJunkNumbers: unknown[] = [undefined, null, '1', {}, [1], 1n, Symbol('n'), () => 1, true, new Number(1)];

  it('sanity: the table used below is valid', () => {
    expect(engine.ringFind(good(), 15)).toBe(1);
    expect(engine.ringFind(good(), 0xffffffff)).toBe(0);
  });

  it('single-key methods reject junk keys with TypeError', () => {
    const out = new Uint8Array(16);
    let n = 0;
    for (const [what, junk] of junkKeys()) {
      expectReject(() => engine.md5(junk as never, out), TYPE, undefined, `md5 ${what}`);
      expectReject(() => engine.md5Uint32(junk as never), TYPE, undefined, `md5Uint32 ${what}`);
      expectReject(() => engine.murmur3(junk as never, 0), TYPE, undefined, `murmur3 ${what}`);
      expectReject(() => engine.crc16(junk as never), TYPE, undefined, `crc16 ${what}`);
      expectReject(() => engine.keySlot(junk as never), TYPE, undefined, `keySlot ${what}`);
      n++;
    }
    expect(n).toBe(junkKeys().length);
  });

  it('detached views (keys, out, data, offsets) throw TypeError/RangeError instead of being read as empty', () => {
    const bad: string[] = [];
    const check = (what: string, fn: () => unknown): void => {
      try {
        const r = fn();
        bad.push(`${what}: returned ${String(r)}`);
      } catch (e) {
        if (!(e instanceof TypeError || e instanceof RangeError)) bad.push(`${what}: ${String(e)}`);
      }
    };
    for (const [what, k] of detachedKeys()) {
      check(`md5(${what})`, () => engine.md5(k as never, new Uint8Array(16)));
      check(`md5Uint32(${what})`, () => engine.md5Uint32(k as never));
      check(`murmur3(${what})`, () => engine.murmur3(k as never, 0));
      check(`crc16(${what})`, () => engine.crc16(k as never));
      check(`keySlot(${what})`, () => engine.keySlot(k as never));
      check(`keySlots([${what}])`, () => engine.keySlots([k as never], new Uint16Array(1)));
    }
    check('md5 detached out', () => engine.md5('abc', detachedBytes()));
    check('keySlots detached out', () => engine.keySlots(['a'], detached((b) => new Uint16Array(b))));
    check('keySlotsPacked detached data', () => engine.keySlotsPacked(detachedBytes(), new Uint32Array([0]), new Uint16Array(1)));
    check('keySlotsPacked detached offsets', () => engine.keySlotsPacked(Buffer.from('ab'), detached((b) => new Uint32Array(b)), new Uint16Array(1)));
    expect(bad).toEqual([]);
  });

  it('md5 rejects a junk or short out', () => {
    for (const out of [undefined, null, [], {}, new Uint16Array(16), new Int8Array(16), new Uint8ClampedArray(16), new ArrayBuffer(16)]) {
      expectReject(() => engine.md5('abc', out as never), TYPE, undefined, label(out));
    }
    expectReject(() => engine.md5('abc', new Uint8Array(15)), RANGE);
  });

  it('murmur3 rejects a seed of the wrong type', () => {
    for (const seed of typeJunkNumbers) expectReject(() => engine.murmur3('abc', seed as never), TYPE, undefined, label(seed));
  });

  it('keySlots rejects junk keys arrays, elements and out', () => {
    for (const keys of [undefined, null, 'ab', {}, new Uint8Array(2), 5]) {
      expectReject(() => engine.keySlots(keys as never, new Uint16Array(4)), TYPE, undefined, label(keys));
    }
    for (const [what, junk] of junkKeys()) expectReject(() => engine.keySlots(['a', junk as never], new Uint16Array(4)), TYPE, undefined, what);
    for (const out of [undefined, null, [0, 0], new Uint8Array(4), new Int16Array(4), new Uint32Array(4)]) {
      expectReject(() => engine.keySlots(['a'], out as never), TYPE, undefined, label(out));
    }
    expectReject(() => engine.keySlots(['a', 'b'], new Uint16Array(1)), RANGE);
  });

  it('keySlotsPacked rejects junk data/offsets/out and bad offsets', () => {
    const data = Buffer.from('abcdef');
    const offsets = new Uint32Array([0, 3, 6]);
    const out = new Uint16Array(2);
    const common: unknown[] = [undefined, null, 'abc', [1], {}, new Int8Array(3), new Float64Array(3)];
    for (const j of [...common, new Uint16Array(3), new Uint32Array(3)]) {
      expectReject(() => engine.keySlotsPacked(j as never, offsets, out), TYPE, undefined, `data ${label(j)}`);
    }
    for (const j of [...common, new Uint8Array(3), new Int32Array([0, 3, 6])]) {
      expectReject(() => engine.keySlotsPacked(data, j as never, out), TYPE, undefined, `offsets ${label(j)}`);
    }
    for (const j of [...common, new Uint8Array(4), new Int16Array(2), new Uint32Array(2)]) {
      expectReject(() => engine.keySlotsPacked(data, offsets, j as never), TYPE, undefined, `out ${label(j)}`);
    }
    for (const bad of [[0, 3, 2], [0, 7], [1, 0], [0xffffffff, 0xffffffff]]) {
      expectReject(() => engine.keySlotsPacked(data, new Uint32Array(bad), out), RANGE, undefined, String(bad));
    }
    expectReject(() => engine.keySlotsPacked(data, offsets, new Uint16Array(1)), RANGE);
  });

  it('ringFind rejects junk tables and hashes', () => {
    const t = good();
    const tables: unknown[] = [
      undefined,
      null,
      {},
      'table',
      { ...t, points: Array.from(t.points) },
      { ...t, points: new Int32Array(3) },
      { ...t, buckets: new Uint16Array(t.buckets.length) },
      { ...t, buckets: undefined },
      { ...t, shift: '24' },
      { ...t, shift: undefined },
    ];
    tables.forEach((table, i) => expectReject(() => engine.ringFind(table as never, 5), TYPE, undefined, `table #${i}`));
    // Shape errors: shift outside 8..32 or not an integer, buckets of the wrong length or last entry.
    const shapes: RingTable[] = [
      { ...t, shift: 7 },
      { ...t, shift: 33 },
      { ...t, shift: 24.5 },
      { ...t, shift: -1 },
      { ...t, shift: NaN },
      { ...t, buckets: t.buckets.subarray(1) },
      { ...t, buckets: new Uint32Array(3) },
      { ...t, points: t.points.subarray(1) }, // last bucket no longer equals points.length
    ];
    shapes.forEach((table, i) => expectReject(() => engine.ringFind(table, 5), EITHER, undefined, `shape #${i}`));
    for (const h of typeJunkNumbers) expectReject(() => engine.ringFind(t, h as never), TYPE, undefined, label(h));
  });

  it('ringLookup and ringLookupPacked reject junk keys, hash kind, seed and out', () => {
    const t = good();
    const out = new Int32Array(2);
    const data = Buffer.from('abcd');
    const offsets = new Uint32Array([0, 2, 4]);
    const lookup = (over: Partial<{ table: unknown; keys: unknown; hash: unknown; seed: unknown; out: unknown }>) => () =>
      engine.ringLookup(
        ('table' in over ? over.table : t) as never,
        ('keys' in over ? over.keys : ['a', 'b']) as never,
        ('hash' in over ? over.hash : 0) as never,
        ('seed' in over ? over.seed : 0) as never,
        ('out' in over ? over.out : out) as never,
      );
    const packed = (over: Partial<{ data: unknown; offsets: unknown; hash: unknown; seed: unknown; out: unknown }>) => () =>
      engine.ringLookupPacked(
        t,
        ('data' in over ? over.data : data) as never,
        ('offsets' in over ? over.offsets : offsets) as never,
        ('hash' in over ? over.hash : 1) as never,
        ('seed' in over ? over.seed : 0) as never,
        ('out' in over ? over.out : out) as never,
      );
    // Valid calls first, so a throw below is the junk's doing.
    lookup({})();
    packed({})();
    expectReject(lookup({ table: null }), TYPE);
    for (const keys of [undefined, null, 'ab', new Uint8Array(2)]) expectReject(lookup({ keys }), TYPE, undefined, label(keys));
    for (const [what, junk] of junkKeys()) expectReject(lookup({ keys: ['a', junk] }), TYPE, undefined, what);
    for (const hash of [2, -1, 0.5]) {
      expectReject(lookup({ hash }), RANGE, undefined, `ringLookup hash ${hash}`);
      expectReject(packed({ hash }), RANGE, undefined, `ringLookupPacked hash ${hash}`);
    }
    for (const j of typeJunkNumbers) {
      expectReject(lookup({ hash: j }), TYPE, undefined, `ringLookup hash ${label(j)}`);
      expectReject(lookup({ seed: j }), TYPE, undefined, `ringLookup seed ${label(j)}`);
      expectReject(packed({ hash: j }), TYPE, undefined, `ringLookupPacked hash ${label(j)}`);
      expectReject(packed({ seed: j }), TYPE, undefined, `ringLookupPacked seed ${label(j)}`);
    }
    for (const o of [undefined, null, [0, 0], new Uint32Array(2), new Int16Array(2)]) {
      expectReject(lookup({ out: o }), TYPE, undefined, `ringLookup out ${label(o)}`);
      expectReject(packed({ out: o }), TYPE, undefined, `ringLookupPacked out ${label(o)}`);
    }
    expectReject(lookup({ out: new Int32Array(1) }), RANGE);
    expectReject(packed({ out: new Int32Array(1) }), RANGE);
    for (const d of [undefined, 'abcd', new Uint16Array(2)]) expectReject(packed({ data: d }), TYPE, undefined, label(d));
    for (const o of [undefined, [0, 2], new Int32Array([0, 2])]) expectReject(packed({ offsets: o }), TYPE, undefined, label(o));
    expectReject(packed({ offsets: new Uint32Array([0, 5]) }), RANGE);
    expectReject(packed({ offsets: new Uint32Array([2, 1]) }), RANGE);
  });
});
