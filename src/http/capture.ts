/**
 * Captures what a Connect/Express or node:http handler writes to a `ServerResponse`, so the
 * cache can store it and answer every waiting request the same way. For the duration of ONE
 * request, this response object's own `writeHead`/`write`/`end` buffer instead of sending
 * (the compression middleware's technique); headers go to the response as usual through
 * `setHeader`. Past `limit` bytes the buffered part is sent, the original methods are put back
 * and the rest streams through: a large body is never held in memory whole.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CapturedResponse } from './http-cache';

type WriteCb = (err?: Error | null) => void;
type Methods = Pick<ServerResponse, 'writeHead' | 'write' | 'end'>;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`The "chunk" argument must be of type string or an instance of Buffer or Uint8Array`);
}

function applyHeaders(res: ServerResponse, headers: unknown): void {
  if (Array.isArray(headers)) {
    // [[name, value], …] or the flat raw form [name, value, name, value, …].
    if (headers.length > 0 && Array.isArray(headers[0])) for (const [n, v] of headers as [string, string][]) res.appendHeader(n, v);
    else for (let i = 0; i + 1 < headers.length; i += 2) res.appendHeader(String(headers[i]), headers[i + 1] as string);
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [n, v] of Object.entries(headers as OutgoingHttpHeaders)) if (v !== undefined) res.setHeader(n, v);
  }
}

/**
 * Starts capturing `res`. `onEnd` gets the whole response when the handler ends it within
 * `limit` bytes; `onOverflow` is called once when it goes past (the response then streams).
 * Returns `release`: stop capturing (when the handler failed and the cache answers instead).
 */
export function captureResponse(res: ServerResponse, limit: number, onEnd: (r: CapturedResponse) => void, onOverflow: () => void): () => void {
  const own = res as unknown as Record<keyof Methods, unknown>;
  const saved: Record<keyof Methods, unknown> = { writeHead: own.writeHead, write: own.write, end: own.end };
  const hadOwn = { writeHead: Object.hasOwn(res, 'writeHead'), write: Object.hasOwn(res, 'write'), end: Object.hasOwn(res, 'end') };
  const chunks: Buffer[] = [];
  let size = 0;
  const restore = (): void => {
    for (const k of ['writeHead', 'write', 'end'] as const) {
      if (hadOwn[k]) own[k] = saved[k];
      else delete own[k];
    }
  };
  const add = (chunk: unknown, encoding: unknown): boolean => {
    if (chunk === undefined || chunk === null) return true;
    const b = toBuffer(chunk, encoding);
    chunks.push(b);
    size += b.length;
    if (size <= limit) return true;
    restore();
    onOverflow();
    for (const c of chunks.splice(0)) res.write(c);
    return false;
  };
  own.writeHead = function writeHead(status: number, reason?: unknown, headers?: unknown): ServerResponse {
    res.statusCode = status;
    if (typeof reason === 'string') res.statusMessage = reason;
    else headers = reason;
    applyHeaders(res, headers);
    return res;
  };
  own.write = function write(chunk: unknown, encoding?: unknown, cb?: WriteCb): boolean {
    if (typeof encoding === 'function') cb = encoding as WriteCb;
    add(chunk, encoding);
    if (cb !== undefined) process.nextTick(cb);
    return true; // buffered (or, past the limit, handed to the real write): never ask for 'drain'
  };
  own.end = function end(chunk?: unknown, encoding?: unknown, cb?: () => void): ServerResponse {
    if (typeof chunk === 'function') {
      cb = chunk as () => void;
      chunk = undefined;
    } else if (typeof encoding === 'function') cb = encoding as () => void;
    if (!add(chunk, encoding)) {
      // Went past the limit with this last chunk: already streaming.
      res.end(cb);
      return res;
    }
    restore();
    if (cb !== undefined) res.once('finish', cb);
    onEnd({ status: res.statusCode, headers: res.getHeaders(), body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) });
    return res;
  };
  return restore;
}
