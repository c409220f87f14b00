/**
 * MD5 of two short keys at once, for ring batches (md5Uint32 of keys `i` and `i + 1`).
 *
 * One MD5 compression is a chain of 64 dependent steps (each waits for the last one's result),
 * so a single hash leaves most of the core's ALUs idle; two independent hashes interleaved
 * step by step run in about the time of one and a half. Only single-block keys (at most 55
 * ASCII chars) take this path, and only word A of the digest is computed, so the compression
 * stops after step 61 (steps 62-64 write B, C and D).
 */
import { asciiTail, asciiWord } from './utf8';

/** Longest key that fits one block with its padding and length. */
export const PAIR_MAX_LENGTH = 55;

/** The two message blocks. */
const A = new Int32Array(16);
const B = new Int32Array(16);
/** md5Uint32 of the two keys after {@link md5Uint32Pair} (int32; `>>> 0` for uint32). */
export const pairOut = new Int32Array(2);

/**
 * Loads `str` (length <= 55) as one padded block with its bit length into `w`; false if a
 * char is not ASCII (the caller then hashes the key alone, through its UTF-8 bytes).
 */
function loadBlock(str: string, w: Int32Array): boolean {
  const n = str.length;
  const words = n >>> 2;
  let j = 0;
  for (let p = 0; j < words; j++, p += 4) {
    const x = asciiWord(str, p);
    if (x < 0) return false;
    w[j] = x;
  }
  const tail = asciiTail(str, words * 4, n);
  if (tail < 0) return false;
  w[j] = tail | (0x80 << ((n & 3) * 8));
  for (j++; j < 14; j++) w[j] = 0;
  w[14] = n * 8;
  w[15] = 0;
  return true;
}

/**
 * md5Uint32 of `k1` and `k2` into {@link pairOut}; false (nothing written) when either is
 * longer than {@link PAIR_MAX_LENGTH} or not ASCII.
 */
export function md5Uint32Pair(k1: string, k2: string): boolean {
  if (k1.length > PAIR_MAX_LENGTH || k2.length > PAIR_MAX_LENGTH || !loadBlock(k1, A) || !loadBlock(k2, B)) return false;
  compressPair();
  return true;
}

