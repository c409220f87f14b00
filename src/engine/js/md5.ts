/**
 * MD5 (RFC 1321) without allocation: one module-level 16-word block and a 4-word state.
 *
 * ASCII strings are read straight into the block through `charCodeAt` (no UTF-8 encode);
 * a string with any char >= 0x80 is encoded once by `utf8.ts` and hashed as bytes. A key of
 * at most 55 bytes is a single block: tail load, padding and length, one compression.
 */
import { checkKeyBytes, checkRoom, checkView, UINT8 } from './check';
import { asciiTail, asciiWord, encodeUtf8, utf8 } from './utf8';
import type { Key } from '../types';

/** The message block being compressed, as little-endian words. */
const W = new Int32Array(16);
/** Chaining state A, B, C, D. */
const S = new Int32Array(4);

function init(): void {
  S[0] = 0x67452301;
  S[1] = 0xefcdab89;
  S[2] = 0x98badcfe;
  S[3] = 0x10325476;
}

/**
 * One MD5 compression of {@link W} into {@link S}, fully unrolled (generated from the RFC's
 * table: T[i] = floor(2^32 * |sin(i + 1)|)).
 *
 * The speed limit is the chain through `b` (the previous step's result), so each step adds
 * `a + x + T` first and the round function last, written so the fewest ops wait for `b`:
 * F = d ^ (b & (c ^ d)); G = (b & d) | (c & ~d) as a sum (the two terms never share a bit)
 * with `c & ~d` first; H = (c ^ d) ^ b. That took the compression from ~160 to ~115 ns.
 */
