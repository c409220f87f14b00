/**
 * CRC16-XMODEM (poly 0x1021, init 0, no reflection, no final xor), the Redis Cluster key
 * hash: `crc16('123456789') === 0x31c3`.
 *
 * Slice-by-4: CRC is linear and the register is 16 bits, so four bytes b0..b3 after a
 * register (hi, lo) give `T3[hi ^ b0] ^ T2[lo ^ b1] ^ T1[b2] ^ T0[b3]`, where Tk[x] is the CRC
 * of byte x followed by k zero bytes. The four lookups are independent, which roughly halves
 * the time per byte of the one-table loop (whose every step waits on the previous load);
 * the register-dependent lookups come last so the xor chain does not wait for them.
 */
import { checkKeyBytes } from './check';
import { asciiWord } from './utf8';
import type { Key } from '../types';

/** T0..T3 back to back: `TABLE[k * 256 + x]` = Tk[x]. */
const TABLE = new Uint16Array(1024);
for (let x = 0; x < 256; x++) {
  let c = x << 8;
  for (let bit = 0; bit < 8; bit++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
  TABLE[x] = c;
}
for (let i = 256; i < 1024; i++) {
  const prev = TABLE[i - 256];
  TABLE[i] = ((prev << 8) & 0xffff) ^ TABLE[prev >>> 8];
}

/** One byte into the register. */
function step(crc: number, byte: number): number {
  return ((crc << 8) & 0xffff) ^ TABLE[(crc >>> 8) ^ byte];
}
export { step as crc16Step };

/** Four bytes b0..b3 into the register (slice-by-4). */
export function crc16Word(crc: number, b0: number, b1: number, b2: number, b3: number): number {
  return TABLE[256 + b2] ^ TABLE[b3] ^ TABLE[512 + ((crc & 0xff) ^ b1)] ^ TABLE[768 + ((crc >>> 8) ^ b0)];
}

/** Where {@link crc16Scan} stopped: the CRC so far and the index of the stop byte (or `end`). */
export const scanned = { crc: 0, at: 0 };

/**
 * Continues `crc` over `data[start .. end)` up to, not including, the first byte equal to
 * `stop` (pass -1 to never stop); the result goes to {@link scanned}. The key-slot code
 * finds `{` this way in the same pass as the whole-key CRC: the compares are off the CRC's
 * dependency chain, so they cost far less than a separate scan (~1 ns/byte).
 */
export function crc16Scan(crc: number, data: Uint8Array, start: number, end: number, stop: number): void {
  let p = start;
  for (; p + 4 <= end; p += 4) {
    const b0 = data[p];
    const b1 = data[p + 1];
    const b2 = data[p + 2];
    const b3 = data[p + 3];
    if (b0 === stop || b1 === stop || b2 === stop || b3 === stop) break;
    crc = TABLE[256 + b2] ^ TABLE[b3] ^ TABLE[512 + ((crc & 0xff) ^ b1)] ^ TABLE[768 + ((crc >>> 8) ^ b0)];
  }
  for (; p < end; p++) {
    const b = data[p];
    if (b === stop) break;
    crc = step(crc, b);
  }
  scanned.crc = crc;
  scanned.at = p;
}

/** Continues `crc` over `data[start .. end)`. */
export function crc16Update(crc: number, data: Uint8Array, start: number, end: number): number {
  crc16Scan(crc, data, start, end, -1);
  return scanned.crc;
}

/**
 * CRC16 of the UTF-8 bytes of `str.slice(start, end)`. ASCII is read 4 chars at a time with
 * `charCodeAt`; from the first word holding a char >= 0x80 on, {@link crc16Utf8} goes on
 * from the same register, encoding as it hashes (no cut splits a surrogate pair: the callers
 * cut at `{`/`}` or the ends).
 */
export function crc16StringRange(str: string, start: number, end: number): number {
  let crc = 0;
  let p = start;
  for (; p + 4 <= end; p += 4) {
    const w = asciiWord(str, p);
    if (w < 0) return crc16Utf8(crc, str, p, end);
    crc =
      TABLE[256 + ((w >>> 16) & 0xff)] ^
      TABLE[w >>> 24] ^
      TABLE[512 + ((crc & 0xff) ^ ((w >>> 8) & 0xff))] ^
      TABLE[768 + ((crc >>> 8) ^ (w & 0xff))];
  }
  return crc16Utf8(crc, str, p, end);
}

/** Two bytes b0, b1 into the register: both lookups independent (slice-by-2, see the top). */
function step2(crc: number, b0: number, b1: number): number {
  return TABLE[256 + ((crc >>> 8) ^ b0)] ^ TABLE[(crc & 0xff) ^ b1];
}

/**
 * Continues `crc` over the UTF-8 bytes of `str[start .. end)` straight from the UTF-16 units:
 * `Buffer.from`'s bytes (a surrogate pair is one 4-byte sequence, a lone surrogate U+FFFD).
 * The bytes of a multi-byte character go in two at a time ({@link step2}). Short non-ASCII
 * keys (`ключ:123`) hash here ~1.6x faster than through an encode into a buffer first:
 * `TextEncoder.encodeInto` is a C++ call that costs more than the whole CRC of a short key.
 */
export function crc16Utf8(crc: number, str: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      crc = step(crc, c);
    } else if (c < 0x800) {
      crc = step2(crc, 0xc0 | (c >>> 6), 0x80 | (c & 0x3f));
    } else {
      if ((c & 0xf800) === 0xd800) {
        const d = i + 1 < end ? str.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && (d & 0xfc00) === 0xdc00) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          crc = step2(crc, 0xf0 | (cp >>> 18), 0x80 | ((cp >>> 12) & 0x3f));
          crc = step2(crc, 0x80 | ((cp >>> 6) & 0x3f), 0x80 | (cp & 0x3f));
          i++;
          continue;
        }
        c = 0xfffd;
      }
      crc = step(step2(crc, 0xe0 | (c >>> 12), 0x80 | ((c >>> 6) & 0x3f)), 0x80 | (c & 0x3f));
    }
  }
  return crc;
}

/** CRC16-XMODEM of `key`. */
export function crc16(key: Key): number {
  if (typeof key === 'string') return crc16StringRange(key, 0, key.length);
  const bytes = checkKeyBytes(key, 'key');
  return crc16Update(0, bytes, 0, bytes.length);
}
