/**
 * The freshness oracle (test/helpers/freshness.ts) that the chaos tests rely on: it must flag a
 * stale read, a version never written and an unexpected miss, and must not flag overlapping or
 * unacknowledged writes.
 */
import { describe, expect, it } from 'vitest';
import { FreshnessOracle } from '../helpers/freshness';

describe('FreshnessOracle', () => {
  it('a read that starts after an acknowledged write and returns an older version is stale', () => {
    const o = new FreshnessOracle({ initial: new Map([['k', 0]]) });
    const w1 = o.write('k', 1, 'a');
    w1.ack();
    const early = o.read('k', 'b'); // started before w2
    const w2 = o.write('k', 2, 'a');
    w2.ack();
    expect(early.end(1)).toBeUndefined(); // concurrent with w2: either answer is fine
    expect(o.read('k', 'b').end(2)).toBeUndefined();
    expect(o.read('k', 'b').end(1)).toMatchObject({ kind: 'stale', got: 1, newer: { version: 2 } });
    expect(o.read('k', 'b').end(0)).toMatchObject({ kind: 'stale', got: 0 }); // the initial version
    expect(o.read('k', 'b').end(7)).toMatchObject({ kind: 'never-written' });
    expect(o.read('k', 'b').end(undefined)).toMatchObject({ kind: 'missing' });
    expect(o.counts()).toEqual({ writes: 2, acked: 2, failed: 0, reads: 6, versions: 5, misses: 1, violations: 4 });
    expect(o.describe()).toHaveLength(4);
  });

  it('overlapping writes may be read in either order; unacknowledged writes are never older', () => {
    const o = new FreshnessOracle();
    const a = o.write('k', 1, 'x');
    const b = o.write('k', 2, 'y');
    b.ack();
    a.ack(); // overlapped b: L2 may hold either
    expect(o.read('k', 'r').end(1)).toBeUndefined();
    expect(o.read('k', 'r').end(2)).toBeUndefined();
    const failed = o.write('k', 3, 'x');
    failed.fail(); // may still land at any time
    o.write('k', 4, 'x').ack();
    expect(o.read('k', 'r').end(3)).toBeUndefined();
    expect(o.read('k', 'r').end(2)).toMatchObject({ kind: 'stale', newer: { version: 4 } });
    expect(o.counts()).toMatchObject({ writes: 4, acked: 3, failed: 1, violations: 1 });
  });

  it('allowMissing and visible() narrow what a read must see', () => {
    const o = new FreshnessOracle({ allowMissing: true, visible: (w, reader) => w.source === reader });
    o.write('k', 1, 'a').ack();
    o.write('k', 2, 'b').ack();
    expect(o.read('k', 'a').end(undefined)).toBeUndefined();
    expect(o.read('k', 'a').end(1)).toBeUndefined(); // b's write is not visible to a
    expect(o.read('k', 'b').end(1)).toMatchObject({ kind: 'stale' });
    expect(() => o.write('k', 2, 'c')).toThrow(/written twice/);
  });
});
