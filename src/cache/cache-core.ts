/**
 * One cache's parts, built from its options and shared by the cache and all its namespace
 * views; {@link TieredCache} validates arguments, maps keys and answers L1 hits, then hands a
 * key to one part:
 *
 * - read-path.ts  — `get`/`getMany` after L1: L2 reads batched per turn, markers, promotion;
 * - load-path.ts  — `getOrSet` after L1: single-flight, lease lock, loader, timeouts, fail-safe;
 * - bulk-load.ts  — `getOrSetMany` after L1: the same with one loader call for many keys;
 * - write-path.ts — `set`/`delete`/`clear`/`deleteByTag` and the loads' results;
 * - coherence.ts  — epochs, markers' effect on L1, the bus: what keeps L1 true;
 * - l2-calls.ts   — every L2 call: circuit breaker, timeout, failure counting.
 */
import type { Cluster, Redis } from 'ioredis';
import { RedisStore } from '../stores/redis-store';
import { describe } from '../validate';
import { BulkLoad } from './bulk-load';
import type { Candidate } from './candidate';
import type { CircuitState } from './circuit-breaker';
import { Coherence, type BusSetup } from './coherence';
import { CacheEvents } from './events';
import { L1 } from './l1';
import { L2Calls } from './l2-calls';
import { isIoredis, rawClientOf, toStore } from './l2-source';
import { LeaseLock } from './lease-lock';
import { LoadPath } from './load-path';
import { DEFAULT_BUS_OPTIONS, DEFAULT_LOCK_OPTIONS, DEFAULT_TIERED_CACHE_OPTIONS, type BusOptions, type CacheEntryOptions, type LockOptions, type TieredCacheOptions } from './options';
import { ReadPath } from './read-path';
import { checkBool, checkDelay, checkFlagOrObject, checkInt, checkNum, checkString, resolveEntry, stripUndefined, type Resolved } from './resolve-options';
import { jsonSerializer, type Serializer } from './serializer';
import { SingleFlight } from './single-flight';
import { newCounters, type Counters, type TieredCacheStats } from './stats';
import { WritePath } from './write-path';

/** Keys per coalesced MGET of get()s when options.batchGets is not given (one Redis endpoint). */
const DEFAULT_BATCH_GETS = 256;

/** What every part of a cache reads: its name, key prefix, L1, counters, serializer and events. */
export interface CacheBase {
  readonly name: string;
  readonly prefix: string;
  readonly l1: L1 | undefined;
  readonly counters: Counters;
  readonly serializer: Serializer;
  readonly freeze: boolean;
  readonly events: CacheEvents;
}

export class CacheCore implements CacheBase {
  readonly name: string;
  readonly prefix: string;
  readonly l1: L1 | undefined;
  readonly counters: Counters = newCounters();
  readonly serializer: Serializer;
  readonly freeze: boolean;
  readonly events: CacheEvents;
  /** The cache's entry options, checked. */
  readonly defaults: Resolved;
  readonly l2: L2Calls;
  readonly coherence: Coherence;
  readonly reads: ReadPath;
  readonly writes: WritePath;
  readonly loads: LoadPath;
  readonly bulk: BulkLoad;
  #closed = false;

