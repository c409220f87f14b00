/**
 * Distributed single-flight: a lease lock per key in Redis (`SET key token PX lease NX`), so
 * one process in the fleet runs the loader while the others wait for its value.
 *
 * - The holder loads, writes the value to L2, then releases with a compare-and-delete script
 *   (only its own token: a lease that expired and was taken over is not released by mistake).
 * - A waiter polls L2 every `pollMs` for the holder's value and, in between, tries to take the
 *   lease itself (the holder may have failed and released it, or died and let it expire).
 * - After `waitMs` a waiter gives up and loads by itself; when Redis cannot be asked at all,
 *   the caller loads without the lock (the lock is an optimisation, never a point of failure).
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { now } from './clock';
import { delay } from './timeouts';

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** An L2 call guarded by the cache's circuit breaker and timeout. */
export type GuardedCall = <T>(fn: () => Promise<T>, key: string) => Promise<T>;

/** How a {@link LeaseLock.acquireOrWait} ended. */
export type LeaseOutcome =
  /** We hold the lease: load, store, then call `release`. */
  | 'acquired'
  /** Another process stored the value while we waited: `hit`. */
  | 'waited'
  /** Nobody stored a value within `waitMs`: load without the lease. */
  | 'timeout'
  /** Redis could not be asked: load without the lease. */
  | 'unavailable';

export interface LeaseResult<T> {
  outcome: LeaseOutcome;
  hit?: T;
  release?: () => void;
}

export class LeaseLock {
  readonly #client: Redis | Cluster;
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly #pollMs: number;

  constructor(client: Redis | Cluster, options: { leaseMs: number; waitMs: number; pollMs: number }) {
    this.#client = client;
    this.#leaseMs = options.leaseMs;
    this.#waitMs = options.waitMs;
    this.#pollMs = options.pollMs;
  }

  /**
   * Takes the lease on `lockKey` or waits for the holder's value. `readFresh` reads L2 and
   * returns a fresh value or undefined; `call` guards each Redis call; `key` names the
   * operation in errors. `onFirst` learns the outcome of the first attempt at once: true when
   * the caller may load now (lease taken, or Redis could not be asked), false when it waits.
   */
  async acquireOrWait<T>(lockKey: string, key: string, readFresh: () => Promise<T | undefined>, call: GuardedCall, onFirst?: (own: boolean) => void): Promise<LeaseResult<T>> {
    const token = randomBytes(8).toString('hex');
    const client = this.#client;
    const release = (): void => {
      call(() => client.eval(RELEASE, 1, lockKey, token) as Promise<unknown>, key).catch(() => {});
    };
    const deadline = now() + this.#waitMs;
    let waited = false;
    for (;;) {
      let acquired: boolean;
      try {
        acquired = (await call(() => client.set(lockKey, token, 'PX', this.#leaseMs, 'NX') as Promise<unknown>, key)) === 'OK';
      } catch {
        onFirst?.(true);
        return { outcome: 'unavailable' };
      }
      if (!waited) onFirst?.(acquired);
      if (acquired) {
        // Double check: the previous holder may have stored the value just before releasing.
        const hit = waited ? await readFresh() : undefined;
        if (hit !== undefined) {
          release();
          return { outcome: 'waited', hit };
        }
        return { outcome: 'acquired', release };
      }
      waited = true;
      if (now() >= deadline) return { outcome: 'timeout' };
      await delay(this.#pollMs);
      const hit = await readFresh();
      if (hit !== undefined) return { outcome: 'waited', hit };
    }
  }
}
