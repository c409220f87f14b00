/**
 * HashRing's lookup cache: {@link AnswerCache}, the bounded `Map` of its answers to
 * `get(string)` with the policy that decides when consulting it pays, and {@link LookupCache},
 * the interface of hashring's cache over it (`ring.cache`). HashRing holds one AnswerCache,
 * built with the ring's uncached lookup, and answers string keys through it; `ring.cache`
 * returns the AnswerCache's one LookupCache.
 *
 * `ring.cache` is the interface of hashring's lookup cache (a `simple-lru-cache` 0.0.2 instance:
 * `get`, `set`, `del`, `reset`, `forEach`, `size`, `maxSize`). Code written against hashring
 * (`ring.cache.get(key)`, `ring.cache.reset()`, pinning a key with `ring.cache.set(key, server)`)
 * works unchanged.
 *
 * Kept from simple-lru-cache: keys are property names (`get(42)` reads what `ring.get(42)`
 * stored under `'42'`); `set` of a key makes `ring.get(key)` answer that server until the
 * cache is emptied (`reset`, `add`, `remove`, `continuum`) or the entry is dropped; `forEach`
 * calls `callback(value, key)` in `Object.keys` order (integer-like keys first, ascending).
 *
 * Fixed or different:
 * - entries live in a `Map`, so `'toString'`, `'constructor'` or `'__proto__'` are plain keys
 *   (simple-lru-cache read `Object.prototype` members for them and wrote onto it);
 * - `get(key, false)` returns the entry (simple-lru-cache 0.0.2 returned `undefined` whenever
 *   `hit` was false); `hit` changes nothing here, there is no recency to refresh;
 * - when full, the cache starts over instead of dropping its least recently used entry, and
 *   `maxSize` 0 turns it off (`set` stores nothing; simple-lru-cache threw) — see
 *   {@link AnswerCache.get};
 * - `set` takes a non-empty server string (a `TypeError` otherwise: hashring ignored a falsy
 *   cached value and recomputed it; any other value would be returned by `get` as a server);
 * - `size` and `maxSize` are read-only; the list internals (`head`, `tail`, `cache`, `hit`,
 *   `attach`, `detach`) are not exposed.
 */
import { describe } from '../validate';

/** What `ring.cache` calls back into: the ring stops sampling once a key is pinned. */
export interface LookupCacheHost {
  /** The ring's answers: key → server. */
  readonly entries: Map<string, string>;
  /** `'max cache size'`: entries kept before the cache starts over; 0 = off. */
  readonly maxSize: number;
  /** Called before a user `set`, so that every `get` consults the cache from then on. */
  pinned(): void;
}

/** Cache lookups per decision on using the cache, and 1/rate of its use when keys rarely repeat. */
const CACHE_WINDOW = 1024;
const CACHE_SAMPLE = 16;

/**
 * A ring's answers to `get(string)`, key → server: the bounded `Map` {@link LookupCache} shows,
 * and when to consult it. It only ever holds the answer an uncached lookup gives, or a server
 * pinned through `ring.cache.set`.
 */
export class AnswerCache implements LookupCacheHost {
  readonly entries = new Map<string, string>();
  readonly maxSize: number;
  /** The ring's uncached lookup (undefined on an empty ring). */
  readonly #lookup: (key: string) => string | undefined;
  #view: LookupCache | undefined;
  /** A key was set through `ring.cache`: every `get` consults the cache from then on. */
  #pinned = false;
  /** Cache hits and misses in the current window, and gets left to skip the cache (see #miss). */
  #hits = 0;
  #misses = 0;
  #sampling = false;
  #bypass = 0;

  /**
   * @param maxSize `'max cache size'` (0: off).
   * @param lookup the ring's uncached lookup of a key.
   */
  constructor(maxSize: number, lookup: (key: string) => string | undefined) {
    this.maxSize = maxSize;
    this.#lookup = lookup;
  }

  /** `ring.cache`: one per ring, made on first use. */
  get view(): LookupCache {
    return (this.#view ??= new LookupCache(this));
  }

  /** The server of `key`: cached, or looked up (and maybe cached). */
  get(key: string): string | undefined {
    if (this.#bypass > 0) {
      this.#bypass--;
      return this.#lookup(key);
    }
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.#hits++;
      return hit;
    }
    return this.#miss(key);
  }

  /** `ring.cache.set` pinned a key: stop sampling, so that every `get` consults the cache. */
  pinned(): void {
    this.#pinned = true;
    this.#sampling = false;
    this.#bypass = 0;
  }

