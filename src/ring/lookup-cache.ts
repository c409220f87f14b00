/**
 * `ring.cache`: the interface of hashring's lookup cache (a `simple-lru-cache` 0.0.2 instance:
 * `get`, `set`, `del`, `reset`, `forEach`, `size`, `maxSize`) over the bounded `Map` that
 * HashRing keeps its answers in. Code written against hashring (`ring.cache.get(key)`,
 * `ring.cache.reset()`, pinning a key with `ring.cache.set(key, server)`) works unchanged.
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
 *   `maxSize` 0 turns it off (`set` stores nothing; simple-lru-cache threw) — see HashRing#miss;
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

/** hashring's `ring.cache`, over HashRing's bounded lookup cache. */
export class LookupCache {
  readonly #host: LookupCacheHost;

  /** @internal HashRing creates it; `ring.cache` returns the ring's one instance. */
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
