/**
 * Short non-ASCII string keys (`ключ:123`): the TS engine encodes them to UTF-8 in JS
 * (`encodeRest` in utf8.ts for md5/murmur3, `crc16Utf8` in crc16.ts for CRC16/keySlot) up to
 * JS_ENCODE_MAX_CHARS, and with `TextEncoder` beyond. Differential: TS engine ≡ native engine
 * ≡ the hybrid default ≡ a plain reference over `Buffer.from(key)` (md5: node:crypto; murmur3,
 * crc16, keySlot: test/helpers/reference.ts), on seeded random keys of 0-80 UTF-16 units that
 * mix ASCII, 2/3/4-byte characters, braces and lone (high, low, trailing, leading) surrogates,
 * around the JS/TextEncoder cut-over too. packKeys (which encodes string keys in JS into one
 * array) against `Buffer.concat` of `Buffer.from`.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { packKeys } from '../../src/cluster/key-slot';
import { engines, hybridEngine, RING_HASH_MD5, RING_HASH_MURMUR3, type Engine, type Key } from '../../src/engine';
import { JS_ENCODE_MAX_CHARS, utf8Length } from '../../src/engine/js/utf8';
import { crc16Reference, keySlotReference, murmur3Reference } from '../helpers/reference';
import { randomChar, randomKey, rng, show, tableFor, type Rng } from '../helpers/random-keys';

const N = 20_000;

/** A short key: an ASCII run, then random units; sometimes a `{tag}`, sometimes a lone surrogate at an edge. */
function shortKey(r: Rng): string {
  const len = r() < 0.1 ? JS_ENCODE_MAX_CHARS - 2 + r.int(5) : r.int(81);
  let s = r() < 0.5 ? 'user:'.slice(0, r.int(6)) : '';
  while (s.length < len) s += randomChar(r);
  s = s.slice(0, len); // may cut a surrogate pair in half: one more lone surrogate
  const x = r();
  if (x < 0.1) s = `${s}\ud83d`; // trailing lone high
  else if (x < 0.2) s = `\ude00${s}`; // leading lone low
  else if (x < 0.3) s = `{${s.slice(0, 3)}}${s}`; // a tag holding non-ASCII
  return s;
}

function keys(): string[] {
  const r = rng(0x5107);
  const fixed = ['ключ:123', 'ключ:{123}', '{ключ}:123', '😀', '\ud800', '\udc00', '\ud800\ud800\udc00', 'é'.repeat(JS_ENCODE_MAX_CHARS), 'é'.repeat(JS_ENCODE_MAX_CHARS + 1)];
  return [...fixed, ...Array.from({ length: N }, () => shortKey(r))];
}

const md5u32 = (b: Buffer): number => createHash('md5').update(b).digest().readUInt32LE(0);

/** Every mismatch of `e` against the reference, up to 10. */
function mismatches(e: Engine, list: readonly string[]): string[] {
  const bad: string[] = [];
  const digest = new Uint8Array(16);
  for (let i = 0; i < list.length && bad.length < 10; i++) {
    const k = list[i];
    const b = Buffer.from(k);
    const seed = (i * 0x9e3779b1) >>> 0;
    if (e.crc16(k) !== crc16Reference(b)) bad.push(`crc16 ${show(k)}`);
    if (e.keySlot(k) !== keySlotReference(b)) bad.push(`keySlot ${show(k)}`);
    if (e.murmur3(k, seed) !== murmur3Reference(b, seed)) bad.push(`murmur3 ${show(k)}`);
    if (e.md5Uint32(k) !== md5u32(b)) bad.push(`md5Uint32 ${show(k)}`);
    e.md5(k, digest);
    if (Buffer.from(digest).toString('hex') !== createHash('md5').update(b).digest('hex')) bad.push(`md5 ${show(k)}`);
  }
  return bad;
}

describe('short non-ASCII keys: engines ≡ reference', () => {
  const list = keys();

  it('the key set covers the shapes it claims', () => {
    const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    expect(list.filter((k) => lone.test(k)).length).toBeGreaterThan(N / 10);
    expect(list.filter((k) => /[\u{10000}-\u{10ffff}]/u.test(k)).length).toBeGreaterThan(N / 10);
    expect(list.filter((k) => /\{[^}]+\}/.test(k) && /[^\0-\x7f]/.test(k)).length).toBeGreaterThan(N / 10);
    expect(list.filter((k) => k.length > JS_ENCODE_MAX_CHARS && /[^\0-\x7f]/.test(k)).length).toBeGreaterThan(100);
  });

  it('TS engine', () => {
    expect(mismatches(engines.js, list)).toEqual([]);
  });

  it.skipIf(!engines.native)('native engine and the hybrid default', () => {
    const native = engines.native!;
    expect(mismatches(native, list)).toEqual([]);
    expect(mismatches(hybridEngine(native, engines.js), list)).toEqual([]);
  });

  it('keySlots and ringLookup (md5, murmur3) of whole batches agree with the per-key reference', () => {
    const g = rng(0x7ab1e);
    const points = Uint32Array.from(Array.from({ length: 500 }, () => g.u32()).sort((a, b) => a - b));
    const table = tableFor(points, 8);
    const firstAtOrAbove = (h: number): number => {
      const i = points.findIndex((p) => p >= h);
      return i < 0 ? 0 : i;
    };
    const slots = new Uint16Array(list.length);
    const found = new Int32Array(list.length);
    let checked = 0;
    for (const e of [engines.js, engines.native].filter((x): x is Engine => x !== undefined)) {
      slots.fill(0);
      e.keySlots(list, slots);
      expect(list.filter((k, i) => slots[i] !== keySlotReference(Buffer.from(k))).map(show).slice(0, 10)).toEqual([]);
      for (const [hash, ref] of [
        [RING_HASH_MD5, (b: Buffer) => md5u32(b)],
        [RING_HASH_MURMUR3, (b: Buffer) => murmur3Reference(b, 0x1234)],
      ] as const) {
        found.fill(-2);
        e.ringLookup(table, list, hash, 0x1234, found);
        expect(list.filter((k, i) => found[i] !== firstAtOrAbove(ref(Buffer.from(k)))).map(show).slice(0, 10)).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBe(engines.native ? 4 : 2);
  });
});

describe('packKeys and utf8Length ≡ Buffer', () => {
  it('packs every key shape exactly as Buffer.concat of Buffer.from, offsets included', () => {
    const r = rng(0x9ac4);
    const list: Key[] = [...keys(), ...Array.from({ length: 2000 }, () => randomKey(r, 300))];
    for (let start = 0; start < list.length; start += 997) {
      const batch = list.slice(start, start + 997);
      const parts = batch.map((k) => (typeof k === 'string' ? Buffer.from(k) : Buffer.from(k.buffer, k.byteOffset, k.byteLength)));
      const { data, offsets } = packKeys(batch);
      expect(Buffer.from(data).equals(Buffer.concat(parts))).toBe(true);
      expect(Array.from(offsets)).toEqual(parts.reduce((o, p) => [...o, o[o.length - 1] + p.length], [0]));
    }
    const bad = list.filter((k): k is string => typeof k === 'string' && utf8Length(k) !== Buffer.byteLength(k));
    expect(bad.map(show).slice(0, 10)).toEqual([]);
  });
});
