/**
 * The load path of `getOrSet` after an L1 miss (or an eager refresh), top-down:
 *
 * 1. {@link LoadPath.getOrLoad}: in-process single-flight — callers of one key share one load;
 * 2. `#load`: the key's L2 entry (read-path.ts) — a hit is promoted and returned; else a running
 *    load of the key is joined, or a new one started: the lease lock (distributed
 *    single-flight, lease-lock.ts) or a wait for its holder, then the loader, then the write
 *    (write-path.ts), as one piece of work that finishes and stores its result even past the
 *    callers' timeouts;
 * 3. {@link LoadPath.awaitLoad}: the caller waits with the soft/hard timeouts and fail-safe — a
 *    stale value answers on failure or timeout, unless its key was invalidated since the load
 *    began (coherence.ts).
 *
 * `getOrSetMany` takes the same steps for many keys with one loader call (bulk-load.ts).
 */
import { CacheTimeoutError, LoaderError } from '../errors';
import type { CacheBase } from './cache-core';
import { freezeValue, fromDecoded, fromL1, type Candidate } from './candidate';
import { now as coarseNow, stamp } from './clock';
import type { Coherence } from './coherence';
import type { DecodedEntry } from './envelope';
import { L1Entry } from './l1';
import type { LeaseLock, LeaseResult } from './lease-lock';
import type { L2Calls } from './l2-calls';
import type { ReadPath } from './read-path';
import type { View } from './view';
import type { Resolved } from './resolve-options';
import type { SingleFlight } from './single-flight';
import { channels } from './stats';
import { withTimeout } from './timeouts';
import type { WritePath } from './write-path';

/** Loader of getOrSet. */
export type Loader<V> = (key: string) => V | undefined | Promise<V | undefined>;


export class LoadPath {
  readonly #base: CacheBase;
  readonly #coh: Coherence;
  readonly #reads: ReadPath;
  readonly #writes: WritePath;
  readonly #l2: L2Calls;
  readonly #lock: LeaseLock | undefined;
  /** Callers waiting for a key: one single-flight slot per key. */
  readonly flights: SingleFlight<unknown>;
  /**
   * L1 key → its load (lock wait, loader, store) while it runs, also past the timeouts of the
   * callers that started it: a caller that comes after a timeout joins it rather than run the
   * loader again. Dropped when the key is invalidated (a later caller must not get a value
   * loaded before the change).
   */
  readonly loads: Map<string, Promise<Candidate>>;

  constructor(base: CacheBase, coh: Coherence, reads: ReadPath, writes: WritePath, l2: L2Calls, lock: LeaseLock | undefined, flights: SingleFlight<unknown>, loads: Map<string, Promise<Candidate>>) {
    this.#base = base;
    this.#coh = coh;
    this.#reads = reads;
    this.#writes = writes;
    this.#l2 = l2;
    this.#lock = lock;
    this.flights = flights;
    this.loads = loads;
  }

  /** Whether loads with `o` take the lease lock. */
  locks(o: Resolved): boolean {
    return this.#lock !== undefined && o.lock;
  }

  /** getOrSet after L1 missed (or eager refresh): single-flight around {@link #load}. */
  getOrLoad<V>(view: View, key: string, lk: string, loader: Loader<V>, o: Resolved, l1e: L1Entry | undefined): Promise<unknown> {
    const pending = this.flights.peek(lk);
    if (pending !== undefined) return pending;
    const slot = this.flights.claim(lk);
    this.#load(view, key, lk, loader, o, l1e).then(slot.resolve, slot.reject);
    return slot.promise;
  }

  /**
   * Starts a background reload unless one is in flight (eager refresh). It is a load of
   * {@link loads}, not a caller: callers that miss L1 while it runs join it with their own
   * timeouts (a hung loader never holds them, nor a single-flight slot, forever).
   */
  refreshInBackground<V>(view: View, key: string, lk: string, loader: Loader<V>, o: Resolved): void {
    if (this.flights.peek(lk) !== undefined || this.loads.has(lk)) return;
    const start = this.#coh.begin();
    const work = this.#loadAndStore(view, key, lk, loader, o, start);
    this.#trackLoad(lk, work, start);
  }

