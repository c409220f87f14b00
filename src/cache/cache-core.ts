/**
 * The engine room of {@link TieredCache}: levels, single-flight, fail-safe, lock, bus and the
 * per-key epochs that keep L1 coherent. Shared by a cache and all its namespace views; the
 * public class validates arguments and maps keys, this one does the work.
 *
 * Coherence rule (closes bentocache's hole (a)): every invalidation of a key — a local
 * set/delete or a bus message — bumps a global sequence number and records it for that key while
 * any L2 read or load is in flight. A read or load remembers the sequence number at its start and
 * may put its result into L1 (or L2, for a load) only if the key was not invalidated since.
 * Broad invalidations (namespace clear, tags, bus loss or gap) block every older read. The same
 * check guards fail-safe: a stale value answers only if its key was not invalidated since the
 * read or load began. An invalidation also detaches the key's in-flight loads, so a later caller
 * never joins a load that began before it. The per-key table keeps only what an open read can
 * still need, and is bounded (see {@link MAX_KEY_EPOCHS}).
 */
import { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { CacheTimeoutError, CacheWriteError, CircuitOpenError, LoaderError } from '../errors';
import type { KeyValueStore, StoreValue } from '../routing/store';
import { describe } from '../validate';
import { Bus, type BusMessage } from './bus';
import { CircuitBreaker, type CircuitState } from './circuit-breaker';
import { decodeEntries, decodeEntry, encodeEntry, KIND_NEGATIVE, type DecodedEntry } from './envelope';
import { isIoredis, rawClientOf, toStore } from './l2-source';
import { RedisStore } from '../routing/redis-store';
import { L1, L1Entry } from './l1';
import { Markers } from './markers';
import { lagGuardedReads, type ReplicaLagGuard } from './replica-lag';
import { LeaseLock } from './lease-lock';
import { DEFAULT_BUS_OPTIONS, DEFAULT_LOCK_OPTIONS, DEFAULT_TIERED_CACHE_OPTIONS, type BusOptions, type CacheEntryOptions, type LockOptions, type TieredCacheOptions } from './options';
import { checkBool, checkDelay, checkFlagOrObject, checkInt, checkNum, checkString, resolveEntry, stripUndefined, type Resolved } from './resolve-options';
import { jsonSerializer, type Serializer } from './serializer';
import { SingleFlight, type FlightSlot } from './single-flight';
import { channels, newCounters, type Counters, type TieredCacheStats } from './stats';
import { now as coarseNow, stamp } from './clock';
import { DeadlineQueue, withTimeout, type QueuedDeadline } from './timeouts';


/** A namespace view: its path, its L1/L2 key prefix and the markers its entries are checked against. */
export interface View {
  /** '' for the root, else `a` or `a:b`: the namespace names, escaped (see tiered-cache.ts), joined. */
  readonly ns: string;
  /** The namespace names, unescaped. */
  readonly segments: readonly string[];
  /** '' for the root, else `@a@` or `@a:b@`. */
  readonly keyPrefix: string;
  /** Marker names of the root and of every level of `ns` (`n:`, `n:a`, `n:a:b`). */
  readonly markers: readonly string[];
}

/** A value a loader produced or a stale candidate. */
interface Candidate {
  value: unknown;
  negative: boolean;
  createdAt: number;
  expiresAt: number;
  staleUntil: number;
  tags: readonly string[] | undefined;
  size: number;
}

/** Loader of getOrSet. */
export type Loader<V> = (key: string) => V | undefined | Promise<V | undefined>;
/** Bulk loader of getOrSetMany: values aligned with `keys`, or a Map by key. */
export type BulkLoader<V> = (keys: string[]) => Promise<readonly (V | undefined)[] | ReadonlyMap<string, V | undefined>> | readonly (V | undefined)[] | ReadonlyMap<string, V | undefined>;



export { stamp };

/** How long after writing a loaded value an invalidation of that key triggers a repair DEL. */
const LOAD_REPAIR_WINDOW_MS = 2000;
const LOAD_REPAIR_MAX_KEYS = 10_000;
/** Most per-key invalidation epochs kept while reads are in flight (then one broad invalidation). */
const MAX_KEY_EPOCHS = 10_000;
/** Keys per coalesced MGET of get()s when options.batchGets is not given (one Redis endpoint). */
const DEFAULT_BATCH_GETS = 256;

function jittered(ttlMs: number, jitter: number): number {
  if (jitter <= 0 || !Number.isFinite(ttlMs)) return ttlMs;
  return Math.max(1, Math.round(ttlMs * (1 - jitter * Math.random())));
}

export class CacheCore extends EventEmitter {
  readonly name: string;
  readonly prefix: string;
  readonly l1: L1 | undefined;
  readonly store: KeyValueStore | undefined;
  readonly serializer: Serializer;
  readonly freeze: boolean;
  readonly defaults: Resolved;
  readonly counters: Counters = newCounters();
  readonly flights = new SingleFlight<unknown>();
  /** L2 reads (hot path): the store's, or straight to a plain ioredis `Redis` you gave as L2. */
  readonly #getBuffer: (key: string) => Promise<Buffer | null>;
  readonly #mgetBuffer: (keys: string[]) => Promise<(Buffer | null)[]>;
  /** L2 reads from replicas: recently invalidated keys are read from the master (replica-lag.ts). */
  readonly #lag: ReplicaLagGuard | undefined;
  readonly #l2TimeoutMs: number;
  /** options.batchGets: most keys per coalesced MGET, 0 = one GET per get(). */
  readonly #batchMax: number;
  /** get()s waiting for this turn's coalesced MGET (see {@link getOne}). */
  #gets: GetBatch | undefined;
  /** Explicit writes reject (and roll back L1) when L2 fails: see TieredCacheOptions.l2WriteFailure. */
  readonly #throwOnWriteFailure: boolean;
  /** options.markerTtlMs, or undefined to derive it from {@link #longestLifetimeMs}. */
  readonly #markerTtlMs: number | undefined;
  /** Longest lifetime (TTL + grace) of an entry this instance made or would make by default. */
  #longestLifetimeMs = 0;
  /** Deadlines of in-flight L2 calls (all `l2TimeoutMs` long). */
  readonly #deadlines: DeadlineQueue;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #bus: Bus | undefined;
  readonly #lock: LeaseLock | undefined;
  /** False while a configured bus is not subscribed: L1 is then neither read (it is empty) nor filled. */
  #trusted: boolean;
  /** While untrusted, L1 may still hold entries for at most this long (0: not at all). */
  readonly #degradedL1Ms: number;
  #closed = false;

  // Epochs (see the file comment).
  #seq = 0;
  #broadSeq = 0;
  /** The newest epoch a read or load began in. */
  #lastBegin = -1;
  /** Epoch → reads/loads that began in it and are still in flight (ascending: epochs only grow). */
  readonly #open = new Map<number, number>();
  /** Key → epoch of its last invalidation, kept in ascending epoch order (see {@link #end}). */
  readonly #keySeq = new Map<string, number>();
  /**
   * L1 key → its load (lock wait, loader, store) while it runs, also past the timeouts of the
   * callers that started it: a caller that comes after a timeout joins it rather than run the
   * loader again. Dropped when the key is invalidated (a later caller must not get a value
   * loaded before the change).
   */
  readonly #loads = new Map<string, Promise<Candidate>>();
  /** L1 key → when this instance last wrote a loaded value for it to L2 (bus only; see #repairLoadWrites). */
  readonly #loadWrites = new Map<string, number>();
  readonly #markers: Markers;

  constructor(options: TieredCacheOptions) {
    super();
    const d = DEFAULT_TIERED_CACHE_OPTIONS;
    const o = { ...d, ...stripUndefined(options) };
    this.name = checkString(o.name, 'options.name');
    this.prefix = checkString(o.prefix, 'options.prefix');
    this.serializer = o.serializer ?? jsonSerializer;
    if (typeof this.serializer?.serialize !== 'function' || typeof this.serializer?.deserialize !== 'function') {
      throw new TypeError(`Expected { serialize, deserialize } for options.serializer but received ${describe(o.serializer)}`);
    }
    this.freeze = checkBool(o.freeze, 'options.freeze');
    this.#l2TimeoutMs = checkNum(o.l2TimeoutMs, 'options.l2TimeoutMs', 0);
    this.#deadlines = new DeadlineQueue(this.#l2TimeoutMs);
    if (o.l2WriteFailure !== 'throw' && o.l2WriteFailure !== 'ignore') {
      throw new TypeError(`Expected 'throw' or 'ignore' for options.l2WriteFailure but received ${describe(o.l2WriteFailure)}`);
    }
    this.#throwOnWriteFailure = o.l2WriteFailure === 'throw';
    this.#markerTtlMs = o.markerTtlMs === undefined ? undefined : checkNum(o.markerTtlMs, 'options.markerTtlMs', 1);
    this.#markers = new Markers(this.prefix, checkNum(o.markerCacheMs, 'options.markerCacheMs', 0), (name, at) => this.#onNewerMarker(name, at));

    let l1TtlMs: number = d.l1.ttlMs;
    if (o.l1 !== false) {
      if (typeof o.l1 !== 'object' || o.l1 === null) throw new TypeError(`Expected an object or false for options.l1 but received ${describe(o.l1)}`);
      const l1o = { ...d.l1, ...stripUndefined(o.l1) };
      const maxEntries = l1o.maxEntries === undefined ? undefined : checkInt(l1o.maxEntries, 'options.l1.maxEntries', 1);
      const maxBytes = l1o.maxBytes === undefined ? undefined : checkInt(l1o.maxBytes, 'options.l1.maxBytes', 1);
      if (maxEntries === undefined && maxBytes === undefined) throw new TypeError('Expected options.l1.maxEntries or options.l1.maxBytes to bound L1 but received neither');
      l1TtlMs = checkNum(l1o.ttlMs, 'options.l1.ttlMs', 1);
      this.l1 = new L1({ maxEntries, maxBytes });
    }
    this.defaults = Object.freeze(
      resolveEntry(
        {
          ttlMs: o.ttlMs,
          l1TtlMs,
          jitter: o.jitter,
          graceMs: o.graceMs,
          negativeCache: o.negativeCache,
          negativeTtlMs: o.negativeTtlMs,
          softTimeoutMs: o.softTimeoutMs,
          hardTimeoutMs: o.hardTimeoutMs,
          eagerRefreshThreshold: o.eagerRefreshThreshold,
          failSafeThrottleMs: o.failSafeThrottleMs,
          tags: undefined,
          lock: o.lock !== false,
        },
        undefined,
        'options',
      ),
    );
    this.#longestLifetimeMs = Math.max(this.defaults.ttlMs + this.defaults.graceMs, this.defaults.negativeTtlMs);

    const l2 = o.l2 === false || o.l2 === undefined ? undefined : o.l2;
    this.store = l2 === undefined ? undefined : toStore(l2);
    const store = this.store;
    // Batched get()s by default on one Redis endpoint only: on a partitioned L2 one batch spans
    // nodes, and one slow or failing node would delay or fail the reads of keys on healthy ones.
    const plainRedis = isIoredis(l2) && (l2 as Cluster).isCluster !== true;
    const singleEndpoint = plainRedis || store instanceof RedisStore;
    this.#batchMax =
      o.batchGets === false ? 0 : o.batchGets === undefined ? (singleEndpoint ? DEFAULT_BATCH_GETS : 0) : checkInt(o.batchGets, 'options.batchGets', 1, undefined, true);
    if (plainRedis) {
      // The RedisStore wrapper adds two async layers per call; reads skip them (their errors are
      // caught and counted here anyway). Writes go through the store.
      const redis = l2 as Redis;
      this.#getBuffer = (k) => redis.getBuffer(k);
      this.#mgetBuffer = (ks) => (ks.length === 0 ? Promise.resolve([]) : redis.mgetBuffer(ks));
    } else {
      this.#getBuffer = (k) => store!.getBuffer(k);
      this.#mgetBuffer = (ks) => store!.mgetBuffer(ks);
      const lag = lagGuardedReads(store, checkNum(o.replicaLagMs, 'options.replicaLagMs', 0), coarseNow);
      if (lag !== undefined) ({ guard: this.#lag, getBuffer: this.#getBuffer, mgetBuffer: this.#mgetBuffer } = lag);
    }
    if (o.circuitBreaker !== false && (typeof o.circuitBreaker !== 'object' || o.circuitBreaker === null)) {
      throw new TypeError(`Expected an object or false for options.circuitBreaker but received ${describe(o.circuitBreaker)}`);
    }
    if (o.circuitBreaker !== false && this.store !== undefined) {
      const cb = { ...d.circuitBreaker, ...stripUndefined(o.circuitBreaker) };
      checkInt(cb.failureThreshold, 'options.circuitBreaker.failureThreshold', 1);
      checkNum(cb.breakDurationMs, 'options.circuitBreaker.breakDurationMs', 0);
      this.#breaker = new CircuitBreaker(cb, (state) => this.#emit('circuit:change', { state }));
    }

    const lock = checkFlagOrObject<LockOptions>(o.lock, 'options.lock');
    if (lock !== false) {
      const lo: LockOptions = { ...DEFAULT_LOCK_OPTIONS, ...(lock === true ? {} : stripUndefined(lock)) };
      const client = lo.client ?? rawClientOf(l2);
      if (!isIoredis(client)) throw new TypeError('Expected options.lock.client, or an L2 that is (or wraps) an ioredis client, for options.lock');
      this.#lock = new LeaseLock(client, {
        leaseMs: checkInt(lo.leaseMs, 'options.lock.leaseMs', 1),
        waitMs: checkNum(lo.waitMs, 'options.lock.waitMs', 0),
        pollMs: checkDelay(lo.pollMs, 'options.lock.pollMs', 1),
      });
    }

    this.#trusted = true;
    let degraded = 0;
    const bus = checkFlagOrObject<BusOptions>(o.bus, 'options.bus');
    if (bus !== false) {
      const bo = bus === true ? {} : bus;
      degraded = checkNum(bo.degradedL1TtlMs ?? DEFAULT_BUS_OPTIONS.degradedL1TtlMs, 'options.bus.degradedL1TtlMs', 0);
      const client = bo.client ?? rawClientOf(l2);
      if (!isIoredis(client)) throw new TypeError('Expected options.bus.client, or an L2 that is (or wraps) an ioredis client, for options.bus');
      // Under the prefix, so an ACL user limited to `~prefix* &prefix*` needs no other rule.
      const channel = bo.channel ?? `${this.prefix}__rc:bus`;
      this.#trusted = false;
      this.#bus = new Bus(client, checkString(channel, 'options.bus.channel'), checkBool(bo.sharded ?? DEFAULT_BUS_OPTIONS.sharded, 'options.bus.sharded'), {
        onMessage: (m) => this.#onBusMessage(m),
        onLost: (reason) => {
          this.#trusted = false;
          this.#flushL1();
          this.#emit('bus:lost', { reason });
          if (channels.bus.hasSubscribers) channels.bus.publish({ cache: this.name, reason: 'lost' });
        },
        onRestored: (first) => {
          this.#flushL1();
          this.#trusted = true;
          this.#emit('bus:restored', { first });
          if (channels.bus.hasSubscribers) channels.bus.publish({ cache: this.name, reason: 'restored' });
        },
        onDenied: (error) => this.#emit('bus:error', { error }),
        onGap: (publisher, expected, got) => {
          this.#flushL1();
          this.#emit('bus:gap', { publisher, expected, got });
          if (channels.bus.hasSubscribers) channels.bus.publish({ cache: this.name, reason: 'gap' });
        },
      });
    }
    this.#degradedL1Ms = degraded;
  }

  /** Resolves when the bus (if any) is subscribed. */
  ready(): Promise<void> {
    return this.#bus?.ready() ?? Promise.resolve();
  }

  get busConnected(): boolean {
    return this.#bus?.connected ?? false;
  }

  get circuitState(): CircuitState | 'none' {
    return this.#breaker?.state ?? 'none';
  }

  stats(): TieredCacheStats {
    const c = this.counters;
    const b = this.#bus?.stats;
    return {
      l1: { hits: c.l1Hits, misses: c.l1Misses, evictions: this.l1?.evictions ?? 0, size: this.l1?.size ?? 0, bytes: this.l1?.bytes ?? 0 },
      l2: { hits: c.l2Hits, misses: c.l2Misses, errors: c.l2Errors, timeouts: c.l2Timeouts, skipped: c.l2Skipped, writes: c.l2Writes },
      loader: { calls: c.loaderCalls, errors: c.loaderErrors, timeouts: c.loaderTimeouts, totalMs: c.loaderTotalMs, maxMs: c.loaderMaxMs },
      staleServed: c.staleServed,
      supersededWrites: c.supersededWrites,
      repairs: c.repairs,
      lock: { acquired: c.lockAcquired, waited: c.lockWaited, timeouts: c.lockTimeouts },
      bus: {
        published: b?.published ?? 0,
        publishErrors: b?.publishErrors ?? 0,
        received: b?.received ?? 0,
        gaps: b?.gaps ?? 0,
        lost: b?.lost ?? 0,
        restored: b?.restored ?? 0,
        flushes: c.flushes,
      },
      circuit: this.circuitState,
      tracked: { inflight: this.#inflightCount(), keyEpochs: this.#keySeq.size, markers: this.#markers.size, flights: this.flights.size, loads: this.#loads.size, loadWrites: this.#loadWrites.size },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#bus?.close();
  }

  resolve(opts: CacheEntryOptions | undefined): Resolved {
    return opts === undefined ? this.defaults : resolveEntry(opts, this.defaults, 'options');
  }

  // ------------------------------------------------------------------------------------------
  // Epochs

  /** Reads and loads in flight (each holder of an open epoch). */
  #inflightCount(): number {
    let n = 0;
    for (const c of this.#open.values()) n += c;
    return n;
  }

  /** A read or load begins: returns its epoch (its `start`); pair with {@link #end}. */
  #begin(): number {
    const s = this.#seq;
    this.#open.set(s, (this.#open.get(s) ?? 0) + 1);
    this.#lastBegin = s;
    return s;
  }

  /** One more holder of an open epoch (a load running past its caller); pair with {@link #end}. */
  #retain(start: number): void {
    this.#open.set(start, this.#open.get(start)! + 1);
  }

  /**
   * A read or load of epoch `start` is done. A key's entry only blocks what began before it,
   * so the entries at or below the oldest epoch still open go (the table is in epoch order).
   */
  #end(start: number): void {
    const n = this.#open.get(start)!;
    if (n > 1) {
      this.#open.set(start, n - 1);
      return;
    }
    this.#open.delete(start);
    const oldest = this.#open.keys().next();
    if (oldest.done === true) {
      this.#keySeq.clear();
      return;
    }
    for (const [lk, s] of this.#keySeq) {
      if (s > oldest.value) break;
      this.#keySeq.delete(lk);
    }
  }

  #valid(lk: string, start: number): boolean {
    if (this.#broadSeq > start) return false;
    const k = this.#keySeq.get(lk);
    return k === undefined || k <= start;
  }

  /** A key changed (here or elsewhere): drop it from L1 and block older in-flight results. */
  invalidateKey(lk: string): void {
    this.#lag?.noteKey(this.prefix + lk, coarseNow());
    this.#seq++;
    // Only while something that began after the last broad invalidation is in flight (what
    // began before it is blocked anyway).
    if (this.#open.size > 0 && this.#lastBegin >= this.#broadSeq) {
      this.flights.forget(lk);
      this.#loads.delete(lk);
      this.#keySeq.delete(lk); // re-inserted at the end: the table stays in epoch order
      this.#keySeq.set(lk, this.#seq);
      // A load that never ends (a hung loader) keeps its epoch open: past the bound, block
      // every older read instead (they store nothing; callers still get their values).
      if (this.#keySeq.size > MAX_KEY_EPOCHS) this.#invalidateBroad();
    }
    this.l1?.delete(lk);
  }

  #invalidateBroad(): void {
    this.#lag?.noteAll(coarseNow());
    this.#seq++;
    this.#broadSeq = this.#seq;
    // Every key entry blocks only reads older than this: they are all blocked now.
    this.#keySeq.clear();
    this.flights.forgetAll();
    this.#loads.clear();
  }

  #flushL1(): void {
    this.#invalidateBroad();
    this.counters.flushes++;
    this.l1?.clear();
  }

  // ------------------------------------------------------------------------------------------
  // Entries

  #freezeValue(v: unknown): unknown {
    if (this.freeze && typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) Object.freeze(v);
    return v;
  }

  /** A new entry for `value` (negative when `negative`), created at `createdAt`. */
  makeCandidate(value: unknown, negative: boolean, o: Resolved, createdAt: number): Candidate {
    const ttl = jittered(negative ? o.negativeTtlMs : o.ttlMs, o.jitter);
    const expiresAt = createdAt + ttl;
    const grace = negative ? 0 : o.graceMs;
    if (ttl + grace > this.#longestLifetimeMs) this.#longestLifetimeMs = ttl + grace;
    return { value, negative, createdAt, expiresAt, staleUntil: expiresAt + grace, tags: o.tags, size: 0 };
  }

  #encode(c: Candidate): Buffer {
    const buf = encodeEntry(c.value, c.negative, c.createdAt, c.expiresAt, c.staleUntil - c.expiresAt, c.tags, this.serializer);
    c.size = buf.length;
    return buf;
  }

  /** Puts a candidate into L1 (if allowed) with the L1 TTL cap. */
  #toL1(lk: string, c: Candidate, l1TtlMs: number, now: number, start: number | undefined): void {
    const l1 = this.l1;
    if (l1 === undefined || (!this.#trusted && this.#degradedL1Ms === 0)) return;
    if (start !== undefined && !this.#valid(lk, start)) {
      this.counters.supersededWrites++;
      return;
    }
    if (c.size === 0 && l1.bytesBounded) c.size = estimateSize(c.value, this.serializer);
    // Bus down: nothing can invalidate this entry, so it lives at most degradedL1TtlMs (and the
    // whole L1 is flushed when the subscription is back).
    const freshUntil = Math.min(c.expiresAt, now + (this.#trusted ? l1TtlMs : Math.min(l1TtlMs, this.#degradedL1Ms)));
    l1.set(lk, new L1Entry(c.negative ? undefined : this.#freezeValue(c.value), c.negative, freshUntil, c.expiresAt, c.staleUntil, c.createdAt, c.tags, c.size));
  }

  /** Writes entries to L1 and L2 and publishes their invalidation. */
  async write(view: View, items: readonly { lk: string; c: Candidate }[], o: Resolved, start: number | undefined): Promise<void> {
    const now = coarseNow();
    const ok: { lk: string; c: Candidate; buf: Buffer | undefined }[] = [];
    for (const it of items) {
      if (start !== undefined && !this.#valid(it.lk, start)) {
        this.counters.supersededWrites++;
        continue;
      }
      ok.push({ lk: it.lk, c: it.c, buf: this.store !== undefined ? this.#encode(it.c) : undefined });
    }
    if (ok.length === 0) return;
    // A load's result: remember it for a while (see #repairLoadWrites).
    if (start !== undefined && this.#bus !== undefined) this.#noteLoadWrites(ok, now);
    // Our own write supersedes any read of these keys still in flight here.
    for (const it of ok) this.invalidateKey(it.lk);
    for (const it of ok) this.#toL1(it.lk, it.c, o.l1TtlMs, now, undefined);
    if (this.store !== undefined) {
      const store = this.store;
      // Entries of one batch share TTLs unless jitter/negatives differ: group by PX.
      const groups = new Map<number, [string, StoreValue][]>();
      for (const it of ok) {
        const px = Math.max(1, Math.ceil(it.c.staleUntil - now));
        const list = groups.get(px);
        const pair: [string, StoreValue] = [this.prefix + it.lk, it.buf!];
        if (list === undefined) groups.set(px, [pair]);
        else list.push(pair);
      }
      let failure: { err: unknown; lks: string[] } | undefined;
      const tasks: Promise<void>[] = [];
      for (const [px, pairs] of groups) {
        const finite = Number.isFinite(px) && px < 2 ** 47;
        tasks.push(
          this.#l2Call(() => (pairs.length === 1 ? store.set(pairs[0][0], pairs[0][1], finite ? px : undefined) : store.mset(pairs, finite ? px : undefined)), pairs[0][0]).then(
            () => {
              this.counters.l2Writes += pairs.length;
            },
            (err: unknown) => {
              // Loads never fail the read that stored them; explicit writes may (below).
              if (start === undefined && this.#throwOnWriteFailure) {
                failure ??= { err, lks: [] };
                for (const [k] of pairs) failure.lks.push((k as string).slice(this.prefix.length));
              }
            },
          ),
        );
      }
      await Promise.all(tasks);
      if (failure !== undefined) {
        // Roll L1 back: the value is not in L2, so no other instance can see it. Other
        // instances are still told (a timed-out SET may have landed after all).
        const f: { err: unknown; lks: string[] } = failure;
        for (const lk of f.lks) this.invalidateKey(lk);
        await this.publish({ t: 'k', n: view.ns, k: ok.map((it) => it.lk), w: 1 });
        throw this.#writeError('set', f.lks, f.err);
      }
    }
    await this.publish(start === undefined ? { t: 'k', n: view.ns, k: ok.map((it) => it.lk), w: 1 } : { t: 'k', n: view.ns, k: ok.map((it) => it.lk) });
  }

  #writeError(op: string, lks: readonly string[], cause: unknown): CacheWriteError {
    const what = lks.length === 1 ? `key '${lks[0]}'` : `${lks.length} keys ('${lks[0]}', …)`;
    return new CacheWriteError(`L2 ${op} failed for ${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause, key: lks[0], keys: lks });
  }

  /** Publishes on the bus (if any); bounded by l2TimeoutMs, never rejects (Bus counts failures). */
  async publish(msg: Omit<BusMessage, 'p' | 's'>): Promise<void> {
    if (this.#bus !== undefined) await this.#bus.publish(msg, this.#l2TimeoutMs);
  }

  /** Deletes keys everywhere. */
  async remove(view: View, lks: readonly string[]): Promise<void> {
    for (const lk of lks) this.invalidateKey(lk);
    if (this.store !== undefined && lks.length > 0) {
      const store = this.store;
      const full = lks.map((lk) => this.prefix + lk);
      let failed: { err: unknown } | undefined;
      await this.#l2Call(() => (full.length === 1 ? store.del(full[0]) : store.mdel(full)), full[0]).catch((err: unknown) => {
        if (this.#throwOnWriteFailure) failed = { err };
      });
      if (failed !== undefined) {
        await this.publish({ t: 'k', n: view.ns, k: [...lks], w: 1 });
        throw this.#writeError('delete', lks, failed.err);
      }
    }
    await this.publish({ t: 'k', n: view.ns, k: [...lks], w: 1 });
  }

  /** Clears a namespace path ('' = everything of this cache) on every instance. */
  async clearNamespace(ns: string): Promise<void> {
    const at = stamp();
    const name = `n:${ns}`;
    this.#markers.apply(name, at, coarseNow());
    const failed = await this.#setMarker(name, at);
    // Failed: L2 keeps the old marker, so everyone (this instance too) re-reads it rather than
    // trust this time; L1 entries it covers are dropped anyway (the SET may have landed).
    if (failed !== undefined) this.#markers.forget(name);
    await this.publish(failed === undefined ? { t: 'n', n: ns, at } : { t: 'n', n: ns, at, r: 1 });
    if (failed !== undefined) throw this.#writeError('clear', [`__rc:${name}`], failed.err);
  }

  async deleteByTags(tags: readonly string[]): Promise<void> {
    const at = stamp();
    const now = coarseNow();
    for (const t of tags) this.#markers.apply(`t:${t}`, at, now);
    const results = await Promise.all(tags.map((t) => this.#setMarker(`t:${t}`, at)));
    const failedTags = tags.filter((_t, i) => results[i] !== undefined);
    for (const t of failedTags) this.#markers.forget(`t:${t}`); // as in clearNamespace
    if (failedTags.length < tags.length) await this.publish({ t: 'g', k: tags.filter((_t, i) => results[i] === undefined), at });
    if (failedTags.length > 0) await this.publish({ t: 'g', k: failedTags, at, r: 1 });
    const failed = results.findIndex((r) => r !== undefined);
    if (failed >= 0) throw this.#writeError('deleteByTag', tags.filter((_t, i) => results[i] !== undefined).map((t) => `__rc:t:${t}`), results[failed]!.err);
  }

  /**
   * The PX of a marker: it must outlive every entry created before it (else that entry would
   * come back once the marker expired), so twice the longest lifetime known plus a minute.
   * Undefined: no expiry.
   */
  markerTtl(): number | undefined {
    const ms = this.#markerTtlMs ?? 2 * this.#longestLifetimeMs + 60_000;
    return Number.isFinite(ms) && ms < 2 ** 47 ? Math.ceil(ms) : undefined;
  }

  /** Writes a marker to L2; the failure (when writes throw) or undefined. */
  async #setMarker(name: string, at: number): Promise<{ err: unknown } | undefined> {
    const store = this.store;
    if (store === undefined) return undefined;
    const px = this.markerTtl();
    let failed: { err: unknown } | undefined;
    await this.#l2Call(() => store.set(this.#markers.key(name), String(at), px), name).catch((err: unknown) => {
      if (this.#throwOnWriteFailure) failed = { err };
    });
    return failed;
  }

  /** A marker got newer: drop the L1 entries it covers, block older in-flight reads. */
  #onNewerMarker(name: string, at: number): void {
    this.#invalidateBroad();
    const l1 = this.l1;
    if (l1 === undefined) return;
    if (name.startsWith('n:')) {
      const ns = name.slice(2);
      if (ns === '') l1.clear();
      else {
        // Its own keys (`@ns@…`) and its nested views' (`@ns:…`).
        const own = `@${ns}@`;
        const nested = `@${ns}:`;
        l1.deleteWhere((k, e) => (k.startsWith(own) || k.startsWith(nested)) && e.createdAt <= at);
      }
    } else {
      const tag = name.slice(2);
      l1.deleteWhere((_k, e) => e.tags !== undefined && e.tags.includes(tag) && e.createdAt <= at);
    }
  }

  /** A marker from the bus: its new time, or (`r`: its L2 write failed) drop what it covers and re-read it. */
  #applyMarker(name: string, m: BusMessage, now: number): void {
    if (m.r !== 1) {
      this.#markers.apply(name, m.at ?? now, now);
      return;
    }
    this.#onNewerMarker(name, m.at ?? now);
    this.#markers.forget(name);
  }

  #noteLoadWrites(items: readonly { lk: string }[], now: number): void {
    const m = this.#loadWrites;
    for (const it of items) {
      m.delete(it.lk); // re-insert at the end: the map stays in time order
      m.set(it.lk, now);
    }
    for (const [lk, t] of m) {
      if (now - t < LOAD_REPAIR_WINDOW_MS && m.size <= LOAD_REPAIR_MAX_KEYS) break;
      m.delete(lk);
    }
  }

  /**
   * The cross-process refill race: this instance loaded K (old data), passed its epoch check,
   * and its SET reached Redis after another instance's write/delete of K, whose invalidation
   * only arrives now. The epoch check cannot see that (the message came too late), so when an
   * invalidation arrives for a key this instance wrote from a load within the last
   * LOAD_REPAIR_WINDOW_MS, the key is deleted from L2 again ("delayed double delete"). The
   * DEL is ordered after our SET on the same connection; at worst it removes a fresh value,
   * which is then reloaded.
   */
  #repairLoadWrites(lks: readonly string[], now: number): void {
    const store = this.store;
    if (store === undefined || this.#loadWrites.size === 0) return;
    const doomed: string[] = [];
    for (const lk of lks) {
      const t = this.#loadWrites.get(lk);
      if (t !== undefined && now - t < LOAD_REPAIR_WINDOW_MS) {
        doomed.push(this.prefix + lk);
        this.#loadWrites.delete(lk);
      }
    }
    if (doomed.length === 0) return;
    this.counters.repairs += doomed.length;
    this.#l2Call(() => store.mdel(doomed), doomed[0]).catch(() => {});
  }

  #onBusMessage(m: BusMessage): void {
    if (channels.bus.hasSubscribers) channels.bus.publish({ cache: this.name, reason: 'message', message: m });
    const now = coarseNow();
    if (m.t !== 'k') this.#lag?.noteAll(now); // clear, tags, flush: markers and keys unknown, all from the master
    switch (m.t) {
      case 'k':
        if (Array.isArray(m.k)) {
          for (const lk of m.k) this.invalidateKey(lk);
          // Only explicit writes: two instances loading the same key at once is benign, and
          // repairing that would make them delete each other's loads forever.
          if (m.w === 1) this.#repairLoadWrites(m.k, now);
        }
        break;
      case 'n':
        this.#applyMarker(`n:${m.n ?? ''}`, m, now);
        break;
      case 'g':
        if (Array.isArray(m.k)) for (const t of m.k) this.#applyMarker(`t:${t}`, m, now);
        break;
      case 'a':
        this.#flushL1();
        break;
    }
  }

  // ------------------------------------------------------------------------------------------
  // L2 access

  /** Counts and reports a failed L2 call. */
  #l2Failed(err: unknown, key: string): void {
    this.#breaker?.failure();
    this.counters.l2Errors++;
    if (err instanceof CacheTimeoutError) this.counters.l2Timeouts++;
    if (channels.l2Error.hasSubscribers) channels.l2Error.publish({ cache: this.name, key, error: err });
    this.#emit('l2:error', { key, error: err });
  }

  /** Whether the circuit breaker lets an L2 call through now (counts a skip when not). */
  #l2Allowed(): boolean {
    if (this.#breaker === undefined || this.#breaker.allow()) return true;
    this.counters.l2Skipped++;
    return false;
  }

  #l2Timeout(key: string): CacheTimeoutError {
    const ms = this.#l2TimeoutMs;
    return new CacheTimeoutError(`L2 call for key '${key}' timed out after ${ms} ms`, { key, timeoutMs: ms });
  }

  /**
   * One L2 call through the circuit breaker and the hard timeout; failures are counted and
   * reported. One promise per call (this is the L2 hot path).
   */
  #l2Call<T>(fn: () => Promise<T>, key: string): Promise<T> {
    if (!this.#l2Allowed()) return Promise.reject(new CircuitOpenError(undefined, { key }));
    let p: Promise<T>;
    try {
      p = fn();
    } catch (err) {
      p = Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      const entry: QueuedDeadline = {
        settled: false,
        deadline: 0,
        expire: () => {
          this.#l2Failed(this.#l2Timeout(key), key);
          reject(this.#l2Timeout(key));
        },
      };
      if (this.#deadlines.enabled) this.#deadlines.add(entry);
      p.then(
        (v) => {
          if (entry.settled) return;
          entry.settled = true;
          this.#breaker?.success();
          resolve(v);
        },
        (err: unknown) => {
          if (entry.settled) return;
          entry.settled = true;
          this.#l2Failed(err, key);
          reject(err);
        },
      );
    });
  }

  /**
   * Reads entries from L2 (with whatever markers need refreshing in the same MGET, and a second
   * read for the markers of tags not known yet). `undefined` when L2 failed or is absent;
   * otherwise one entry or null per key (null: missing, foreign, or cleared by a marker).
   */
  async readL2(view: View, lks: readonly string[]): Promise<(DecodedEntry | null)[] | undefined> {
    const store = this.store;
    if (store === undefined) return undefined;
    const now = coarseNow();
    const stale = this.#markers.stale(view.markers, now);
    let raw: (Buffer | null)[];
    try {
      if (stale === undefined && lks.length === 1) {
        raw = [await this.#l2Call(() => this.#getBuffer(this.prefix + lks[0]), lks[0])];
      } else {
        const keys = this.prefix === '' && stale === undefined ? (lks as string[]) : lks.map((lk) => this.prefix + lk);
        if (stale !== undefined) for (const n of stale) keys.push(this.#markers.key(n));
        raw = await this.#l2Call(() => this.#mgetBuffer(keys), lks[0]);
        if (stale !== undefined) this.#markers.ingest(stale, raw, lks.length, coarseNow());
      }
    } catch {
      return undefined;
    }
    const decoded = decodeEntries(raw, lks.length, this.serializer, (i, err) => this.#emit('l2:error', { key: lks[i], error: err }));
    const out: (DecodedEntry | null)[] = new Array(lks.length);
    let tagNames: Set<string> | undefined;
    for (let i = 0; i < lks.length; i++) {
      const d = decoded[i];
      out[i] = d ?? null;
      if (d?.tags !== undefined) {
        for (const t of d.tags) {
          if (this.#markers.isStale(`t:${t}`, now)) (tagNames ??= new Set()).add(`t:${t}`);
        }
      }
    }
    if (tagNames !== undefined) {
      const names = [...tagNames];
      try {
        const tr = await this.#l2Call(() => this.#mgetBuffer(names.map((n) => this.#markers.key(n))), names[0]);
        this.#markers.ingest(names, tr, 0, coarseNow());
      } catch {
        // Unknown tag markers: a tagged entry cannot be proven valid, so it is a miss.
        for (let i = 0; i < out.length; i++) {
          const d = out[i];
          if (d?.tags?.some((t) => tagNames!.has(`t:${t}`) && !this.#markers.isKnown(`t:${t}`))) out[i] = null;
        }
      }
    }
    for (let i = 0; i < out.length; i++) {
      const d = out[i];
      if (d !== null && !this.#markers.passes(view.markers, d.createdAt, d.tags)) out[i] = null;
    }
    return out;
  }

  /** L1 entry → candidate (a stale value for fail-safe). */
  static fromL1(e: L1Entry): Candidate {
    return { value: e.value, negative: e.negative, createdAt: e.createdAt, expiresAt: e.expiresAt, staleUntil: e.staleUntil, tags: e.tags, size: e.size };
  }

  /** Decoded L2 entry → candidate. */
  static fromDecoded(d: DecodedEntry): Candidate {
    return {
      value: d.value,
      negative: d.kind === KIND_NEGATIVE,
      createdAt: d.createdAt,
      expiresAt: d.expiresAt,
      staleUntil: d.expiresAt + d.graceMs,
      tags: d.tags,
      size: d.size,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  /** getMany after L1 missed: one L2 batch, promotion, fail-safe from L1's stale entries. */
  async getFromL2(view: View, lks: readonly string[], stales: readonly (L1Entry | undefined)[], o: Resolved): Promise<unknown[]> {
    const start = this.#begin();
    try {
      const got = await this.readL2(view, lks);
      const out: unknown[] = new Array(lks.length);
      for (let i = 0; i < lks.length; i++) {
        out[i] = got === undefined ? this.#staleOrMiss(lks[i], stales[i], true) : this.#hitOrMiss(view, lks[i], got[i], stales[i], o, start);
      }
      return out;
    } finally {
      this.#end(start);
    }
  }

  /**
   * `get` after an L1 miss, one key: its entry read as {@link #readEntry} reads it, then a hit
   * (promoted into L1), a miss, or on an L2 failure the stale L1 value.
   */
  getOne(view: View, lk: string, stale: L1Entry | undefined, o: Resolved): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      this.#readEntry(view, lk, (d, start) => {
        try {
          resolve(d === undefined ? this.#staleOrMiss(lk, stale, true) : this.#hitOrMiss(view, lk, d, stale, o, start));
        } catch (err) {
          resolve(Promise.reject(err));
        }
      });
    });
  }

  /**
   * Reads one key's entry from L2 and calls `done(entry, start)`: the entry, null (missing,
   * foreign, or cleared by a marker), or undefined when L2 failed or was skipped; `start` is the
   * epoch the read began in. Hot path: when the namespace markers are known, the key joins
   * this turn's batch: the keys read while the current microtasks run go out as one MGET (up
   * to `batchGets` keys each; a batch of one is a GET), its reply decoded in one callback with
   * one JSON.parse for all values. Otherwise, or for a tagged entry whose tag markers need
   * reading, the general {@link readL2} path.
   */
  #readEntry(view: View, lk: string, done: EntryCallback): void {
    if (this.#markers.stale(view.markers, coarseNow()) !== undefined) {
      this.#readSlow(view, lk, done);
      return;
    }
    let b = this.#gets;
    if (b === undefined) {
      b = this.#gets = new GetBatch();
      // As DataLoader does: after every promise job queued so far has run (they may read too),
      // then at once (process.nextTick, before any I/O).
      Promise.resolve(b).then(this.#scheduleFlush);
    }
    b.lks.push(lk);
    b.views.push(view);
    b.dones.push(done);
    if (b.lks.length >= this.#batchMax) {
      this.#gets = undefined;
      this.#flushGets(b);
    }
  }

  /** {@link #readEntry} through {@link readL2} (markers to fetch first). */
  #readSlow(view: View, lk: string, done: EntryCallback): void {
    const start = this.#begin();
    this.readL2(view, [lk])
      .then(
        (got) => done(got === undefined ? undefined : got[0], start),
        () => done(undefined, start),
      )
      .finally(() => this.#end(start));
  }

  readonly #scheduleFlush = (b: GetBatch): void => {
    process.nextTick(this.#flushScheduled, b);
  };

  readonly #flushScheduled = (b: GetBatch): void => {
    if (this.#gets === b) this.#gets = undefined;
    if (b.lks.length > 0 && !b.sent) this.#flushGets(b);
  };

  /** Sends one batch of reads: a GET for one key, else one MGET. */
  #flushGets(b: GetBatch): void {
    b.sent = true;
    const n = b.lks.length;
    if (!this.#l2Allowed()) {
      this.counters.l2Skipped += n - 1;
      for (const done of b.dones) done(undefined, this.#seq);
      return;
    }
    const r = new BatchRead(b, this.#begin(), this);
    try {
      if (n === 1) this.#getBuffer(this.prefix + b.lks[0]).then(r.one, r.fail);
      else this.#mgetBuffer(this.prefix === '' ? b.lks : b.lks.map((lk) => this.prefix + lk)).then(r.ok, r.fail);
    } catch (err) {
      r.fail(err);
      return;
    }
    if (this.#deadlines.enabled && !r.settled) this.#deadlines.add(r);
  }

  /** A batch's reply (called by {@link BatchRead}): each read gets its own entry. */
  batchOk(r: BatchRead, raw: readonly (Buffer | null)[]): void {
    this.#breaker?.success();
    const { lks, views, dones } = r.batch;
    let i = 0;
    try {
      const decoded = decodeEntries(raw, lks.length, this.serializer, (j, err) => this.#emit('l2:error', { key: lks[j], error: err }));
      const now = coarseNow();
      for (; i < lks.length; i++) {
        const d = decoded[i];
        if (d?.tags !== undefined && this.#markers.stale(d.tags.map((t) => `t:${t}`), now) !== undefined) {
          // Tag markers to read first: the general path (rare: once per markerCacheMs per tag).
          this.#readSlow(views[i], lks[i], dones[i]);
        } else {
          dones[i](d !== undefined && this.#markers.passes(views[i].markers, d.createdAt, d.tags) ? d : null, r.start);
        }
      }
    } catch (err) {
      // Not expected (decoding errors are per entry): the reads left, this one included (its
      // callbacks settle promises, so a second call is harmless), are answered as failed.
      this.#emit('l2:error', { key: lks[i], error: err });
      for (; i < lks.length; i++) dones[i](undefined, r.start);
    } finally {
      this.#end(r.start);
    }
  }

  /** A batch's failure or timeout (called by {@link BatchRead}): every read gets undefined. */
  batchFail(r: BatchRead, err: unknown): void {
    this.#l2Failed(err, r.batch.lks[0]);
    this.#end(r.start);
    for (const done of r.batch.dones) done(undefined, r.start);
  }

  /** A timeout error for `key` (called by {@link BatchRead}). */
  l2TimeoutError(key: string): CacheTimeoutError {
    return this.#l2Timeout(key);
  }

  /** A read's outcome for one key: a fresh L2 entry is promoted and returned; else a miss. */
  #hitOrMiss(view: View, lk: string, d: DecodedEntry | null, stale: L1Entry | undefined, o: Resolved, start: number): unknown {
    const now = coarseNow();
    if (d !== null && now < d.expiresAt) {
      this.counters.l2Hits++;
      if (channels.hit.hasSubscribers) channels.hit.publish({ cache: this.name, key: lk, level: 'l2' });
      if (this.l1 !== undefined) this.#toL1(lk, CacheCore.fromDecoded(d), o.l1TtlMs, now, start);
      return d.kind === KIND_NEGATIVE ? undefined : d.value;
    }
    this.counters.l2Misses++;
    return this.#staleOrMiss(lk, stale, false);
  }

  /** After an L2 miss or failure: the L1 entry within its grace period (failure only), else undefined. */
  #staleOrMiss(lk: string, stale: L1Entry | undefined, failed: boolean): unknown {
    const now = coarseNow();
    if (failed && stale !== undefined && now < stale.staleUntil) {
      if (now >= stale.expiresAt) this.#countStale(lk);
      return stale.negative ? undefined : stale.value;
    }
    if (channels.miss.hasSubscribers) channels.miss.publish({ cache: this.name, key: lk });
    return undefined;
  }

  #countStale(lk: string): void {
    this.counters.staleServed++;
    if (channels.stale.hasSubscribers) channels.stale.publish({ cache: this.name, key: lk });
    this.#emit('stale:served', { key: lk });
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
   * {@link #loads}, not a caller: callers that miss L1 while it runs join it with their own
   * timeouts (a hung loader never holds them, nor a single-flight slot, forever).
   */
  refreshInBackground<V>(view: View, key: string, lk: string, loader: Loader<V>, o: Resolved): void {
    if (this.flights.peek(lk) !== undefined || this.#loads.has(lk)) return;
    const start = this.#begin();
    const work = this.#loadAndStore(view, key, lk, loader, o, start);
    this.#trackLoad(lk, work, start);
  }

  /** Registers a running load of `lk` (epoch `start`, already begun) until it settles. */
  #trackLoad(lk: string, work: Promise<Candidate>, start: number): void {
    this.#loads.set(lk, work);
    void work.then(
      () => {},
      () => {},
    ).finally(() => {
      if (this.#loads.get(lk) === work) this.#loads.delete(lk);
      this.#end(start);
    });
  }

  async #load<V>(view: View, key: string, lk: string, loader: Loader<V>, o: Resolved, l1e: L1Entry | undefined): Promise<unknown> {
    const start = this.#begin();
    try {
      let now = coarseNow();
      let stale: Candidate | undefined =
        l1e !== undefined && now < l1e.staleUntil
          ? CacheCore.fromL1(l1e)
          : undefined;
      const d = await new Promise<DecodedEntry | null | undefined>((resolve) => this.#readEntry(view, lk, resolve));
      now = coarseNow();
      if (d !== undefined && d !== null) {
        const c = CacheCore.fromDecoded(d);
        if (now < d.expiresAt) {
          this.counters.l2Hits++;
          if (channels.hit.hasSubscribers) channels.hit.publish({ cache: this.name, key: lk, level: 'l2' });
          this.#toL1(lk, c, o.l1TtlMs, now, start);
          return c.negative ? undefined : c.value;
        }
        if (now < c.staleUntil && (stale === undefined || c.createdAt > stale.createdAt)) stale = c;
      }
      if (d !== undefined) this.counters.l2Misses++;
      if (channels.miss.hasSubscribers) channels.miss.publish({ cache: this.name, key: lk });

      // A load of this key still running past its callers' timeouts: join it.
      const running = this.#loads.get(lk);
      if (running !== undefined) return await this.#awaitLoad(running, lk, o, stale, start);
      // Lock wait (if any) and load run as one piece of work, so the soft/hard timeouts and
      // fail-safe cover waiting for another process's load too.
      const work = (async (): Promise<Candidate> => {
        let release: (() => void) | undefined;
        if (this.#lock !== undefined && o.lock) {
          const r = await this.#lockOrWait(view, lk, o, start);
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
      this.#retain(start);
      this.#trackLoad(lk, work, start);
      return await this.#awaitLoad(work, lk, o, stale, start);
    } finally {
      this.#end(start);
    }
  }

  /** Runs the loader and stores its result (unless superseded). Resolves with the candidate. */
  async #loadAndStore<V>(view: View, key: string, lk: string, loader: Loader<V>, o: Resolved, start: number): Promise<Candidate> {
    const t0 = performance.now();
    const createdAt = stamp();
    this.counters.loaderCalls++;
    let value: V | undefined;
    try {
      value = await loader(key);
    } catch (err) {
      this.counters.loaderErrors++;
      this.#loadDone(lk, t0, err);
      throw err;
    }
    this.#loadDone(lk, t0, undefined);
    const negative = value === undefined;
    const c = this.makeCandidate(value, negative, o, createdAt);
    if (!negative || o.negativeCache) await this.write(view, [{ lk, c }], o, start);
    return c;
  }

  #loadDone(lk: string, t0: number, error: unknown): void {
    const ms = performance.now() - t0;
    this.counters.loaderTotalMs += ms;
    if (ms > this.counters.loaderMaxMs) this.counters.loaderMaxMs = ms;
    if (channels.load.hasSubscribers) channels.load.publish({ cache: this.name, key: lk, durationMs: ms, error });
    if (error !== undefined) this.#emit('loader:error', { key: lk, error });
  }

  /** Waits for a load with the soft/hard timeouts and fail-safe (`start`: the load's epoch). */
  async #awaitLoad(work: Promise<Candidate>, lk: string, o: Resolved, stale: Candidate | undefined, start: number): Promise<unknown> {
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
      if (timedOut === 'hard') this.counters.loaderTimeouts++;
      if (stale !== undefined && this.#servable(lk, stale, coarseNow(), start)) return this.#serveStale(lk, stale, o);
      if (timedOut === 'soft') {
        // The soft limit passed but the stale value expired (or was invalidated) meanwhile:
        // keep waiting, up to the hard limit if there is one.
        if (o.hardTimeoutMs === 0) return this.#awaitLoad(work, lk, { ...o, softTimeoutMs: 0 }, undefined, start);
        if (o.hardTimeoutMs > o.softTimeoutMs) return this.#awaitLoad(work, lk, { ...o, softTimeoutMs: 0, hardTimeoutMs: o.hardTimeoutMs - o.softTimeoutMs }, undefined, start);
        this.counters.loaderTimeouts++;
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
  #servable(lk: string, stale: Candidate, now: number, start: number): boolean {
    return now < stale.staleUntil && this.#valid(lk, start);
  }

  /** Fail-safe: returns the stale value (frozen with `freeze`) and keeps it in L1 for the throttle period. */
  #serveStale(lk: string, stale: Candidate, o: Resolved): unknown {
    this.#countStale(lk);
    const now = coarseNow();
    const l1 = this.l1;
    const value = stale.negative ? undefined : this.#freezeValue(stale.value);
    if (l1 !== undefined && (this.#trusted || this.#degradedL1Ms > 0) && o.failSafeThrottleMs > 0) {
      const until = Math.min(stale.staleUntil, now + (this.#trusted ? o.failSafeThrottleMs : Math.min(o.failSafeThrottleMs, this.#degradedL1Ms)));
      l1.set(lk, new L1Entry(value, stale.negative, until, stale.expiresAt, stale.staleUntil, stale.createdAt, stale.tags, stale.size || 1));
    }
    return value;
  }

  /**
   * getOrSetMany after L1: keys already in flight are joined; the others are claimed, read from
   * L2 in one batch, and the misses loaded with ONE bulk loader call.
   */
  async loadMany<V>(view: View, keys: readonly string[], lks: readonly string[], stales: readonly (L1Entry | undefined)[], need: readonly number[], loader: BulkLoader<V>, o: Resolved, out: unknown[]): Promise<void> {
    const joins: Promise<unknown>[] = [];
    const own: number[] = [];
    const slots = new Map<string, FlightSlot<unknown>>();
    const dups: [number, string][] = [];
    for (const i of need) {
      const lk = lks[i];
      if (slots.has(lk)) {
        dups.push([i, lk]);
        continue;
      }
      const p = this.flights.peek(lk);
      if (p !== undefined) {
        // Handled at once: the join is awaited only after our own load, and may fail first.
        const j = p.then((v) => (out[i] = v));
        j.catch(() => {});
        joins.push(j);
        continue;
      }
      slots.set(lk, this.flights.claim(lk));
      own.push(i);
    }
    if (own.length > 0) {
      const start = this.#begin();
      try {
        const got = await this.readL2(view, own.map((i) => lks[i]));
        let now = coarseNow();
        const toLoad: number[] = [];
        const staleOf = new Map<number, Candidate>();
        for (let j = 0; j < own.length; j++) {
          const i = own[j];
          const d = got?.[j];
          const c = d === undefined || d === null ? undefined : CacheCore.fromDecoded(d);
          if (c !== undefined && now < c.expiresAt) {
            this.counters.l2Hits++;
            this.#toL1(lks[i], c, o.l1TtlMs, now, start);
            out[i] = c.negative ? undefined : c.value;
            slots.get(lks[i])!.resolve(out[i]);
            continue;
          }
          if (d !== undefined) this.counters.l2Misses++;
          const s = stales[i];
          if (c !== undefined && now < c.staleUntil) staleOf.set(i, c);
          else if (s !== undefined && now < s.staleUntil) {
            staleOf.set(i, CacheCore.fromL1(s));
          }
          toLoad.push(i);
        }
        if (toLoad.length > 0) {
          // The load (lease waits included) runs as one piece of work that stores its results
          // itself, so it finishes in the background past a soft or hard timeout; the epoch
          // window stays open until then.
          this.#retain(start);
          const work = this.#bulkWork(view, keys, lks, toLoad, loader, o, start);
          void work.then(
            () => {},
            () => {},
          ).finally(() => this.#end(start));
          const hard = o.hardTimeoutMs;
          // Soft timeout: only when some key has a stale value to answer, and before the hard one.
          const softMs = o.softTimeoutMs > 0 && staleOf.size > 0 && (hard === 0 || o.softTimeoutMs < hard) ? o.softTimeoutMs : 0;
          let timedOut: 'soft' | 'hard' | undefined;
          const wait = (ms: number, kind: 'soft' | 'hard'): Promise<unknown[]> =>
            ms <= 0
              ? work
              : withTimeout(work, ms, () => {
                  timedOut = kind;
                  return new CacheTimeoutError(`Bulk loader for ${toLoad.length} keys exceeded its ${kind} timeout of ${kind === 'soft' ? o.softTimeoutMs : hard} ms`, {
                    key: keys[toLoad[0]],
                    timeoutMs: kind === 'soft' ? o.softTimeoutMs : hard,
                  });
                });
          // Keys still waiting for the load (the others were answered stale at the soft timeout).
          let pending = toLoad;
          let values: unknown[] | undefined;
          try {
            if (softMs > 0) {
              try {
                values = await wait(softMs, 'soft');
              } catch (err) {
                if (timedOut !== 'soft') throw err;
                timedOut = undefined;
                now = coarseNow();
                pending = [];
                for (const i of toLoad) {
                  const s = staleOf.get(i);
                  if (s !== undefined && this.#servable(lks[i], s, now, start)) {
                    out[i] = this.#serveStale(lks[i], s, o);
                    slots.get(lks[i])!.resolve(out[i]);
                  } else pending.push(i);
                }
                if (pending.length > 0) values = await wait(hard > 0 ? hard - softMs : 0, 'hard');
              }
            } else values = await wait(hard, 'hard');
          } catch (err) {
            if (timedOut === 'hard') this.counters.loaderTimeouts++;
            now = coarseNow();
            let unserved = 0;
            for (const i of pending) {
              const s = staleOf.get(i);
              if (s !== undefined && this.#servable(lks[i], s, now, start)) {
                out[i] = this.#serveStale(lks[i], s, o);
                slots.get(lks[i])!.resolve(out[i]);
              } else unserved++;
            }
            if (unserved > 0) {
              if (timedOut === 'hard') throw err;
              throw new LoaderError(`Bulk loader failed for ${toLoad.length} keys: ${(err as Error)?.message ?? String(err)}`, { cause: err, key: keys[toLoad[0]] });
            }
            values = undefined;
          }
          if (values !== undefined) {
            for (let j = 0; j < toLoad.length; j++) {
              const i = toLoad[j];
              out[i] = values[j]; // fresh, also for keys answered stale at the soft timeout
              slots.get(lks[i])!.resolve(out[i]);
            }
          }
        }
      } catch (err) {
        // Settled slots (hits, stale served) ignore this; the others fail with the batch.
        for (const slot of slots.values()) slot.reject(err);
        throw err;
      } finally {
        this.#end(start);
      }
    }
    await Promise.all(joins);
    for (const [i, lk] of dups) out[i] = out[lks.indexOf(lk)];
  }

  /**
   * The load of getOrSetMany's misses (positions `toLoad` of `keys`); resolves with their values
   * aligned with `toLoad`, once every loaded value is stored.
   *
   * With the lease lock, one lease PER KEY, not one per batch: batches of different callers
   * overlap arbitrarily, so a batch lease would neither stop two processes loading the same key
   * (requested in different batches) nor let unrelated batches run in parallel. The keys whose
   * lease this process takes at the first attempt (or when Redis cannot be asked) are loaded at
   * once in ONE bulk call; the keys another process holds are waited for (polling L2), and those
   * not stored by their holder within `waitMs` are loaded in one more bulk call. Loading our own
   * keys while waiting for the others' means two processes holding each other's keys never
   * wait on each other.
   */
  async #bulkWork<V>(view: View, keys: readonly string[], lks: readonly string[], toLoad: readonly number[], loader: BulkLoader<V>, o: Resolved, start: number): Promise<unknown[]> {
    const values: unknown[] = new Array(toLoad.length);
    if (this.#lock === undefined || !o.lock) {
      await this.#bulkLoad(view, keys, lks, toLoad, toLoad.map((_i, j) => j), loader, o, start, values);
      return values;
    }
    // Per key: the first attempt (took the lease, or could not ask) and the final outcome.
    const firsts: Promise<boolean>[] = [];
    const finals: Promise<{ hit?: Candidate; release?: () => void; outcome: string }>[] = [];
    for (const i of toLoad) {
      let first!: (own: boolean) => void;
      firsts.push(new Promise<boolean>((r) => (first = r)));
      finals.push(this.#lockOrWait(view, lks[i], o, start, first));
    }
    const own = await Promise.all(firsts);
    const mine: number[] = [];
    const later: number[] = [];
    for (let j = 0; j < toLoad.length; j++) (own[j] ? mine : later).push(j);
    const releaseAll = async (js: readonly number[]): Promise<void> => {
      for (const j of js) (await finals[j]).release?.();
    };
    const first = mine.length === 0 ? Promise.resolve() : this.#bulkLoad(view, keys, lks, toLoad, mine, loader, o, start, values).finally(() => releaseAll(mine));
    const second = (async () => {
      const missing: number[] = [];
      for (const j of later) {
        const r = await finals[j];
        if (r.hit !== undefined) values[j] = r.hit.negative ? undefined : r.hit.value;
        else missing.push(j);
      }
      if (missing.length > 0) await this.#bulkLoad(view, keys, lks, toLoad, missing, loader, o, start, values).finally(() => releaseAll(missing));
    })();
    // Both settle before the work does (no load left running unobserved); the first error wins.
    const [a, b] = await Promise.allSettled([first, second]);
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    return values;
  }

  /** One bulk loader call for `toLoad[js]`: values into `values[js]`, results stored (unless superseded). */
  async #bulkLoad<V>(view: View, keys: readonly string[], lks: readonly string[], toLoad: readonly number[], js: readonly number[], loader: BulkLoader<V>, o: Resolved, start: number, values: unknown[]): Promise<void> {
    const loadKeys = js.map((j) => keys[toLoad[j]]);
    const firstLk = lks[toLoad[js[0]]];
    const t0 = performance.now();
    const createdAt = stamp();
    this.counters.loaderCalls++;
    let r: Awaited<ReturnType<BulkLoader<V>>>;
    try {
      r = await loader(loadKeys);
      if (!Array.isArray(r) && !(r instanceof Map)) {
        throw new TypeError(`Expected an array or a Map from the bulk loader but received ${describe(r)}`);
      }
      if (Array.isArray(r) && r.length !== loadKeys.length) {
        throw new RangeError(`Expected ${loadKeys.length} values from the bulk loader but received ${r.length}`);
      }
    } catch (err) {
      this.counters.loaderErrors++;
      this.#loadDone(firstLk, t0, err);
      throw err;
    }
    this.#loadDone(firstLk, t0, undefined);
    const items: { lk: string; c: Candidate }[] = [];
    for (let n = 0; n < js.length; n++) {
      const v = Array.isArray(r) ? (r as readonly (V | undefined)[])[n] : (r as ReadonlyMap<string, V | undefined>).get(loadKeys[n]);
      values[js[n]] = v;
      if (v !== undefined || o.negativeCache) items.push({ lk: lks[toLoad[js[n]]], c: this.makeCandidate(v, v === undefined, o, createdAt) });
    }
    await this.write(view, items, o, start);
  }

  // ------------------------------------------------------------------------------------------
  // Distributed single-flight

  async #lockOrWait(view: View, lk: string, o: Resolved, start: number, onFirst?: (own: boolean) => void): Promise<{ hit?: Candidate; release?: () => void; outcome: string }> {
    const readFresh = async (): Promise<Candidate | undefined> => {
      const got = await this.readL2(view, [lk]);
      const d = got?.[0];
      const now = coarseNow();
      if (d === undefined || d === null || now >= d.expiresAt) return undefined;
      const c = CacheCore.fromDecoded(d);
      this.counters.l2Hits++;
      this.#toL1(lk, c, o.l1TtlMs, now, start);
      return c;
    };
    const r = await this.#lock!.acquireOrWait(`${this.prefix}__rc:lock:${lk}`, lk, readFresh, (fn, key) => this.#l2Call(fn, key), onFirst);
    if (r.outcome === 'acquired') this.counters.lockAcquired++;
    else if (r.outcome === 'waited') this.counters.lockWaited++;
    else if (r.outcome === 'timeout') this.counters.lockTimeouts++;
    return r;
  }

  // ------------------------------------------------------------------------------------------

  #emit(event: string, payload: Record<string, unknown>): void {
    if (this.listenerCount(event) > 0) this.emit(event, { cache: this.name, ...payload });
  }
}


/** Size of a value for L1's byte bound when no envelope was built (L1-only caches). */
function estimateSize(value: unknown, serializer: Serializer): number {
  if (value === undefined) return 16;
  if (value instanceof Uint8Array) return value.byteLength + 16;
  if (typeof value === 'string') return value.length * 2 + 16;
  try {
    const s = serializer.serialize(value);
    return (typeof s === 'string' ? s.length : s.byteLength) + 16;
  } catch {
    return 1024;
  }
}

/** What {@link CacheCore} calls back with one key's L2 entry (see its `#readEntry`). */
type EntryCallback = (entry: DecodedEntry | null | undefined, start: number) => void;

/** Reads waiting to go out together, in parallel arrays (see {@link CacheCore.getOne}). */
class GetBatch {
  readonly lks: string[] = [];
  readonly views: View[] = [];
  readonly dones: EntryCallback[] = [];
  sent = false;
}

/**
 * One in-flight L2 read of a {@link GetBatch} (a GET when it holds one key, else an MGET) and its
 * deadline entry: `ok`/`one`/`fail` (bound, for `promise.then`) and `expire` (the deadline
 * queue) settle it once; whichever comes later is ignored.
 */
class BatchRead implements QueuedDeadline {
  settled = false;
  deadline = 0;

  constructor(
    readonly batch: GetBatch,
    readonly start: number,
    readonly core: CacheCore,
  ) {}

  readonly ok = (raw: (Buffer | null)[]): void => {
    if (this.settled) return;
    this.settled = true;
    this.core.batchOk(this, raw);
  };

  /** The GET reply of a one-key batch. */
  readonly one = (b: Buffer | null): void => this.ok([b]);

  readonly fail = (err: unknown): void => {
    if (this.settled) return;
    this.settled = true;
    this.core.batchFail(this, err);
  };

  expire(): void {
    this.core.batchFail(this, this.core.l2TimeoutError(this.batch.lks[0]));
  }
}
