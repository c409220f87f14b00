/**
 * The key/value store interface every Redis topology is reached through: ClusterStore (Redis
 * Cluster), RingStore (client-side ring over standalone nodes, Sentinel-backed or not),
 * RedisStore (one ioredis `Redis`: standalone, Sentinel, or a twemproxy endpoint).
 * The tiered cache uses it as its L2, so the cache never knows the topology.
 *
 * Contract:
 * - Batches (`mget`, `mgetBuffer`, `mset`, `mdel`) take any keys, whatever their slots or nodes,
 *   and answer in input order; a missing key reads as `null`.
 * - `ttlMs` (when given) is a positive integer of milliseconds (`PX`); without it the value
 *   does not expire.
 * - Failures reject with a `RingcacheError` subclass naming the key and node where known.
 * - Reads take optional {@link ReadOptions}: a store that reads from replicas (`scaleReads`)
 *   reads from the master when given `{ fromMaster: true }`; other stores read the master anyway.
 */
import type { Key } from '../engine';
import type { ReadOptions } from './replicas';

/** A value: a string (stored as UTF-8) or bytes. */
export type StoreValue = string | Uint8Array;

export interface KeyValueStore {
  /** The value as a UTF-8 string, or null. */
  get(key: Key, options?: ReadOptions): Promise<string | null>;
  /** The value's bytes, or null. */
  getBuffer(key: Key, options?: ReadOptions): Promise<Buffer | null>;
  set(key: Key, value: StoreValue, ttlMs?: number): Promise<void>;
  /** Number of keys removed (0 or 1). */
  del(key: Key): Promise<number>;
  mget(keys: readonly Key[], options?: ReadOptions): Promise<(string | null)[]>;
  mgetBuffer(keys: readonly Key[], options?: ReadOptions): Promise<(Buffer | null)[]>;
  mset(entries: readonly (readonly [Key, StoreValue])[], ttlMs?: number): Promise<void>;
  /** Number of keys removed. */
  mdel(keys: readonly Key[]): Promise<number>;
  /** Closes connections the store opened (not the ones it was given). */
  close(): Promise<void>;
}
