/**
 * What the soak coordinator tells each worker (passed as JSON in argv), and the cache settings
 * the checker's bounds are derived from (one place, so the README table, the workers and the
 * checker cannot disagree).
 */
import type { CheckBounds } from './checker';

export type Profile = 'cluster' | 'ring';

export interface WorkerConfig {
  name: string;
  index: number;
  workers: number;
  profile: Profile;
  /** Cluster profile: startup nodes and the natMap that sends one node through the delay proxy. */
  clusterNodes?: { host: string; port: number }[];
  natMap?: Record<string, { host: string; port: number }>;
  /** Ring profile: `host:port` nodes, and one Sentinel group `{ sentinels, name }`. */
  ringNodes?: string[];
  sentinel?: { sentinels: { host: string; port: number }[]; name: string };
  /** The redis-server of the lease lock and bus in the ring profile (a RingStore has no single client). */
  coordPort?: number;
  /** The database of record. */
  dbPort: number;
  /** Wait for one replica's acknowledgement of the cache's writes (Redis WAIT). */
  replicaAck: boolean;
  durationMs: number;
  seed: number;
  /**
   * Break the cache on purpose, to show the checker catches it: `no-bus` (no invalidation
   * between processes, so other workers' L1 serve old versions until the L1 TTL).
   */
  sabotage?: 'no-bus';
  /** Where the worker writes its history (JSON lines) and its resource samples. */
  logFile: string;
  sampleFile: string;
}

/** The cache settings of every worker (the bounds below are computed from these). */
export const SOAK_CACHE = Object.freeze({
  ttlMs: 30_000,
  graceMs: 5_000,
  l2TimeoutMs: 1_000,
  l1: { maxEntries: 2_000, ttlMs: 10_000 },
  degradedL1TtlMs: 500,
  lockLeaseMs: 3_000,
  lockWaitMs: 3_000,
});

/** Fault parameters the coordinator uses (and the bounds depend on). */
export const SOAK_FAULTS = Object.freeze({
  /** `cluster-node-timeout` of the soak's cluster. */
  nodeTimeoutMs: 1_000,
  sigstopMs: 2_000,
  slowLinkDelayMs: 300,
  slowLinkMs: 3_000,
  reshardSlots: 500,
});

/** Keys per namespace and the namespaces the workers use. */
export const SOAK_KEYS = 48;
export const SOAK_NAMESPACES = ['a', 'b'] as const;

/**
 * B per fault state, derived from the settings above (README "Soak" explains each):
 * - calm: an invalidation is published within the writer's call (the call waits for PUBLISH,
 *   itself bounded by l2TimeoutMs); delivery to the other processes is one more l2TimeoutMs at
 *   most (the same budget, granted to the subscriber's side).
 * - pubsub-kill: calm + degradedL1TtlMs (L1 entries served while the bus is known down).
 * - kill9 / sigstop: calm + the failover (2 × cluster-node-timeout: detection, then election),
 *   and for sigstop the pause itself.
 * - slow-link: calm + the delay in each direction.
 * - reshard, data-loss: calm (no invalidation is delayed; lost data is reloaded from the database).
 */
export function soakBounds(): CheckBounds {
  const d = 2 * SOAK_CACHE.l2TimeoutMs;
  const failover = 2 * SOAK_FAULTS.nodeTimeoutMs;
  return {
    perState: {
      calm: d,
      'pubsub-kill': d + SOAK_CACHE.degradedL1TtlMs,
      kill9: d + failover,
      sigstop: d + SOAK_FAULTS.sigstopMs + failover,
      'slow-link': d + 2 * SOAK_FAULTS.slowLinkDelayMs,
      reshard: d,
      'data-loss': d,
    },
    failSafeMs: SOAK_CACHE.ttlMs + SOAK_CACHE.graceMs,
  };
}
