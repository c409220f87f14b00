/**
 * Options of {@link TieredCache} and of its calls. Every option has a `@default`; the frozen
 * {@link DEFAULT_TIERED_CACHE_OPTIONS} holds them.
 */
import type { Cluster, Redis } from 'ioredis';
import type { KeyValueStore } from '../stores/store';
import { DEFAULT_CIRCUIT_BREAKER_OPTIONS, type CircuitBreakerOptions } from './circuit-breaker';
import type { Serializer } from './serializer';

/**
 * What can be the L2: any {@link KeyValueStore} (ClusterStore, RingStore, RedisStore), or an
 * ioredis `Redis` (wrapped in a RedisStore) or `Cluster` (wrapped in a ClusterStore).
 */
export type L2Source = KeyValueStore | Redis | Cluster;

/** L1 (in-process) options. */
export interface L1Options {
  /**
   * Most entries kept; least recently used go first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Most bytes kept (sum of entry sizes: the L2 envelope size, or the serialized size), or
   * undefined for no byte bound.
   * @default undefined
   */
  maxBytes?: number;
  /**
   * How long an entry is served from L1 before L2 is asked again (capped by the entry's own TTL).
   * @default 60000
   */
  ttlMs?: number;
}

/** Cross-process L1 invalidation over Redis pub/sub. */
export interface BusOptions {
  /**
   * The connection to publish with and to derive the subscriber from (`duplicate()`). When
   * omitted, the L2's own ioredis client is used (a `Redis`, a `Cluster`, or the client of a
   * ClusterStore/RedisStore).
   * @default undefined
   */
  client?: Redis | Cluster;
  /**
   * The pub/sub channel. Every cache instance sharing the L2 data must use the same one. The
   * default sits under `prefix`, so a Redis ACL user limited to `~prefix* &prefix*` can use it.
   * @default `${prefix}__rc:bus`
   */
  channel?: string;
  /**
   * While the subscription is down (invalidations may be lost), L1 is not used at all by
   * default: every read goes to L2 (or the loader when L2 is down too). A positive value keeps
   * L1 working in that state, each entry served for at most this long — bounded staleness in
   * exchange for shielding the loader during a Redis outage. L1 is flushed when the
   * subscription is back either way.
   * @default 0
   */
  degradedL1TtlMs?: number;
  /**
   * On a Redis Cluster, use sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis ≥ 7): the messages
   * go to the shard owning the channel instead of every node.
   * @default true
   */
  sharded?: boolean;
}

/** Distributed single-flight: a Redis lease lock per key, so one process in the fleet loads. */
export interface LockOptions {
  /**
   * The connection the lock keys live on. When omitted, the L2's own ioredis client (a
   * `Redis`, a `Cluster`, or the client of a ClusterStore/RedisStore); a RingStore has no
   * single client, so pass one.
   * @default undefined
   */
  client?: Redis | Cluster;
  /**
   * How long the lock is held at most (the holder may die): after that another process loads.
   * @default 10000
   */
  leaseMs?: number;
  /**
   * How long a process that did not get the lock waits for the holder's value before loading
   * itself.
   * @default 10000
   */
  waitMs?: number;
  /**
   * How often a waiter polls L2 for the value.
   * @default 25
   */
  pollMs?: number;
}

