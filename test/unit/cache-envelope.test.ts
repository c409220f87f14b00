/**
 * The L2 envelope's batch decoder: `decodeEntries` must answer exactly as `decodeEntry` per
 * reply, whatever the mix (text, raw bytes, negative, tagged, foreign, null, corrupt), and its
 * joined JSON parse must never move a value to another key, even for forged payloads. With
 * msgpackSerializer both read payloads through its reused buffer: they must answer exactly as
 * its plain `deserialize` of each payload does.
 */
import { describe, expect, it } from 'vitest';
import { decodeEntries, decodeEntry, encodeEntry, HEADER_BYTES, MAGIC } from '../../src/cache/envelope';
import { loadMsgpackr, msgpackSerializer } from '../../src/cache/msgpack-serializer';
import { jsonSerializer, withPayloadDecode, type Serializer } from '../../src/cache/serializer';
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
      // A copy of the reply: a decoder must not depend on where the reply sits in memory.
      return { entry: decodeEntry(Buffer.from(b), serializer), failed: false };
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

/**
 * 300 random batches of up to 40 replies (values, raw bytes, negative entries, nulls, and 25 %
 * from `odd`: foreign or forged ones), each decoded in one batch and one by one: the same.
 */
function checkRandomBatches(seed: number, serializer: Serializer, odd: (i: number, rand: ReturnType<typeof rng>) => Buffer, oracle: Serializer = serializer): void {
  const rand = rng(seed);
  for (let round = 0; round < 300; round++) {
    const n = Math.floor(rand() * 40);
    const raws: (Buffer | null)[] = [];
    for (let i = 0; i < n; i++) {
      const r = rand();
      const tags = rand() < 0.2 ? ['t1', 'ü'] : undefined;
      if (r < 0.55) raws.push(encodeEntry(rand.pick(VALUES), false, i, 1e13 + i, 7, tags, serializer));
      else if (r < 0.65) raws.push(encodeEntry(Buffer.from([i, 0xff, 0x2c]), false, i, 1e13, 0, tags, serializer));
      else if (r < 0.72) raws.push(encodeEntry(undefined, true, i, 1e13, 0, tags, serializer));
      else if (r < 0.75) raws.push(null);
      else raws.push(odd(i, rand));
    }
    expect(batch(raws, serializer)).toEqual(oneByOne(raws, oracle));
  }
}

