/**
 * The cache's clock: every expiry check, deadline, creation stamp and poll delay of
 * `src/cache` reads time and arms timers here, so a test can swap in a {@link ManualClock} and
 * make time logic deterministic (no wall-clock sleeps, no flaky margins).
 *
 * The default is a coarse wall clock for hot paths. `Date.now()` costs 60–130 ns on some VMs
 * (no vDSO fast path), more than an L1 hit itself; like lru-cache's `ttlResolution`, the value
 * is read once and reused until a 1 ms timer (unref'd, armed only while the clock is in use)
 * expires it. Within one synchronous stretch the clock does not advance: expiry checks are
 * exact to the millisecond plus the length of the current event-loop turn.
 */

/** A handle of a timer armed through {@link setTimer}. */
export type TimerHandle = { readonly id: unknown };

/** A source of time and timers (see {@link useClock}). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Wall-clock-like time with sub-millisecond precision (creation stamps). */
  precise(): number;
  /** Calls `fn` once after `ms` milliseconds (never keeps the process alive). */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

let cached = 0;

function expire(): void {
  cached = 0;
}

const wallClock: Clock = {
  now(): number {
    if (cached === 0) {
      cached = Date.now();
      setTimeout(expire, 1).unref();
    }
    return cached;
  },
  precise: () => performance.timeOrigin + performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { id: t };
  },
  clearTimer: (h) => clearTimeout(h.id as NodeJS.Timeout),
};

let clock: Clock = wallClock;

/**
 * Drops the coarse clock's cached reading, so the next {@link now} reads `Date.now()` again.
 * For tests that swap the timer implementation (vitest's fake timers): a reading cached under
 * the other one would otherwise last until a timer of that other implementation fires.
 */
export function expireCoarseClock(): void {
  cached = 0;
}

/** Milliseconds since the epoch, at most ~1 ms (plus the current turn) old. */
export function now(): number {
  return clock === wallClock ? wallClock.now() : clock.now();
}

export function setTimer(fn: () => void, ms: number): TimerHandle {
  return clock.setTimer(fn, ms);
}

export function clearTimer(handle: TimerHandle): void {
  clock.clearTimer(handle);
}

let lastStamp = 0;

/**
 * Creation and clear times: milliseconds since the epoch with sub-millisecond precision,
 * strictly increasing within the process, so a `set` right after a `clear` (same millisecond)
 * is newer than the clear. Across processes the comparison is as good as the clocks' sync.
 */
export function stamp(): number {
  const t = clock.precise();
  lastStamp = t > lastStamp ? t : lastStamp + 0.001;
  return lastStamp;
}

/**
 * Makes `c` the clock of every cache in this process (tests); `undefined` restores the wall
 * clock. Swap it only while no cache has timers pending.
 */
export function useClock(c: Clock | undefined): void {
  clock = c ?? wallClock;
  lastStamp = 0; // stamps follow the new clock, even one that starts earlier
}

/**
 * A clock that moves only when told: {@link advance} runs the timers that fall due, in
 * deadline order (ties in arming order), each at its own time.
 */
export class ManualClock implements Clock {
  #t: number;
  #sub = 0;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; seq: number; fn: () => void }>();

  /** `start` defaults to a time after any wall-clock stamp this process can have made (2033). */
  constructor(start = 2_000_000_000_000) {
    this.#t = start;
  }

  now(): number {
    return this.#t;
  }

  precise(): number {
    // Distinct, increasing values within one millisecond (a stamp right after a clear is newer).
    this.#sub = Math.min(this.#sub + 0.001, 0.999);
    return this.#t + this.#sub;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#t + Math.max(0, ms), seq, fn });
    return { id: seq };
  }

  clearTimer(handle: TimerHandle): void {
    this.#timers.delete(handle.id as number);
  }

  /** Timers armed and not yet run. */
  get pending(): number {
    return this.#timers.size;
  }

  /** When the next timer is due (Infinity when none). */
  get nextAt(): number {
    let at = Infinity;
    for (const t of this.#timers.values()) if (t.at < at) at = t.at;
    return at;
  }

  /** Moves time forward by `ms`, running each timer that falls due at its deadline. */
  advance(ms: number): void {
    const end = this.#t + ms;
    for (;;) {
      let next: { at: number; seq: number; fn: () => void } | undefined;
      for (const t of this.#timers.values()) if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (next === undefined) break;
      this.#timers.delete(next.seq);
      if (next.at > this.#t) {
        this.#t = next.at;
        this.#sub = 0;
      }
      next.fn();
    }
    if (end > this.#t) {
      this.#t = end;
      this.#sub = 0;
    }
  }
}
