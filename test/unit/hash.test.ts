/**
 * Public hash functions against published vectors and reference implementations:
 * MD5 vs RFC 1321 and node:crypto, MurmurHash3 x86_32 vs published vectors and the
 * `murmurhash` package, CRC16-XMODEM vs a bit-by-bit reference. Runs once per engine.
 */
import { createHash } from 'node:crypto';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { crc16, md5, md5Uint32, murmur3, type Key } from '../../src/index';
import { keyBytes, offsetView, randomAscii, randomBytes, randomUnicode, rng, show } from '../helpers/random-keys';
import { crc16Reference, MURMUR3_VECTORS, RFC1321_VECTORS } from '../helpers/reference';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const cryptoMd5 = (bytes: Uint8Array): Buffer => createHash('md5').update(bytes).digest();

/**
 * Strings whose UTF-8 length lands on and around MD5 block edges (55/56/64: padding needs a
 * second block at 56) and the native binding's 256-byte inline string buffer, with 2/3/4-byte
 * characters (and a lone surrogate, 3 bytes as U+FFFD) straddling each edge.
 */
function edgeStrings(): string[] {
  const edges = [0, 1, 3, 4, 5, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 255, 256, 257, 511, 512, 1024];
  const wide = ['\u00e9', '\u20ac', '\u{1f600}', '\ud800', '\udc00'];
  const out: string[] = [];
  for (const edge of edges) {
    out.push('a'.repeat(edge));
    for (const ch of wide) {
      for (let prefix = Math.max(0, edge - 5); prefix <= edge + 1; prefix++) {
        for (let suffix = 0; suffix <= 2; suffix++) out.push('a'.repeat(prefix) + ch + 'b'.repeat(suffix));
      }
    }
  }
  // The inline buffer is 256 bytes: sweep every byte length 240..270 with multibyte tails.
  for (let n = 240; n <= 270; n++) {
    for (const ch of wide) out.push('x'.repeat(n - 4) + ch, ch + 'y'.repeat(n - 4), 'z'.repeat(n - 8) + ch + ch);
  }
  return out;
}

/** 20k+ inputs of every shape, deterministic. */
function differentialInputs(): Key[] {
  const r = rng(0x4a54);
  const inputs: Key[] = ['', new Uint8Array(0), Buffer.alloc(0)];
  for (const s of edgeStrings()) inputs.push(s, Buffer.from(s), offsetView(r, Buffer.from(s), false));
  // 1 MiB inputs: an ASCII-and-multibyte string and raw bytes at an offset.
  inputs.push(randomAscii(r, 1 << 20));
  inputs.push(randomUnicode(r, 1 << 19));
  inputs.push(offsetView(r, randomBytes(r, 1 << 20), true));
  while (inputs.length < 20_000) {
    const len = r() < 0.8 ? r.int(80) : r.int(600);
    switch (r.int(5)) {
      case 0:
        inputs.push(randomAscii(r, len));
        break;
      case 1:
      case 2:
        inputs.push(randomUnicode(r, len));
        break;
      case 3:
        inputs.push(Buffer.from(randomBytes(r, len)));
        break;
      default:
        inputs.push(offsetView(r, randomBytes(r, len), r() < 0.5));
    }
  }
  return inputs;
}