/** Options that can be set for the cache and overridden per call. */
export interface CacheEntryOptions {
  /**
   * Logical TTL of a value (L2 keeps it `graceMs` longer for fail-safe).
   * @default 300000
   */
  ttlMs?: number;
  /**
   * L1 TTL (see {@link L1Options.ttlMs}); a promoted L2 hit stays in L1 for the value's
   * remaining TTL capped by this.
   * @default 60000
   */
  l1TtlMs?: number;
  /**
   * Fraction of the TTL removed at random (0 … 1) so keys written together do not all expire
   * together: the TTL used is `ttlMs × (1 − jitter × random())`.
   * @default 0
   */
  jitter?: number;
  /**
   * Fail-safe: how long past its expiry a value may still be served when the loader or L2
   * fails (or a soft timeout fires). 0 turns fail-safe off.
   * @default 0
   */
  graceMs?: number;
  /**
   * Cache "the loader returned undefined" (negative caching) for `negativeTtlMs`.
   * @default true
   */
  negativeCache?: boolean;
  /**
   * TTL of a negative entry.
   * @default 10000
   */
  negativeTtlMs?: number;
  /**
   * Soft timeout of the loader: when a stale value exists (fail-safe) and the loader takes
   * longer, the stale value is returned and the loader finishes in the background. 0 = off.
   * @default 0
   */
  softTimeoutMs?: number;
  /**
   * Hard timeout of the loader: past it, the call serves the stale value if any, else rejects
   * with `CacheTimeoutError` (the loader keeps running and still fills the cache). 0 = off.
   * @default 0
   */
  hardTimeoutMs?: number;
  /**
   * Eager refresh: a `getOrSet` hit on a value older than this fraction of its TTL (0 … 1)
   * starts a background reload, so hot keys never expire. 0 = off.
   * @default 0
   */
  eagerRefreshThreshold?: number;
  /**
   * After fail-safe served a stale value (loader/L2 failure or soft timeout), keep serving it
   * from L1 for this long before trying the loader again (capped by the grace period).
   * @default 1000
   */
  failSafeThrottleMs?: number;
  /** Tags of the value, for {@link TieredCache.deleteByTag}. @default undefined */
  tags?: readonly string[];
  /**
   * Use the distributed lease lock for this load (needs `lock` in the cache options).
   * @default true when the cache has `lock`
   */
  lock?: boolean;
}

