/**
 * A coarse wall clock for hot paths. `Date.now()` costs 60–130 ns on some VMs (no vDSO fast
 * path), more than an L1 hit itself; like lru-cache's `ttlResolution`, the value is read once
 * and reused until a 1 ms timer (unref'd, armed only while the clock is in use) expires it.
 * Within one synchronous stretch the clock does not advance: expiry checks are exact to the
 * millisecond plus the length of the current event-loop turn.
 */
let cached = 0;

function expire(): void {
  cached = 0;
}

/** Milliseconds since the epoch, at most ~1 ms (plus the current turn) old. */
export function now(): number {
  if (cached === 0) {
    cached = Date.now();
    setTimeout(expire, 1).unref();
  }
  return cached;
}
