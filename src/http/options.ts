/**
 * Options of {@link HttpCache} and of each cached route. Times are in milliseconds like the
 * rest of ringcache; the HTTP directives they become are whole seconds (floored). Every option
 * has a `@default`; the frozen {@link DEFAULT_ROUTE_OPTIONS} and {@link DEFAULT_HTTP_CACHE_OPTIONS}
 * hold them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TieredCache } from '../cache/tiered-cache';
import type { Purger } from './purgers';

/** What the core needs of a request: Node's `IncomingMessage` (and Express's/Fastify's raw request) has it. */
export interface RequestLike {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}

/**
 * The caching policy of one route. `Req` is the request your framework hands to `key` and
 * `tags` (Express's `req` with `params`, Fastify's `request`, or Node's `IncomingMessage`).
 */
export interface RouteCacheOptions<Req = RequestLike> {
  /**
   * Browser tier: `max-age` of the response (how long a browser reuses it without asking).
   * @default 1000
   */
  browserTtlMs?: number;
  /**
   * CDN tier: `s-maxage` of a shared response (how long Varnish/Fastly/Cloudflare keep it).
   * Private (per-user) responses never get one.
   * @default 60000
   */
  cdnTtlMs?: number;
  /**
   * Redis tier: how long the response entry lives in the TieredCache (L1 + L2) before the
   * handler runs again. Tag invalidation removes it earlier.
   * @default 3600000
   */
  ttlMs?: number;
  /**
   * `stale-while-revalidate` (RFC 5861 §3): how long past its TTL a browser or CDN may serve the
   * response while it refetches in the background. 0 leaves the directive out.
   * @default 0
   */
  staleWhileRevalidateMs?: number;
  /**
   * `stale-if-error` (RFC 5861 §4): how long past its TTL a browser or CDN may serve the response
   * when the origin fails. Undefined: the route's `graceMs`, so every tier keeps serving stale as
   * long as the Redis tier does. 0 leaves the directive out.
   * @default undefined
   */
  staleIfErrorMs?: number;
  /**
   * Fail-safe of the Redis tier: how long past `ttlMs` the stored response is still served when
   * the handler fails (throws, answers 500/502/503/504, or exceeds `timeoutMs`).
   * Undefined: {@link HttpCacheOptions.graceMs}.
   * @default undefined
   */
  graceMs?: number;
  /**
   * Handler timeout: past it a request waiting for the handler gets the stale entry if one is
   * within grace (the handler keeps running and still refreshes the entry). 0 = off.
   * @default 0
   */
  timeoutMs?: number;
  /**
   * Tags of the response (static, or computed from the request): `invalidateTags` drops every
   * response carrying one, in every tier. Sent as `Surrogate-Key` and `Cache-Tag` on shared
   * responses. A tag is 1–256 visible ASCII characters without `,` or spaces.
   * @default []
   */
  tags?: readonly string[] | ((req: Req) => readonly string[]);
  /**
   * Request headers that vary the response (e.g. `['accept-language']`): their values are part
   * of the key and they are listed in `Vary`. A header listed here is never stripped (see
   * {@link HttpCacheOptions.stripHeaders}).
   * @default []
   */
  vary?: readonly string[];
  /**
   * Opt-in per-user caching: a string that partitions the entry (e.g. the user id from the
   * session), or undefined to bypass the cache for this request. A route with `key` answers
   * every response `private` (no `s-maxage`, no surrogate keys) and adds `Cookie` and
   * `Authorization` to `Vary`. Without `key`, a request with `Cookie` or `Authorization` never
   * touches the cache.
   * @default undefined
   */
  key?: (req: Req) => string | undefined;
  /**
   * Use the cache's distributed lease lock for this route's loads, so one process in the fleet
   * runs the handler for a cold key (needs `lock` in the TieredCache options).
   * @default true when the TieredCache has `lock`
   */
  lock?: boolean;
  /**
   * Bodies larger than this are sent as they are produced and never stored.
   * Undefined: {@link HttpCacheOptions.maxBodyBytes}.
   * @default undefined
   */
  maxBodyBytes?: number;
}

export interface HttpCacheOptions {
  /** The TieredCache the responses are stored in (L1 + L2); the HTTP tier never closes it. */
  cache: TieredCache;
  /**
   * The hosts (`Host` header, lowercase) the cache answers for: `'shop.example'` matches that
   * name on any port, `'shop.example:8080'` only that port. A request for any other host runs
   * the handler and is neither served from nor stored in the cache.
   */
  hosts: readonly string[];
  /**
   * Where `invalidateTags` sends purges after the Redis tier (Varnish, Fastly, Cloudflare…).
   * @default []
   */
  purgers?: readonly Purger[];
  /**
   * Prefix of every key the HTTP tier writes into the TieredCache.
   * @default 'http:'
   */
  keyPrefix?: string;
  /**
   * Default fail-safe of the routes (see {@link RouteCacheOptions.graceMs}).
   * Undefined: the TieredCache's own `graceMs`.
   * @default undefined
   */
  graceMs?: number;
  /**
   * Default body size limit of the routes (see {@link RouteCacheOptions.maxBodyBytes}).
   * @default 1048576
   */
  maxBodyBytes?: number;
  /**
   * Request headers removed before a cached route's handler runs, because a handler that read
   * them would produce a response that depends on something outside the key (the classic cache
   * poisoning headers). List one in a route's `vary` to key on it instead.
   * @default DEFAULT_STRIP_HEADERS
   */
  stripHeaders?: readonly string[];
  /**
   * Response headers kept in the stored entry (lowercase); every other header the handler set
   * is dropped from the cached copy (the first response keeps them all).
   * @default DEFAULT_STORED_HEADERS
   */
  storedHeaders?: readonly string[];
  /**
   * A response header telling how the request was answered (`HIT`, `MISS`, `STALE`, `BYPASS`),
   * or false for none.
   * @default 'x-ringcache'
   */
  statusHeader?: string | false;
  /** Defaults of every route (each route's own options override them). @default {} */
  route?: RouteCacheOptions<never>;
}

/** Headers that rewrite the URL, host, scheme or method in some framework or proxy. */
export const DEFAULT_STRIP_HEADERS: readonly string[] = Object.freeze([
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-host',
  'forwarded',
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

/** Representation headers worth replaying from the cache. */
export const DEFAULT_STORED_HEADERS: readonly string[] = Object.freeze([
  'content-type',
  'content-language',
  'content-disposition',
  'content-location',
  'last-modified',
  'location',
  'link',
  'x-content-type-options',
  'content-security-policy',
]);

/** The defaults of {@link RouteCacheOptions}. */
export const DEFAULT_ROUTE_OPTIONS = Object.freeze({
  browserTtlMs: 1000,
  cdnTtlMs: 60_000,
  ttlMs: 3_600_000,
  staleWhileRevalidateMs: 0,
  staleIfErrorMs: undefined,
  graceMs: undefined,
  timeoutMs: 0,
  tags: Object.freeze([]) as readonly string[],
  vary: Object.freeze([]) as readonly string[],
  key: undefined,
  lock: undefined,
  maxBodyBytes: undefined,
} as const);

/** The defaults of {@link HttpCacheOptions}. */
export const DEFAULT_HTTP_CACHE_OPTIONS = Object.freeze({
  purgers: Object.freeze([]) as readonly Purger[],
  keyPrefix: 'http:',
  graceMs: undefined,
  maxBodyBytes: 1_048_576,
  stripHeaders: DEFAULT_STRIP_HEADERS,
  storedHeaders: DEFAULT_STORED_HEADERS,
  statusHeader: 'x-ringcache',
} as const);