export interface TieredCacheOptions extends Omit<CacheEntryOptions, 'tags' | 'lock' | 'l1TtlMs'> {
  /**
   * The L2: a {@link KeyValueStore} or an ioredis `Redis`/`Cluster` (wrapped; the cache never
   * closes a client it was given). Undefined or false: L1 only.
   * @default undefined
   */
  l2?: L2Source | false;
  /**
   * The L1 options, or false for no L1 (every read goes to L2).
   * @default {}
   */
  l1?: L1Options | false;
  /**
   * Prefix of every L2 key of this cache (and of its markers `__rc:…`).
   * @default ''
   */
  prefix?: string;
  /**
   * Name in events, stats and diagnostics_channel messages.
   * @default 'default'
   */
  name?: string;
  /**
   * Value codec for L2 (Buffers/Uint8Arrays are always stored raw).
   * @default jsonSerializer
   */
  serializer?: Serializer;
  /**
   * `Object.freeze` values as they enter L1 (shallow), so a caller mutating a cached object
   * fails loudly in strict mode instead of corrupting the cache silently.
   * @default false
   */
  freeze?: boolean;
  /**
   * Hard timeout of each L2 call: past it the call counts as an L2 error (reads fall back to
   * L1 stale or the loader).
   * @default 1000
   */
  l2TimeoutMs?: number;
  /**
   * `get()`s and `getOrSet()`s that miss L1 while the current microtasks run (concurrent
   * requests, `Promise.all`, resolvers) read L2 together: one MGET of up to this many keys
   * instead of one GET each (ioredis's per-command cost is most of an L2 hit), their JSON values
   * parsed in one `JSON.parse`. A lone read is still a GET. One failed or timed-out MGET counts as
   * one L2 error and each of its reads falls back as its own would. `false`: one GET per read.
   * Undefined: 256 on one Redis endpoint (an ioredis `Redis`, Sentinel-backed or not, or a
   * `RedisStore`, twemproxy included); off on a partitioned L2 (`Cluster`, `ClusterStore`,
   * `RingStore`), where a batch spans nodes and one slow or failing node would hold up or fail
   * the reads of keys on healthy ones (set it there to trade that for throughput).
   * @default undefined
   */
  batchGets?: number | false;
  /**
   * What a write (`set`, `setMany`, `delete`, `deleteMany`, `clear`, `deleteByTag`) does when
   * its L2 call fails or times out (or the circuit is open). `'throw'`: it rejects with
   * `CacheWriteError` and the writer's L1 drops the keys, so this instance keeps agreeing with
   * L2 and with the other instances (writing L1 only would serve a value nobody else sees).
   * `'ignore'`: the failure is only counted and emitted as `l2:error`, and a written value lives
   * in this instance's L1 only. Values stored by loads (`getOrSet`…) never fail the read.
   * @default 'throw'
   */
  l2WriteFailure?: 'throw' | 'ignore';
  /**
   * TTL of the namespace/tag markers in L2 (see `clear`, `deleteByTag`). A marker must outlive
   * every entry created before it, or that entry would come back when the marker expires.
   * Undefined: twice the longest entry lifetime (TTL + grace) this instance has used (its
   * defaults, negative TTL and per-call TTLs) plus one minute, recomputed at each marker
   * write; Infinity when that lifetime is infinite. Set it when instances sharing the L2
   * write entries with longer lifetimes than this one knows of. Infinity: markers never expire.
   * @default undefined
   */
  markerTtlMs?: number;
  /**
   * How long a namespace/tag marker read from L2 is trusted before it is read again (the bus
   * pushes changes at once; without a bus, another instance's `clear`/`deleteByTag` is seen
   * by this instance's L2 reads within this delay).
   * @default 1000
   */
  markerCacheMs?: number;
  /**
   * When the L2 store reads from replicas (`scaleReads: 'slave' | 'all'`): for this long after
   * a key is invalidated (bus message or local write), it is read from the master, so a
   * replica that has not received the write yet cannot put the old value back into L1 (and
   * for this long after a clear, tag invalidation or bus loss, every key is). Set it above the
   * worst replication lag you accept; 0 turns it off. See `replica-lag.ts` for the guarantee.
   * @default 1000
   */
  replicaLagMs?: number;
  /**
   * Circuit breaker on L2, or false.
   * @default { failureThreshold: 5, breakDurationMs: 5000 }
   */
  circuitBreaker?: CircuitBreakerOptions | false;
  /**
   * Cross-process L1 invalidation (Redis pub/sub): `true` for the defaults on the L2's client.
   * @default false
   */
  bus?: BusOptions | boolean;
  /**
   * Distributed single-flight with a Redis lease lock (`SET NX PX`): `true` for the defaults.
   * @default false
   */
  lock?: LockOptions | boolean;
}

/** The defaults of {@link TieredCacheOptions}. */
export const DEFAULT_TIERED_CACHE_OPTIONS = Object.freeze({
  prefix: '',
  name: 'default',
  freeze: false,
  ttlMs: 300_000,
  jitter: 0,
  graceMs: 0,
  negativeCache: true,
  negativeTtlMs: 10_000,
  softTimeoutMs: 0,
  hardTimeoutMs: 0,
  eagerRefreshThreshold: 0,
  failSafeThrottleMs: 1000,
  markerCacheMs: 1000,
  markerTtlMs: undefined,
  replicaLagMs: 1000,
  l2WriteFailure: 'throw',
  l2TimeoutMs: 1000,
  batchGets: undefined,
  l1: Object.freeze({ maxEntries: 10_000, maxBytes: undefined, ttlMs: 60_000 }),
  circuitBreaker: DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  bus: false,
  lock: false,
} as const);

/** The defaults of {@link LockOptions} (used for `lock: true`). */
export const DEFAULT_LOCK_OPTIONS = Object.freeze({ leaseMs: 10_000, waitMs: 10_000, pollMs: 25 } as const);

/** The defaults of {@link BusOptions} (used for `bus: true`; `channel` defaults to `${prefix}__rc:bus`). */
export const DEFAULT_BUS_OPTIONS = Object.freeze({ sharded: true, degradedL1TtlMs: 0 } as const);
