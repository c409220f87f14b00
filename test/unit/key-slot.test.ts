/**
 * Redis Cluster key slots against what a real redis-server answers to CLUSTER KEYSLOT
 * (test/fixtures/keyslot-vectors.json, made by scripts/gen-keyslot-vectors.mjs), through
 * every public entry: keySlot, keySlots, packKeys + keySlotsPacked and the
 * `ringcache/cluster-key-slot` drop-in. Also shows where the npm `cluster-key-slot`
 * package (which ioredis uses) disagrees with Redis and we do not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import npmClusterKeySlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import calculate from '../../src/compat/cluster-key-slot';
import { SLOT_COUNT, keySlot, keySlots, keySlotsPacked, packKeys, type Key } from '../../src/index';
import { offsetView, rng, show } from '../helpers/random-keys';

interface Vector {
  group: 'alphabet' | 'pattern' | 'long' | 'ascii' | 'binary' | 'unicode';
  key: string;
  /** Present on raw byte keys: `key` is base64. */
  encoding?: 'base64';
  /** Present on non-ASCII string keys: base64 of the bytes Redis was sent (Buffer.from(key)). */
  utf8?: string;
  slot: number;
}

const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'keyslot-vectors.json'), 'utf8')) as {
  redisVersion: string;
  counts: Record<string, number>;
  vectors: Vector[];
};
const vectors = fixture.vectors;
const keyOf = (v: Vector): Key => (v.encoding === 'base64' ? Buffer.from(v.key, 'base64') : v.key);
const keys = vectors.map(keyOf);
const slots = vectors.map((v) => v.slot);
const slotOf = (key: string): number => {
  const v = vectors.find((x) => x.key === key && x.encoding === undefined);
  if (!v) throw new Error(`no vector for ${JSON.stringify(key)}`);
  return v.slot;
};

/** Indexes where `got[i] !== slots[i]`, described, at most 10. */
function mismatches(got: ArrayLike<number>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < vectors.length && bad.length < 10; i++) {
    if (got[i] !== slots[i]) bad.push(`#${i} ${vectors[i].group} ${show(keys[i])}: got ${got[i]}, redis ${slots[i]}`);
  }
  return bad;
}

describe('fixture', () => {
  it('holds the full alphabet set and every group, from a real Redis', () => {
    expect(vectors.length).toBeGreaterThan(8000);
    expect(vectors.filter((v) => v.group === 'alphabet')).toHaveLength(5461);
    for (const g of ['pattern', 'long', 'ascii', 'binary', 'unicode']) {
      expect(vectors.filter((v) => v.group === g).length).toBeGreaterThan(10);
    }
    expect(fixture.redisVersion).toMatch(/^\d+\.\d+/);
    expect(vectors.every((v) => Number.isInteger(v.slot) && v.slot >= 0 && v.slot < SLOT_COUNT)).toBe(true);
    expect(Math.max(...vectors.filter((v) => v.group === 'long').map((v) => keyOf(v).length))).toBe(70000);
  });

  it('Node still encodes the string keys as the bytes Redis was sent', () => {
    const withUtf8 = vectors.filter((v) => v.utf8 !== undefined);
    expect(withUtf8.length).toBeGreaterThan(500);
    expect(withUtf8.some((v) => /[\ud800-\udfff]/.test(v.key))).toBe(true);
    for (const v of withUtf8) expect(Buffer.from(v.key).toString('base64'), show(v.key)).toBe(v.utf8);
  });
});