  async #load<V>(view: View, key: string, lk: string, loader: Loader<V>, o: Resolved, l1e: L1Entry | undefined): Promise<unknown> {
    const coh = this.#coh;
    const counters = this.#base.counters;
    const start = coh.begin();
    try {
      let now = coarseNow();
      let stale: Candidate | undefined = l1e !== undefined && now < l1e.staleUntil ? fromL1(l1e) : undefined;
      const d = await new Promise<DecodedEntry | null | undefined>((resolve) => this.#reads.readEntry(view, lk, resolve));
      now = coarseNow();
      if (d !== undefined && d !== null) {
        const c = fromDecoded(d);
        if (now < d.expiresAt) {
          counters.l2Hits++;
          if (channels.hit.hasSubscribers) channels.hit.publish({ cache: this.#base.name, key: lk, level: 'l2' });
          coh.fillL1(lk, c, o.l1TtlMs, now, start);
          return c.negative ? undefined : c.value;
        }
        if (now < c.staleUntil && (stale === undefined || c.createdAt > stale.createdAt)) stale = c;
      }
      if (d !== undefined) counters.l2Misses++;
      if (channels.miss.hasSubscribers) channels.miss.publish({ cache: this.#base.name, key: lk });

      // A load of this key still running past its callers' timeouts: join it.
      const running = this.loads.get(lk);
      if (running !== undefined) return await this.awaitLoad(running, lk, o, stale, start);
      // Lock wait (if any) and load run as one piece of work, so the soft/hard timeouts and
      // fail-safe cover waiting for another process's load too.
      const work = (async (): Promise<Candidate> => {
        let release: (() => void) | undefined;
        if (this.locks(o)) {
          const r = await this.lockOrWait(view, lk, o, start);
          if (r.hit !== undefined) return r.hit;
          release = r.release;
        }
        try {
          return await this.#loadAndStore(view, key, lk, loader, o, start);
        } finally {
          release?.();
        }
      })();
      // The epoch window lasts until the load is stored, even past a timeout, and until this
      // caller is answered (a stale answer is checked against it).
      coh.retain(start);
      this.#trackLoad(lk, work, start);
      return await this.awaitLoad(work, lk, o, stale, start);
    } finally {
      coh.end(start);
    }
  }

  /** Registers a running load of `lk` (epoch `start`, already begun) until it settles. */
  #trackLoad(lk: string, work: Promise<Candidate>, start: number): void {
    this.loads.set(lk, work);
    void work.then(
      () => {},
      () => {},
    ).finally(() => {
      if (this.loads.get(lk) === work) this.loads.delete(lk);
      this.#coh.end(start);
    });
  }

  /** Runs the loader and stores its result (unless superseded). Resolves with the candidate. */
  async #loadAndStore<V>(view: View, key: string, lk: string, loader: Loader<V>, o: Resolved, start: number): Promise<Candidate> {
    const t0 = performance.now();
    const createdAt = stamp();
    this.#base.counters.loaderCalls++;
    let value: V | undefined;
    try {
      value = await loader(key);
    } catch (err) {
      this.#base.counters.loaderErrors++;
      this.loadDone(lk, t0, err);
      throw err;
    }
    this.loadDone(lk, t0, undefined);
    const negative = value === undefined;
    const c = this.#writes.makeCandidate(value, negative, o, createdAt);
    if (!negative || o.negativeCache) await this.#writes.write(view, [{ lk, c }], o, start);
    return c;
  }

  /** Counts (and reports) a loader call that began at `t0` (`error`: how it failed). */
  loadDone(lk: string, t0: number, error: unknown): void {
    const counters = this.#base.counters;
    const ms = performance.now() - t0;
    counters.loaderTotalMs += ms;
    if (ms > counters.loaderMaxMs) counters.loaderMaxMs = ms;
    if (channels.load.hasSubscribers) channels.load.publish({ cache: this.#base.name, key: lk, durationMs: ms, error });
    if (error !== undefined) this.#base.events.emitEvent('loader:error', { key: lk, error });
  }

  /** Waits for a load with the soft/hard timeouts and fail-safe (`start`: the load's epoch). */
  async awaitLoad(work: Promise<Candidate>, lk: string, o: Resolved, stale: Candidate | undefined, start: number): Promise<unknown> {
    let p = work;
    let timedOut: 'soft' | 'hard' | undefined;
    const soft = stale !== undefined && o.softTimeoutMs > 0;
    const ms = soft ? o.softTimeoutMs : o.hardTimeoutMs;
    if (ms > 0) {
      p = withTimeout(work, ms, () => {
        timedOut = soft ? 'soft' : 'hard';
        return new CacheTimeoutError(`Loader for key '${lk}' exceeded its ${timedOut} timeout of ${ms} ms`, { key: lk, timeoutMs: ms });
      });
    }
    try {
      const c = await p;
      return c.negative ? undefined : c.value;
    } catch (err) {
      if (timedOut === 'hard') this.#base.counters.loaderTimeouts++;
      if (stale !== undefined && this.servable(lk, stale, coarseNow(), start)) return this.serveStale(lk, stale, o);
      if (timedOut === 'soft') {
        // The soft limit passed but the stale value expired (or was invalidated) meanwhile:
        // keep waiting, up to the hard limit if there is one.
        if (o.hardTimeoutMs === 0) return this.awaitLoad(work, lk, { ...o, softTimeoutMs: 0 }, undefined, start);
        if (o.hardTimeoutMs > o.softTimeoutMs) return this.awaitLoad(work, lk, { ...o, softTimeoutMs: 0, hardTimeoutMs: o.hardTimeoutMs - o.softTimeoutMs }, undefined, start);
        this.#base.counters.loaderTimeouts++;
      }
      if (err instanceof CacheTimeoutError) throw err;
      throw new LoaderError(`Loader for key '${lk}' failed: ${(err as Error)?.message ?? String(err)}`, { cause: err, key: lk });
    }
  }

  /**
   * Whether a stale candidate may answer for `lk` now: within its grace period, and the key was
   * not invalidated since the read or load of epoch `start` began (a value from before a
   * delete, clear, tag deletion or newer write must not come back; clears and tag deletions
   * are broad invalidations).
   */
  servable(lk: string, stale: Candidate, now: number, start: number): boolean {
    return now < stale.staleUntil && this.#coh.valid(lk, start);
  }

  /** Fail-safe: returns the stale value (frozen with `freeze`) and keeps it in L1 for the throttle period. */
  serveStale(lk: string, stale: Candidate, o: Resolved): unknown {
    this.#reads.countStale(lk);
    const now = coarseNow();
    const l1 = this.#base.l1;
    const value = stale.negative ? undefined : freezeValue(stale.value, this.#base.freeze);
    const keepMs = this.#coh.l1Ms(o.failSafeThrottleMs);
    if (l1 !== undefined && keepMs > 0) {
      const until = Math.min(stale.staleUntil, now + keepMs);
      l1.set(lk, new L1Entry(value, stale.negative, until, stale.expiresAt, stale.staleUntil, stale.createdAt, stale.tags, stale.size || 1));
    }
    return value;
  }

  /**
   * Distributed single-flight: takes `lk`'s lease, or waits for its holder to store the value
   * (polling L2; a fresh entry found is promoted into L1). `onFirst` learns at once whether the
   * first attempt took the lease (or could not ask Redis).
   */
  async lockOrWait(view: View, lk: string, o: Resolved, start: number, onFirst?: (own: boolean) => void): Promise<LeaseResult<Candidate>> {
    const counters = this.#base.counters;
    const readFresh = async (): Promise<Candidate | undefined> => {
      const got = await this.#reads.readL2(view, [lk]);
      const d = got?.[0];
      const now = coarseNow();
      if (d === undefined || d === null || now >= d.expiresAt) return undefined;
      const c = fromDecoded(d);
      counters.l2Hits++;
      this.#coh.fillL1(lk, c, o.l1TtlMs, now, start);
      return c;
    };
    const l2 = this.#l2;
    const r = await this.#lock!.acquireOrWait(`${this.#base.prefix}__rc:lock:${lk}`, lk, readFresh, (fn, key) => l2.call(fn, key), onFirst);
    if (r.outcome === 'acquired') counters.lockAcquired++;
    else if (r.outcome === 'waited') counters.lockWaited++;
    else if (r.outcome === 'timeout') counters.lockTimeouts++;
    return r;
  }
}
