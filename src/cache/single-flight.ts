/**
 * In-process single-flight: one pending computation per key; callers that arrive while it runs
 * share its promise. `claim` hands out a settle-it-yourself slot so a batch (`getOrSetMany`)
 * can own many keys with one loader call while single calls join them.
 */

/** A claimed slot: settle it exactly once; the key is released when it settles. */
export interface FlightSlot<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export class SingleFlight<T> {
  readonly #inflight = new Map<string, Promise<T>>();

  /** Keys with a computation in flight. */
  get size(): number {
    return this.#inflight.size;
  }

  /** The pending promise for `key`, if any. */
  peek(key: string): Promise<T> | undefined {
    return this.#inflight.get(key);
  }

  /** Joins the computation for `key`, or starts `fn` as it. */
  do(key: string, fn: () => Promise<T>): Promise<T> {
    const pending = this.#inflight.get(key);
    if (pending !== undefined) return pending;
    const slot = this.claim(key);
    fn().then(slot.resolve, slot.reject);
    return slot.promise;
  }

  /**
   * Detaches `key`'s computation (after an invalidation): its callers still get its result,
   * but later callers start a new one instead of joining a computation begun before the change.
   */
  forget(key: string): void {
    this.#inflight.delete(key);
  }

  /** {@link forget} for every key. */
  forgetAll(): void {
    this.#inflight.clear();
  }

  /** Registers a pending slot for `key` (which must not be in flight: check {@link peek}). */
  claim(key: string): FlightSlot<T> {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A slot nobody joined may reject unobserved (a batch owns it): that is not an unhandled error.
    promise.catch(() => {});
    this.#inflight.set(key, promise);
    let settled = false;
    const release = (): void => {
      if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
    };
    return {
      promise,
      resolve: (v) => {
        if (settled) return;
        settled = true;
        release();
        resolve(v);
      },
      reject: (e) => {
        if (settled) return;
        settled = true;
        release();
        reject(e);
      },
    };
  }
}