function compress(): void {
  let a = S[0];
  let b = S[1];
  let c = S[2];
  let d = S[3];
  const x0 = W[0];
  const x1 = W[1];
  const x2 = W[2];
  const x3 = W[3];
  const x4 = W[4];
  const x5 = W[5];
  const x6 = W[6];
  const x7 = W[7];
  const x8 = W[8];
  const x9 = W[9];
  const x10 = W[10];
  const x11 = W[11];
  const x12 = W[12];
  const x13 = W[13];
  const x14 = W[14];
  const x15 = W[15];
  // Round 1
  a = (a + x0 + 0xd76aa478 + (d ^ (b & (c ^ d)))) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + x1 + 0xe8c7b756 + (c ^ (a & (b ^ c)))) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + x2 + 0x242070db + (b ^ (d & (a ^ b)))) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + x3 + 0xc1bdceee + (a ^ (c & (d ^ a)))) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + x4 + 0xf57c0faf + (d ^ (b & (c ^ d)))) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + x5 + 0x4787c62a + (c ^ (a & (b ^ c)))) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + x6 + 0xa8304613 + (b ^ (d & (a ^ b)))) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + x7 + 0xfd469501 + (a ^ (c & (d ^ a)))) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + x8 + 0x698098d8 + (d ^ (b & (c ^ d)))) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + x9 + 0x8b44f7af + (c ^ (a & (b ^ c)))) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + x10 + 0xffff5bb1 + (b ^ (d & (a ^ b)))) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + x11 + 0x895cd7be + (a ^ (c & (d ^ a)))) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + x12 + 0x6b901122 + (d ^ (b & (c ^ d)))) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + x13 + 0xfd987193 + (c ^ (a & (b ^ c)))) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + x14 + 0xa679438e + (b ^ (d & (a ^ b)))) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + x15 + 0x49b40821 + (a ^ (c & (d ^ a)))) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  // Round 2
  a = (a + x1 + 0xf61e2562 + (c & ~d) + (b & d)) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + x6 + 0xc040b340 + (b & ~c) + (a & c)) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + x11 + 0x265e5a51 + (a & ~b) + (d & b)) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + x0 + 0xe9b6c7aa + (d & ~a) + (c & a)) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + x5 + 0xd62f105d + (c & ~d) + (b & d)) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + x10 + 0x02441453 + (b & ~c) + (a & c)) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + x15 + 0xd8a1e681 + (a & ~b) + (d & b)) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + x4 + 0xe7d3fbc8 + (d & ~a) + (c & a)) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + x9 + 0x21e1cde6 + (c & ~d) + (b & d)) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + x14 + 0xc33707d6 + (b & ~c) + (a & c)) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + x3 + 0xf4d50d87 + (a & ~b) + (d & b)) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + x8 + 0x455a14ed + (d & ~a) + (c & a)) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + x13 + 0xa9e3e905 + (c & ~d) + (b & d)) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + x2 + 0xfcefa3f8 + (b & ~c) + (a & c)) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + x7 + 0x676f02d9 + (a & ~b) + (d & b)) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + x12 + 0x8d2a4c8a + (d & ~a) + (c & a)) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  // Round 3
  a = (a + x5 + 0xfffa3942 + (c ^ d ^ b)) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + x8 + 0x8771f681 + (b ^ c ^ a)) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + x11 + 0x6d9d6122 + (a ^ b ^ d)) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + x14 + 0xfde5380c + (d ^ a ^ c)) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + x1 + 0xa4beea44 + (c ^ d ^ b)) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + x4 + 0x4bdecfa9 + (b ^ c ^ a)) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + x7 + 0xf6bb4b60 + (a ^ b ^ d)) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + x10 + 0xbebfbc70 + (d ^ a ^ c)) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + x13 + 0x289b7ec6 + (c ^ d ^ b)) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + x0 + 0xeaa127fa + (b ^ c ^ a)) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + x3 + 0xd4ef3085 + (a ^ b ^ d)) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + x6 + 0x04881d05 + (d ^ a ^ c)) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + x9 + 0xd9d4d039 + (c ^ d ^ b)) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + x12 + 0xe6db99e5 + (b ^ c ^ a)) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + x15 + 0x1fa27cf8 + (a ^ b ^ d)) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + x2 + 0xc4ac5665 + (d ^ a ^ c)) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  // Round 4
  a = (a + x0 + 0xf4292244 + (c ^ (b | ~d))) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + x7 + 0x432aff97 + (b ^ (a | ~c))) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + x14 + 0xab9423a7 + (a ^ (d | ~b))) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + x5 + 0xfc93a039 + (d ^ (c | ~a))) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + x12 + 0x655b59c3 + (c ^ (b | ~d))) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + x3 + 0x8f0ccc92 + (b ^ (a | ~c))) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + x10 + 0xffeff47d + (a ^ (d | ~b))) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + x1 + 0x85845dd1 + (d ^ (c | ~a))) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + x8 + 0x6fa87e4f + (c ^ (b | ~d))) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + x15 + 0xfe2ce6e0 + (b ^ (a | ~c))) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + x6 + 0xa3014314 + (a ^ (d | ~b))) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + x13 + 0x4e0811a1 + (d ^ (c | ~a))) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + x4 + 0xf7537e82 + (c ^ (b | ~d))) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + x11 + 0xbd3af235 + (b ^ (a | ~c))) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + x2 + 0x2ad7d2bb + (a ^ (d | ~b))) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + x9 + 0xeb86d391 + (d ^ (c | ~a))) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  S[0] = (S[0] + a) | 0;
  S[1] = (S[1] + b) | 0;
  S[2] = (S[2] + c) | 0;
  S[3] = (S[3] + d) | 0;
}

/**
 * Loads `str[p .. p + 4 * words)` into `W[0 .. words)`; false (W partly loaded) if a char
 * is not ASCII.
 */
function loadCharWords(str: string, p: number, words: number): boolean {
  for (let j = 0; j < words; j++, p += 4) {
    const w = asciiWord(str, p);
    if (w < 0) return false;
    W[j] = w;
  }
  return true;
}

