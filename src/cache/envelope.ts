/**
 * The L2 envelope: what the tiered cache stores in Redis for one key.
 *
 * Layout (little-endian), 22 bytes of header then the payload:
 * ```
 * 0      magic 0xF5 (never the first byte of valid UTF-8, so a foreign value is not mistaken)
 * 1      flags: bits 0-1 kind (0 text from the serializer, 1 bytes from the serializer,
 *        2 raw Buffer/Uint8Array value, 3 negative entry: "the loader found nothing"),
 *        bit 3 tags present
 * 2-9    createdAt   float64 ms since the epoch (taken before the loader ran)
 * 10-17  expiresAt   float64 ms since the epoch, the logical expiry (Infinity = never)
 * 18-21  graceMs     uint32, how long past expiresAt a stale value may still be served
 * [tags] uint16 count, then per tag uint16 byte length + UTF-8
 * payload
 * ```
 * The Redis TTL of the key is the logical TTL plus the grace period: the stale value stays
 * readable for fail-safe, and the logical expiry decides freshness. Tags travel with the entry
 * so `deleteByTag` markers can be compared to `createdAt` on read, on any topology.
 */
import type { Serializer } from './serializer';

export const MAGIC = 0xf5;
export const HEADER_BYTES = 22;

export const KIND_TEXT = 0;
export const KIND_BYTES = 1;
export const KIND_RAW = 2;
export const KIND_NEGATIVE = 3;
const TAGS_FLAG = 0x08;

/** A decoded envelope; `value` is the deserialized value (undefined for a negative entry). */
export interface DecodedEntry {
  kind: number;
  value: unknown;
  createdAt: number;
  expiresAt: number;
  graceMs: number;
  tags: readonly string[] | undefined;
  /** Envelope size in bytes (for L1 byte bounds). */
  size: number;
}

/** Encodes a value (or a negative entry when `negative`). */
export function encodeEntry(
  value: unknown,
  negative: boolean,
  createdAt: number,
  expiresAt: number,
  graceMs: number,
  tags: readonly string[] | undefined,
  serializer: Serializer,
): Buffer {
  let kind: number;
  let text: string | undefined;
  let bytes: Uint8Array | undefined;
  if (negative) {
    kind = KIND_NEGATIVE;
  } else if (value instanceof Uint8Array) {
    kind = KIND_RAW;
    bytes = value;
  } else {
    const s = serializer.serialize(value);
    if (typeof s === 'string') {
      kind = KIND_TEXT;
      text = s;
    } else if (s instanceof Uint8Array) {
      kind = KIND_BYTES;
      bytes = s;
    } else {
      throw new TypeError(`Expected string or Uint8Array from serializer.serialize but received ${typeof s}`);
    }
  }
  let tagBytes = 0;
  const hasTags = tags !== undefined && tags.length > 0;
  if (hasTags) {
    tagBytes = 2;
    for (const t of tags) tagBytes += 2 + Buffer.byteLength(t, 'utf8');
  }
  const payloadLen = text !== undefined ? Buffer.byteLength(text, 'utf8') : bytes !== undefined ? bytes.byteLength : 0;
  const buf = Buffer.allocUnsafe(HEADER_BYTES + tagBytes + payloadLen);
  buf[0] = MAGIC;
  buf[1] = kind | (hasTags ? TAGS_FLAG : 0);
  buf.writeDoubleLE(createdAt, 2);
  buf.writeDoubleLE(expiresAt, 10);
  buf.writeUInt32LE(Math.min(graceMs, 0xffffffff), 18);
  let off = HEADER_BYTES;
  if (hasTags) {
    buf.writeUInt16LE(tags.length, off);
    off += 2;
    for (const t of tags) {
      const n = buf.write(t, off + 2, 'utf8');
      buf.writeUInt16LE(n, off);
      off += 2 + n;
    }
  }
  if (text !== undefined) buf.write(text, off, 'utf8');
  else if (bytes !== undefined) buf.set(bytes, off);
  return buf;
}

/**
 * Decodes an envelope; undefined when `buf` is not one (a value written by something else:
 * the cache treats it as a miss rather than guessing).
 */
export function decodeEntry(buf: Buffer, serializer: Serializer): DecodedEntry | undefined {
  if (buf.length < HEADER_BYTES || buf[0] !== MAGIC) return undefined;
  const flags = buf[1];
  const kind = flags & 0x03;
  let off = HEADER_BYTES;
  let tags: string[] | undefined;
  if ((flags & TAGS_FLAG) !== 0) {
    const n = buf.readUInt16LE(off);
    off += 2;
    tags = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const len = buf.readUInt16LE(off);
      tags[i] = buf.toString('utf8', off + 2, off + 2 + len);
      off += 2 + len;
    }
  }
  let value: unknown;
  switch (kind) {
    case KIND_TEXT:
      value = serializer.deserialize(buf.toString('utf8', off));
      break;
    case KIND_BYTES:
      value = serializer.deserialize(buf.subarray(off));
      break;
    case KIND_RAW:
      // A copy: the reply buffer may be a slice of a larger socket chunk we should not pin.
      value = Buffer.from(buf.subarray(off));
      break;
    default:
      value = undefined;
  }
  return {
    kind,
    value,
    createdAt: buf.readDoubleLE(2),
    expiresAt: buf.readDoubleLE(10),
    graceMs: buf.readUInt32LE(18),
    tags,
    size: buf.length,
  };
}