  constructor(options: TieredCacheOptions) {
    const d = DEFAULT_TIERED_CACHE_OPTIONS;
    const o = { ...d, ...stripUndefined(options) };
    this.name = checkString(o.name, 'options.name');
    this.prefix = checkString(o.prefix, 'options.prefix');
    this.events = new CacheEvents(this.name);
    this.serializer = o.serializer ?? jsonSerializer;
    if (typeof this.serializer?.serialize !== 'function' || typeof this.serializer?.deserialize !== 'function') {
      throw new TypeError(`Expected { serialize, deserialize } for options.serializer but received ${describe(o.serializer)}`);
    }
    this.freeze = checkBool(o.freeze, 'options.freeze');
    const l2TimeoutMs = checkNum(o.l2TimeoutMs, 'options.l2TimeoutMs', 0);
    if (o.l2WriteFailure !== 'throw' && o.l2WriteFailure !== 'ignore') {
      throw new TypeError(`Expected 'throw' or 'ignore' for options.l2WriteFailure but received ${describe(o.l2WriteFailure)}`);
    }
    const markerTtlMs = o.markerTtlMs === undefined ? undefined : checkNum(o.markerTtlMs, 'options.markerTtlMs', 1);
    const markerCacheMs = checkNum(o.markerCacheMs, 'options.markerCacheMs', 0);

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

    const l2 = o.l2 === false || o.l2 === undefined ? undefined : o.l2;
    const store = l2 === undefined ? undefined : toStore(l2);
    // Batched get()s by default on one Redis endpoint only: on a partitioned L2 one batch spans
    // nodes, and one slow or failing node would delay or fail the reads of keys on healthy ones.
    const plainRedis = isIoredis(l2) && (l2 as Cluster).isCluster !== true;
    const singleEndpoint = plainRedis || store instanceof RedisStore;
    const batchMax =
      o.batchGets === false ? 0 : o.batchGets === undefined ? (singleEndpoint ? DEFAULT_BATCH_GETS : 0) : checkInt(o.batchGets, 'options.batchGets', 1, undefined, true);
    if (o.circuitBreaker !== false && (typeof o.circuitBreaker !== 'object' || o.circuitBreaker === null)) {
      throw new TypeError(`Expected an object or false for options.circuitBreaker but received ${describe(o.circuitBreaker)}`);
    }
    let breaker: { failureThreshold: number; breakDurationMs: number } | undefined;
    if (o.circuitBreaker !== false && store !== undefined) {
      breaker = { ...d.circuitBreaker, ...stripUndefined(o.circuitBreaker) };
      checkInt(breaker.failureThreshold, 'options.circuitBreaker.failureThreshold', 1);
      checkNum(breaker.breakDurationMs, 'options.circuitBreaker.breakDurationMs', 0);
    }

    let leaseLock: LeaseLock | undefined;
    const lock = checkFlagOrObject<LockOptions>(o.lock, 'options.lock');
    if (lock !== false) {
      const lo: LockOptions = { ...DEFAULT_LOCK_OPTIONS, ...(lock === true ? {} : stripUndefined(lock)) };
      const client = lo.client ?? rawClientOf(l2);
      if (!isIoredis(client)) throw new TypeError('Expected options.lock.client, or an L2 that is (or wraps) an ioredis client, for options.lock');
      leaseLock = new LeaseLock(client, {
        leaseMs: checkInt(lo.leaseMs, 'options.lock.leaseMs', 1),
        waitMs: checkNum(lo.waitMs, 'options.lock.waitMs', 0),
        pollMs: checkDelay(lo.pollMs, 'options.lock.pollMs', 1),
      });
    }

    let busSetup: BusSetup | undefined;
    const bus = checkFlagOrObject<BusOptions>(o.bus, 'options.bus');
    if (bus !== false) {
      const bo = bus === true ? {} : bus;
      const degradedL1Ms = checkNum(bo.degradedL1TtlMs ?? DEFAULT_BUS_OPTIONS.degradedL1TtlMs, 'options.bus.degradedL1TtlMs', 0);
      const client = bo.client ?? rawClientOf(l2);
      if (!isIoredis(client)) throw new TypeError('Expected options.bus.client, or an L2 that is (or wraps) an ioredis client, for options.bus');
      // Under the prefix, so an ACL user limited to `~prefix* &prefix*` needs no other rule.
      const channel = bo.channel ?? `${this.prefix}__rc:bus`;
      busSetup = {
        client,
        channel: checkString(channel, 'options.bus.channel'),
        sharded: checkBool(bo.sharded ?? DEFAULT_BUS_OPTIONS.sharded, 'options.bus.sharded'),
        degradedL1Ms,
        publishTimeoutMs: l2TimeoutMs,
      };
    }

    // Every option is checked: build the parts (the bus subscribes now).
    // The RedisStore wrapper adds two async layers per call; reads of a plain Redis skip them.
    this.l2 = new L2Calls(this, store, plainRedis ? (l2 as Redis) : undefined, l2TimeoutMs, breaker, checkNum(o.replicaLagMs, 'options.replicaLagMs', 0));
    const flights = new SingleFlight<unknown>();
    const running = new Map<string, Promise<Candidate>>();
    this.coherence = new Coherence(this, this.l2, markerCacheMs, flights, running, busSetup);
    this.reads = new ReadPath(this, this.l2, this.coherence, batchMax);
    const longest = Math.max(this.defaults.ttlMs + this.defaults.graceMs, this.defaults.negativeTtlMs);
    this.writes = new WritePath(this, this.l2, this.coherence, o.l2WriteFailure === 'throw', markerTtlMs, longest);
    this.loads = new LoadPath(this, this.coherence, this.reads, this.writes, this.l2, leaseLock, flights, running);
    this.bulk = new BulkLoad(this, this.coherence, this.reads, this.writes, this.loads);
  }

  get circuitState(): CircuitState | 'none' {
    return this.l2.breaker?.state ?? 'none';
  }

  /** Per-call options merged over the cache's (checked). */
  resolve(opts: CacheEntryOptions | undefined): Resolved {
    return opts === undefined ? this.defaults : resolveEntry(opts, this.defaults, 'options');
  }

  stats(): TieredCacheStats {
    const c = this.counters;
    const coh = this.coherence;
    const b = coh.busStats;
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
      tracked: {
        inflight: coh.inflight,
        keyEpochs: coh.keyEpochs,
        markers: coh.markers.size,
        flights: this.loads.flights.size,
        loads: this.loads.loads.size,
        loadWrites: coh.loadWrites,
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.coherence.close();
  }
}