/** Loads the bytes `data[p .. p + 4 * words)` into `W[0 .. words)`. */
function loadByteWords(data: Uint8Array, p: number, words: number): void {
  for (let j = 0; j < words; j++, p += 4) {
    W[j] = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24);
  }
}

/** Zeroes W from word `j` on. */
function zeroFrom(j: number): void {
  for (; j < 16; j++) W[j] = 0;
}

/**
 * Loads the last `end - p` (< 64) chars into W, then the 0x80 pad byte and zeros; false if
 * a char is not ASCII.
 */
function loadCharsTail(str: string, p: number, end: number): boolean {
  const words = (end - p) >>> 2;
  if (!loadCharWords(str, p, words)) return false;
  const w = asciiTail(str, p + words * 4, end);
  if (w < 0) return false;
  W[words] = w | (0x80 << (((end - p) & 3) * 8));
  zeroFrom(words + 1);
  return true;
}

/** Loads the last `end - p` (< 64) bytes into W, then the 0x80 pad byte and zeros. */
function loadBytesTail(data: Uint8Array, p: number, end: number): void {
  const words = (end - p) >>> 2;
  loadByteWords(data, p, words);
  let w = 0;
  let s = 0;
  for (p += words * 4; p < end; p++, s += 8) w |= data[p] << s;
  W[words] = w | (0x80 << s);
  zeroFrom(words + 1);
}

/**
 * Compresses the loaded tail block and, when the tail left no room for the 8-byte length
 * (`len % 64 >= 56`), one more block of zeros and the length. The bit length is a 64-bit
 * little-endian count; the Int32Array store wraps the low word mod 2^32.
 */
function finish(len: number): void {
  if ((len & 63) >= 56) {
    compress();
    zeroFrom(0);
  }
  W[14] = len * 8;
  W[15] = Math.floor(len / 0x20000000);
  compress();
}

/** MD5 of `data[start .. end)` into S. */
function hashBytes(data: Uint8Array, start: number, end: number): void {
  init();
  let p = start;
  for (; p + 64 <= end; p += 64) {
    loadByteWords(data, p, 16);
    compress();
  }
  loadBytesTail(data, p, end);
  finish(end - start);
}

/** MD5 of the UTF-8 bytes of `str` into S. */
function hashString(str: string): void {
  const n = str.length;
  init();
  let p = 0;
  for (; p + 64 <= n; p += 64) {
    if (!loadCharWords(str, p, 16)) return hashNonAscii(str);
    compress();
  }
  if (!loadCharsTail(str, p, n)) return hashNonAscii(str);
  finish(n);
}

function hashNonAscii(str: string): void {
  encodeUtf8(str);
  hashBytes(utf8.bytes, 0, utf8.length);
}

/** Checks a key; a byte key comes back as its live Uint8Array, a string as itself. */
function checkKey(key: Key): Key {
  return typeof key === 'string' ? key : checkKeyBytes(key, 'key');
}

function hashKey(key: Key): void {
  if (typeof key === 'string') hashString(key);
  else hashBytes(key, 0, key.length);
}

/** Writes the MD5 digest of `key` into `out[0 .. 16)`. */
export function md5(key: Key, out: Uint8Array): void {
  const k = checkKey(key);
  const o = checkView(out, UINT8, 'out');
  checkRoom(o, 16, 'out');
  hashKey(k);
  for (let i = 0, j = 0; i < 4; i++, j += 4) {
    const v = S[i];
    o[j] = v;
    o[j + 1] = v >>> 8;
    o[j + 2] = v >>> 16;
    o[j + 3] = v >>> 24;
  }
}

/** Little-endian uint32 of digest bytes 0-3, i.e. the final state word A. */
export function md5Uint32(key: Key): number {
  hashKey(checkKey(key));
  return S[0] >>> 0;
}

/** {@link md5Uint32} of `data[start .. end)` (packed keys; bounds checked by the caller). */
export function md5Uint32Range(data: Uint8Array, start: number, end: number): number {
  hashBytes(data, start, end);
  return S[0] >>> 0;
}
