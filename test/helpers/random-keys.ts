/**
 * Seeded random keys for differential tests: every shape a key can take (ASCII, brace-heavy,
 * 2/3/4-byte UTF-8, lone surrogates, Buffers and plain Uint8Arrays that are views at an
 * offset into a larger buffer). Same seed, same keys, so a failure names a reproducible case.
 */
import type { Key, RingTable } from '../../src/engine/types';

export interface Rng {
  /** Uniform in [0, 1). */
  (): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform uint32. */
  u32(): number;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, seedable, plenty for choosing test inputs. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = next as Rng;
  r.int = (n) => Math.floor(next() * n);
  r.u32 = () => Math.floor(next() * 4294967296) >>> 0;
  r.pick = (items) => items[Math.floor(next() * items.length)];
  return r;
}

/** One random UTF-16 code unit sequence element: ASCII, braces, 2/3-byte, astral pair, lone surrogate. */
export function randomChar(r: Rng): string {
  const x = r();
  if (x < 0.3) return String.fromCharCode(0x20 + r.int(0x5f));
  if (x < 0.4) return r() < 0.5 ? '{' : '}';
  if (x < 0.5) return String.fromCharCode(r.int(0x20)); // controls incl. NUL
  if (x < 0.62) return String.fromCharCode(0x80 + r.int(0x780));
  if (x < 0.74) return String.fromCharCode(0x800 + r.int(0xd000));
  if (x < 0.8) return String.fromCharCode(0xe000 + r.int(0x2000));
  if (x < 0.9) return String.fromCodePoint(0x10000 + r.int(0x100000));
  if (x < 0.95) return String.fromCharCode(0xd800 + r.int(0x400)); // lone high surrogate
  return String.fromCharCode(0xdc00 + r.int(0x400)); // lone low surrogate
}

export function randomAscii(r: Rng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(0x20 + r.int(0x5f));
  return s;
}

export function randomUnicode(r: Rng, units: number): string {
  let s = '';
  while (s.length < units) s += randomChar(r);
  return s;
}

export function randomBraces(r: Rng, length: number): string {
  const alphabet = ['{', '}', '{', '}', 'a', 'b', '\u00e9', '\ud800'];
  let s = '';
  for (let i = 0; i < length; i++) s += r.pick(alphabet);
  return s;
}

export function randomBytes(r: Rng, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = r() < 0.2 ? r.pick([0x00, 0x7b, 0x7d, 0xff, 0xed]) : r.int(256);
  return b;
}

/** `bytes` copied into the middle of a larger buffer and returned as a view (byteOffset > 0). */
export function offsetView(r: Rng, bytes: Uint8Array, asBuffer: boolean): Uint8Array {
  const before = 1 + r.int(16);
  const backing = new ArrayBuffer(before + bytes.length + r.int(16));
  const all = new Uint8Array(backing);
  for (let i = 0; i < all.length; i++) all[i] = r.int(256); // junk around the key must not leak in
  all.set(bytes, before);
  return asBuffer ? Buffer.from(backing, before, bytes.length) : new Uint8Array(backing, before, bytes.length);
}

/** A key of any shape, up to `maxLength` units/bytes (default 300). */
export function randomKey(r: Rng, maxLength = 300): Key {
  const len = r() < 0.7 ? r.int(Math.min(40, maxLength) + 1) : r.int(maxLength + 1);
  switch (r.int(8)) {
    case 0:
    case 1:
      return randomAscii(r, len);
    case 2:
      return randomBraces(r, len);
    case 3:
    case 4:
      return randomUnicode(r, len);
    case 5:
      return Buffer.from(randomBytes(r, len));
    case 6:
      return offsetView(r, randomBytes(r, len), r() < 0.5);
    default:
      return r() < 0.5 ? '' : new Uint8Array(0);
  }
}

/** The UTF-8 bytes a key is hashed as (the contract: `Buffer.from(str)` for strings). */
export function keyBytes(key: Key): Buffer {
  return typeof key === 'string' ? Buffer.from(key) : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
}

/** A printable description for assertion messages. */
export function show(key: Key): string {
  if (typeof key === 'string') return JSON.stringify(key.length > 80 ? key.slice(0, 80) + '…' : key);
  return `${key.constructor.name}(${key.length}) @${key.byteOffset} ${Buffer.from(key.buffer, key.byteOffset, Math.min(key.length, 40)).toString('hex')}`;
}

/**
 * A RingTable over sorted `points` with `2 ** bits` buckets, built per the contract in
 * src/engine/types.ts: `buckets[b]` = first index with `points[i] >= b * 2 ** (32 - bits)`,
 * the last entry `points.length`.
 */
export function tableFor(points: Uint32Array, bits: number): RingTable {
  const size = 2 ** bits;
  const width = 2 ** (32 - bits);
  const buckets = new Uint32Array(size + 1);
  let i = 0;
  for (let b = 0; b < size; b++) {
    const first = b * width;
    while (i < points.length && points[i] < first) i++;
    buckets[b] = i;
  }
  buckets[size] = points.length;
  return { points, buckets, shift: 32 - bits };
}