describe('md5', () => {

  it.each(RFC1321_VECTORS)('RFC 1321 vector %j', (input, digest) => {
    expect(hex(md5(input))).toBe(digest);
    expect(hex(md5(Buffer.from(input)))).toBe(digest);
  });

  it('returns a fresh 16-byte Uint8Array per call', () => {
    const a = md5('abc');
    const b = md5('abc');
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(16);
    expect(a).not.toBe(b);
    a.fill(0);
    expect(hex(md5('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('md5Uint32 is the little-endian uint32 of digest bytes 0-3', () => {
    // d41d8cd9… → 0xd98c1dd4
    expect(md5Uint32('')).toBe(0xd98c1dd4);
    // 900150983… → 0x98500190
    expect(md5Uint32('abc')).toBe(0x98500190);
  });
});

describe('murmur3', () => {

  it.each(MURMUR3_VECTORS)('murmur3(%j, %i) is the published value', (input, seed, expected) => {
    expect(murmur3(input, seed)).toBe(expected);
    expect(murmur3(Buffer.from(input), seed)).toBe(expected);
  });

  it('seed defaults to 0', () => {
    expect(murmur3('Hello, world!')).toBe(murmur3('Hello, world!', 0));
    expect(murmur3('Hello, world!')).not.toBe(murmur3('Hello, world!', 1));
  });

  it('matches murmurhash.v3 on random ASCII strings, lengths 0..64, random seeds', () => {
    const r = rng(0x3333);
    let compared = 0;
    const bad: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const s = randomAscii(r, r.int(65));
      const seed = i < 3 ? [0, 0x7fffffff, 0xffffffff][i] : r.u32();
      const want = murmurhash.v3(s, seed);
      const got = murmur3(s, seed);
      compared++;
      if (got !== want) bad.push(`${show(s)} seed ${seed}: got ${got}, murmurhash ${want}`);
    }
    expect(compared).toBe(5000);
    expect(bad.slice(0, 10)).toEqual([]);
  });
});

describe('crc16', () => {
  it("crc16('123456789') is 0x31C3 (CRC-16/XMODEM check value)", () => {
    expect(crc16('123456789')).toBe(0x31c3);
    expect(crc16('')).toBe(0);
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });
});

describe('differential over 20k inputs (ASCII, UTF-16 incl. lone surrogates, astral, views, 1 MiB)', () => {
  const inputs = differentialInputs();
  const r = rng(0x5eed);
  const seeds = inputs.map((_, i) => (i === 0 ? 0 : i === 1 ? 0xffffffff : r.u32()));

  /**
   * Runs `check` on every input (or those `only` keeps); it returns a mismatch description or
   * undefined. Asserts no mismatch and that at least `min` inputs were compared.
   */
  function compareAll(min: number, check: (key: Key, i: number) => string | undefined, only = (_k: Key) => true): void {
    const bad: string[] = [];
    let compared = 0;
    for (let i = 0; i < inputs.length && bad.length < 10; i++) {
      if (!only(inputs[i])) continue;
      compared++;
      const problem = check(inputs[i], i);
      if (problem !== undefined) bad.push(`${show(inputs[i])}: ${problem}`);
    }
    expect(bad).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(min);
  }

  it('md5 and md5Uint32 equal node:crypto md5 of Buffer.from(key)', () => {
    compareAll(20_000, (key) => {
      const want = cryptoMd5(keyBytes(key));
      const got = hex(md5(key));
      if (got !== want.toString('hex')) return `md5 ${got} != ${want.toString('hex')}`;
      const u32 = md5Uint32(key);
      if (u32 !== want.readUInt32LE(0)) return `md5Uint32 ${u32} != ${want.readUInt32LE(0)}`;
      return undefined;
    });
  });

  it('murmur3 equals murmurhash.v3 over the UTF-8 bytes, with random uint32 seeds', () => {
    compareAll(20_000, (key, i) => {
      const want = murmurhash.v3(keyBytes(key), seeds[i]);
      const got = murmur3(key, seeds[i]);
      return got === want ? undefined : `seed ${seeds[i]}: ${got} != ${want}`;
    });
  });

  it('crc16 equals the bitwise CRC16-XMODEM reference', () => {
    compareAll(20_000, (key) => {
      const want = crc16Reference(keyBytes(key));
      const got = crc16(key);
      return got === want ? undefined : `${got} != ${want}`;
    });
  });

  it('a string hashes exactly as Buffer.from(string), for every function', () => {
    const isString = (k: Key): boolean => typeof k === 'string';
    compareAll(
      5_000,
      (key, i) => {
        const b = Buffer.from(key as string);
        if (hex(md5(key)) !== hex(md5(b))) return 'md5';
        if (md5Uint32(key) !== md5Uint32(b)) return 'md5Uint32';
        if (murmur3(key, seeds[i]) !== murmur3(b, seeds[i])) return 'murmur3';
        if (crc16(key) !== crc16(b)) return 'crc16';
        return undefined;
      },
      isString,
    );
  });

  it('lone surrogates hash as U+FFFD (EF BF BD), as Buffer.from encodes them', () => {
    for (const s of ['\ud800', '\udfff', 'a\ud800b', '\ude00\ud83d']) {
      const replaced = s.replace(/[\ud800-\udfff]/g, '\ufffd');
      expect(hex(md5(s))).toBe(hex(md5(replaced)));
      expect(murmur3(s, 7)).toBe(murmur3(replaced, 7));
      expect(crc16(s)).toBe(crc16(replaced));
    }
    // …and a real pair is not two replacement characters.
    expect(crc16('\u{1f600}')).not.toBe(crc16('\ufffd\ufffd'));
  });

  it('hashing does not modify a key Buffer or read outside its view', () => {
    const r2 = rng(9);
    const bytes = randomBytes(r2, 100);
    const view = offsetView(r2, bytes, true);
    const backing = new Uint8Array(view.buffer.slice(0));
    const want = cryptoMd5(bytes).toString('hex');
    expect(hex(md5(view))).toBe(want);
    murmur3(view, 1);
    crc16(view);
    expect(new Uint8Array(view.buffer)).toEqual(backing);
  });
});
