/**
 * Timeouts without one timer per call: every pending deadline sits in a set scanned by a single
 * unref'd 10 ms timer on the cache clock, re-armed only while something is pending. An L2 read at
 * 300 k ops/s would otherwise create and clear 300 k timers a second.
 */

import { clearTimer, now, setTimer, type TimerHandle } from './clock';

const RESOLUTION_MS = 10;

interface Pending {
  deadline: number;
  fire: () => void;
}

const pending = new Set<Pending>();
let timer: TimerHandle | undefined;

function tick(): void {
  timer = undefined;
  const t = now();
  for (const p of pending) {
    if (p.deadline <= t) {
      pending.delete(p);
      p.fire();
    }
  }
  if (pending.size > 0 && timer === undefined) timer = setTimer(tick, RESOLUTION_MS);
}

/** A registered deadline (see {@link addDeadline}). */
type Deadline = Pending;

/** Calls `fire` once `ms` milliseconds have passed (give or take 10 ms) unless cleared first. */
function addDeadline(ms: number, fire: () => void): Deadline {
  const p: Pending = { deadline: now() + ms, fire };
  pending.add(p);
  if (timer === undefined) timer = setTimer(tick, RESOLUTION_MS);
  return p;
}

function clearDeadline(p: Deadline): void {
  pending.delete(p);
  if (pending.size === 0 && timer !== undefined) {
    clearTimer(timer);
    timer = undefined;
  }
}

/**
 * `promise`, or a rejection with `onTimeout()` once `ms` milliseconds have passed (give or take
 * 10 ms). `ms <= 0` or `Infinity` means no limit. The work behind `promise` is not cancelled.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!(ms > 0) || ms === Infinity) return promise;
  return new Promise<T>((resolve, reject) => {
    const d = addDeadline(ms, () => reject(onTimeout()));
    promise.then(
      (v) => {
        clearDeadline(d);
        resolve(v);
      },
      (e) => {
        clearDeadline(d);
        reject(e);
      },
    );
  });
}

/** Resolves after `ms` (on the cache's clock). */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimer(r, ms));
}

/** An entry of a {@link DeadlineQueue}: `settled` set by its owner when done; `expire` runs otherwise. */
export interface QueuedDeadline {
  settled: boolean;
  deadline: number;
  expire(): void;
}

/**
 * Deadlines that all have the same duration (one cache's `l2TimeoutMs`), kept in arrival order,
 * which is also deadline order: adding is an array push, clearing is setting `settled`, and a
 * 10 ms tick pops settled or expired entries from the front. No hashing, no timer per call.
 */
export class DeadlineQueue {
  readonly #ms: number;
  #items: QueuedDeadline[] = [];
  #head = 0;
  #timer: TimerHandle | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Whether deadlines are on (ms > 0 and finite). */
  get enabled(): boolean {
    return this.#ms > 0 && this.#ms !== Infinity;
  }

  /** Registers `entry`, due `ms` from now. */
  add(entry: QueuedDeadline): void {
    entry.deadline = now() + this.#ms;
    const items = this.#items;
    // Drop settled entries from the front now (calls mostly finish in order): the queue then
    // holds only what is really in flight, and nothing lives on for the GC to promote.
    let head = this.#head;
    while (head < items.length && items[head].settled) head++;
    if (head === items.length) {
      items.length = 0;
      head = 0;
    } else if (head > 64 && head * 2 > items.length) {
      items.splice(0, head);
      head = 0;
    }
    this.#head = head;
    items.push(entry);
    if (this.#timer === undefined) this.#timer = setTimer(this.#tick, RESOLUTION_MS);
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    const t = now();
    const items = this.#items;
    let head = this.#head;
    while (head < items.length) {
      const e = items[head];
      if (!e.settled) {
        if (e.deadline > t) break;
        e.settled = true;
        e.expire();
      }
      head++;
    }
    if (head === items.length) {
      items.length = 0;
      head = 0;
    } else {
      if (head > 1024 && head * 2 > items.length) {
        items.splice(0, head);
        head = 0;
      }
      this.#timer = setTimer(this.#tick, RESOLUTION_MS);
    }
    this.#head = head;
  };
}