  /** `swap(from, to)`: as in hashring, cached answers of `from` become `to`, the others stay. */
  relabel(from: string, to: string): void {
    const entries = this.entries;
    for (const [key, server] of entries) if (server === from) entries.set(key, to);
  }

  /**
   * A key the cache did not have. The cache earns its keep only when keys repeat: after a
   * window of lookups in which fewer than 1 in 16 hit (a stream of distinct keys), only one get
   * in 16 consults and fills it — the others skip it, so such a stream pays neither a `Map`
   * miss nor a `Map.set` per key — until the sampled lookups hit again (keys turned hot).
   * Either way the cache only ever holds the answer an uncached lookup gives. When full, it
   * starts over: cheaper per miss than LRU bookkeeping, and a hot key is back after one miss.
   */
  #miss(key: string): string | undefined {
    const label = this.#lookup(key);
    if (label === undefined || this.maxSize === 0) return label;
    const misses = ++this.#misses;
    // Window: 1024 misses when the cache is in full use, 1024 sampled lookups when it is not.
    if ((this.#sampling ? misses + this.#hits : misses) >= CACHE_WINDOW) {
      this.#sampling = !this.#pinned && this.#hits * CACHE_SAMPLE < misses + this.#hits;
      this.#hits = 0;
      this.#misses = 0;
    }
    if (this.#sampling) this.#bypass = CACHE_SAMPLE - 1;
    const entries = this.entries;
    if (entries.size >= this.maxSize) entries.clear();
    entries.set(key, label);
    return label;
  }
}

/** hashring's `ring.cache`, over HashRing's bounded lookup cache. */
export class LookupCache {
  readonly #host: LookupCacheHost;

  /** @internal {@link AnswerCache.view} creates it; `ring.cache` returns the ring's one instance. */
  constructor(host: LookupCacheHost) {
    this.#host = host;
  }

  /** Entries the cache holds before it starts over (`'max cache size'`); 0 = the cache is off. */
  get maxSize(): number {
    return this.#host.maxSize;
  }

  /** Entries held. */
  get size(): number {
    return this.#host.entries.size;
  }

  /**
   * The server cached for `key`, or `undefined`. `hit` is accepted for simple-lru-cache
   * compatibility and changes nothing (there is no recency order to refresh).
   */
  get(key: unknown, hit?: boolean): string | undefined {
    void hit;
    return this.#host.entries.get(cacheKey(key, 'key'));
  }

  /** Caches `value` as the server of `key`: `ring.get(key)` answers it from now on. */
  set(key: unknown, value: string, hit?: boolean): void {
    void hit;
    const k = cacheKey(key, 'key');
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`Expected a non-empty server string for value but received ${describe(value)}`);
    }
    const host = this.#host;
    if (host.maxSize === 0) return;
    host.pinned();
    const entries = host.entries;
    if (entries.size >= host.maxSize && !entries.has(k)) entries.clear();
    entries.set(k, value);
  }

  /** Forgets `key`. */
  del(key: unknown): void {
    this.#host.entries.delete(cacheKey(key, 'key'));
  }

  /** Forgets every key. */
  reset(): void {
    this.#host.entries.clear();
  }

  /** Calls `callback(server, key)` for each entry, in `Object.keys` order as simple-lru-cache does. */
  forEach(callback: (value: string, key: string) => void): void {
    if (typeof callback !== 'function') {
      throw new TypeError(`Expected a function for callback but received ${describe(callback)}`);
    }
    // simple-lru-cache walks Object.keys of a plain object: array indexes ascending, then the
    // other keys in insertion order (a Map's order). A snapshot, so the callback may edit.
    const indexes: [string, string][] = [];
    const named: [string, string][] = [];
    for (const entry of this.#host.entries) (isArrayIndex(entry[0]) ? indexes : named).push(entry);
    indexes.sort((a, b) => Number(a[0]) - Number(b[0]));
    for (const [k, v] of indexes) callback(v, k);
    for (const [k, v] of named) callback(v, k);
  }
}

/** A key as the property name simple-lru-cache stored it under. */
function cacheKey(key: unknown, name: string): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'symbol') throw new TypeError(`Expected a string for ${name} but received ${describe(key)}`);
  return String(key);
}

/** Whether `key` is an array index, which `Object.keys` lists first, ascending. */
function isArrayIndex(key: string): boolean {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < 0xffffffff && String(n) === key;
}
