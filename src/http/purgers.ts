/**
 * Purgers: how `invalidateTags` reaches the CDN tier. A purger is `{ name, purge(tags) }`; it
 * resolves once the CDN has dropped every object tagged with any of `tags`, and rejects
 * otherwise (the HttpCache names it in the rejection and in a `purge:error` event).
 *
 * - {@link varnishPurger}: a `PURGE` request with `xkey-purge: tag1 tag2` to each Varnish, as
 *   the shipped `vcl/ringcache.vcl` (vmod xkey) expects. Tested against a real Varnish.
 * - {@link fastlyPurger}: Fastly's purge-by-surrogate-key API (`POST /service/{id}/purge`,
 *   `Surrogate-Key: a b`, up to 256 keys a call).
 * - {@link cloudflarePurger}: Cloudflare's purge-by-Cache-Tag API (`POST
 *   /client/v4/zones/{zone}/purge_cache`, `{"tags": [...]}`, 30 tags a call).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { describe } from '../validate';

export interface Purger {
  /** Names the purger in errors and events. */
  readonly name: string;
  /** Drops every object tagged with any of `tags`. */
  purge(tags: readonly string[]): Promise<void>;
}

interface Sent {
  status: number;
  body: string;
}

/** One request with a body; resolves with the status and body text. */
function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Splits `tags` into groups of at most `n` whose space-joined length stays under `maxChars`. */
function groups(tags: readonly string[], n: number, maxChars = Infinity): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const t of tags) {
    if (cur.length > 0 && (cur.length >= n || len + 1 + t.length > maxChars)) {
      out.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(t);
    len += t.length + 1;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function checkUrl(value: unknown, name: string): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) throw new TypeError(`Expected a URL for ${name} but received ${describe(value)}`);
  const u = new URL(value);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`Expected an http(s) URL for ${name} but received ${u.href}`);
  return u;
}

function checkString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`Expected a non-empty string for ${name} but received ${describe(value)}`);
  return value;
}

export interface VarnishPurgerOptions {
  /** Each Varnish's address (`http://127.0.0.1:6081`); every one is purged. */
  url: string | URL | readonly (string | URL)[];
  /**
   * `xkey-softpurge` instead of `xkey-purge`: objects become stale (served within grace while
   * refetched) instead of gone.
   * @default false
   */
  soft?: boolean;
  /** @default 5000 */
  timeoutMs?: number;
  /** @default 'varnish' */
  name?: string;
}

/** Purges by tag on Varnish with vmod xkey (the shipped VCL answers `200` when done). */
export function varnishPurger(options: VarnishPurgerOptions): Purger {
  checkOptions(options);
  const urls = (Array.isArray(options.url) ? options.url : [options.url]).map((u: unknown, i: number) => checkUrl(u, `options.url[${i}]`));
  const header = options.soft === true ? 'xkey-softpurge' : 'xkey-purge';
  const timeoutMs = options.timeoutMs ?? 5000;
  const name = options.name ?? 'varnish';
  return Object.freeze({
    name,
    async purge(tags: readonly string[]): Promise<void> {
      // Varnish limits one header line (http_req_hdr_len, 8 KiB by default).
      for (const g of groups(tags, Infinity, 4000)) {
        await Promise.all(
          urls.map(async (u) => {
            const r = await send(u, 'PURGE', { [header]: g.join(' ') }, undefined, timeoutMs);
            if (r.status !== 200) throw new Error(`${name}: PURGE ${u.href} answered ${r.status} ${r.body.slice(0, 200)}`);
          }),
        );
      }
    },
  });
}

export interface FastlyPurgerOptions {
  /** The Fastly service id. */
  serviceId: string;
  /** An API token with purge rights (sent as `Fastly-Key`). */
  token: string;
  /** Soft purge (mark stale) instead of hard. @default false */
  soft?: boolean;
  /** @default 'https://api.fastly.com' */
  endpoint?: string;
  /** @default 10000 */
  timeoutMs?: number;
  /** @default 'fastly' */
  name?: string;
}

/** A purger over a vendor's HTTP API: one POST per group of at most `per` tags. */
function apiPurger(
  name: string,
  url: URL,
  per: number,
  timeoutMs: number,
  build: (tags: string[]) => { headers: Record<string, string>; body?: string },
  ok: (r: Sent) => boolean,
): Purger {
  return Object.freeze({
    name,
    async purge(tags: readonly string[]): Promise<void> {
      for (const g of groups(tags, per)) {
        const { headers, body } = build(g);
        const r = await send(url, 'POST', headers, body, timeoutMs);
        if (!ok(r)) throw new Error(`${name}: purge answered ${r.status} ${r.body.slice(0, 200)}`);
      }
    },
  });
}

function checkOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an object for options but received ${describe(options)}`);
}

/** Purges by surrogate key on Fastly (responses carry `Surrogate-Key`). */
export function fastlyPurger(options: FastlyPurgerOptions): Purger {
  checkOptions(options);
  const service = checkString(options.serviceId, 'options.serviceId');
  const token = checkString(options.token, 'options.token');
  const url = checkUrl(`${(options.endpoint ?? 'https://api.fastly.com').replace(/\/$/, '')}/service/${encodeURIComponent(service)}/purge`, 'options.endpoint');
  const soft = options.soft === true;
  return apiPurger(
    options.name ?? 'fastly',
    url,
    256,
    options.timeoutMs ?? 10_000,
    (g) => ({ headers: { 'fastly-key': token, 'surrogate-key': g.join(' '), accept: 'application/json', ...(soft ? { 'fastly-soft-purge': '1' } : {}) } }),
    (r) => r.status === 200,
  );
}

export interface CloudflarePurgerOptions {
  /** The zone id. */
  zoneId: string;
  /** An API token with Cache Purge permission (sent as `Authorization: Bearer`). */
  token: string;
  /** @default 'https://api.cloudflare.com' */
  endpoint?: string;
  /** @default 10000 */
  timeoutMs?: number;
  /** @default 'cloudflare' */
  name?: string;
}

/** Purges by Cache-Tag on Cloudflare (responses carry `Cache-Tag`). */
export function cloudflarePurger(options: CloudflarePurgerOptions): Purger {
  checkOptions(options);
  const zone = checkString(options.zoneId, 'options.zoneId');
  const token = checkString(options.token, 'options.token');
  const url = checkUrl(`${(options.endpoint ?? 'https://api.cloudflare.com').replace(/\/$/, '')}/client/v4/zones/${encodeURIComponent(zone)}/purge_cache`, 'options.endpoint');
  return apiPurger(
    options.name ?? 'cloudflare',
    url,
    30,
    options.timeoutMs ?? 10_000,
    (g) => ({ headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ tags: g }) }),
    (r) => {
      try {
        return r.status === 200 && (JSON.parse(r.body) as { success?: unknown }).success === true;
      } catch {
        return false;
      }
    },
  );
}
