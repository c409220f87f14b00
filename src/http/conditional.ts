/**
 * Conditional requests against a stored entry (RFC 9110 §13.1.2 If-None-Match, §13.1.3
 * If-Modified-Since; If-None-Match wins when both are sent), evaluated by jshttp/fresh, the
 * module Express itself uses. A request with `Cache-Control: no-cache` always gets the full
 * response (an end-to-end reload).
 */
import type { IncomingHttpHeaders } from 'node:http';
import fresh from 'fresh';
import type { ResponseEntry } from './entry';

/** Whether `entry` can be answered 304 Not Modified to a request with `headers`. */
export function notModified(headers: IncomingHttpHeaders, entry: ResponseEntry): boolean {
  if (headers['if-none-match'] === undefined && headers['if-modified-since'] === undefined) return false;
  // 304 only replaces a 200 (RFC 9110 §15.4.5: "a 200 (OK) response" for GET/HEAD).
  if (entry.status !== 200) return false;
  return fresh(headers, { etag: entry.etag, 'last-modified': entry.lastModified });
}