describe('decodeEntries', () => {
  it('equals decodeEntry on random batches of every kind of reply', () => {
    const shapes = ['{"a":1}', '[1', '2],3', '{"a":', '1,2', '"x', '7', 'nul', '{}', '"a","b"', ']', '[]'];
    checkRandomBatches(7, jsonSerializer, (i, rand) => (rand() < 1 / 3 ? Buffer.from('a foreign value') : forged(rand.pick(shapes))));
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

describe('decodeEntries and decodeEntry with msgpackSerializer (payloads read through one reused buffer)', () => {
  const mp = msgpackSerializer();
  /** The same serializer without its payload decoder: msgpackr's unpack of each payload as is. */
  const plain: Serializer = { serialize: mp.serialize, deserialize: mp.deserialize };
  const good = (v: unknown) => encodeEntry(v, false, 1, 2, 0, undefined, mp);
  /** An envelope of kind "bytes" whose payload is `bytes` as is. */
  const forgedBytes = (bytes: Uint8Array): Buffer => {
    const header = encodeEntry(new Uint8Array(0), false, 1, 2, 0, undefined, mp).subarray(0, HEADER_BYTES);
    header[1] = (header[1]! & ~0x03) | 1; // kind 1: bytes from the serializer
    return Buffer.concat([header, bytes]);
  };
  // A map16 header announcing 2 entries and only one written; a payload of two whole values; a
  // truncated string; an empty payload; a reserved byte.
  const openMap = Uint8Array.from([0xde, 0x00, 0x02, 0xa1, 0x61, 0x01]);
  const FORGED = [openMap, Uint8Array.from([0xa1, 0x62, 0x02]), Uint8Array.from([0x01, 0x02]), Uint8Array.from([0xa5, 0x61]), new Uint8Array(0), Uint8Array.from([0xc1])];

  it('equals msgpackr decoding each payload on its own, on random batches, forged payloads included', () => {
    checkRandomBatches(11, mp, (i, rand) => (rand() < 1 / 3 ? encodeEntry({ j: i }, false, i, 1e13, 0, undefined, jsonSerializer) : forgedBytes(rand.pick(FORGED))), plain);
  });

  it('the bytes an earlier, longer payload left behind never complete a truncated one', () => {
    const long = good({ name: 'a value long enough to leave bytes behind', list: [1, 2, 3, 'four'], nested: { x: 1.5 } });
    const payload = long.subarray(HEADER_BYTES);
    let failedAlone = 0;
    for (let cut = 0; cut < payload.length; cut++) {
      // The long one first (it fills the reused buffer), then each of its prefixes.
      const raws = [long, forgedBytes(payload.subarray(0, cut))];
      const got = batch(raws, mp);
      expect(got).toEqual(oneByOne(raws, plain));
      expect(got[0]!.entry?.value).toEqual(oneByOne([long], plain)[0]!.entry?.value);
      if (got[1]!.failed) failedAlone++;
      // And one at a time (a get), right after the long one.
      expect(decodeEntry(long, mp)!.value).toEqual(got[0]!.entry?.value);
      let single: unknown;
      try {
        single = decodeEntry(raws[1]!, mp)!.value;
      } catch (err) {
        single = err instanceof Error ? 'failed' : err;
      }
      expect(single).toEqual(got[1]!.failed ? 'failed' : got[1]!.entry?.value);
    }
    // Every strict prefix of a map is cut short: each one failed, as msgpackr fails it.
    expect(failedAlone).toBe(payload.length);
  });

  it('a payload larger than the reused buffer, among small ones, decodes the same', () => {
    const raws = [good({ a: 1 }), good({ text: 'x'.repeat(20_000), n: [1, 2] }), good('after'), good({ text: 'y'.repeat(9_000) })];
    const got = batch(raws, mp);
    expect(got).toEqual(oneByOne(raws, plain));
    expect(got.map((g) => g.entry?.value)).toEqual([{ a: 1 }, { text: 'x'.repeat(20_000), n: [1, 2] }, 'after', { text: 'y'.repeat(9_000) }]);
  });

  it('a decode from inside a decode (an extension reading a cache value) leaves the outer one intact', () => {
    // The msgpackr the serializer uses (its extensions are global to it).
    const msgpackr = loadMsgpackr() as unknown as { addExtension(e: object): void };
    class Wrapped {
      constructor(readonly envelope: Buffer) {}
    }
    const inner = good({ inner: 'a value decoded while the outer one is being read', n: [7, 8, 9] });
    msgpackr.addExtension({
      Class: Wrapped,
      type: 0x41,
      pack: (w: Wrapped) => w.envelope,
      unpack: (bytes: Uint8Array) => decodeEntry(Buffer.from(bytes), mp)!.value,
    });
    const outer = good({ before: 'outer text', wrapped: new Wrapped(inner), after: 'the outer value goes on after the inner one' });
    const want = { before: 'outer text', wrapped: { inner: 'a value decoded while the outer one is being read', n: [7, 8, 9] }, after: 'the outer value goes on after the inner one' };
    expect(decodeEntry(outer, mp)!.value).toEqual(want);
    expect(batch([outer, good('next')], mp).map((g) => g.entry?.value)).toEqual([want, 'next']);
  });

  it('a payload that only decodes when joined to the next one fails alone; no value moves to another key', () => {
    const raws = [good({ a: 1 }), forgedBytes(openMap), forgedBytes(Uint8Array.from([0xa1, 0x62, 0x02])), good([2])];
    const got = batch(raws, mp);
    // Laid end to end they would read as {a:1, b:2}: each payload alone fails (a map cut short;
    // a value followed by a stray byte).
    expect(got.map((g) => g.failed)).toEqual([false, true, true, false]);
    expect(got.map((g) => g.entry?.value)).toEqual(oneByOne(raws, plain).map((g) => g.entry?.value));
    expect(got[0]!.entry?.value).toEqual({ a: 1 });
    expect(got[3]!.entry?.value).toEqual([2]);
  });

  it('binary inside a value is a copy, not a view of the reply or of the reused buffer (batch or single)', () => {
    const raws = [good({ bin: Buffer.from([1, 2, 3]) }), good({ n: 2 })];
    const got = decodeEntries(raws, 2, mp, () => {
      throw new Error('no entry fails');
    });
    const bin = (got[0]!.value as { bin: Uint8Array }).bin;
    expect(Array.from(bin)).toEqual([1, 2, 3]);
    raws[0]!.fill(0);
    // Another value read through the reused buffer, over the bytes `bin` came from.
    expect(Array.from((decodeEntry(good({ bin: Buffer.from([9, 9, 9, 9]) }), mp)!.value as { bin: Uint8Array }).bin)).toEqual([9, 9, 9, 9]);
    expect(Array.from(bin)).toEqual([1, 2, 3]);
    // One entry on its own (a get): the same.
    const single = good({ bin: Buffer.from([4, 5]) });
    const alone = (decodeEntry(single, mp)!.value as { bin: Uint8Array }).bin;
    single.fill(0);
    decodeEntry(good({ bin: Buffer.from([6, 6]) }), mp);
    expect(Array.from(alone)).toEqual([4, 5]);
  });

  it('a payload decoder gets each byte payload of a batch or a get with its start; deserialize is not called', () => {
    const starts: number[] = [];
    let deserialized = 0;
    const s = withPayloadDecode(
      {
        serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
        deserialize: (d: string | Buffer) => {
          deserialized++;
          return JSON.parse(String(d));
        },
      },
      (buf, start) => {
        starts.push(start);
        return JSON.parse(buf.toString('utf8', start));
      },
    );
    const tagged = encodeEntry([22], false, 1, 2, 0, ['tag'], s);
    const raws = [encodeEntry({ a: 1 }, false, 1, 2, 0, undefined, s), null, tagged, encodeEntry('x', false, 1, 2, 0, undefined, s)];
    expect(batch(raws, s).map((g) => g.entry?.value)).toEqual([{ a: 1 }, undefined, [22], 'x']);
    expect(starts).toEqual([HEADER_BYTES, HEADER_BYTES + 2 + 2 + 3, HEADER_BYTES]);
    expect(decodeEntry(tagged, s)!.value).toEqual([22]);
    expect(starts.length).toBe(4);
    expect(deserialized).toBe(0);
  });
});
