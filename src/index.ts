/**
 * ringcache: consistent hashing and Redis Cluster slots with a C++ Node-API core and a pure
 * TypeScript fallback that gives identical answers.
 */
export { backend, nativeLoadError } from './engine';
export type { Key } from './engine';
export { md5, md5Uint32, murmur3, crc16 } from './hash';

// Redis Cluster slots and routing
export { SLOT_COUNT, keySlot, keySlots, keySlotsPacked, packKeys } from './cluster/key-slot';
export { groupBySlot, groupSlots } from './cluster/group-by-slot';
export {
  ClusterStore,
  DEFAULT_CLUSTER_STORE_OPTIONS,
  type ClusterStoreOptions,
  type ClusterStoreStats,
  type ReplicaAckOptions,
  type Value,
} from './stores/cluster-store';

// Client-side partitioning: rings over standalone nodes (plain or Sentinel), one endpoint
export {
  RingStore,
  DEFAULT_RING_STORE_OPTIONS,
  type RingStoreOptions,
  type RingNode as RingStoreNode,
  type RingNodeConfig,
  type RingNodeInfo,
  type RingNodeState,
  type RingNodeEvent,
  type RingStoreEvents,
  type MembershipChange,
} from './stores/ring-store';
export { RedisStore, TWEMPROXY_CLIENT_OPTIONS, type RedisStoreOptions } from './stores/redis-store';
export { DEFAULT_CONNECTION_OPTIONS, clientOptions, type ConnectionOptions, type NodeSpec } from './stores/connection';
export type { KeyValueStore, StoreValue } from './stores/store';
export { DEFAULT_REPLICA_OPTIONS, type ReadOptions, type ReplicaReadOptions, type ScaleReads } from './stores/replicas';

// Rings
export {
  HashRing,
  type Compatibility,
  type HashFunction,
  type HashRingOptions,
  type RingNode,
  type ServerEntry,
  type ServersSpec,
  type ServerWeight,
  type HostPort,
  type LookupCache,
} from './ring/hash-ring';
export { ModuloRing, type ModuloRingOptions } from './ring/modulo-ring';
export {
  distribution,
  movement,
  type DistributionReport,
  type MovementReport,
  type ServerShare,
  type Flow,
  type KeySample,
  type Placement,
} from './ring/distribution';
export { ketamaPoints, type KetamaMode, type KetamaServer } from './ring/ketama';

// Tiered cache: L1 in-process → L2 Redis (any topology above) → loader
export { TieredCache, type TieredCacheEvent, type TieredCacheEvents, type TieredCacheListener } from './cache/tiered-cache';
export {
  DEFAULT_TIERED_CACHE_OPTIONS,
  DEFAULT_LOCK_OPTIONS,
  DEFAULT_BUS_OPTIONS,
  type TieredCacheOptions,
  type CacheEntryOptions,
  type L1Options,
  type BusOptions,
  type LockOptions,
  type L2Source,
} from './cache/options';
export { DEFAULT_CIRCUIT_BREAKER_OPTIONS, type CircuitBreakerOptions, type CircuitState } from './cache/circuit-breaker';
export { jsonSerializer, type Serializer } from './cache/serializer';
export { msgpackSerializer } from './cache/msgpack-serializer';
export type { TieredCacheStats } from './cache/stats';
export type { Loader } from './cache/load-path';
export type { BulkLoader } from './cache/bulk-load';
export type { BusMessage } from './cache/bus';

// Errors
export {
  RingcacheError,
  CommandError,
  ClusterUnavailableError,
  StoreClosedError,
  MissingDependencyError,
  NodeUnavailableError,
  CacheTimeoutError,
  CircuitOpenError,
  LoaderError,
  CacheWriteError,
  type RingcacheErrorContext,
} from './errors';
