/**
 * HttpCache: the browser and CDN tiers over a TieredCache (the Redis tier), framework-neutral.
 * The adapters (node:http, Express, Fastify) call the same three steps:
 *
 * 1. `plan(req)`: may this request use the cache, and under which key (see request-key.ts for
 *    the normalisation rules, and the `key`/credentials rules below); strips the poisoning
 *    headers before any handler sees the request.
 * 2. `lookup(plan)`: the entry (L1/L2 hit, a concurrent load joined, or a stale one within
 *    grace), or "run the handler and hand me the result" to exactly one request per key at a
 *    time (per fleet with `lock`): it is the TieredCache's own single-flight, whose loader is that
 *    request's handler.
 * 3. `reply(entry)`: status, headers (Cache-Control, Age, ETag, Last-Modified, Vary, tags) and
 *    body, or a 304 when the request's validators match.
 *
 * Safe by default: a request with `Cookie` or `Authorization` never reads or writes a shared
 * entry (a route opts in to per-user entries with `key(req)`, and those are `private`); a
 * response that sets a cookie, says `private`/`no-store`/`no-cache`, or has a status that is not
 * cacheable is never stored; only allow-listed hosts and canonical paths are cached.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { now } from '../cache/clock';
import { TieredCache } from '../cache/tiered-cache';
import type { CacheEntryOptions } from '../cache/options';
import { describe } from '../validate';
import { cacheControl, verdict } from './cache-control';
import { notModified } from './conditional';
import { decodeEntry, encodeEntry, type ResponseEntry } from './entry';
import { HandlerError, HttpPurgeError } from './errors';
import { DEFAULT_HTTP_CACHE_OPTIONS, type HttpCacheOptions, type RequestLike, type RouteCacheOptions } from './options';
import type { Purger } from './purgers';
import { buildKey, canonicalTarget, HostList, stripHeaders } from './request-key';
import { checkHeaderNames, checkTagList, resolveRoute, type ResolvedRoute } from './route';

/** How a request was answered (the `x-ringcache` header). */
export type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'PASS' | 'BYPASS';

/** Why a request did not use the cache. */
export type BypassReason = 'method' | 'host' | 'path' | 'credentials';

/** A request that may use the cache. */
export interface Plan {
  readonly key: string;
  readonly route: ResolvedRoute;
  readonly isPrivate: boolean;
  readonly tags: readonly string[];
  /** HEAD: answered from the GET entry; on a miss it runs the handler and stores nothing. */
  readonly head: boolean;
}

/** What the handler produced, as the adapter captured it. */
export interface CapturedResponse {
  status: number;
  /** Lowercase names, as `getHeaders()` returns them. */
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/**
 * What to send: `headers` is a flat `[name, value, …]` list (lowercase names; a name may repeat),
 * the form `res.writeHead` takes without copying. `body` is undefined for a 304 (for HEAD it is
 * there: Node never sends a HEAD body, and Content-Length stays right).
 */
export interface Reply {
  status: number;
  /** Shared between hits of one entry (frozen): copy it to change it. */
  headers: readonly string[];
  body: Buffer | undefined;
}

/** The outcome of a load (see {@link Step}). */
export type Outcome =
  | { kind: 'entry'; entry: ResponseEntry; status: CacheStatus }
  /** Send what the handler produced, unchanged. */
  | { kind: 'own' }
  /** The handler threw and there is no stale entry: report `error` as the framework does. */
  | { kind: 'error'; error: unknown };

/** The result of {@link HttpCache.lookup}. */
export type Step =
  | { kind: 'entry'; entry: ResponseEntry; status: CacheStatus }
  /** No entry and none coming: run the handler uncached. */
  | { kind: 'pass' }
  /**
   * This request runs the handler for everyone waiting on the key. Call `finish` exactly once:
   * with the captured response, with `null` when the body could not be captured (too large, a
   * stream), or with the error the handler threw.
   */
  | { kind: 'load'; finish(result: CapturedResponse | null | Error): Promise<Outcome> };

/** The counters of {@link HttpCache.stats}. */
export interface HttpCacheStats {
  /** Answered from an entry (L1, L2, or a load another request ran). */
  hits: number;
  /** Ran the handler and stored its response. */
  misses: number;
  /** Answered with a stale entry because the handler failed or was slow. */
  stale: number;
  /** Answered 304 from an entry. */
  notModified: number;
  /** Ran the handler and stored nothing (not storable, too large, a HEAD miss). */
  passes: number;
  /** Did not use the cache, by reason. */
  bypasses: Record<BypassReason, number>;
  /** Purger failures (each also a `purge:error` event). */
  purgeFailures: number;
}

/** Events of {@link HttpCache}: `purge:error` with `{ purger, tags, error }`. */
export type HttpCacheEvent = 'purge:error';

/** The last header list built for an entry (see {@link HttpCache} `#headers`). */
interface ReplyMemo {
  /** Entries are shared by every HttpCache of the process (decoded once per Buffer). */
  owner: HttpCache;
  age: number;
  status: CacheStatus;
  route: ResolvedRoute;
  isPrivate: boolean;
  is304: boolean;
  headers: readonly string[];
}
const replyMemos = new WeakMap<ResponseEntry, ReplyMemo>();

const CONDITIONAL = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'range', 'if-range'] as const;

