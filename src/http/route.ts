/**
 * A route's options checked once and resolved against the HttpCache defaults, so the per-request
 * path reads plain fields. Bad options throw a TypeError/RangeError naming the option.
 */
import { describe } from '../validate';
import { DEFAULT_ROUTE_OPTIONS, type RouteCacheOptions } from './options';

/** A tag: visible ASCII without `,` (Cache-Tag separator) or space (Surrogate-Key separator). */
const TAG = /^[\x21-\x2b\x2d-\x7e]{1,256}$/;
/** An HTTP header name (RFC 9110 §5.1 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface ResolvedRoute {
  readonly browserTtlMs: number;
  readonly cdnTtlMs: number;
  readonly ttlMs: number;
  readonly staleWhileRevalidateMs: number;
  readonly staleIfErrorMs: number;
  readonly graceMs: number;
  readonly timeoutMs: number;
  readonly tags: readonly string[] | ((req: never) => readonly string[]);
  /** Lowercase names of the varying request headers. */
  readonly vary: readonly string[];
  readonly key: ((req: never) => string | undefined) | undefined;
  readonly lock: boolean | undefined;
  readonly maxBodyBytes: number;
  /** The `Vary` response header (always present on cacheable responses). */
  readonly varyHeader: string;
}

function ms(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`Expected a finite number of milliseconds for ${name} but received ${describe(value)}`);
  if (value < 0) throw new RangeError(`Expected ${name} >= 0 but received ${value}`);
  return value;
}

/** Checks a tag list (from options or from a `tags(req)` function). */
export function checkTagList(tags: unknown, name: string): readonly string[] {
  if (!Array.isArray(tags)) throw new TypeError(`Expected an array of strings for ${name} but received ${describe(tags)}`);
  for (let i = 0; i < tags.length; i++) {
    const t: unknown = tags[i];
    if (typeof t !== 'string' || !TAG.test(t)) throw new TypeError(`Expected a tag (1-256 visible ASCII characters, no ',' or space) for ${name}[${i}] but received ${describe(t)}`);
  }
  return tags as readonly string[];
}

export function checkHeaderNames(names: unknown, name: string): readonly string[] {
  if (!Array.isArray(names)) throw new TypeError(`Expected an array of header names for ${name} but received ${describe(names)}`);
  return names.map((n: unknown, i) => {
    if (typeof n !== 'string' || !TOKEN.test(n)) throw new TypeError(`Expected a header name for ${name}[${i}] but received ${describe(n)}`);
    return n.toLowerCase();
  });
}

/** Resolves `route` over `base` (the HttpCache's route defaults) and the cache-wide defaults. */
export function resolveRoute(
  route: RouteCacheOptions<never> | undefined,
  base: RouteCacheOptions<never>,
  cacheGraceMs: number,
  cacheMaxBodyBytes: number,
  name = 'route',
): ResolvedRoute {
  if (route !== undefined && (typeof route !== 'object' || route === null)) throw new TypeError(`Expected an object for ${name} but received ${describe(route)}`);
  const o = { ...DEFAULT_ROUTE_OPTIONS, ...stripUndefined(base), ...stripUndefined(route ?? {}) };
  const graceMs = ms(o.graceMs ?? cacheGraceMs, `${name}.graceMs`);
  const tags = o.tags;
  if (typeof tags !== 'function') checkTagList(tags, `${name}.tags`);
  if (o.key !== undefined && typeof o.key !== 'function') throw new TypeError(`Expected a function for ${name}.key but received ${describe(o.key)}`);
  if (o.lock !== undefined && typeof o.lock !== 'boolean') throw new TypeError(`Expected a boolean for ${name}.lock but received ${describe(o.lock)}`);
  const vary = checkHeaderNames(o.vary, `${name}.vary`);
  const varyNames = ['Accept-Encoding', ...vary.filter((v) => v !== 'accept-encoding')];
  if (o.key !== undefined) for (const h of ['Cookie', 'Authorization']) if (!vary.includes(h.toLowerCase())) varyNames.push(h);
  const maxBodyBytes = o.maxBodyBytes ?? cacheMaxBodyBytes;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) throw new RangeError(`Expected a non-negative integer for ${name}.maxBodyBytes but received ${describe(maxBodyBytes)}`);
  return Object.freeze({
    browserTtlMs: ms(o.browserTtlMs, `${name}.browserTtlMs`),
    cdnTtlMs: ms(o.cdnTtlMs, `${name}.cdnTtlMs`),
    ttlMs: ms(o.ttlMs, `${name}.ttlMs`),
    staleWhileRevalidateMs: ms(o.staleWhileRevalidateMs, `${name}.staleWhileRevalidateMs`),
    staleIfErrorMs: ms(o.staleIfErrorMs ?? graceMs, `${name}.staleIfErrorMs`),
    graceMs,
    timeoutMs: ms(o.timeoutMs, `${name}.timeoutMs`),
    tags,
    vary,
    key: o.key,
    lock: o.lock,
    maxBodyBytes,
    varyHeader: varyNames.join(', '),
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
