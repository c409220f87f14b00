/**
 * A stored response: status, the allow-listed headers, the body bytes, a strong ETag and a
 * Last-Modified computed once when the entry is stored (never per hit), and the store time that
 * `Age` is counted from. It lives in the TieredCache as ONE Buffer (the cache stores Buffers raw,
 * no JSON of the body): a 4-byte length, the JSON meta, the body. A decoded view is memoised per
 * Buffer, so an L1 hit (the same Buffer object every time) decodes once.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import etag from 'etag';

export interface ResponseEntry {
  readonly status: number;
  /** Allow-listed handler headers, lowercase names. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** Strong ETag (RFC 9110 §8.8.3), `"<length>-<sha1 base64>"` from jshttp/etag. */
  readonly etag: string;
  /** `Last-Modified` as sent (the handler's, else the store time). */
  readonly lastModified: string;
  /** When the handler produced it (ms since the epoch). */
  readonly storedAt: number;
  /** Tags, for `Surrogate-Key`/`Cache-Tag`. */
  readonly tags: readonly string[];
  /** `Surrogate-Key` (space-separated) and `Cache-Tag` (comma-separated) values ('' without tags). */
  readonly surrogateKey: string;
  readonly cacheTag: string;
  /**
   * The representation headers of a 200 as a flat `[name, value, …]` list (ETag,
   * Last-Modified, the stored headers, Content-Length), built once per decoded entry so a hit
   * only adds the few headers that change (Cache-Control, Age).
   */
  readonly raw: readonly string[];
}

interface Meta {
  s: number;
  h: [string, string][];
  e: string;
  m: string;
  t: number;
  g: readonly string[];
}

const decoded = new WeakMap<Buffer, ResponseEntry>();

/** Builds the entry Buffer from a handler response. */
export function encodeEntry(
  status: number,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  stored: readonly string[],
  tags: readonly string[],
  now: number,
): Buffer {
  const h: [string, string][] = [];
  for (const name of stored) {
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) h.push([name, x]);
    else h.push([name, String(v)]);
  }
  const lm = headers['last-modified'];
  const meta: Meta = {
    s: status,
    h,
    e: etag(body),
    m: typeof lm === 'string' && !Number.isNaN(Date.parse(lm)) ? lm : new Date(now).toUTCString(),
    t: now,
    g: tags,
  };
  const json = Buffer.from(JSON.stringify(meta));
  const out = Buffer.allocUnsafe(4 + json.length + body.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  body.copy(out, 4 + json.length);
  return out;
}

/** The entry in `buf`, or undefined when `buf` is not an entry (foreign or corrupt value). */
export function decodeEntry(buf: unknown): ResponseEntry | undefined {
  if (!Buffer.isBuffer(buf)) return undefined;
  const hit = decoded.get(buf);
  if (hit !== undefined) return hit;
  if (buf.length < 4) return undefined;
  const n = buf.readUInt32BE(0);
  if (4 + n > buf.length) return undefined;
  let meta: Meta;
  try {
    meta = JSON.parse(buf.toString('utf8', 4, 4 + n)) as Meta;
  } catch {
    return undefined;
  }
  if (typeof meta !== 'object' || meta === null || typeof meta.s !== 'number' || !Array.isArray(meta.h) || typeof meta.e !== 'string') return undefined;
  const body = buf.subarray(4 + n);
  const tags = Array.isArray(meta.g) ? meta.g : [];
  const raw = ['etag', meta.e, 'last-modified', meta.m];
  for (const [name, v] of meta.h) if (name !== 'last-modified') raw.push(name, v);
  raw.push('content-length', String(body.length));
  const e: ResponseEntry = Object.freeze({
    status: meta.s,
    headers: meta.h,
    body,
    etag: meta.e,
    lastModified: meta.m,
    storedAt: meta.t,
    tags,
    surrogateKey: tags.join(' '),
    cacheTag: tags.join(','),
    raw: Object.freeze(raw),
  });
  decoded.set(buf, e);
  return e;
}
