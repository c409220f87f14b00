/**
 * The soak's one clock: this process's wall-clock origin (`performance.timeOrigin`, read once at
 * its start) plus its monotonic clock. Every process logs on it, so times from the coordinator
 * and the workers compare to within the origins' error (sub-millisecond on one machine), and no
 * wall-clock step during the run moves them.
 */
import { performance } from 'node:perf_hooks';

export function now(): number {
  return performance.timeOrigin + performance.now();
}
