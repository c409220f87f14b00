/**
 * Cache-Control in both directions: the header a route's policy sends (RFC 9111 §5.2.2,
 * RFC 5861) and the veto a handler's own response can cast (it is never stored when it says
 * `private`, `no-store` or `no-cache`, sets a cookie, varies on `*`, or has a status that is not
 * cacheable by default, RFC 9110 §15.1).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ResolvedRoute } from './route';

/** Statuses cacheable by default (RFC 9110 §15.1) minus 206 (we never store partial content). */
const CACHEABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/** Statuses that count as a handler failure: fail-safe serves the stale entry (RFC 5861 §4). */
const ERROR_STATUS = new Set([500, 502, 503, 504]);

const secs = (ms: number): number => Math.floor(ms / 1000);

/**
 * The `Cache-Control` of a response `ageS` seconds old. Each tier's lifetime is counted from
 * now: `max-age`/`s-maxage` are the route's TTLs plus the age, so a downstream cache that
 * subtracts `Age` (RFC 9111 §4.2.3) keeps the response exactly its tier's TTL while `Age` stays
 * truthful about how long ago the handler produced it.
 */
export function cacheControl(route: ResolvedRoute, isPrivate: boolean, ageS: number): string {
  let v = `${isPrivate ? 'private' : 'public'}, max-age=${secs(route.browserTtlMs) + ageS}`;
  if (!isPrivate) v += `, s-maxage=${secs(route.cdnTtlMs) + ageS}`;
  if (route.staleWhileRevalidateMs > 0) v += `, stale-while-revalidate=${secs(route.staleWhileRevalidateMs)}`;
  if (route.staleIfErrorMs > 0) v += `, stale-if-error=${secs(route.staleIfErrorMs)}`;
  return v;
}

/** What to do with a finished handler response. */
export type Verdict = 'store' | 'error' | 'pass';

function headerText(v: OutgoingHttpHeaders[string]): string {
  return v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v);
}

const VETO = /(?:^|,)\s*(?:private|no-store|no-cache)\s*(?:[=,]|$)/i;

/** Whether a handler response may be stored (`headers` lowercase, as `getHeaders()` returns). */
export function verdict(status: number, headers: OutgoingHttpHeaders): Verdict {
  if (ERROR_STATUS.has(status)) return 'error';
  if (!CACHEABLE_STATUS.has(status)) return 'pass';
  if (headers['set-cookie'] !== undefined) return 'pass';
  if (VETO.test(headerText(headers['cache-control']))) return 'pass';
  if (headerText(headers['vary']).split(',').some((s) => s.trim() === '*')) return 'pass';
  return 'store';
}
