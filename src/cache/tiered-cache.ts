/**
 * TieredCache: L1 in-process (lru-cache) → L2 Redis (any topology, through a KeyValueStore) →
 * your loader, with stampede protection, fail-safe, batch calls, namespaces, tags and an
 * invalidation bus that keeps every instance's L1 coherent.
 *
 * ```ts
 * const cache = new TieredCache({ l2: new Redis({ enableAutoPipelining: true }), bus: true, graceMs: 60_000 });
 * const user = await cache.getOrSet(`user:${id}`, () => db.users.find(id), { ttlMs: 30_000, tags: ['users'] });
 * await cache.deleteByTag('users');
 * ```
 *
 * L1 hits return the cached object itself (no copy, no parse): do not mutate what the cache
 * returns, or set `freeze: true`. A value is anything the serializer accepts except `undefined`
 * (which means "no value"); `0`, `false`, `''` and `null` are values. Buffers are stored raw.
 *
 * Coherence with `bus` (what a read can return once an invalidation has settled):
 * - a write or delete on any instance removes the key from every other instance's L1 (the
 *   message is published after the L2 write, on the same connection);
 * - an L2 read or a load in flight when an invalidation of its key arrives returns its value
 *   to its caller (it began before the write) but never stores it in L1 or L2 (per-key epochs);
 * - a load whose SET reached Redis after another instance's explicit write/delete of the key
 *   (the invalidation arriving just too late for the epoch check) is deleted from L2 again;
 * - while the subscription is down, L1 is flushed and bypassed (or, with `degradedL1TtlMs`,
 *   kept for at most that long), and flushed again once resubscribed; a gap in a publisher's
 *   sequence numbers (a lost message) flushes L1 too.
 * Without a bus, other instances' L1 entries live until their L1 TTL; `clear`/`deleteByTag`
 * still reach their L2 reads within `markerCacheMs`. Namespace/tag markers compare creation
 * times: instances' clocks should be NTP-synced.
 */
import { checkKeys, describe } from '../validate';
import { CacheCore, stamp, type BulkLoader, type Loader, type View } from './cache-core';
import { checkTag, checkTags } from './resolve-options';
import type { L1Entry } from './l1';
import type { CacheEntryOptions, TieredCacheOptions } from './options';
import { now as coarseNow } from './clock';
import { channels, type TieredCacheStats } from './stats';

/** Events of {@link TieredCache.on}; every payload also has `cache` (the cache name). */
export type TieredCacheEvent =
  | 'l2:error'
  | 'loader:error'
  | 'stale:served'
  | 'circuit:change'
  | 'bus:lost'
  | 'bus:restored'
  | 'bus:gap'
  | 'bus:error';

/**
 * Key layout (one injective encoding, so no two views alias and no user key reaches the
 * cache's own `__rc:` keys): a root key is stored as given, unless it starts with `@` or
 * `__rc:`, then as `@@key`; a key of namespace `a` → `b` is `@a:b@key`, each namespace name
 * with `%`, `:` and `@` escaped (`%25`, `%3A`, `%40`). Namespace markers are `n:a`, `n:a:b`
 * (escaped the same way) and `n:` for the root.
 */
const NS_LEAD = 64; // '@'

function escapeSegment(name: string): string {
  return name.replace(/[%:@]/g, (c) => (c === '%' ? '%25' : c === ':' ? '%3A' : '%40'));
}

function viewOf(segments: readonly string[]): View {
  const enc = segments.map(escapeSegment);
  const markers = ['n:'];
  for (let i = 1; i <= enc.length; i++) markers.push(`n:${enc.slice(0, i).join(':')}`);
  const ns = enc.join(':');
  return Object.freeze({ ns, segments: Object.freeze([...segments]), keyPrefix: ns === '' && enc.length === 0 ? '' : `@${ns}@`, markers: Object.freeze(markers) });
}

/** The L1/L2 key of root key `key` (see the layout above). */
function rootKey(key: string): string {
  return key.charCodeAt(0) === NS_LEAD || key.startsWith('__rc:') ? `@@${key}` : key;
}

function keyError(key: unknown, name = 'key'): TypeError {
  return new TypeError(`Expected a string for ${name} but received ${describe(key)}`);
}

function checkStringKeys(keys: unknown, name: string): asserts keys is readonly string[] {
  checkKeys(keys, name);
  for (let i = 0; i < (keys as unknown[]).length; i++) if (typeof (keys as unknown[])[i] !== 'string') throw keyError((keys as unknown[])[i], `${name}[${i}]`);
}

