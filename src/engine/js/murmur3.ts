/**
 * MurmurHash3 x86_32 (Austin Appleby's public-domain reference), unsigned result.
 *
 * ASCII strings are hashed straight from `charCodeAt`; at the first char >= 0x80 the string
 * is encoded once by `utf8.ts` and hashed as bytes (no allocation up to the scratch size).
 */
import { checkKeyBytes, checkUint32 } from './check';
import { asciiTail, asciiWord, encodeUtf8, utf8 } from './utf8';
import type { Key } from '../types';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Mixes one 4-byte block `k` into `h`. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Mixes the 1-3 trailing bytes `k` into `h`; with no tail, k = 0 leaves `h` unchanged. */
function mixTail(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return h ^ Math.imul(k, C2);
}

/** Adds the length and applies the finalizer (fmix32); unsigned. */
function finalize(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** murmur3 of `data[start .. end)`. */
export function murmur3Range(data: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed | 0;
  let p = start;
  for (; p + 4 <= end; p += 4) {
    h = mixBlock(h, data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24));
  }
  let k = 0;
  for (let s = 0; p < end; p++, s += 8) k |= data[p] << s;
  return finalize(mixTail(h, k), end - start);
}

function murmur3String(str: string, seed: number): number {
  const n = str.length;
  let h = seed | 0;
  let p = 0;
  for (; p + 4 <= n; p += 4) {
    const k = asciiWord(str, p);
    if (k < 0) return murmur3NonAscii(str, seed);
    h = mixBlock(h, k);
  }
  const k = asciiTail(str, p, n);
  if (k < 0) return murmur3NonAscii(str, seed);
  return finalize(mixTail(h, k), n);
}

function murmur3NonAscii(str: string, seed: number): number {
  encodeUtf8(str);
  return murmur3Range(utf8.bytes, 0, utf8.length, seed);
}

/** MurmurHash3 x86_32 of `key` with `seed` (a finite number, taken mod 2^32). */
export function murmur3(key: Key, seed: number): number {
  if (typeof key === 'string') return murmur3String(key, checkUint32(seed, 'seed'));
  const bytes = checkKeyBytes(key, 'key');
  return murmur3Range(bytes, 0, bytes.length, checkUint32(seed, 'seed'));
}
