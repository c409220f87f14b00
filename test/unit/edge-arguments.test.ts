/**
 * Arguments at the edges of the public API (issue 20, items 5, 6 and 9), one rule for both
 * engines decided in the TS layer:
 * - a Proxy-wrapped array (Vue/MobX reactive arrays) is read like the array it wraps;
 * - a Uint8Array from another realm (a `vm` context, some test runners) is bytes, everywhere;
 * - packed lookups with an empty `offsets` fail alike on every ring, with keySlotsPacked's message.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { crc16, keySlot, keySlots, keySlotsPacked, md5, md5Uint32, murmur3, packKeys } from '../../src';
import { engines, type Engine } from '../../src/engine';
import { HashRing, type HashRingOptions } from '../../src/ring/hash-ring';
import { ModuloRing } from '../../src/ring/modulo-ring';
import { distribution, movement } from '../../src/ring/distribution';

const ENGINES = [engines.js, engines.native].filter((e): e is Engine => e !== undefined);
const SERVERS = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'];
const RINGS: [string, string, HashRingOptions][] = [
  ['md5', 'md5', {}],
  ['murmur3', 'murmur3', {}],
  ['sha1', 'sha1', {}],
  ['twemproxy', 'md5', { compatibility: 'twemproxy' }],
  ['libmemcached', 'md5', { compatibility: 'libmemcached' }],
];
const KEYS = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? '' : `key-${i}`));

/** `bytes` as a Uint8Array made in another realm (instanceof Uint8Array is false there). */
function foreign(bytes: Uint8Array): Uint8Array {
  return runInNewContext('Uint8Array.from(src)', { src: Array.from(bytes) }) as Uint8Array;
}
function foreignU32(values: Uint32Array): Uint32Array {
  return runInNewContext('Uint32Array.from(src)', { src: Array.from(values) }) as Uint32Array;
}

describe('Uint8Array from another realm is bytes (item 6)', () => {
  const key = foreign(Buffer.from('key1'));
  it('is really foreign', () => {
    expect(key instanceof Uint8Array).toBe(false);
    expect(ArrayBuffer.isView(key)).toBe(true);
  });

  it('hash functions and slots', () => {
    expect(md5Uint32(key)).toBe(md5Uint32('key1'));
    expect(md5(key)).toEqual(md5('key1'));
    expect(murmur3(key, 7)).toBe(murmur3('key1', 7));
    expect(crc16(key)).toBe(crc16('key1'));
    expect(keySlot(key)).toBe(keySlot('key1'));
    expect(keySlots([key, 'a'])).toEqual(keySlots(['key1', 'a']));
    const { data, offsets } = packKeys(['key1', 'x']);
    expect(keySlotsPacked(foreign(data), foreignU32(offsets))).toEqual(keySlots(['key1', 'x']));
    expect(packKeys([key]).data).toEqual(new Uint8Array(Buffer.from('key1')));
  });

  it('rings: get, getMany, getManyPacked, range, hashValue, digest — on every ring type and engine', () => {
    const bytes = KEYS.map((k) => foreign(Buffer.from(k)));
    const { data, offsets } = packKeys(KEYS);
    for (const eng of ENGINES) {
      for (const [name, algorithm, options] of RINGS) {
        const ring = new HashRing(SERVERS, algorithm, { ...options, engine: eng });
        const want = ring.getMany(KEYS);
        const label = `${name} ${eng.backend}`;
        expect(bytes.map((b) => ring.get(b)), label).toEqual(want);
        expect(ring.getMany(bytes), label).toEqual(want);
        expect(ring.getManyPacked(foreign(data), foreignU32(offsets)), label).toEqual(want);
        expect(ring.range(key, 2), label).toEqual(ring.range('key1', 2));
        expect(ring.hashValue(key), label).toBe(ring.hashValue('key1'));
        expect(Array.from(ring.digest(key)), label).toEqual(Array.from(ring.digest('key1')));
      }
      const modulo = new ModuloRing(SERVERS, { engine: eng });
      expect(bytes.map((b) => modulo.get(b))).toEqual(modulo.getMany(KEYS));
      expect(modulo.getMany(bytes)).toEqual(modulo.getMany(KEYS));
    }
  });
});

describe('a Proxy-wrapped array is read like the array (item 5)', () => {
  const reactive = <T extends object>(target: T): T => new Proxy(target, {});

  it('getMany on every ring type and engine, short keys and long first keys alike', () => {
    // The hybrid engine picks TS or native by the first key's length: both must accept it.
    for (const keys of [KEYS, ['x'.repeat(200), ...KEYS]]) {
      for (const eng of ENGINES) {
        for (const [name, algorithm, options] of RINGS) {
          const ring = new HashRing(SERVERS, algorithm, { ...options, engine: eng });
          expect(ring.getMany(reactive(keys)), `${name} ${eng.backend}`).toEqual(ring.getMany(keys));
          const out: string[] = [];
          ring.getMany(reactive(keys), reactive(out));
          expect(out).toEqual(ring.getMany(keys));
        }
        const modulo = new ModuloRing(SERVERS, { engine: eng });
        expect(modulo.getMany(reactive(keys))).toEqual(modulo.getMany(keys));
      }
      expect(keySlots(reactive(keys))).toEqual(keySlots(keys));
      expect(packKeys(reactive(keys))).toEqual(packKeys(keys));
    }
  });

  it('with the default engine (the hybrid dispatch), distribution and movement samples, and server lists', () => {
    const ring = new HashRing(reactive(SERVERS));
    expect(ring.getMany(reactive(KEYS))).toEqual(ring.getMany(KEYS));
    expect(ring.getMany(reactive(['y'.repeat(100)]))).toEqual(ring.getMany(['y'.repeat(100)]));
    expect(distribution(ring, reactive(KEYS))).toEqual(distribution(ring, KEYS));
    const other = new HashRing(SERVERS.slice(1));
    expect(movement(ring, other, reactive(KEYS))).toEqual(movement(ring, other, KEYS));
  });

  it('a Proxy that is not an array is still refused, naming the argument', () => {
    const ring = new HashRing(SERVERS);
    expect(() => ring.getMany(reactive({ length: 1, 0: 'a' }) as unknown as string[])).toThrow(/Expected an array for keys/);
  });
});

describe('getManyPacked with empty offsets fails alike on every ring (item 9)', () => {
  const message = 'Expected at least one entry (keys + 1 offsets) for offsets but received an empty Uint32Array';
  it("throws keySlotsPacked's RangeError", () => {
    expect(() => keySlotsPacked(new Uint8Array(0), new Uint32Array(0))).toThrow(message);
    for (const eng of ENGINES) {
      for (const [name, algorithm, options] of RINGS) {
        const ring = new HashRing(SERVERS, algorithm, { ...options, engine: eng });
        expect(() => ring.getManyPacked(new Uint8Array(0), new Uint32Array(0)), `${name} ${eng.backend}`).toThrow(RangeError);
        expect(() => ring.getManyPacked(new Uint8Array(0), new Uint32Array(0)), `${name} ${eng.backend}`).toThrow(message);
      }
      expect(() => new ModuloRing(SERVERS, { engine: eng }).getManyPacked(new Uint8Array(0), new Uint32Array(0))).toThrow(message);
    }
    // One offset is a valid batch of no keys.
    expect(new HashRing(SERVERS).getManyPacked(new Uint8Array(0), new Uint32Array(1))).toEqual([]);
    expect(new ModuloRing(SERVERS).getManyPacked(new Uint8Array(0), new Uint32Array(1))).toEqual([]);
  });
});