export class HttpCache extends EventEmitter {
  readonly #cache: TieredCache;
  readonly #hosts: HostList;
  readonly #purgers: readonly Purger[];
  readonly #prefix: string;
  readonly #strip: ReadonlySet<string>;
  readonly #stored: readonly string[];
  readonly #statusHeader: string | undefined;
  readonly #graceMs: number;
  readonly #maxBodyBytes: number;
  readonly #routeDefaults: RouteCacheOptions<never>;
  readonly #routes = new WeakMap<object, ResolvedRoute>();
  /** Per route: the headers to strip, less those it keys on (see {@link plan}). */
  readonly #stripLists = new WeakMap<ResolvedRoute, readonly string[]>();
  readonly #stats = { hits: 0, misses: 0, stale: 0, notModified: 0, passes: 0, purgeFailures: 0 };
  readonly #bypasses: Record<BypassReason, number> = { method: 0, host: 0, path: 0, credentials: 0 };

  constructor(options: HttpCacheOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an object for options but received ${describe(options)}`);
    if (!(options.cache instanceof TieredCache)) throw new TypeError(`Expected a TieredCache for options.cache but received ${describe(options.cache)}`);
    const hosts: unknown = options.hosts;
    if (!Array.isArray(hosts) || hosts.length === 0 || hosts.some((h) => typeof h !== 'string' || !/^[a-z0-9.\-[\]:]+$/i.test(h))) {
      throw new TypeError(`Expected a non-empty array of host names for options.hosts but received ${describe(hosts)}`);
    }
    const o = { ...DEFAULT_HTTP_CACHE_OPTIONS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as HttpCacheOptions & Required<Omit<HttpCacheOptions, 'graceMs'>>;
    if (!Array.isArray(o.purgers) || o.purgers.some((p: Purger) => typeof p !== 'object' || p === null || typeof p.purge !== 'function' || typeof p.name !== 'string')) {
      throw new TypeError(`Expected an array of { name, purge(tags) } for options.purgers but received ${describe(o.purgers)}`);
    }
    if (typeof o.keyPrefix !== 'string') throw new TypeError(`Expected a string for options.keyPrefix but received ${describe(o.keyPrefix)}`);
    if (o.statusHeader !== false && (typeof o.statusHeader !== 'string' || checkHeaderNames([o.statusHeader], 'options.statusHeader').length !== 1)) {
      throw new TypeError(`Expected a header name or false for options.statusHeader but received ${describe(o.statusHeader)}`);
    }
    this.#cache = options.cache;
    this.#hosts = new HostList(hosts as string[]);
    this.#purgers = [...o.purgers];
    this.#prefix = o.keyPrefix;
    this.#strip = new Set(checkHeaderNames(o.stripHeaders, 'options.stripHeaders'));
    this.#stored = checkHeaderNames(o.storedHeaders, 'options.storedHeaders');
    this.#statusHeader = o.statusHeader === false ? undefined : o.statusHeader.toLowerCase();
    this.#routeDefaults = o.route ?? {};
    // Resolving the defaults once validates them (and the two cache-wide numbers) up front.
    const base = resolveRoute(undefined, this.#routeDefaults, o.graceMs ?? options.cache.graceMs, o.maxBodyBytes, 'options.route');
    this.#graceMs = base.graceMs;
    this.#maxBodyBytes = base.maxBodyBytes;
  }

  /** The TieredCache the responses live in. */
  get cache(): TieredCache {
    return this.#cache;
  }

  /** The status header name, or undefined. */
  get statusHeader(): string | undefined {
    return this.#statusHeader;
  }

  /** `options` checked and resolved (memoised per options object). */
  route(options: RouteCacheOptions<never> = {}): ResolvedRoute {
    let r = this.#routes.get(options);
    if (r === undefined) {
      r = resolveRoute(options, this.#routeDefaults, this.#graceMs, this.#maxBodyBytes);
      this.#routes.set(options, r);
    }
    return r;
  }

  /**
   * Step 1: strips the poisoning headers from `req` (except those the route keys on), then
   * decides whether it may use the cache. `fwReq` is what `key(req)`/`tags(req)` receive.
   */
  plan(req: RequestLike & { rawHeaders?: string[] }, fwReq: unknown, route: ResolvedRoute): Plan | BypassReason {
    let strip = this.#stripLists.get(route);
    if (strip === undefined) {
      strip = [...this.#strip].filter((h) => !route.vary.includes(h));
      this.#stripLists.set(route, strip);
    }
    stripHeaders(req, strip);
    const m = req.method;
    if (m !== 'GET' && m !== 'HEAD') return this.#bypass('method');
    const headers = req.headers;
    const host = this.#hosts.match(headers.host);
    if (host === undefined) return this.#bypass('host');
    const target = canonicalTarget(req.url ?? '');
    if (target === undefined) return this.#bypass('path');
    let scope = '';
    if (route.key !== undefined) {
      const k: unknown = (route.key as (r: unknown) => unknown)(fwReq);
      if (k === undefined) return this.#bypass('credentials');
      if (typeof k !== 'string') throw new TypeError(`Expected a string or undefined from route.key(req) but received ${describe(k)}`);
      scope = `u:${k}`;
    } else if (headers.authorization !== undefined || headers.cookie !== undefined) {
      return this.#bypass('credentials');
    }
    const tags = typeof route.tags === 'function' ? checkTagList((route.tags as (r: unknown) => unknown)(fwReq), 'route.tags(req)') : route.tags;
    return {
      key: buildKey(this.#prefix, scope, host, route.vary, headers, target),
      route,
      isPrivate: scope !== '',
      tags,
      head: m === 'HEAD',
    };
  }

  #bypass(reason: BypassReason): BypassReason {
    this.#bypasses[reason]++;
    return reason;
  }

  /** Step 2: the entry, or the instruction to pass or to load (see {@link Step}). Never rejects. */
  lookup(plan: Plan): Promise<Step> {
    const route = plan.route;
    if (plan.head) {
      // HEAD never loads: the handler's HEAD answer has no body to store for GET.
      return this.#cache.get(plan.key).then(
        (v) => this.#found(v, route),
        () => ({ kind: 'pass' }) as const,
      );
    }
    const opts: CacheEntryOptions = {
      ttlMs: route.ttlMs,
      graceMs: route.graceMs,
      tags: plan.tags,
      negativeCache: false,
      softTimeoutMs: route.timeoutMs,
    };
    if (route.lock !== undefined) opts.lock = route.lock;
    return new Promise<Step>((resolve) => {
      let loading = false;
      let deliver!: (v: Buffer | undefined) => void;
      let fail!: (err: unknown) => void;
      const produced = new Promise<Buffer | undefined>((res, rej) => {
        deliver = res;
        fail = rej;
      });
      const got = this.#cache.getOrSet(
        plan.key,
        () => {
          loading = true;
          resolve({ kind: 'load', finish: (r) => this.#finish(plan, r, deliver, fail, got) });
          return produced;
        },
        opts,
      );
      got.then(
        (v) => {
          if (!loading) resolve(this.#found(v, route));
        },
        () => {
          if (!loading) resolve({ kind: 'pass' });
        },
      );
    });
  }

  #found(v: unknown, route: ResolvedRoute): Extract<Step, { kind: 'entry' | 'pass' }> {
    const entry = decodeEntry(v);
    if (entry === undefined) return { kind: 'pass' };
    return { kind: 'entry', entry, status: now() >= entry.storedAt + route.ttlMs ? 'STALE' : 'HIT' };
  }

  async #finish(plan: Plan, r: CapturedResponse | null | Error, deliver: (v: Buffer | undefined) => void, fail: (err: unknown) => void, got: Promise<unknown>): Promise<Outcome> {
    if (r === null) {
      deliver(undefined);
      return { kind: 'own' };
    }
    let error: unknown;
    if (r instanceof Error) error = new HandlerError(`The handler failed: ${r.message}`, undefined, r);
    else {
      const v = verdict(r.status, r.headers);
      if (v === 'store') {
        const buf = encodeEntry(r.status, r.headers, r.body, this.#stored, plan.isPrivate ? [] : plan.tags, now());
        deliver(buf);
        got.catch(() => undefined); // a failed L2 write never fails the response
        return { kind: 'entry', entry: decodeEntry(buf) as ResponseEntry, status: 'MISS' };
      }
      if (v === 'pass') {
        deliver(undefined);
        return { kind: 'own' };
      }
      error = new HandlerError(`The handler answered ${r.status}`, r.status);
    }
    // A failure: fail-safe serves the stale entry within grace, else the handler's own answer.
    fail(error);
    try {
      const entry = decodeEntry(await got);
      if (entry !== undefined) return { kind: 'entry', entry, status: 'STALE' };
    } catch {
      /* no stale entry */
    }
    return r instanceof Error ? { kind: 'error', error: r } : { kind: 'own' };
  }

  /** Step 3: the response for `entry` (304 when `reqHeaders` validators match). */
  reply(entry: ResponseEntry, plan: Plan, reqHeaders: IncomingHttpHeaders, status: CacheStatus): Reply {
    if (status === 'STALE') this.#stats.stale++;
    else if (status === 'MISS') this.#stats.misses++;
    else this.#stats.hits++;
    const age = Math.max(0, Math.floor((now() - entry.storedAt) / 1000));
    if (notModified(reqHeaders, entry)) {
      this.#stats.notModified++;
      return { status: 304, headers: this.#headers(entry, plan, status, age, true), body: undefined };
    }
    return { status: entry.status, headers: this.#headers(entry, plan, status, age, false), body: entry.body };
  }

  /**
   * The header list of a reply. Hits of one entry within one second of age send the same list:
   * it is built once and kept on the entry (a list handed to `writeHead` is only read), so a hit
   * allocates no header strings, and Node checks flat strings it has seen.
   */
  #headers(entry: ResponseEntry, plan: Plan, status: CacheStatus, age: number, is304: boolean): readonly string[] {
    const route = plan.route;
    let memo = replyMemos.get(entry);
    if (memo !== undefined && memo.owner === this && memo.age === age && memo.status === status && memo.route === route && memo.isPrivate === plan.isPrivate && memo.is304 === is304) {
      return memo.headers;
    }
    const headers = ['cache-control', cacheControl(route, plan.isPrivate, age), 'age', String(age), 'vary', route.varyHeader];
    if (!plan.isPrivate && entry.surrogateKey !== '') headers.push('surrogate-key', entry.surrogateKey, 'cache-tag', entry.cacheTag);
    if (this.#statusHeader !== undefined) headers.push(this.#statusHeader, status);
    if (is304) headers.push('etag', entry.etag, 'last-modified', entry.lastModified);
    else for (const h of entry.raw) headers.push(h);
    memo = { owner: this, age, status, route, isPrivate: plan.isPrivate, is304, headers: Object.freeze(headers) };
    replyMemos.set(entry, memo);
    return memo.headers;
  }

  /** A fresh entry in this process's L1, synchronously (no promise on the hottest path), or undefined. */
  peek(plan: Plan): Extract<Step, { kind: 'entry' }> | undefined {
    const v = this.#cache.peek(plan.key);
    if (v === undefined) return undefined;
    const s = this.#found(v, plan.route);
    return s.kind === 'entry' ? s : undefined;
  }

  /** Counts a request that ran the handler and stored nothing. */
  countPass(): void {
    this.#stats.passes++;
  }

  /**
   * Removes the request's conditional and range headers while the handler runs for the cache
   * (it must produce the full 200 that is stored; the validators are answered from the entry
   * afterwards). Returns a function that puts them back.
   */
  hideConditionals(headers: IncomingHttpHeaders): () => void {
    let saved: [string, string | string[]][] | undefined;
    for (const h of CONDITIONAL) {
      const v = headers[h];
      if (v !== undefined) {
        (saved ??= []).push([h, v]);
        delete headers[h];
      }
    }
    return saved === undefined
      ? () => undefined
      : () => {
          for (const [h, v] of saved) (headers as Record<string, string | string[]>)[h] = v;
        };
  }

  /**
   * Invalidates `tags` in every tier: `deleteByTag` in the TieredCache (every process's L1 and
   * L2), then every purger (in parallel). Rejects with {@link HttpPurgeError} naming the purgers
   * that failed (each failure is also emitted as `purge:error`); a failed `deleteByTag` rejects
   * before any purge (a CDN purged now would refill from the Redis tier's old entry).
   */
  async invalidateTags(tags: string | readonly string[]): Promise<void> {
    const list = checkTagList(typeof tags === 'string' ? [tags] : tags, 'tags');
    if (list.length === 0) return;
    await this.#cache.deleteByTag(list);
    const results = await Promise.allSettled(this.#purgers.map((p) => p.purge(list)));
    const failed: string[] = [];
    const errors: unknown[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const purger = this.#purgers[i].name;
      failed.push(purger);
      errors.push(r.reason);
      this.#stats.purgeFailures++;
      this.emit('purge:error', { purger, tags: list, error: r.reason });
    });
    if (failed.length > 0) {
      const first = errors[0] instanceof Error ? errors[0].message : String(errors[0]);
      throw new HttpPurgeError(
        `Purging tags ${list.join(' ')} failed on ${failed.join(', ')}: ${first}`,
        failed,
        list,
        errors.length === 1 ? errors[0] : new AggregateError(errors, 'several purgers failed'),
      );
    }
  }

  /** A snapshot of the counters. */
  stats(): HttpCacheStats {
    return { ...this.#stats, bypasses: { ...this.#bypasses } };
  }
}
