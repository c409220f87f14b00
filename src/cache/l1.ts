/**
 * L1: the in-process level, an lru-cache bounded by entries and/or bytes. It holds decoded
 * values: a hit returns the very object that was cached (no copy, no parse), so callers must not
 * mutate cached objects (or turn on `freeze`).
 *
 * Expiry is ours, not lru-cache's: each entry carries when L1 must re-check L2 (`freshUntil`),
 * its logical expiry and how long it may be served stale for fail-safe (`staleUntil`).
 */
import { LRUCache } from 'lru-cache';

/** One L1 entry (a class so every entry has the same shape). */
export class L1Entry {
  constructor(
    /** The value (undefined for a negative entry). */
    public value: unknown,
    /** "The loader found nothing", cached for the negative TTL. */
    public negative: boolean,
    /** Served from L1 without asking L2 until then: min(logical expiry, now + L1 TTL). */
    public freshUntil: number,
    /** Logical expiry (ms since the epoch). */
    public expiresAt: number,
    /** Servable as stale (fail-safe) until then. */
    public staleUntil: number,
    /** When the value was produced (before its loader ran). */
    public createdAt: number,
    public tags: readonly string[] | undefined,
    /** Approximate bytes (the L2 envelope size, or the serialized size). */
    public size: number,
  ) {}
}

export interface L1Limits {
  maxEntries: number | undefined;
  maxBytes: number | undefined;
}

export class L1 {
  readonly #lru: LRUCache<string, L1Entry>;
  /** Entries pushed out by the size bounds (not deletes or overwrites). */
  evictions = 0;
  /** Whether entry sizes matter (a byte bound is set). */
  readonly bytesBounded: boolean;

  constructor(limits: L1Limits) {
    const options: Partial<LRUCache.OptionsMaxLimit<string, L1Entry, unknown> & LRUCache.OptionsSizeLimit<string, L1Entry, unknown>> = {
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    };
    this.bytesBounded = limits.maxBytes !== undefined;
    if (limits.maxEntries !== undefined) options.max = limits.maxEntries;
    if (limits.maxBytes !== undefined) {
      options.maxSize = limits.maxBytes;
      options.sizeCalculation = (e) => Math.max(1, e.size);
      // An entry larger than the whole cache is simply not kept.
      options.maxEntrySize = limits.maxBytes;
    }
    // At least one of max/maxSize is set (the cache checks it): lru-cache's union type needs the cast.
    this.#lru = new LRUCache(options as LRUCache.Options<string, L1Entry, unknown>);
  }

  get(key: string): L1Entry | undefined {
    return this.#lru.get(key);
  }

  set(key: string, entry: L1Entry): void {
    this.#lru.set(key, entry);
  }

  delete(key: string): boolean {
    return this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize ?? 0;
  }

  /** Deletes every entry whose key or entry matches; returns how many. */
  deleteWhere(match: (key: string, entry: L1Entry) => boolean): number {
    const doomed: string[] = [];
    for (const [k, e] of this.#lru.entries()) if (match(k, e)) doomed.push(k);
    for (const k of doomed) this.#lru.delete(k);
    return doomed.length;
  }
}