/** Steps 1-61 of the compression of {@link A} and {@link B} from the initial state, interleaved (md5.ts). */
function compressPair(): void {
  let a1 = 0x67452301;
  let b1 = 0xefcdab89 | 0;
  let c1 = 0x98badcfe | 0;
  let d1 = 0x10325476;
  let a2 = a1;
  let b2 = b1;
  let c2 = c1;
  let d2 = d1;
  const x01 = A[0];
  const x02 = B[0];
  const x11 = A[1];
  const x12 = B[1];
  const x21 = A[2];
  const x22 = B[2];
  const x31 = A[3];
  const x32 = B[3];
  const x41 = A[4];
  const x42 = B[4];
  const x51 = A[5];
  const x52 = B[5];
  const x61 = A[6];
  const x62 = B[6];
  const x71 = A[7];
  const x72 = B[7];
  const x81 = A[8];
  const x82 = B[8];
  const x91 = A[9];
  const x92 = B[9];
  const x101 = A[10];
  const x102 = B[10];
  const x111 = A[11];
  const x112 = B[11];
  const x121 = A[12];
  const x122 = B[12];
  const x131 = A[13];
  const x132 = B[13];
  const x141 = A[14];
  const x142 = B[14];
  const x151 = A[15];
  const x152 = B[15];
  // Round 1
  a1 = (a1 + x01 + 0xd76aa478 + (d1 ^ (b1 & (c1 ^ d1)))) | 0;
  a1 = (((a1 << 7) | (a1 >>> 25)) + b1) | 0;
  a2 = (a2 + x02 + 0xd76aa478 + (d2 ^ (b2 & (c2 ^ d2)))) | 0;
  a2 = (((a2 << 7) | (a2 >>> 25)) + b2) | 0;
  d1 = (d1 + x11 + 0xe8c7b756 + (c1 ^ (a1 & (b1 ^ c1)))) | 0;
  d1 = (((d1 << 12) | (d1 >>> 20)) + a1) | 0;
  d2 = (d2 + x12 + 0xe8c7b756 + (c2 ^ (a2 & (b2 ^ c2)))) | 0;
  d2 = (((d2 << 12) | (d2 >>> 20)) + a2) | 0;
  c1 = (c1 + x21 + 0x242070db + (b1 ^ (d1 & (a1 ^ b1)))) | 0;
  c1 = (((c1 << 17) | (c1 >>> 15)) + d1) | 0;
  c2 = (c2 + x22 + 0x242070db + (b2 ^ (d2 & (a2 ^ b2)))) | 0;
  c2 = (((c2 << 17) | (c2 >>> 15)) + d2) | 0;
  b1 = (b1 + x31 + 0xc1bdceee + (a1 ^ (c1 & (d1 ^ a1)))) | 0;
  b1 = (((b1 << 22) | (b1 >>> 10)) + c1) | 0;
  b2 = (b2 + x32 + 0xc1bdceee + (a2 ^ (c2 & (d2 ^ a2)))) | 0;
  b2 = (((b2 << 22) | (b2 >>> 10)) + c2) | 0;
  a1 = (a1 + x41 + 0xf57c0faf + (d1 ^ (b1 & (c1 ^ d1)))) | 0;
  a1 = (((a1 << 7) | (a1 >>> 25)) + b1) | 0;
  a2 = (a2 + x42 + 0xf57c0faf + (d2 ^ (b2 & (c2 ^ d2)))) | 0;
  a2 = (((a2 << 7) | (a2 >>> 25)) + b2) | 0;
  d1 = (d1 + x51 + 0x4787c62a + (c1 ^ (a1 & (b1 ^ c1)))) | 0;
  d1 = (((d1 << 12) | (d1 >>> 20)) + a1) | 0;
  d2 = (d2 + x52 + 0x4787c62a + (c2 ^ (a2 & (b2 ^ c2)))) | 0;
  d2 = (((d2 << 12) | (d2 >>> 20)) + a2) | 0;
  c1 = (c1 + x61 + 0xa8304613 + (b1 ^ (d1 & (a1 ^ b1)))) | 0;
  c1 = (((c1 << 17) | (c1 >>> 15)) + d1) | 0;
  c2 = (c2 + x62 + 0xa8304613 + (b2 ^ (d2 & (a2 ^ b2)))) | 0;
  c2 = (((c2 << 17) | (c2 >>> 15)) + d2) | 0;
  b1 = (b1 + x71 + 0xfd469501 + (a1 ^ (c1 & (d1 ^ a1)))) | 0;
  b1 = (((b1 << 22) | (b1 >>> 10)) + c1) | 0;
  b2 = (b2 + x72 + 0xfd469501 + (a2 ^ (c2 & (d2 ^ a2)))) | 0;
  b2 = (((b2 << 22) | (b2 >>> 10)) + c2) | 0;
  a1 = (a1 + x81 + 0x698098d8 + (d1 ^ (b1 & (c1 ^ d1)))) | 0;
  a1 = (((a1 << 7) | (a1 >>> 25)) + b1) | 0;
  a2 = (a2 + x82 + 0x698098d8 + (d2 ^ (b2 & (c2 ^ d2)))) | 0;
  a2 = (((a2 << 7) | (a2 >>> 25)) + b2) | 0;
  d1 = (d1 + x91 + 0x8b44f7af + (c1 ^ (a1 & (b1 ^ c1)))) | 0;
  d1 = (((d1 << 12) | (d1 >>> 20)) + a1) | 0;
  d2 = (d2 + x92 + 0x8b44f7af + (c2 ^ (a2 & (b2 ^ c2)))) | 0;
  d2 = (((d2 << 12) | (d2 >>> 20)) + a2) | 0;
  c1 = (c1 + x101 + 0xffff5bb1 + (b1 ^ (d1 & (a1 ^ b1)))) | 0;
  c1 = (((c1 << 17) | (c1 >>> 15)) + d1) | 0;
  c2 = (c2 + x102 + 0xffff5bb1 + (b2 ^ (d2 & (a2 ^ b2)))) | 0;
  c2 = (((c2 << 17) | (c2 >>> 15)) + d2) | 0;
  b1 = (b1 + x111 + 0x895cd7be + (a1 ^ (c1 & (d1 ^ a1)))) | 0;
  b1 = (((b1 << 22) | (b1 >>> 10)) + c1) | 0;
  b2 = (b2 + x112 + 0x895cd7be + (a2 ^ (c2 & (d2 ^ a2)))) | 0;
  b2 = (((b2 << 22) | (b2 >>> 10)) + c2) | 0;
  a1 = (a1 + x121 + 0x6b901122 + (d1 ^ (b1 & (c1 ^ d1)))) | 0;
  a1 = (((a1 << 7) | (a1 >>> 25)) + b1) | 0;
  a2 = (a2 + x122 + 0x6b901122 + (d2 ^ (b2 & (c2 ^ d2)))) | 0;
  a2 = (((a2 << 7) | (a2 >>> 25)) + b2) | 0;
  d1 = (d1 + x131 + 0xfd987193 + (c1 ^ (a1 & (b1 ^ c1)))) | 0;
  d1 = (((d1 << 12) | (d1 >>> 20)) + a1) | 0;
  d2 = (d2 + x132 + 0xfd987193 + (c2 ^ (a2 & (b2 ^ c2)))) | 0;
  d2 = (((d2 << 12) | (d2 >>> 20)) + a2) | 0;
  c1 = (c1 + x141 + 0xa679438e + (b1 ^ (d1 & (a1 ^ b1)))) | 0;
  c1 = (((c1 << 17) | (c1 >>> 15)) + d1) | 0;
  c2 = (c2 + x142 + 0xa679438e + (b2 ^ (d2 & (a2 ^ b2)))) | 0;
  c2 = (((c2 << 17) | (c2 >>> 15)) + d2) | 0;
  b1 = (b1 + x151 + 0x49b40821 + (a1 ^ (c1 & (d1 ^ a1)))) | 0;
  b1 = (((b1 << 22) | (b1 >>> 10)) + c1) | 0;
  b2 = (b2 + x152 + 0x49b40821 + (a2 ^ (c2 & (d2 ^ a2)))) | 0;
  b2 = (((b2 << 22) | (b2 >>> 10)) + c2) | 0;
  // Round 2
  a1 = (a1 + x11 + 0xf61e2562 + (c1 & ~d1) + (b1 & d1)) | 0;
  a1 = (((a1 << 5) | (a1 >>> 27)) + b1) | 0;
  a2 = (a2 + x12 + 0xf61e2562 + (c2 & ~d2) + (b2 & d2)) | 0;
  a2 = (((a2 << 5) | (a2 >>> 27)) + b2) | 0;
  d1 = (d1 + x61 + 0xc040b340 + (b1 & ~c1) + (a1 & c1)) | 0;
  d1 = (((d1 << 9) | (d1 >>> 23)) + a1) | 0;
  d2 = (d2 + x62 + 0xc040b340 + (b2 & ~c2) + (a2 & c2)) | 0;
  d2 = (((d2 << 9) | (d2 >>> 23)) + a2) | 0;
  c1 = (c1 + x111 + 0x265e5a51 + (a1 & ~b1) + (d1 & b1)) | 0;
  c1 = (((c1 << 14) | (c1 >>> 18)) + d1) | 0;
  c2 = (c2 + x112 + 0x265e5a51 + (a2 & ~b2) + (d2 & b2)) | 0;
  c2 = (((c2 << 14) | (c2 >>> 18)) + d2) | 0;
  b1 = (b1 + x01 + 0xe9b6c7aa + (d1 & ~a1) + (c1 & a1)) | 0;
  b1 = (((b1 << 20) | (b1 >>> 12)) + c1) | 0;
  b2 = (b2 + x02 + 0xe9b6c7aa + (d2 & ~a2) + (c2 & a2)) | 0;
  b2 = (((b2 << 20) | (b2 >>> 12)) + c2) | 0;
  a1 = (a1 + x51 + 0xd62f105d + (c1 & ~d1) + (b1 & d1)) | 0;
  a1 = (((a1 << 5) | (a1 >>> 27)) + b1) | 0;
  a2 = (a2 + x52 + 0xd62f105d + (c2 & ~d2) + (b2 & d2)) | 0;
  a2 = (((a2 << 5) | (a2 >>> 27)) + b2) | 0;
  d1 = (d1 + x101 + 0x02441453 + (b1 & ~c1) + (a1 & c1)) | 0;
  d1 = (((d1 << 9) | (d1 >>> 23)) + a1) | 0;
  d2 = (d2 + x102 + 0x02441453 + (b2 & ~c2) + (a2 & c2)) | 0;
  d2 = (((d2 << 9) | (d2 >>> 23)) + a2) | 0;
  c1 = (c1 + x151 + 0xd8a1e681 + (a1 & ~b1) + (d1 & b1)) | 0;
  c1 = (((c1 << 14) | (c1 >>> 18)) + d1) | 0;
  c2 = (c2 + x152 + 0xd8a1e681 + (a2 & ~b2) + (d2 & b2)) | 0;
  c2 = (((c2 << 14) | (c2 >>> 18)) + d2) | 0;
  b1 = (b1 + x41 + 0xe7d3fbc8 + (d1 & ~a1) + (c1 & a1)) | 0;
  b1 = (((b1 << 20) | (b1 >>> 12)) + c1) | 0;
  b2 = (b2 + x42 + 0xe7d3fbc8 + (d2 & ~a2) + (c2 & a2)) | 0;
  b2 = (((b2 << 20) | (b2 >>> 12)) + c2) | 0;
  a1 = (a1 + x91 + 0x21e1cde6 + (c1 & ~d1) + (b1 & d1)) | 0;
  a1 = (((a1 << 5) | (a1 >>> 27)) + b1) | 0;
  a2 = (a2 + x92 + 0x21e1cde6 + (c2 & ~d2) + (b2 & d2)) | 0;
  a2 = (((a2 << 5) | (a2 >>> 27)) + b2) | 0;
  d1 = (d1 + x141 + 0xc33707d6 + (b1 & ~c1) + (a1 & c1)) | 0;
  d1 = (((d1 << 9) | (d1 >>> 23)) + a1) | 0;
  d2 = (d2 + x142 + 0xc33707d6 + (b2 & ~c2) + (a2 & c2)) | 0;
  d2 = (((d2 << 9) | (d2 >>> 23)) + a2) | 0;
  c1 = (c1 + x31 + 0xf4d50d87 + (a1 & ~b1) + (d1 & b1)) | 0;
  c1 = (((c1 << 14) | (c1 >>> 18)) + d1) | 0;
  c2 = (c2 + x32 + 0xf4d50d87 + (a2 & ~b2) + (d2 & b2)) | 0;
  c2 = (((c2 << 14) | (c2 >>> 18)) + d2) | 0;
  b1 = (b1 + x81 + 0x455a14ed + (d1 & ~a1) + (c1 & a1)) | 0;
  b1 = (((b1 << 20) | (b1 >>> 12)) + c1) | 0;
  b2 = (b2 + x82 + 0x455a14ed + (d2 & ~a2) + (c2 & a2)) | 0;
  b2 = (((b2 << 20) | (b2 >>> 12)) + c2) | 0;
  a1 = (a1 + x131 + 0xa9e3e905 + (c1 & ~d1) + (b1 & d1)) | 0;
  a1 = (((a1 << 5) | (a1 >>> 27)) + b1) | 0;
  a2 = (a2 + x132 + 0xa9e3e905 + (c2 & ~d2) + (b2 & d2)) | 0;
  a2 = (((a2 << 5) | (a2 >>> 27)) + b2) | 0;
  d1 = (d1 + x21 + 0xfcefa3f8 + (b1 & ~c1) + (a1 & c1)) | 0;
  d1 = (((d1 << 9) | (d1 >>> 23)) + a1) | 0;
  d2 = (d2 + x22 + 0xfcefa3f8 + (b2 & ~c2) + (a2 & c2)) | 0;
  d2 = (((d2 << 9) | (d2 >>> 23)) + a2) | 0;
  c1 = (c1 + x71 + 0x676f02d9 + (a1 & ~b1) + (d1 & b1)) | 0;
  c1 = (((c1 << 14) | (c1 >>> 18)) + d1) | 0;
  c2 = (c2 + x72 + 0x676f02d9 + (a2 & ~b2) + (d2 & b2)) | 0;
  c2 = (((c2 << 14) | (c2 >>> 18)) + d2) | 0;
  b1 = (b1 + x121 + 0x8d2a4c8a + (d1 & ~a1) + (c1 & a1)) | 0;
  b1 = (((b1 << 20) | (b1 >>> 12)) + c1) | 0;
  b2 = (b2 + x122 + 0x8d2a4c8a + (d2 & ~a2) + (c2 & a2)) | 0;
  b2 = (((b2 << 20) | (b2 >>> 12)) + c2) | 0;
  // Round 3
  a1 = (a1 + x51 + 0xfffa3942 + (c1 ^ d1 ^ b1)) | 0;
  a1 = (((a1 << 4) | (a1 >>> 28)) + b1) | 0;
  a2 = (a2 + x52 + 0xfffa3942 + (c2 ^ d2 ^ b2)) | 0;
  a2 = (((a2 << 4) | (a2 >>> 28)) + b2) | 0;
  d1 = (d1 + x81 + 0x8771f681 + (b1 ^ c1 ^ a1)) | 0;
  d1 = (((d1 << 11) | (d1 >>> 21)) + a1) | 0;
  d2 = (d2 + x82 + 0x8771f681 + (b2 ^ c2 ^ a2)) | 0;
  d2 = (((d2 << 11) | (d2 >>> 21)) + a2) | 0;
  c1 = (c1 + x111 + 0x6d9d6122 + (a1 ^ b1 ^ d1)) | 0;
  c1 = (((c1 << 16) | (c1 >>> 16)) + d1) | 0;
  c2 = (c2 + x112 + 0x6d9d6122 + (a2 ^ b2 ^ d2)) | 0;
  c2 = (((c2 << 16) | (c2 >>> 16)) + d2) | 0;
  b1 = (b1 + x141 + 0xfde5380c + (d1 ^ a1 ^ c1)) | 0;
  b1 = (((b1 << 23) | (b1 >>> 9)) + c1) | 0;
  b2 = (b2 + x142 + 0xfde5380c + (d2 ^ a2 ^ c2)) | 0;
  b2 = (((b2 << 23) | (b2 >>> 9)) + c2) | 0;
  a1 = (a1 + x11 + 0xa4beea44 + (c1 ^ d1 ^ b1)) | 0;
  a1 = (((a1 << 4) | (a1 >>> 28)) + b1) | 0;
  a2 = (a2 + x12 + 0xa4beea44 + (c2 ^ d2 ^ b2)) | 0;
  a2 = (((a2 << 4) | (a2 >>> 28)) + b2) | 0;
  d1 = (d1 + x41 + 0x4bdecfa9 + (b1 ^ c1 ^ a1)) | 0;
  d1 = (((d1 << 11) | (d1 >>> 21)) + a1) | 0;
  d2 = (d2 + x42 + 0x4bdecfa9 + (b2 ^ c2 ^ a2)) | 0;
  d2 = (((d2 << 11) | (d2 >>> 21)) + a2) | 0;
  c1 = (c1 + x71 + 0xf6bb4b60 + (a1 ^ b1 ^ d1)) | 0;
  c1 = (((c1 << 16) | (c1 >>> 16)) + d1) | 0;
  c2 = (c2 + x72 + 0xf6bb4b60 + (a2 ^ b2 ^ d2)) | 0;
  c2 = (((c2 << 16) | (c2 >>> 16)) + d2) | 0;
  b1 = (b1 + x101 + 0xbebfbc70 + (d1 ^ a1 ^ c1)) | 0;
  b1 = (((b1 << 23) | (b1 >>> 9)) + c1) | 0;
  b2 = (b2 + x102 + 0xbebfbc70 + (d2 ^ a2 ^ c2)) | 0;
  b2 = (((b2 << 23) | (b2 >>> 9)) + c2) | 0;
  a1 = (a1 + x131 + 0x289b7ec6 + (c1 ^ d1 ^ b1)) | 0;
  a1 = (((a1 << 4) | (a1 >>> 28)) + b1) | 0;
  a2 = (a2 + x132 + 0x289b7ec6 + (c2 ^ d2 ^ b2)) | 0;
  a2 = (((a2 << 4) | (a2 >>> 28)) + b2) | 0;
  d1 = (d1 + x01 + 0xeaa127fa + (b1 ^ c1 ^ a1)) | 0;
  d1 = (((d1 << 11) | (d1 >>> 21)) + a1) | 0;
  d2 = (d2 + x02 + 0xeaa127fa + (b2 ^ c2 ^ a2)) | 0;
  d2 = (((d2 << 11) | (d2 >>> 21)) + a2) | 0;
  c1 = (c1 + x31 + 0xd4ef3085 + (a1 ^ b1 ^ d1)) | 0;
  c1 = (((c1 << 16) | (c1 >>> 16)) + d1) | 0;
  c2 = (c2 + x32 + 0xd4ef3085 + (a2 ^ b2 ^ d2)) | 0;
  c2 = (((c2 << 16) | (c2 >>> 16)) + d2) | 0;
  b1 = (b1 + x61 + 0x04881d05 + (d1 ^ a1 ^ c1)) | 0;
  b1 = (((b1 << 23) | (b1 >>> 9)) + c1) | 0;
  b2 = (b2 + x62 + 0x04881d05 + (d2 ^ a2 ^ c2)) | 0;
  b2 = (((b2 << 23) | (b2 >>> 9)) + c2) | 0;
  a1 = (a1 + x91 + 0xd9d4d039 + (c1 ^ d1 ^ b1)) | 0;
  a1 = (((a1 << 4) | (a1 >>> 28)) + b1) | 0;
  a2 = (a2 + x92 + 0xd9d4d039 + (c2 ^ d2 ^ b2)) | 0;
  a2 = (((a2 << 4) | (a2 >>> 28)) + b2) | 0;
  d1 = (d1 + x121 + 0xe6db99e5 + (b1 ^ c1 ^ a1)) | 0;
  d1 = (((d1 << 11) | (d1 >>> 21)) + a1) | 0;
  d2 = (d2 + x122 + 0xe6db99e5 + (b2 ^ c2 ^ a2)) | 0;
  d2 = (((d2 << 11) | (d2 >>> 21)) + a2) | 0;
  c1 = (c1 + x151 + 0x1fa27cf8 + (a1 ^ b1 ^ d1)) | 0;
  c1 = (((c1 << 16) | (c1 >>> 16)) + d1) | 0;
  c2 = (c2 + x152 + 0x1fa27cf8 + (a2 ^ b2 ^ d2)) | 0;
  c2 = (((c2 << 16) | (c2 >>> 16)) + d2) | 0;
  b1 = (b1 + x21 + 0xc4ac5665 + (d1 ^ a1 ^ c1)) | 0;
  b1 = (((b1 << 23) | (b1 >>> 9)) + c1) | 0;
  b2 = (b2 + x22 + 0xc4ac5665 + (d2 ^ a2 ^ c2)) | 0;
  b2 = (((b2 << 23) | (b2 >>> 9)) + c2) | 0;
  // Round 4
  a1 = (a1 + x01 + 0xf4292244 + (c1 ^ (b1 | ~d1))) | 0;
  a1 = (((a1 << 6) | (a1 >>> 26)) + b1) | 0;
  a2 = (a2 + x02 + 0xf4292244 + (c2 ^ (b2 | ~d2))) | 0;
  a2 = (((a2 << 6) | (a2 >>> 26)) + b2) | 0;
  d1 = (d1 + x71 + 0x432aff97 + (b1 ^ (a1 | ~c1))) | 0;
  d1 = (((d1 << 10) | (d1 >>> 22)) + a1) | 0;
  d2 = (d2 + x72 + 0x432aff97 + (b2 ^ (a2 | ~c2))) | 0;
  d2 = (((d2 << 10) | (d2 >>> 22)) + a2) | 0;
  c1 = (c1 + x141 + 0xab9423a7 + (a1 ^ (d1 | ~b1))) | 0;
  c1 = (((c1 << 15) | (c1 >>> 17)) + d1) | 0;
  c2 = (c2 + x142 + 0xab9423a7 + (a2 ^ (d2 | ~b2))) | 0;
  c2 = (((c2 << 15) | (c2 >>> 17)) + d2) | 0;
  b1 = (b1 + x51 + 0xfc93a039 + (d1 ^ (c1 | ~a1))) | 0;
  b1 = (((b1 << 21) | (b1 >>> 11)) + c1) | 0;
  b2 = (b2 + x52 + 0xfc93a039 + (d2 ^ (c2 | ~a2))) | 0;
  b2 = (((b2 << 21) | (b2 >>> 11)) + c2) | 0;
  a1 = (a1 + x121 + 0x655b59c3 + (c1 ^ (b1 | ~d1))) | 0;
  a1 = (((a1 << 6) | (a1 >>> 26)) + b1) | 0;
  a2 = (a2 + x122 + 0x655b59c3 + (c2 ^ (b2 | ~d2))) | 0;
  a2 = (((a2 << 6) | (a2 >>> 26)) + b2) | 0;
  d1 = (d1 + x31 + 0x8f0ccc92 + (b1 ^ (a1 | ~c1))) | 0;
  d1 = (((d1 << 10) | (d1 >>> 22)) + a1) | 0;
  d2 = (d2 + x32 + 0x8f0ccc92 + (b2 ^ (a2 | ~c2))) | 0;
  d2 = (((d2 << 10) | (d2 >>> 22)) + a2) | 0;
  c1 = (c1 + x101 + 0xffeff47d + (a1 ^ (d1 | ~b1))) | 0;
  c1 = (((c1 << 15) | (c1 >>> 17)) + d1) | 0;
  c2 = (c2 + x102 + 0xffeff47d + (a2 ^ (d2 | ~b2))) | 0;
  c2 = (((c2 << 15) | (c2 >>> 17)) + d2) | 0;
  b1 = (b1 + x11 + 0x85845dd1 + (d1 ^ (c1 | ~a1))) | 0;
  b1 = (((b1 << 21) | (b1 >>> 11)) + c1) | 0;
  b2 = (b2 + x12 + 0x85845dd1 + (d2 ^ (c2 | ~a2))) | 0;
  b2 = (((b2 << 21) | (b2 >>> 11)) + c2) | 0;
  a1 = (a1 + x81 + 0x6fa87e4f + (c1 ^ (b1 | ~d1))) | 0;
  a1 = (((a1 << 6) | (a1 >>> 26)) + b1) | 0;
  a2 = (a2 + x82 + 0x6fa87e4f + (c2 ^ (b2 | ~d2))) | 0;
  a2 = (((a2 << 6) | (a2 >>> 26)) + b2) | 0;
  d1 = (d1 + x151 + 0xfe2ce6e0 + (b1 ^ (a1 | ~c1))) | 0;
  d1 = (((d1 << 10) | (d1 >>> 22)) + a1) | 0;
  d2 = (d2 + x152 + 0xfe2ce6e0 + (b2 ^ (a2 | ~c2))) | 0;
  d2 = (((d2 << 10) | (d2 >>> 22)) + a2) | 0;
  c1 = (c1 + x61 + 0xa3014314 + (a1 ^ (d1 | ~b1))) | 0;
  c1 = (((c1 << 15) | (c1 >>> 17)) + d1) | 0;
  c2 = (c2 + x62 + 0xa3014314 + (a2 ^ (d2 | ~b2))) | 0;
  c2 = (((c2 << 15) | (c2 >>> 17)) + d2) | 0;
  b1 = (b1 + x131 + 0x4e0811a1 + (d1 ^ (c1 | ~a1))) | 0;
  b1 = (((b1 << 21) | (b1 >>> 11)) + c1) | 0;
  b2 = (b2 + x132 + 0x4e0811a1 + (d2 ^ (c2 | ~a2))) | 0;
  b2 = (((b2 << 21) | (b2 >>> 11)) + c2) | 0;
  a1 = (a1 + x41 + 0xf7537e82 + (c1 ^ (b1 | ~d1))) | 0;
  a1 = (((a1 << 6) | (a1 >>> 26)) + b1) | 0;
  a2 = (a2 + x42 + 0xf7537e82 + (c2 ^ (b2 | ~d2))) | 0;
  a2 = (((a2 << 6) | (a2 >>> 26)) + b2) | 0;
  pairOut[0] = (a1 + 0x67452301) | 0;
  pairOut[1] = (a2 + 0x67452301) | 0;
}
