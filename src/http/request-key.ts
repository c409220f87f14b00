/**
 * Which requests may use the shared cache, and under which key. The rules are deliberate:
 *
 * - The request target must be origin-form (`/path?query`, RFC 9112 §3.2.1); an absolute URL
 *   (`GET http://other.host/…`) would let the target override `Host`, so it bypasses the cache.
 * - The path must already be canonical, because the handler's router sees the raw path and the
 *   key must name exactly what the handler answered: a dot segment (`/a/../b`, `/./b`), an empty
 *   segment (`//b`), a backslash, a percent-encoded unreserved character (`/%62` for `/b`,
 *   RFC 3986 §6.2.2.2), a lowercase escape (`%2f`) or a character outside RFC 3986 `pchar`
 *   makes the request bypass the cache: it is neither served from it nor stored. A trailing
 *   slash is significant (`/a/` and `/a` are two entries, as they are two URLs).
 * - The query is part of the key with its parameters sorted by name (stable: repeated names
 *   keep their order), so `?b=2&a=1` and `?a=1&b=2` share one entry; parameters are compared as
 *   sent (no decoding). An empty `?` is dropped.
 * - `Host` must be in the allow-list; the key holds it (lowercase).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A 128-entry table of the ASCII characters in `chars` (one lookup per character, no regex). */
function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (const c of alnum + chars) t[c.charCodeAt(0)] = 1;
  return t;
}
/** RFC 3986 pchar minus `%` (checked separately), plus `/`. */
const PATH_CHAR = table("-._~!$&'()*+,;=:@/");
const QUERY_CHAR = table("-._~!$&'()*+,;=:@/?%");
const UNRESERVED = table('-._~');
const HEX_UPPER = /^[0-9A-F]{2}$/;

function allIn(t: Uint8Array, s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] === 0) return false;
  }
  return true;
}

/** The canonical `path?query` of an origin-form target, or undefined when it is not canonical. */
export function canonicalTarget(url: string): string | undefined {
  if (url.length === 0 || url.charCodeAt(0) !== 0x2f /* / */) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!canonicalPath(path)) return undefined;
  if (q < 0) return path;
  const query = url.slice(q + 1);
  if (query === '') return path;
  if (!allIn(QUERY_CHAR, query, 0)) return undefined;
  const params = query.split('&');
  if (params.length === 1) return url;
  const named = params.map((p, i) => ({ p, i, n: p.split('=', 1)[0] }));
  named.sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : a.i - b.i));
  return `${path}?${named.map((x) => x.p).join('&')}`;
}

function canonicalPath(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hex = path.slice(i + 1, i + 3);
      if (!HEX_UPPER.test(hex)) return false;
      const d = parseInt(hex, 16);
      if (d < 128 && UNRESERVED[d] === 1) return false;
      i += 2;
    } else if (c >= 128 || PATH_CHAR[c] === 0) return false;
  }
  // Segments: none empty (except the last, a trailing slash), none '.' or '..'.
  if (path.indexOf('.') < 0 && path.indexOf('//') < 0) return true;
  const segs = path.split('/');
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i];
    if (s === '.' || s === '..') return false;
    if (s === '' && i < segs.length - 1) return false;
  }
  return true;
}

/** Hosts allow-list: `name` (any port) or `name:port`. */
export class HostList {
  readonly #exact = new Set<string>();
  readonly #anyPort = new Set<string>();

  constructor(hosts: readonly string[]) {
    for (const h of hosts) {
      const l = h.toLowerCase();
      if (/:\d+$/.test(l)) this.#exact.add(l);
      else this.#anyPort.add(l);
    }
  }

  #lastIn: string | undefined;
  #lastOut: string | undefined;

  /** The lowercase host when allowed, else undefined (the last answer is kept: one host is the norm). */
  match(host: string | undefined): string | undefined {
    if (host === undefined || host === '') return undefined;
    if (host === this.#lastIn) return this.#lastOut;
    const out = this.#match(host);
    this.#lastIn = host;
    this.#lastOut = out;
    return out;
  }

  #match(host: string): string | undefined {
    const l = host.toLowerCase();
    if (this.#exact.has(l)) return l;
    const m = /^(.*?)(?::(\d+))?$/.exec(l);
    if (m !== null && this.#anyPort.has(m[1])) return l;
    return undefined;
  }
}

/** Removes the poisoning headers `strip` (lowercase; those the route keys on left out) from `headers` and `rawHeaders`. */
export function stripHeaders(req: { headers: IncomingHttpHeaders; rawHeaders?: string[] }, strip: readonly string[]): void {
  let any = false;
  const headers = req.headers;
  for (let i = 0; i < strip.length; i++) {
    if (headers[strip[i]] !== undefined) {
      delete headers[strip[i]];
      any = true;
    }
  }
  const raw = req.rawHeaders;
  if (any && Array.isArray(raw)) {
    const out: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) if (!strip.includes(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
    req.rawHeaders = out;
  }
}

function headerValue(v: string | string[] | undefined): string | null {
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}

/**
 * The cache key: JSON of [scope, host, varying header values, canonical target], which no
 * crafted value can make ambiguous (JSON escapes every separator); `host + target` when there
 * is neither. `scope` is `''` for a shared entry and `'u:' + key(req)` for a per-user one.
 */
export function buildKey(prefix: string, scope: string, host: string, vary: readonly string[], headers: IncomingHttpHeaders, target: string): string {
  // The common case, a shared entry varying on nothing: `host` + `target` is unambiguous (an
  // allow-listed host has no '/' or '"', a canonical target starts with '/'), and never starts
  // with the '["' of the general form.
  if (scope === '' && vary.length === 0) return prefix + host + target;
  const vals: (string | null)[] = [];
  for (const h of vary) vals.push(headerValue(headers[h]));
  return prefix + JSON.stringify([scope, host, vals, target]);
}
