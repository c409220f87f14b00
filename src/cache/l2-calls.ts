/**
 * Every call to L2 goes through here: the circuit breaker, the hard timeout (`l2TimeoutMs`, one
 * deadline queue for all calls), and the counting and reporting of failures. Reads take the
 * shortest way to Redis: a plain ioredis `Redis` given as L2 is read directly, skipping the
 * store wrapper's two async layers (and its auto-pipeline when that keeps the order: see
 * stores/direct-reads.ts); writes always go through the store.
 */
import type { Redis } from 'ioredis';
import { CacheTimeoutError, CircuitOpenError } from '../errors';
import { directReads } from '../stores/direct-reads';
import type { KeyValueStore } from '../stores/store';
import type { CacheBase } from './cache-core';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
import { now as coarseNow } from './clock';
import { lagGuardedReads, type ReplicaLagGuard } from './replica-lag';
import { channels } from './stats';
import { DeadlineQueue, type QueuedDeadline } from './timeouts';

export class L2Calls {
  /** The L2 store; undefined without L2 (the lock and bus clients' calls still come here). */
  readonly store: KeyValueStore | undefined;
  /** Hot-path reads (see the file comment). */
  readonly getBuffer: (key: string) => Promise<Buffer | null>;
  readonly mgetBuffer: (keys: string[]) => Promise<(Buffer | null)[]>;
  readonly timeoutMs: number;
  /** Deadlines of in-flight L2 calls (all `timeoutMs` long). */
  readonly deadlines: DeadlineQueue;
  readonly breaker: CircuitBreaker | undefined;
  /** L2 reads from replicas: recently invalidated keys are read from the master (replica-lag.ts). */
  readonly lag: ReplicaLagGuard | undefined;
  readonly #base: CacheBase;

  constructor(
    base: CacheBase,
    store: KeyValueStore | undefined,
    plainRedis: Redis | undefined,
    timeoutMs: number,
    breaker: Required<CircuitBreakerOptions> | undefined,
    replicaLagMs = 0,
  ) {
    this.#base = base;
    this.store = store;
    this.timeoutMs = timeoutMs;
    this.deadlines = new DeadlineQueue(timeoutMs);
    if (plainRedis !== undefined) {
      // Their errors are caught and counted here anyway.
      const reads = directReads(plainRedis);
      this.getBuffer = reads.getBuffer;
      this.mgetBuffer = (ks) => (ks.length === 0 ? Promise.resolve([]) : reads.mgetBuffer(ks));
    } else {
      this.getBuffer = (k) => store!.getBuffer(k);
      this.mgetBuffer = (ks) => store!.mgetBuffer(ks);
      const lag = lagGuardedReads(store, replicaLagMs, coarseNow);
      if (lag !== undefined) ({ guard: this.lag, getBuffer: this.getBuffer, mgetBuffer: this.mgetBuffer } = lag);
    }
    this.breaker = breaker === undefined ? undefined : new CircuitBreaker(breaker, (state) => base.events.emitEvent('circuit:change', { state }));
  }

  /** Counts and reports a failed L2 call. */
  failed(err: unknown, key: string): void {
    this.breaker?.failure();
    const c = this.#base.counters;
    c.l2Errors++;
    if (err instanceof CacheTimeoutError) c.l2Timeouts++;
    if (channels.l2Error.hasSubscribers) channels.l2Error.publish({ cache: this.#base.name, key, error: err });
    this.#base.events.emitEvent('l2:error', { key, error: err });
  }

  /** Whether the circuit breaker lets an L2 call through now (counts a skip when not). */
  allowed(): boolean {
    if (this.breaker === undefined || this.breaker.allow()) return true;
    this.#base.counters.l2Skipped++;
    return false;
  }

  timeoutError(key: string): CacheTimeoutError {
    const ms = this.timeoutMs;
    return new CacheTimeoutError(`L2 call for key '${key}' timed out after ${ms} ms`, { key, timeoutMs: ms });
  }

  /**
   * One L2 call through the circuit breaker and the hard timeout; failures are counted and
   * reported. One promise per call (this is the L2 hot path).
   */
  call<T>(fn: () => Promise<T>, key: string): Promise<T> {
    if (!this.allowed()) return Promise.reject(new CircuitOpenError(undefined, { key }));
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
          this.failed(this.timeoutError(key), key);
          reject(this.timeoutError(key));
        },
      };
      if (this.deadlines.enabled) this.deadlines.add(entry);
      p.then(
        (v) => {
          if (entry.settled) return;
          entry.settled = true;
          this.breaker?.success();
          resolve(v);
        },
        (err: unknown) => {
          if (entry.settled) return;
          entry.settled = true;
          this.failed(err, key);
          reject(err);
        },
      );
    });
  }
}