describe('keySlot', () => {
  it('equals CLUSTER KEYSLOT for every vector', () => {
    expect(mismatches(keys.map((k) => keySlot(k)))).toEqual([]);
  });

  it('gives a string the slot of Buffer.from(string), and a view at an offset the slot of its bytes', () => {
    const r = rng(17);
    const asBytes = keys.map((k) => (typeof k === 'string' ? Buffer.from(k) : k));
    expect(mismatches(asBytes.map((k) => keySlot(k)))).toEqual([]);
    const views = asBytes.map((k) => offsetView(r, k, r() < 0.5));
    expect(mismatches(views.map((k) => keySlot(k)))).toEqual([]);
  });

  it('hash tags: the first { and the first } after it, an empty tag means the whole key', () => {
    expect(keySlot('foo{}{bar}')).toBe(8363);
    expect(keySlot('foo{}{bar}')).toBe(slotOf('foo{}{bar}'));
    expect(keySlot('{}}')).toBe(slotOf('{}}'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
    expect(keySlot('')).toBe(0);
    expect(keySlot('123456789')).toBe(0x31c3 & 16383);
  });
});

describe('keySlots', () => {
  it('equals CLUSTER KEYSLOT for every vector in one batch', () => {
    const got = keySlots(keys);
    expect(got).toBeInstanceOf(Uint16Array);
    expect(got).toHaveLength(keys.length);
    expect(mismatches(got)).toEqual([]);
  });

  it('writes into a caller out of exact length and returns it', () => {
    const out = new Uint16Array(keys.length);
    expect(keySlots(keys, out)).toBe(out);
    expect(mismatches(out)).toEqual([]);
  });

  it('writes only the first keys.length entries of a bigger out', () => {
    const out = new Uint16Array(keys.length + 5).fill(0xbeef);
    expect(keySlots(keys, out)).toBe(out);
    expect(mismatches(out)).toEqual([]);
    expect(Array.from(out.subarray(keys.length))).toEqual([0xbeef, 0xbeef, 0xbeef, 0xbeef, 0xbeef]);
  });

  it('honours a subarray out (byteOffset)', () => {
    const backing = new Uint16Array(12).fill(7);
    const out = backing.subarray(2, 5);
    keySlots(['a', 'b', '{a}x'], out);
    expect(Array.from(backing)).toEqual([7, 7, keySlot('a'), keySlot('b'), keySlot('a'), 7, 7, 7, 7, 7, 7, 7]);
  });

  it('rejects an out that is too small (RangeError) or not a Uint16Array (TypeError), naming out', () => {
    expect(() => keySlots(['a', 'b', 'c'], new Uint16Array(2))).toThrow(RangeError);
    expect(() => keySlots(['a', 'b', 'c'], new Uint16Array(2))).toThrow(/\bout\b/);
    for (const bad of [new Uint8Array(3), new Int16Array(3), new Uint32Array(3), [0, 0, 0], {}, null]) {
      expect(() => keySlots(['a', 'b', 'c'], bad as unknown as Uint16Array), show(String(bad))).toThrow(TypeError);
      expect(() => keySlots(['a', 'b', 'c'], bad as unknown as Uint16Array)).toThrow(/\bout\b/);
    }
  });

  it('handles an empty batch', () => {
    expect(keySlots([])).toEqual(new Uint16Array(0));
    expect(keySlots([], new Uint16Array(0))).toHaveLength(0);
  });
});

describe('packKeys + keySlotsPacked', () => {
  it('packs keys as their UTF-8 bytes back to back', () => {
    const { data, offsets } = packKeys(['ab', Buffer.from([0, 1, 2]), '\u00e9', '', '\ud800']);
    expect(Array.from(offsets)).toEqual([0, 2, 5, 7, 7, 10]);
    expect(Buffer.from(data).toString('hex')).toBe('6162' + '000102' + 'c3a9' + 'efbfbd');
  });

  it('equals CLUSTER KEYSLOT for every vector', () => {
    const { data, offsets } = packKeys(keys);
    expect(offsets).toHaveLength(keys.length + 1);
    expect(mismatches(keySlotsPacked(data, offsets))).toEqual([]);
    const out = new Uint16Array(keys.length + 3).fill(1);
    expect(keySlotsPacked(data, offsets, out)).toBe(out);
    expect(mismatches(out)).toEqual([]);
    expect(Array.from(out.subarray(keys.length))).toEqual([1, 1, 1]);
  });

  it('reads data and offsets through views at an offset', () => {
    const { data, offsets } = packKeys(keys.slice(0, 500));
    const r = rng(5);
    const dataView = offsetView(r, data, false);
    const offBacking = new Uint32Array(offsets.length + 4);
    offBacking.set(offsets, 2);
    const got = keySlotsPacked(dataView, offBacking.subarray(2, 2 + offsets.length));
    expect(Array.from(got)).toEqual(slots.slice(0, 500));
  });

  it('a single offset is zero keys; empty offsets (minus one keys) are a RangeError naming offsets', () => {
    expect(keySlotsPacked(new Uint8Array(4), new Uint32Array([4]))).toHaveLength(0);
    expect(keySlotsPacked(new Uint8Array(0), new Uint32Array([0]), new Uint16Array(0))).toHaveLength(0);
    expect(() => keySlotsPacked(new Uint8Array(0), new Uint32Array(0))).toThrow(RangeError);
    expect(() => keySlotsPacked(new Uint8Array(0), new Uint32Array(0))).toThrow(/offsets/);
  });

  it('rejects decreasing or out-of-range offsets and a short out, naming the argument', () => {
    const data = Buffer.from('abcdef');
    expect(() => keySlotsPacked(data, new Uint32Array([0, 3, 2]))).toThrow(RangeError);
    expect(() => keySlotsPacked(data, new Uint32Array([0, 3, 2]))).toThrow(/offsets/);
    expect(() => keySlotsPacked(data, new Uint32Array([0, 7]))).toThrow(/offsets/);
    expect(() => keySlotsPacked(data, new Uint32Array([0, 3, 6]), new Uint16Array(1))).toThrow(RangeError);
    expect(() => keySlotsPacked(data, new Uint32Array([0, 3, 6]), new Uint16Array(1))).toThrow(/\bout\b/);
  });
});

describe('ringcache/cluster-key-slot drop-in', () => {
  it('is callable, with generate and default, and equals CLUSTER KEYSLOT for every vector', () => {
    expect(calculate.generate).toBeTypeOf('function');
    expect(calculate.default).toBe(calculate);
    expect(mismatches(keys.map((k) => calculate(k)))).toEqual([]);
    expect(mismatches(keys.map((k) => calculate.generate(k)))).toEqual([]);
  });

  it('generateMulti: the shared slot, or -1 when the keys differ', () => {
    expect(calculate.generateMulti(['{user1000}.following', '{user1000}.followers', 'user1000'])).toBe(
      keySlot('user1000'),
    );
    expect(calculate.generateMulti(['foo{}{bar}'])).toBe(8363);
    expect(calculate.generateMulti(['a', 'b'])).toBe(-1);
    expect(calculate.generateMulti([Buffer.from('{x}1'), '{x}2'])).toBe(keySlot('x'));
    // Keys whose slots agree in Redis but not in the npm package: ours must say they agree.
    expect(calculate.generateMulti(['foo{}{bar}', Buffer.from('foo{}{bar}')])).toBe(8363);
    expect(() => calculate.generateMulti([])).toThrow(RangeError);
    expect(() => calculate.generateMulti('abc' as unknown as string[])).toThrow(TypeError);
  });
});

describe('the npm cluster-key-slot package disagrees with Redis; we do not', () => {
  const alphabet = vectors.filter((v) => v.group === 'alphabet');

  it('on the {}ab alphabet set up to length 6: the package is wrong on 454 of 5461, we on 0', () => {
    const theirs = alphabet.filter((v) => npmClusterKeySlot(v.key) !== v.slot);
    const ours = alphabet.filter((v) => keySlot(v.key) !== v.slot);
    expect(alphabet).toHaveLength(5461);
    expect(theirs).toHaveLength(454);
    expect(ours.map((v) => v.key)).toEqual([]);
    // Every key it gets wrong opens with an empty tag `{}` and has a later `}`: the package keeps
    // collecting a tag after `{}` and stops at that `}`, where Redis hashes the whole key.
    expect(theirs.filter((v) => !/^[^{]*\{\}.*\}/.test(v.key)).map((v) => v.key)).toEqual([]);
  });

  it("'foo{}{bar}': Redis 8363, the package 4015", () => {
    expect(npmClusterKeySlot('foo{}{bar}')).toBe(4015);
    expect(keySlot('foo{}{bar}')).toBe(8363);
    expect(calculate('foo{}{bar}')).toBe(8363);
  });

  it("'{}}': the package hashes the empty string", () => {
    expect(npmClusterKeySlot('{}}')).toBe(0);
    expect(slotOf('{}}')).not.toBe(0);
    expect(keySlot('{}}')).toBe(slotOf('{}}'));
  });

  it('lone surrogates: the package encodes them as CESU-8, Node (and so Redis) as U+FFFD', () => {
    const lone = vectors.filter((v) => v.encoding === undefined && /[\ud800-\udfff]/.test(v.key.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')));
    expect(lone.length).toBeGreaterThan(50);
    const theirs = lone.filter((v) => npmClusterKeySlot(v.key) !== v.slot);
    expect(theirs.length).toBeGreaterThan(lone.length / 2);
    expect(lone.filter((v) => keySlot(v.key) !== v.slot).map((v) => show(v.key))).toEqual([]);
    expect(npmClusterKeySlot('\ud800')).not.toBe(slotOf('\ud800'));
    expect(keySlot('\ud800')).toBe(slotOf('\ud800'));
  });
});
