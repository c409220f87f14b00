/**
 * The controllable clock for tests where time is logic (TTLs, grace, timeouts, the circuit
 * breaker): vitest's fake timers drive `Date.now()` and the timers, which is everything the
 * cache reads time from (src/cache/clock.ts reads `Date.now()` and expires its 1 ms cache with a
 * timer; creation stamps read `performance.now()`, tied here to `Date.now()`). Time moves only
 * when the test says so, so a 150 ms TTL is checked at 149 and 151 ms instead of with a 20 ms
 * margin against a loaded machine.
 *
 * Only for in-process stores (MemoryStore/ChaosStore): a real socket's replies arrive in real time.
 */
import { vi } from 'vitest';
import { expireCoarseClock, stamp } from '../../src/cache/clock';

/** Installs the fake clock (restore it with {@link useRealClock}, e.g. in `afterEach`). */
export async function useFakeClock(): Promise<void> {
  // Let the cache's coarse clock expire its real-time value first (its timer is 1 ms).
  await new Promise((r) => setTimeout(r, 2));
  // Start at the cache's latest creation stamp or later: stamps never go backwards within a process,
  // and an earlier fake test may have moved time past the real clock.
  const start = Math.ceil(Math.max(Date.now(), stamp())) + 1;
  vi.useFakeTimers({ now: start, toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  // Anything that read the coarse clock since the wait above (a previous test's background work)
  // cached a real-time reading whose expiry is a real timer, which fake time never fires: drop it.
  expireCoarseClock();
  // The cache stamps creation times as `performance.timeOrigin + performance.now()`, which must
  // agree with `Date.now()` (a faked `performance` restarts `now()` from 0): derive it from Date.
  perfNow = vi.spyOn(performance, 'now').mockImplementation(() => Date.now() - performance.timeOrigin);
}

let perfNow: { mockRestore(): void } | undefined;

/** Moves the fake clock `ms` forward, running due timers and the promise jobs they start. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/**
 * Back to real time. The cache's coarse clock keeps its last reading until its 1 ms timer fires:
 * that timer is a fake one now, so fire it first, or `now()` would stay frozen for the rest of
 * the file. Keep the total fake advance of a test small (it is waited out here).
 */
export async function useRealClock(): Promise<void> {
  if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(2);
  vi.useRealTimers();
  expireCoarseClock();
  perfNow?.mockRestore();
  perfNow = undefined;
  // Fake time may have run ahead of the real clock: creation stamps never go backwards, so until
  // real time catches up every new entry would look created in the future. Wait it out.
  const ahead = stamp() - Date.now();
  if (ahead > 0) await new Promise((r) => setTimeout(r, Math.ceil(ahead) + 1));
}
