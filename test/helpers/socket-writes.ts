/**
 * How many writes a client's socket made: counts the calls of the stream's `_write` and
 * `_writev` (a corked batch leaves in one `_writev`; uncorked, each command is a write).
 */

/** Starts counting the writes of `stream` (an ioredis connection's socket); read `.n`. */
export function countSocketWrites(stream: unknown): { n: number } {
  const s = stream as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const count = { n: 0 };
  for (const m of ['_write', '_writev'] as const) {
    const f = s[m];
    s[m] = function (this: unknown, ...args: unknown[]) {
      count.n++;
      return f.apply(this, args);
    };
  }
  return count;
}
