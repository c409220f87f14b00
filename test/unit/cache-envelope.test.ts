/**
 * The L2 envelope's batch decoder: `decodeEntries` must answer exactly as `decodeEntry` per
 * reply, whatever the mix (text, raw bytes, negative, tagged, foreign, null, corrupt), and its
 * joined JSON parse must never move a value to another key, even for forged payloads.
 */
import { describe, expect, it } from 'vitest';
import { decodeEntries, decodeEntry, encodeEntry, HEADER_BYTES, MAGIC } from '../../src/cache/envelope';
import { jsonSerializer, type Serializer } from '../../src/cache/serializer';
import { rng } from '../helpers/random-keys';

/** An envelope whose payload is `text` as is (what a foreign or buggy writer could store). */
function forged(text: string): Buffer {
  const header = encodeEntry('', false, 1, 2, 0, undefined, jsonSerializer).subarray(0, HEADER_BYTES);
  return Buffer.concat([header, Buffer.from(text, 'utf8')]);
}

/** decodeEntry per reply, with the error of each one that throws. */
function oneByOne(raws: readonly (Buffer | null)[], serializer: Serializer) {
  return raws.map((b) => {
    if (b === null) return { entry: undefined, failed: false };
    try {
      return { entry: decodeEntry(b, serializer), failed: false };
    } catch {
      return { entry: undefined, failed: true };
    }
  });
}

function batch(raws: readonly (Buffer | null)[], serializer: Serializer) {
  const failed = new Set<number>();
  const entries = decodeEntries(raws, raws.length, serializer, (i) => failed.add(i));
  return Array.from(entries, (entry, i) => ({ entry, failed: failed.has(i) }));
}

const VALUES: unknown[] = [
  { id: 1, name: 'a' },
  [1, 2, [3]],
  'text with "quotes", commas, ] and }',
  '',
  0,
  -1.5e-7,
  false,
  true,
  null,
  { nested: { deep: ['x', { y: null }] } },
  'é ü 漢字 😀',
  { __proto__: 'kept as data' },
  12345678901234567890,
];

describe('decodeEntries', () => {
  it('equals decodeEntry on random batches of every kind of reply', () => {
    const rand = rng(7);
    const pick = rand.pick;
    for (let round = 0; round < 300; round++) {
      const n = Math.floor(rand() * 40);
      const raws: (Buffer | null)[] = [];
      for (let i = 0; i < n; i++) {
        const r = rand();
        const tags = rand() < 0.2 ? ['t1', 'ü'] : undefined;
        if (r < 0.55) raws.push(encodeEntry(pick(VALUES), false, i, 1e13 + i, 7, tags, jsonSerializer));
        else if (r < 0.65) raws.push(encodeEntry(Buffer.from([i, 0xff, 0x2c]), false, i, 1e13, 0, tags, jsonSerializer));
        else if (r < 0.72) raws.push(encodeEntry(undefined, true, i, 1e13, 0, tags, jsonSerializer));
        else if (r < 0.8) raws.push(null);
        else if (r < 0.85) raws.push(Buffer.from('a foreign value'));
        else raws.push(forged(pick(['{"a":1}', '[1', '2],3', '{"a":', '1,2', '"x', '7', 'nul', '{}', '"a","b"', ']', '[]'])));
      }
      const got = batch(raws, jsonSerializer);
      const want = oneByOne(raws, jsonSerializer);
      expect(got).toEqual(want);
    }
  });

  it('payloads that only parse when joined are parsed one by one (no value moves to another key)', () => {
    // '[1' + ',' + '2],3' would read as [[1,2],3]: two elements for two payloads.
    const raws = [forged('[1'), forged('2],3'), encodeEntry({ ok: true }, false, 1, 2, 0, undefined, jsonSerializer)];
    const got = batch(raws, jsonSerializer);
    expect(got.map((g) => g.failed)).toEqual([true, true, false]);
    expect(got[2].entry?.value).toEqual({ ok: true });
    // Balanced-looking ends that hide two values: the element count gives it away.
    const two = [forged('{"a":1},{"b":2}'), forged('{}')];
    expect(batch(two, jsonSerializer).map((g) => g.failed)).toEqual([true, false]);
  });

  it('one corrupt entry fails alone and the rest keep their values', () => {
    const good = (v: unknown) => encodeEntry(v, false, 1, 2, 0, undefined, jsonSerializer);
    const raws = [good({ a: 1 }), forged('{"a":}'), good([2]), good('three')];
    const got = batch(raws, jsonSerializer);
    expect(got.map((g) => g.failed)).toEqual([false, true, false, false]);
    expect(got.map((g) => g.entry?.value)).toEqual([{ a: 1 }, undefined, [2], 'three']);
  });

  it('a custom serializer sees every payload on its own', () => {
    const seen: unknown[] = [];
    const upper: Serializer = {
      serialize: (v) => JSON.stringify(v),
      deserialize: (d) => {
        seen.push(d);
        return JSON.parse(String(d));
      },
    };
    const raws = [encodeEntry(1, false, 1, 2, 0, undefined, upper), encodeEntry({ b: 2 }, false, 1, 2, 0, undefined, upper)];
    expect(batch(raws, upper).map((g) => g.entry?.value)).toEqual([1, { b: 2 }]);
    expect(seen).toEqual(['1', '{"b":2}']);
  });

  it('large batches beyond the join limit decode the same', () => {
    const big = 'x'.repeat(20_000);
    const raws = Array.from({ length: 30 }, (_, i) => encodeEntry({ i, big }, false, 1, 2, 0, undefined, jsonSerializer));
    expect(batch(raws, jsonSerializer)).toEqual(oneByOne(raws, jsonSerializer));
    expect(raws[0][0]).toBe(MAGIC);
  });
});
