/**
 * An `out` that shares memory with an input (issue 21, case a). The rule, the same in both
 * engines: the part of `out` a call writes (its first n entries) must not overlap any typed
 * array the call reads (data, offsets, points, buckets, a Uint8Array key): RangeError
 * `out must not overlap <input>` (ERR_OUT_OF_RANGE), thrown before anything is written.
 * Views of one buffer that do not overlap, inputs that overlap each other, and an `out` whose
 * unwritten tail overlaps an input are fine. md5(key, out) is not a batch: both engines hash
 * the whole key before writing the digest, so `out` may be the key's own memory.
 *
 * Before the fix the native engine died with SIGSEGV on the ringLookupPacked case and hashed
 * memory outside `data` on the keySlotsPacked one (answers differing from the TS engine's).
 */
import { describe, expect, it } from 'vitest';
import { engines, type Engine } from '../../src/engine';
import { HashRing, keySlots, keySlotsPacked, packKeys } from '../../src/index';
import { importDefault, testEngines } from '../helpers/load-binding';
import { tableFor } from '../helpers/random-keys';

const js = engines.js;
const KEYS = Array.from({ length: 600 }, (_, i) => `key-${i}-${'x'.repeat(i % 23)}`);
const packed = packKeys(KEYS);

/** Copies of every byte of `buffers`, to show that a call which threw wrote nothing. */
function snapshot(...buffers: ArrayBufferLike[]): () => void {
  const before = buffers.map((b) => new Uint8Array(b.slice(0)));
  return () => buffers.forEach((b, i) => expect(new Uint8Array(b), 'a throwing call wrote').toEqual(before[i]));
}

/** `offsets` at the start of one ArrayBuffer, the rest free for an aliased `out`. */
function offsetsInBuffer(extraBytes: number): { buffer: ArrayBuffer; offsets: Uint32Array } {
  const n = packed.offsets.length;
  const buffer = new ArrayBuffer(4 * n + extraBytes);
  const offsets = new Uint32Array(buffer, 0, n);
  offsets.set(packed.offsets);
  return { buffer, offsets };
}

function expectOverlap(call: () => unknown, input: string): void {
  let caught: unknown;
  try {
    call();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RangeError);
  expect((caught as Error).message).toBe(`out must not overlap ${input}`);
  expect((caught as { code?: string }).code).toBe('ERR_OUT_OF_RANGE');
}

const n = KEYS.length;
const points = Uint32Array.from({ length: 300 }, (_, i) => Math.floor((i * 2 ** 32) / 300) + 7);
const table = tableFor(points, 8);

