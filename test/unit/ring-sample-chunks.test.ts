/**
 * `distribution(n)` and `movement(a, b, n)` measure a sample of any size in constant memory
 * (issue 20, item 2): keys go to the rings in chunks of SAMPLE_CHUNK, generated into one reused
 * array, the servers written into one reused `out` array — so a 100M-key sample costs time, not
 * heap. Checked through the calls the rings receive (no test needs 100M keys of work), and the
 * reports checked against key-by-key counts.
 */
import { describe, expect, it } from 'vitest';
import type { Key } from '../../src/engine';
import { SAMPLE_CHUNK, distribution, movement } from '../../src/ring/distribution';
import { HashRing } from '../../src/ring/hash-ring';
import { ModuloRing } from '../../src/ring/modulo-ring';

const SERVERS = ['a:1', 'b:2', 'c:3', 'd:4'];
/** Two chunks and a partial third. */
const N = 2 * SAMPLE_CHUNK + 1234;

interface Calls {
  sizes: number[];
  keyArrays: Set<readonly Key[]>;
  outs: Set<unknown>;
}

/** A real ring that records the batches it is asked to place. */
class RecordingRing extends HashRing {
  calls: Calls = { sizes: [], keyArrays: new Set(), outs: new Set() };
  override getMany(keys: readonly Key[], out?: string[]): string[] {
    this.calls.sizes.push(keys.length);
    this.calls.keyArrays.add(keys);
    this.calls.outs.add(out);
    return super.getMany(keys, out);
  }
}

function expectChunked(calls: Calls, total: number, generated: boolean) {
  expect(calls.sizes.reduce((a, b) => a + b, 0)).toBe(total);
  expect(Math.max(...calls.sizes)).toBeLessThanOrEqual(SAMPLE_CHUNK);
  expect(calls.sizes).toHaveLength(Math.ceil(total / SAMPLE_CHUNK));
  // One reused output array (not undefined: the ring writes into it instead of allocating).
  expect(calls.outs.size).toBe(1);
  expect([...calls.outs][0]).toBeInstanceOf(Array);
  // Generated keys go into one reused array too.
  if (generated) expect(calls.keyArrays.size).toBe(1);
}

const keyAt = (i: number) => `sample-${i}`;

describe('analysis samples are measured in constant memory', () => {
  it('distribution(n): chunks of SAMPLE_CHUNK keys, reused arrays, counts equal a key-by-key count', () => {
    const ring = new RecordingRing(SERVERS);
    const report = ring.distribution(N);
    expectChunked(ring.calls, N, true);
    const plain = new HashRing(SERVERS);
    const want = new Map(SERVERS.map((s) => [s, 0]));
    for (let i = 0; i < N; i++) want.set(plain.get(keyAt(i)), want.get(plain.get(keyAt(i)))! + 1);
    expect(report.keys).toBe(N);
    expect(new Map(report.servers.map((s) => [s.server, s.count]))).toEqual(want);
  });

  it('a key-array sample is placed in slices of SAMPLE_CHUNK as well', () => {
    const ring = new RecordingRing(SERVERS);
    const keys = Array.from({ length: N }, (_, i) => keyAt(i));
    expect(distribution(ring, keys)).toEqual(distribution(new HashRing(SERVERS), N));
    expectChunked(ring.calls, N, false);
  });

  it('movement(a, b, n): both rings in chunks with their own reused out; counts equal a key-by-key comparison', () => {
    const from = new RecordingRing(SERVERS);
    const to = new RecordingRing([...SERVERS, 'e:5']);
    const report = movement(from, to, N);
    expectChunked(from.calls, N, true);
    expectChunked(to.calls, N, true);
    expect([...from.calls.outs][0]).not.toBe([...to.calls.outs][0]);
    let moved = 0;
    const a = new HashRing(SERVERS);
    const b = new HashRing([...SERVERS, 'e:5']);
    for (let i = 0; i < N; i++) if (a.get(keyAt(i)) !== b.get(keyAt(i))) moved++;
    expect(report.keys).toBe(N);
    expect(report.moved).toBe(moved);
    expect(report.gained).toEqual([{ server: 'e:5', count: moved }]);
  });

  it('ModuloRing samples go the same way; the cap stays a RangeError naming sample', () => {
    const modulo = new ModuloRing(SERVERS);
    expect(modulo.distribution(N).keys).toBe(N);
    expect(() => distribution(modulo, 100_000_001)).toThrow(/for sample/);
    expect(() => distribution(modulo, 100_000_001)).toThrow(RangeError);
  });
});
