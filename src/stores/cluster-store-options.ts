/** Options, defaults and counters of {@link ClusterStore} (its API surface, apart from its logic). */
import type { ClusterOptions } from 'ioredis';
import type { ClusterStore } from './cluster-store';
import type { ReplicaAckOptions } from './replica-ack';
import type { ScaleReads } from './replicas';

/**
 * Options of {@link ClusterStore}.
 *
 * The ioredis knobs (`maxRedirections` … `retryDelayOnTryAgain`) apply when the store creates
 * the `Cluster` from startup nodes; a `Cluster` you pass keeps its own options (the store's
 * own retry budget, `retryTimeoutMs`, applies either way). Defaults are chosen to ride out a
 * kill -9 failover with `cluster-node-timeout 1000` (measured 2.0–2.7 s) with zero errors:
 * ioredis's defaults (16 redirections, 100 ms) give up after ~1.6 s.
 */
export interface ClusterStoreOptions {
  /**
   * Time budget of one operation (`get`, `mget`, …), from its start. Failures that heal
   * (failover, resharding, lost connection, CLUSTERDOWN, TRYAGAIN, LOADING, READONLY) are
   * retried within it; when it runs out the operation rejects with `ClusterUnavailableError`,
   * even if ioredis is still redirecting (a write may then still apply later). Should exceed
   * the cluster's failover time (about `cluster-node-timeout` + 1–2 s). `0`: no budget and no
   * store-level retries (ioredis's own redirections only).
   * @default 10000
   */
  retryTimeoutMs?: number;
  /**
   * Pause between the store's retries of a failed operation.
   * @default 100
   */
  retryDelayMs?: number;
  /**
   * Batch the keys of several slots owned by one master into one `EVALSHA` per master (Redis
   * ≥ 7.0 script flag `allow-cross-slot-keys`) instead of one command per slot: GET for
   * `mget`, SET for `mset`, DEL for `mdel`. A write script first checks every key with EXISTS,
   * so one the node may not serve aborts it before anything is written. Falls back to per-slot
   * commands for that master on any error, and turns itself off for good if the server does
   * not know script flags (Redis < 7).
   * @default true
   */
  crossSlotScripts?: boolean;
  /**
   * ioredis `maxRedirections`: redirections and retries (MOVED, ASK, TRYAGAIN, CLUSTERDOWN,
   * connection closed) per command before ioredis gives up and the store's retry takes over.
   * @default 32
   */
  maxRedirections?: number;
  /**
   * ioredis `retryDelayOnFailover`: wait after a lost connection before refreshing the slot
   * table and resending. 32 × 200 ms spans a 2–3 s failover inside ioredis alone.
   * @default 200
   */
  retryDelayOnFailover?: number;
  /**
   * ioredis `retryDelayOnClusterDown`: wait after `-CLUSTERDOWN` (between a master's failure
   * and its replica's promotion).
   * @default 200
   */
  retryDelayOnClusterDown?: number;
  /**
   * ioredis `retryDelayOnTryAgain`. `-TRYAGAIN` only ever answers a multi-key command whose keys
   * sit on both sides of a slot migration; waiting does not help (a migration can take seconds),
   * so ioredis spends its redirections at once and the store splits the command into single-key
   * commands, which ASK resolves. With 20 ms the slow-migration stall was ~1.3 s; with 0, tens of ms.
   * @default 0
   */
  retryDelayOnTryAgain?: number;
  /**
   * Where reads go (ioredis's `scaleReads`): `'master'`; `'slave'`, the slot's replicas
   * (`READONLY` connections; its master when no replica connection is ready); `'all'`, master and
   * replicas in turn. Writes and cross-slot scripts always go to masters. A replica answers from
   * its copy (it trails the master by the replication lag), so a key missing on a replica is read
   * again from the master (a replica of a slot being migrated no longer has the keys already
   * moved). Applies when the store creates the `Cluster`; a `Cluster` you pass keeps its own
   * `scaleReads` (a string policy is replaced by this store's selector, with the same meaning).
   * A cluster whose nodes list no replica is a RangeError (reads reject with it).
   * @default 'master'
   */
  scaleReads?: ScaleReads;
  /**
   * With replica reads: how often ioredis reloads its slot table (`slotsRefreshInterval`), so
   * a replica added, revived or promoted is seen (ioredis otherwise reloads only on MOVED or a
   * lost connection). Redis 7.0 lists a replica in CLUSTER SLOTS only once its replication
   * offset is non-zero: replicas of a master that was never written to get no reads.
   * @default 1000
   */
  replicaRefreshMs?: number;
  /** Any other ioredis `ClusterOptions`, when the store creates the `Cluster`. */
  clusterOptions?: ClusterOptions;
  /**
   * Wait for replicas to acknowledge every write (`set`, `mset`, `del`, `mdel`) before it
   * resolves: after the write, `WAIT replicas timeoutMs` on the same master connection. Fewer
   * acknowledgements in time reject the write with `ClusterUnavailableError` (it may still have
   * applied on the master). Closes the asynchronous-replication hole: without it, a write
   * acknowledged by a master that dies before its replica received it is lost on failover, and
   * the old value comes back with no invalidation to follow (for a cache: a stale read until
   * the TTL). Costs one round trip and the replication delay per write. `false`: off.
   * @default false
   */
  replicaAck?: ReplicaAckOptions | false;
}


/** The default {@link ClusterStoreOptions}. */
export const DEFAULT_CLUSTER_STORE_OPTIONS: Readonly<Required<Omit<ClusterStoreOptions, 'clusterOptions'>>> = Object.freeze({
  replicaAck: false,
  retryTimeoutMs: 10_000,
  retryDelayMs: 100,
  crossSlotScripts: true,
  maxRedirections: 32,
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  retryDelayOnTryAgain: 0,
  scaleReads: 'master',
  replicaRefreshMs: 1000,
});

/** Counters, for diagnostics and tests (plain numbers, no allocation on the hot path). */
export interface ClusterStoreStats {
  /** Store-level retries (after ioredis itself gave up or a healing error surfaced). */
  retries: number;
  /** Multi-key commands split into single-key ones after `-TRYAGAIN`. */
  splits: number;
  /** Cross-slot script calls that failed and were redone per slot. */
  scriptFallbacks: number;
  /** Cross-slot script calls that succeeded. */
  scriptCalls: number;
  /** Replica reads: keys a replica answered as missing, read again on the master. */
  missRereads: number;
  /** `WAIT`s sent for {@link ClusterStoreOptions.replicaAck} (each acknowledged). */
  replicaWaits: number;
}

