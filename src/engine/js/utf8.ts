/**
 * String → UTF-8 bytes, exactly as `Buffer.from(str)` (a lone surrogate becomes U+FFFD,
 * EF BF BD), into a shared scratch buffer so hashing a string allocates nothing.
 *
 * The hash functions read ASCII strings through `charCodeAt` and only come here for
 * non-ASCII strings; the ASCII loop below still serves those that are ASCII after all.
 */

/** Scratch size at start and the largest one kept; longer keys get a one-off buffer. */
const INITIAL_SCRATCH = 1024;
const MAX_SCRATCH = 1 << 16;

const encoder = new TextEncoder();

/** Where {@link encodeUtf8} left its result: `bytes[0 .. length)`, valid until the next call. */
export interface Utf8Result {
  bytes: Uint8Array;
  length: number;
}

export const utf8: Utf8Result = { bytes: new Uint8Array(INITIAL_SCRATCH), length: 0 };
let scratch = utf8.bytes;

/** Encodes `str` into {@link utf8}. */
export function encodeUtf8(str: string): void {
  const n = str.length;
  // One UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair: 2 units, 4 bytes).
  const worst = n * 3;
  if (worst > scratch.length) {
    if (worst > MAX_SCRATCH) {
      const bytes = Buffer.from(str);
      utf8.bytes = bytes;
      utf8.length = bytes.length;
      return;
    }
    scratch = new Uint8Array(MAX_SCRATCH);
  }
  const buf = scratch;
  utf8.bytes = buf;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c >= 0x80) {
      utf8.length = n <= JS_ENCODE_MAX_CHARS ? encodeRest(str, i, buf, i) : encoder.encodeInto(str, buf).written;
      return;
    }
    buf[i] = c;
  }
  utf8.length = n;
}

/**
 * Strings up to this many chars are encoded by {@link encodeRest} in JS: `encodeInto` is a
 * call into C++ that costs ~150 ns before its first byte, which made an 8-char key like
 * `ключ:123` slower to slot than `cluster-key-slot` (its own JS encoder). Past this length
 * `encodeInto`'s per-char speed wins (bench: `slot` / `hash` groups on non-ASCII keys).
 */
export const JS_ENCODE_MAX_CHARS = 64;

/**
 * Encodes `str[from ..]` into `buf` from byte `o` on (the chars before `from` were written
 * already); returns the end byte. Exactly `Buffer.from`'s bytes: a surrogate pair is one
 * 4-byte sequence, a lone surrogate U+FFFD (EF BF BD). `buf` has room for 3 bytes per char.
 */
function encodeRest(str: string, from: number, buf: Uint8Array, o: number): number {
  const n = str.length;
  for (let i = from; i < n; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      buf[o++] = c;
    } else if (c < 0x800) {
      buf[o++] = 0xc0 | (c >>> 6);
      buf[o++] = 0x80 | (c & 0x3f);
    } else {
      if ((c & 0xf800) === 0xd800) {
        // A surrogate: a high one followed by a low one is one code point; anything else is lone.
        const d = i + 1 < n ? str.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && (d & 0xfc00) === 0xdc00) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[o++] = 0xf0 | (cp >>> 18);
          buf[o++] = 0x80 | ((cp >>> 12) & 0x3f);
          buf[o++] = 0x80 | ((cp >>> 6) & 0x3f);
          buf[o++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
        c = 0xfffd;
      }
      buf[o++] = 0xe0 | (c >>> 12);
      buf[o++] = 0x80 | ((c >>> 6) & 0x3f);
      buf[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

/** The UTF-8 byte length of `str` (`Buffer.byteLength(str)`), without encoding it. */
export function utf8Length(str: string): number {
  const n = str.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else {
      // 3 bytes; a high surrogate followed by a low one: 4 bytes for the two units.
      bytes += 2;
      if (c < 0xdc00 && c >= 0xd800 && i + 1 < n && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    }
  }
  return bytes;
}

/**
 * Writes the UTF-8 bytes of `str` into `buf` at byte `at` (room checked by the caller, e.g.
 * with {@link utf8Length}); returns the end byte. ASCII is copied char by char, the rest
 * encoded in JS: no call into C++ per key (packKeys packs a thousand short keys this way).
 */
export function writeUtf8(str: string, buf: Uint8Array, at: number): number {
  const n = str.length;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c >= 0x80) return encodeRest(str, i, buf, at + i);
    buf[at + i] = c;
  }
  return at + n;
}

/**
 * The 4 chars `str[p .. p + 4)` as one little-endian word of their UTF-8 bytes when all are
 * ASCII, else -1 (an ASCII word never has bit 31 set). The hashes read ASCII strings this
 * way, with no encode pass, and fall back to {@link encodeUtf8} on -1.
 */
export function asciiWord(str: string, p: number): number {
  const c0 = str.charCodeAt(p);
  const c1 = str.charCodeAt(p + 1);
  const c2 = str.charCodeAt(p + 2);
  const c3 = str.charCodeAt(p + 3);
  if ((c0 | c1 | c2 | c3) >= 0x80) return -1;
  return c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
}

/** As {@link asciiWord} for the last 0-3 chars `str[p .. end)` (high bytes zero). */
export function asciiTail(str: string, p: number, end: number): number {
  let w = 0;
  for (let s = 0; p < end; p++, s += 8) {
    const c = str.charCodeAt(p);
    if (c >= 0x80) return -1;
    w |= c << s;
  }
  return w;
}