function checkNamespace(name: unknown, arg: string): string {
  if (typeof name !== 'string' || name === '') throw new TypeError(`Expected a non-empty string for ${arg} but received ${describe(name)}`);
  return name;
}

let viewInit: { core: CacheCore; view: View } | undefined;

/** No L1 entries to fall back on (an L1-less cache). */
const NO_STALES: readonly (L1Entry | undefined)[] = Object.freeze([]);

export class TieredCache<V = unknown> {
  readonly #core: CacheCore;
  readonly #view: View;
  readonly #prefix: string;

  constructor(options: TieredCacheOptions = {}) {
    if (viewInit !== undefined) {
      this.#core = viewInit.core;
      this.#view = viewInit.view;
      viewInit = undefined;
    } else {
      if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an object for options but received ${describe(options)}`);
      this.#core = new CacheCore(options);
      this.#view = viewOf([]);
    }
    this.#prefix = this.#view.keyPrefix;
  }

  /**
   * A view of this cache whose keys live in namespace `name` (nested views nest; `name` is one
   * level even if it contains ':'). Its keys are stored as `@name@key` (`@a:b@key` nested), so
   * they never collide with the root's keys or another view's. It shares the levels, the bus
   * and the stats; `clear()` on it clears only its keys (and its nested views').
   */
  namespace<W = V>(name: string): TieredCache<W> {
    checkNamespace(name, 'name');
    viewInit = { core: this.#core, view: viewOf([...this.#view.segments, name]) };
    try {
      return new TieredCache<W>();
    } finally {
      viewInit = undefined;
    }
  }

  /** This view's namespace names joined with ':' ('' for the root). */
  get namespacePath(): string {
    return this.#view.segments.join(':');
  }

  /** The cache name (from the options). */
  get name(): string {
    return this.#core.name;
  }

  /** The cache-wide fail-safe grace (the `graceMs` option): what the HTTP tier's `stale-if-error` defaults to. */
  get graceMs(): number {
    return this.#core.defaults.graceMs;
  }

  /** Resolves once the bus (if any) is subscribed; until then L1 is bypassed. */
  ready(): Promise<void> {
    return this.#core.ready();
  }

  /** Whether the bus subscription is live (false without a bus). */
  get busConnected(): boolean {
    return this.#core.busConnected;
  }

  /**
   * The value of `key`, or undefined. An L1 hit resolves without touching L2; a miss reads L2
   * (an L2 failure serves the L1 entry if it is within its grace period, else undefined:
   * L2 errors never reject a read).
   */
  get(key: string, options?: CacheEntryOptions): Promise<V | undefined> {
    if (typeof key !== 'string') return Promise.reject(keyError(key));
    const c = this.#core;
    const lk = this.#lk(key);
    const l1 = c.l1;
    let e: L1Entry | undefined;
    if (l1 !== undefined) {
      e = l1.get(lk);
      if (e !== undefined && coarseNow() < e.freshUntil) {
        c.counters.l1Hits++;
        if (channels.hit.hasSubscribers) channels.hit.publish({ cache: c.name, key: lk, level: 'l1' });
        return Promise.resolve(e.value as V | undefined);
      }
      c.counters.l1Misses++;
    }
    if (c.store === undefined) return Promise.resolve(undefined);
    let o;
    try {
      o = c.resolve(options);
    } catch (err) {
      return Promise.reject(err);
    }
    return c.getOne(this.#view, lk, e, o) as Promise<V | undefined>;
  }

  /**
   * Synchronous L1-only read: the value if L1 holds it fresh, else undefined (never asks L2).
   */
  peek(key: string): V | undefined {
    if (typeof key !== 'string') throw keyError(key);
    const l1 = this.#core.l1;
    if (l1 === undefined) return undefined;
    const e = l1.get(this.#lk(key));
    if (e !== undefined && coarseNow() < e.freshUntil) return e.value as V | undefined;
    return undefined;
  }

  /** Whether `key` has a value (a negative entry is no value). */
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /**
   * Stores `value` in L1 and L2 and invalidates the key in every other instance's L1. When the
   * L2 write fails it rejects with `CacheWriteError` and this instance's L1 drops the key
   * (`l2WriteFailure: 'throw'`, the default); with `'ignore'` the failure is only counted and
   * emitted as `l2:error`, and the value is then in this instance's L1 only.
   */
  async set(key: string, value: V, options?: CacheEntryOptions): Promise<void> {
    if (typeof key !== 'string') throw keyError(key);
    if (value === undefined) throw new TypeError('Expected a value for value but received undefined (use delete to remove a key)');
    const c = this.#core;
    const o = c.resolve(options);
    const lk = this.#lk(key);
    await c.write(this.#view, [{ lk, c: c.makeCandidate(value, false, o, stamp()) }], o, undefined);
  }

  /** Removes `key` from L1, L2 and every other instance's L1 (L2 failure: see {@link set}). */
  async delete(key: string): Promise<void> {
    if (typeof key !== 'string') throw keyError(key);
    await this.#core.remove(this.#view, [this.#lk(key)]);
  }

  /**
   * The value of `key`; on a miss, `loader(key)` runs ONCE however many callers wait (and,
   * with `lock`, once across processes), and its result is cached. A loader result of
   * undefined is cached as a negative entry (`negativeTtlMs`) unless `negativeCache: false`.
   * On loader failure or timeout the stale value is served within `graceMs` (never one the key
   * was invalidated since); else the call rejects with `LoaderError` (or `CacheTimeoutError`
   * past `hardTimeoutMs`). A timed-out load keeps running and is stored; callers that come
   * meanwhile join it (with their own timeouts) instead of calling the loader again, unless the
   * key was invalidated since it began.
   */
  getOrSet(key: string, loader: Loader<V>, options?: CacheEntryOptions): Promise<V | undefined> {
    if (typeof key !== 'string') return Promise.reject(keyError(key));
    if (typeof loader !== 'function') return Promise.reject(new TypeError(`Expected a function for loader but received ${describe(loader)}`));
    const c = this.#core;
    const lk = this.#lk(key);
    let o;
    try {
      o = c.resolve(options);
    } catch (err) {
      return Promise.reject(err);
    }
    const l1 = c.l1;
    let e: L1Entry | undefined;
    if (l1 !== undefined) {
      e = l1.get(lk);
      if (e !== undefined) {
        const now = coarseNow();
        if (now < e.freshUntil) {
          c.counters.l1Hits++;
          if (channels.hit.hasSubscribers) channels.hit.publish({ cache: c.name, key: lk, level: 'l1' });
          const t = o.eagerRefreshThreshold;
          // Not for a stale value fail-safe keeps (past expiresAt): failSafeThrottleMs paces those.
          if (t > 0 && !e.negative && now < e.expiresAt && e.expiresAt !== Infinity && now >= e.createdAt + (e.expiresAt - e.createdAt) * t) {
            c.refreshInBackground(this.#view, key, lk, loader, o);
          }
          return Promise.resolve(e.value as V | undefined);
        }
      }
      c.counters.l1Misses++;
    }
    return c.getOrLoad(this.#view, key, lk, loader, o, e) as Promise<V | undefined>;
  }

  /** Values of `keys` in order (undefined where missing): L1 first, one L2 batch for the rest. */
  async getMany(keys: readonly string[], options?: CacheEntryOptions): Promise<(V | undefined)[]> {
    checkStringKeys(keys, 'keys');
    const c = this.#core;
    const o = c.resolve(options);
    if (c.l1 === undefined) {
      // L2 only: straight to one batch.
      if (c.store === undefined) return new Array<V | undefined>(keys.length).fill(undefined);
      const lks = keys.map((k) => this.#lk(k));
      return (await c.getFromL2(this.#view, lks, NO_STALES, o)) as (V | undefined)[];
    }
    const { out, need, lks, stales } = this.#l1Pass(keys);
    if (need.length > 0 && c.store !== undefined) {
      const got = await c.getFromL2(
        this.#view,
        need.map((i) => lks[i]),
        need.map((i) => stales[i]),
        o,
      );
      for (let j = 0; j < need.length; j++) out[need[j]] = got[j];
    }
    return out as (V | undefined)[];
  }

  /** Stores every `[key, value]` (one L2 batch, one bus message; L2 failure: see {@link set}). */
  async setMany(entries: readonly (readonly [string, V])[], options?: CacheEntryOptions): Promise<void> {
    if (!Array.isArray(entries)) throw new TypeError(`Expected an array of [key, value] for entries but received ${describe(entries)}`);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (!Array.isArray(e) || e.length !== 2) throw new TypeError(`Expected a [key, value] pair for entries[${i}] but received ${describe(e)}`);
      if (typeof e[0] !== 'string') throw keyError(e[0], `entries[${i}][0]`);
      if (e[1] === undefined) throw new TypeError(`Expected a value for entries[${i}][1] but received undefined`);
    }
    const c = this.#core;
    const o = c.resolve(options);
    const now = stamp();
    await c.write(
      this.#view,
      entries.map(([k, v]) => ({ lk: this.#lk(k), c: c.makeCandidate(v, false, o, now) })),
      o,
      undefined,
    );
  }

  /** Removes `keys` (one L2 batch, one bus message; L2 failure: see {@link set}). */
  async deleteMany(keys: readonly string[]): Promise<void> {
    checkStringKeys(keys, 'keys');
    await this.#core.remove(
      this.#view,
      keys.map((k) => this.#lk(k)),
    );
  }

  /**
   * Values of `keys`; the misses (after L1 and one L2 batch) are loaded with ONE call of
   * `loader(missingKeys)`, which returns values aligned with its argument or a Map by key.
   * Keys already being loaded by another call are joined, not loaded twice. Like `getOrSet`:
   * `softTimeoutMs` answers the keys that have a stale value at once (the load finishes and is
   * stored in the background; keys without one keep waiting, up to `hardTimeoutMs`), and with
   * `lock` each missing key has its own lease across processes: the keys this process takes
   * are loaded at once in one call, those another process holds are waited for, and any not
   * stored within `waitMs` are loaded in one more call.
   */
  async getOrSetMany(keys: readonly string[], loader: BulkLoader<V>, options?: CacheEntryOptions): Promise<(V | undefined)[]> {
    checkStringKeys(keys, 'keys');
    if (typeof loader !== 'function') throw new TypeError(`Expected a function for loader but received ${describe(loader)}`);
    const c = this.#core;
    const o = c.resolve(options);
    const { out, need, lks, stales } = this.#l1Pass(keys);
    if (need.length > 0) await c.loadMany(this.#view, keys, lks, stales, need, loader, o, out);
    return out as (V | undefined)[];
  }

  /**
   * Clears this view's keys (`clear()`), or those of the child namespace `name`, on every
   * instance and in L2, without SCAN: a marker with the clear time is written, and entries
   * created before it read as misses. The marker expires in L2 after `markerTtlMs` (by default
   * twice the longest entry lifetime known plus a minute), once the entries it hides are gone.
   * L2 failure: see {@link set}.
   */
  async clear(name?: string): Promise<void> {
    const ns = name === undefined ? this.#view.ns : viewOf([...this.#view.segments, checkNamespace(name, 'name')]).ns;
    await this.#core.clearNamespace(ns);
  }

  /** Invalidates every value stored with any of `tags`, on every instance (L2 failure: see {@link set}). */
  async deleteByTag(tags: string | readonly string[]): Promise<void> {
    const list = typeof tags === 'string' ? [checkTag(tags, 'tags')] : checkTags(tags, 'tags');
    if (list === undefined || list.length === 0) return;
    await this.#core.deleteByTags(list);
  }

  /** A snapshot of the counters (shared by every namespace view). */
  stats(): TieredCacheStats {
    return this.#core.stats();
  }

  on(event: TieredCacheEvent, listener: (payload: Record<string, unknown>) => void): this {
    this.#core.on(event, listener);
    return this;
  }

  off(event: TieredCacheEvent, listener: (payload: Record<string, unknown>) => void): this {
    this.#core.off(event, listener);
    return this;
  }

  once(event: TieredCacheEvent, listener: (payload: Record<string, unknown>) => void): this {
    this.#core.once(event, listener);
    return this;
  }

  /** Stops the bus. The L2 client or store you passed is left open. */
  async close(): Promise<void> {
    await this.#core.close();
  }

  /** The L1/L2 key of `key` in this view. */
  #lk(key: string): string {
    return this.#prefix === '' ? rootKey(key) : this.#prefix + key;
  }

  #l1Pass(keys: readonly string[]): { out: unknown[]; need: number[]; lks: string[]; stales: (L1Entry | undefined)[] } {
    const c = this.#core;
    const n = keys.length;
    const out: unknown[] = new Array(n);
    const lks: string[] = new Array(n);
    const stales: (L1Entry | undefined)[] = new Array(n);
    const need: number[] = [];
    const l1 = c.l1;
    const now = coarseNow();
    for (let i = 0; i < n; i++) {
      const lk = this.#lk(keys[i]);
      lks[i] = lk;
      const e = l1?.get(lk);
      if (e !== undefined && now < e.freshUntil) {
        c.counters.l1Hits++;
        out[i] = e.value;
        continue;
      }
      if (l1 !== undefined) c.counters.l1Misses++;
      stales[i] = e;
      need.push(i);
    }
    return { out, need, lks, stales };
  }
}
