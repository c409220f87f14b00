/**
 * Redis Cluster key slot, Redis-exact (`keyHashSlot` in cluster.c): if the key has a `{` and
 * a `}` after the first `{`, and the bytes between them are non-empty, only those bytes are
 * hashed; otherwise the whole key. `crc16(...) & 16383`. `'foo{}{bar}'` hashes the whole key
 * (the first tag is empty), `'a{b}c{d}'` hashes `b`.
 */
import {
  checkApart,
  checkArray,
  checkKeyBytes,
  checkPacked,
  checkRoom,
  checkView,
  offsetsChanged,
  UINT16,
  UINT32,
  UINT8,
} from './check';
import { crc16Scan, crc16Step, crc16StringRange, crc16Update, crc16Utf8, crc16Word, scanned } from './crc16';
import type { Key } from '../types';

const OPEN = 0x7b; // '{'
const CLOSE = 0x7d; // '}'

/**
 * The slot of a string. `{`/`}` are ASCII and UTF-8 never uses bytes < 0x80 inside a
 * multi-byte sequence, so char positions of braces map one-to-one onto byte positions.
 *
 * Fast path (most keys: ASCII, no `{`): one pass that hashes 4 chars per step (slice-by-4,
 * see crc16.ts) and checks them for `{` and non-ASCII on the side; 1.5x faster on 11-char
 * keys than a separate `indexOf('{')` pass. Anything else takes the general path.
 */
function keySlotString(str: string): number {
  const n = str.length;
  let crc = 0;
  let p = 0;
  for (; p + 4 <= n; p += 4) {
    const c0 = str.charCodeAt(p);
    const c1 = str.charCodeAt(p + 1);
    const c2 = str.charCodeAt(p + 2);
    const c3 = str.charCodeAt(p + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80 || c0 === OPEN || c1 === OPEN || c2 === OPEN || c3 === OPEN) {
      return keySlotStringRest(str, crc, p);
    }
    crc = crc16Word(crc, c0, c1, c2, c3);
  }
  for (; p < n; p++) {
    const c = str.charCodeAt(p);
    if (c >= 0x80 || c === OPEN) return keySlotStringRest(str, crc, p);
    crc = crc16Step(crc, c);
  }
  return crc & 16383;
}

/**
 * `str[0 .. p)` is ASCII without `{` and hashed into `crc`; the rest has a non-ASCII char or a
 * `{`. With no `{` from `p` on, the key has no tag: the CRC goes on over the rest's UTF-8
 * bytes from where it is (short non-ASCII keys take this path, no second pass).
 */
function keySlotStringRest(str: string, crc: number, p: number): number {
  if (str.indexOf('{', p) < 0) return crc16Utf8(crc, str, p, str.length) & 16383;
  return keySlotStringTagged(str);
}

/** The general string path: a possible hash tag, possibly non-ASCII. */
function keySlotStringTagged(str: string): number {
  const open = str.indexOf('{');
  if (open >= 0) {
    const close = str.indexOf('}', open + 1);
    if (close > open + 1) return crc16StringRange(str, open + 1, close) & 16383;
  }
  return crc16StringRange(str, 0, str.length) & 16383;
}

/** The slot of the byte key `data[start .. end)`: whole-key CRC and the `{` search in one pass. */
export function keySlotRange(data: Uint8Array, start: number, end: number): number {
  crc16Scan(0, data, start, end, OPEN);
  const open = scanned.at;
  if (open === end) return scanned.crc & 16383;
  const crcBeforeOpen = scanned.crc;
  let close = open + 1;
  while (close < end && data[close] !== CLOSE) close++;
  if (close < end && close > open + 1) return crc16Update(0, data, open + 1, close) & 16383;
  return crc16Update(crcBeforeOpen, data, open, end) & 16383;
}

/** The Redis Cluster slot (0..16383) of `key`. */
export function keySlot(key: Key): number {
  if (typeof key === 'string') return keySlotString(key);
  const bytes = checkKeyBytes(key, 'key');
  return keySlotRange(bytes, 0, bytes.length);
}

/** `out[i] = keySlot(keys[i])`. */
export function keySlots(keys: readonly Key[], out: Uint16Array): void {
  const list = checkArray(keys, 'keys');
  const o = checkView(out, UINT16, 'out');
  const n = list.length;
  checkRoom(o, n, 'out');
  for (let i = 0; i < n; i++) {
    const k = list[i];
    if (typeof k === 'string') o[i] = keySlotString(k);
    else {
      const bytes = checkKeyBytes(k, 'keys', i);
      checkApart(o, n, bytes, 'keys', i);
      o[i] = keySlotRange(bytes, 0, bytes.length);
    }
  }
}

/** `out[i]` = slot of `data[offsets[i] .. offsets[i + 1])`. */
export function keySlotsPacked(data: Uint8Array, offsets: Uint32Array, out: Uint16Array): void {
  const d = checkView(data, UINT8, 'data');
  const offs = checkView(offsets, UINT32, 'offsets');
  const n = checkPacked(d, offs);
  const o = checkView(out, UINT16, 'out');
  checkRoom(o, n, 'out');
  checkApart(o, n, d, 'data');
  checkApart(o, n, offs, 'offsets');
  // Each offset read once and checked where it is used (see checkPacked).
  const limit = d.length;
  let lo = offs[0];
  for (let i = 0; i < n; i++) {
    const hi = offs[i + 1];
    if (hi < lo || hi > limit) throw offsetsChanged(i + 1, hi, limit);
    o[i] = keySlotRange(d, lo, hi);
    lo = hi;
  }
}