describe.each(testEngines())('%s engine', (_name, e: Engine) => {
  const slots = new Uint16Array(n);
  js.keySlotsPacked(packed.data, packed.offsets, slots);

  it('keySlotsPacked: out inside offsets (at byte 4, as in the issue) or inside data', () => {
    const { buffer, offsets } = offsetsInBuffer(0);
    const unchanged = snapshot(buffer, packed.data.buffer);
    expectOverlap(() => e.keySlotsPacked(packed.data, offsets, new Uint16Array(buffer, 4, n)), 'offsets');
    const data = new Uint8Array(packed.data);
    expectOverlap(() => e.keySlotsPacked(data, packed.offsets, new Uint16Array(data.buffer, 100, n)), 'data');
    unchanged();
  });

  for (const hash of [0, 1] as const) {
    const want = new Int32Array(n);
    js.ringLookupPacked(table, packed.data, packed.offsets, hash, 0, want);

    it(`ringLookupPacked ${hash === 0 ? 'md5' : 'murmur3'}: out over offsets[256…] (the SIGSEGV repro), data, points, buckets`, () => {
      const { buffer, offsets } = offsetsInBuffer(4 * 256);
      const unchanged = snapshot(buffer);
      expectOverlap(() => e.ringLookupPacked(table, packed.data, offsets, hash, 0, new Int32Array(buffer, 4 * 256, n)), 'offsets');
      const data = new Uint8Array(packed.data.length + 8);
      data.set(packed.data);
      expectOverlap(() => e.ringLookupPacked(table, data, packed.offsets, hash, 0, new Int32Array(data.buffer, 4, n)), 'data');
      unchanged();

      // A table whose points and buckets share one buffer with the output.
      const shared = new ArrayBuffer(4 * (table.points.length + table.buckets.length + n));
      const p = new Uint32Array(shared, 0, table.points.length);
      const bk = new Uint32Array(shared, p.byteLength, table.buckets.length);
      p.set(table.points);
      bk.set(table.buckets);
      const t2 = { points: p, buckets: bk, shift: table.shift };
      expectOverlap(() => e.ringLookupPacked(t2, packed.data, packed.offsets, hash, 0, new Int32Array(shared, 0, n)), 'points');
      expectOverlap(() => e.ringLookupPacked(t2, packed.data, packed.offsets, hash, 0, new Int32Array(shared, p.byteLength, n)), 'buckets');
      expectOverlap(() => e.ringLookup(t2, KEYS, hash, 0, new Int32Array(shared, 4, n)), 'points');

      // The same buffer, the output right after the inputs: no overlap, the usual answer.
      const after = new Int32Array(shared, p.byteLength + bk.byteLength, n);
      e.ringLookupPacked(t2, packed.data, packed.offsets, hash, 0, after);
      expect(after).toEqual(want);
      const { buffer: b2, offsets: o2 } = offsetsInBuffer(4 * n);
      const next = new Int32Array(b2, o2.byteLength, n);
      e.ringLookupPacked(table, packed.data, o2, hash, 0, next);
      expect(next).toEqual(want);
    });
  }

  it('keySlots and ringLookup: a Uint8Array key inside the written part of out', () => {
    // First keys short and long: the hybrid sends the batch to the TS engine or to native by it.
    for (const first of ['a', 'a-first-key-longer-than-the-cut-over-of-the-hybrid-engine']) {
      const buffer = new ArrayBuffer(64);
      const out16 = new Uint16Array(buffer, 0, 4);
      const key = new Uint8Array(buffer, 6, 4);
      // Keys of an array are checked as they are read, so the entries before a bad key may be
      // written (as for a key of the wrong type): only packed calls check everything first.
      expectOverlap(() => e.keySlots([first, 'b', key, 'c'], out16), 'keys[2]');
      const out32 = new Int32Array(buffer, 0, 4);
      for (const hash of [0, 1] as const) expectOverlap(() => e.ringLookup(table, [first, 'b', 'c', key], hash, 0, out32), 'keys[3]');

      // A key in out's tail (past the entries written) or in another part of the buffer is fine.
      const tail = new Uint8Array(buffer, 8, 4).fill(0x61);
      const keys = [first, tail, 'c'];
      const wantSlots = keys.map((k) => js.keySlot(k));
      const o16 = new Uint16Array(buffer, 0, 6);
      e.keySlots(keys, o16);
      expect([...o16.subarray(0, 3)]).toEqual(wantSlots);
      const o32 = new Int32Array(buffer, 16, 3);
      const wantRing = new Int32Array(3);
      js.ringLookup(table, keys, 1, 9, wantRing);
      e.ringLookup(table, keys, 1, 9, o32);
      expect(o32).toEqual(wantRing);
    }
  });

  it('inputs may overlap each other: data and offsets in one buffer, read only', () => {
    const dataBytes = (packed.data.length + 3) & ~3;
    const both = new ArrayBuffer(dataBytes + 4 * packed.offsets.length);
    const data = new Uint8Array(both); // data covers the offsets too
    data.set(packed.data);
    const offsets = new Uint32Array(both, dataBytes, packed.offsets.length);
    offsets.set(packed.offsets);
    const out = new Uint16Array(n);
    e.keySlotsPacked(data, offsets, out);
    expect(out).toEqual(slots);
  });

  it('md5: out may be the key itself; the digest is of the key as it was', () => {
    const want = new Uint8Array(16);
    const text = Buffer.from('0123456789abcdef-and-more');
    js.md5(text, want);
    const buffer = new Uint8Array(64);
    buffer.set(text, 4);
    const key = buffer.subarray(4, 4 + text.length);
    e.md5(key, buffer.subarray(4, 20));
    expect(buffer.subarray(4, 20)).toEqual(want);
  });
});

describe('through the public API', () => {
  const cases: [string, () => Promise<{ keySlotsPacked: typeof keySlotsPacked; keySlots: typeof keySlots }>][] = [
    [`project engine (${process.env.RINGCACHE_BACKEND ?? 'default'})`, async () => ({ keySlotsPacked, keySlots })],
  ];
  if (process.env.RINGCACHE_BACKEND !== 'js') cases.push(['hybrid default', async () => (await importDefault()).api]);

  it.each(cases)('keySlotsPacked and keySlots, %s', async (_label, load) => {
    const api = await load();
    const { buffer, offsets } = offsetsInBuffer(0);
    const unchanged = snapshot(buffer);
    expectOverlap(() => api.keySlotsPacked(packed.data, offsets, new Uint16Array(buffer, 4, n)), 'offsets');
    unchanged();
    const keyBuffer = new ArrayBuffer(16);
    expectOverlap(() => api.keySlots(['k', new Uint8Array(keyBuffer, 2, 3)], new Uint16Array(keyBuffer, 0, 2)), 'keys[1]');
  });

  it('the default engine is the hybrid when the native core loads', async () => {
    const { engine } = await importDefault();
    if (process.env.RINGCACHE_BACKEND === 'js') return;
    expect(engine.backend).toBe('native');
    expect(engine).not.toBe(engines.native);
    expect(Object.isFrozen(engine)).toBe(true);
  });

  // getManyPacked's Int32Array is private (its `out` is a string[]), so no call can alias it;
  // what a caller can share is data with offsets, which is read only.
  it.each([['md5'], ['murmur3']] as const)('HashRing.getManyPacked (%s): data and offsets in one buffer', (algo) => {
    const servers = Array.from({ length: 5 }, (_, i) => `10.0.0.${i}:11211`);
    const want = new HashRing(servers, algo).getMany(KEYS);
    const both = new ArrayBuffer(4 * packed.offsets.length + packed.data.length);
    const offsets = new Uint32Array(both, 0, packed.offsets.length);
    offsets.set(packed.offsets);
    const data = new Uint8Array(both); // the keys after the offsets, data starting at byte 0
    data.set(packed.data, offsets.byteLength);
    for (let i = 0; i < offsets.length; i++) offsets[i] += offsets.byteLength;
    for (const [, engine] of testEngines()) expect(new HashRing(servers, algo, { engine }).getManyPacked(data, offsets)).toEqual(want);
  });
});
