/**
 * Observability of the tiered cache: counters per level (plain numbers bumped in place, no
 * allocation on the hot path), and `node:diagnostics_channel` channels that cost one
 * `hasSubscribers` check when nobody listens.
 *
 * Channels (message shape `{ cache, key?, keys?, level?, error?, durationMs?, reason? }`):
 * `ringcache:cache:hit` (level 'l1' | 'l2'), `ringcache:cache:miss`, `ringcache:cache:stale`,
 * `ringcache:cache:load` (durationMs, error?), `ringcache:cache:l2-error`,
 * `ringcache:cache:bus` (reason: 'message' | 'lost' | 'restored' | 'gap').
 */
import * as diagnostics_channel from 'node:diagnostics_channel';

export const channels = Object.freeze({
  hit: diagnostics_channel.channel('ringcache:cache:hit'),
  miss: diagnostics_channel.channel('ringcache:cache:miss'),
  stale: diagnostics_channel.channel('ringcache:cache:stale'),
  load: diagnostics_channel.channel('ringcache:cache:load'),
  l2Error: diagnostics_channel.channel('ringcache:cache:l2-error'),
  bus: diagnostics_channel.channel('ringcache:cache:bus'),
});

/** Counters of one cache (all namespaces). */
export interface TieredCacheStats {
  l1: { hits: number; misses: number; evictions: number; size: number; bytes: number };
  l2: {
    hits: number;
    misses: number;
    /** Failed L2 calls (errors and timeouts). */
    errors: number;
    timeouts: number;
    /** Calls skipped because the circuit breaker was open. */
    skipped: number;
    writes: number;
  };
  loader: {
    calls: number;
    errors: number;
    timeouts: number;
    /** Sum and maximum of loader latencies (ms). */
    totalMs: number;
    maxMs: number;
  };
  /** Stale values served by fail-safe. */
  staleServed: number;
  /** Loaded/L2 values not cached because the key was invalidated while they were in flight. */
  supersededWrites: number;
  /** Keys deleted again from L2 because an invalidation arrived just after this instance stored a load there. */
  repairs: number;
  /** Distributed lock: acquired, waited and got the holder's value, waited in vain. */
  lock: { acquired: number; waited: number; timeouts: number };
  bus: { published: number; publishErrors: number; received: number; gaps: number; lost: number; restored: number; flushes: number };
  circuit: 'closed' | 'open' | 'half-open' | 'none';
  /**
   * Sizes of the internal tables (all bounded; exposed so the bounds can be watched): L2
   * reads and loads in flight, per-key epochs of invalidations during in-flight reads, known namespace/tag markers, loads in
   * flight in this process (callers' and loads'), recent load writes kept for repair.
   */
  tracked: { inflight: number; keyEpochs: number; markers: number; flights: number; loads: number; loadWrites: number };
}

export function newCounters() {
  return {
    l1Hits: 0,
    l1Misses: 0,
    l2Hits: 0,
    l2Misses: 0,
    l2Errors: 0,
    l2Timeouts: 0,
    l2Skipped: 0,
    l2Writes: 0,
    loaderCalls: 0,
    loaderErrors: 0,
    loaderTimeouts: 0,
    loaderTotalMs: 0,
    loaderMaxMs: 0,
    staleServed: 0,
    supersededWrites: 0,
    lockAcquired: 0,
    lockWaited: 0,
    lockTimeouts: 0,
    flushes: 0,
    repairs: 0,
  };
}

export type Counters = ReturnType<typeof newCounters>;
