/**
 * The C++ core and the TypeScript engine give bit-identical answers: every Engine method on
 * 100k+ seeded random inputs (keys of every shape, random ring tables), compared as arrays.
 * Runs once, in the `native` project (the engines are built here, whatever the project's own;
 * test/unit/engine-configs.test.ts compares the hybrid dispatch too).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Key } from '../../src/engine';
import { loadNativeBinding, nativeEngine } from '../../src/engine/native';
import { randomTable } from '../helpers/engine-inputs';
import { project } from '../helpers/project';
import { ringBatches, ringFind, singleKeyMethods, slotBatches } from '../helpers/engines-differential';
import { randomKey, rng } from '../helpers/random-keys';

const N = 100_000;
const js: Engine = engines.js;
let native: Engine;
/** Keys of every shape: lengths 0..300, ASCII, brace-heavy, UTF-16 with lone surrogates, views. */
let keys: Key[] = [];

describe.runIf(project === 'native')('native engine ≡ TypeScript engine', () => {
  beforeAll(() => {
    native = nativeEngine(loadNativeBinding());
    const r = rng(0xa9ee);
    keys = Array.from({ length: N }, () => randomKey(r, 300));
    expect(native.backend).toBe('native');
    expect(js.backend).toBe('js');
  });

  it(`single-key methods agree on ${N} keys: md5, md5Uint32, murmur3, crc16, keySlot`, () => {
    expect(singleKeyMethods({ native, js }, keys)).toBe(`${N} keys × 5 methods`);
  });

  it('md5 writes exactly out[0..16) and leaves the rest (and a subarray’s neighbours) alone', () => {
    const backingA = new Uint8Array(40).fill(0x55);
    const backingB = new Uint8Array(40).fill(0x55);
    native.md5('abc', backingA.subarray(3, 23));
    js.md5('abc', backingB.subarray(3, 23));
    expect(Array.from(backingA)).toEqual(Array.from(backingB));
    expect(Buffer.from(backingA.subarray(3, 19)).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(backingA.subarray(19).every((x) => x === 0x55) && backingA[2] === 0x55).toBe(true);
  });

  it('keySlots and keySlotsPacked agree over all keys in random batches (tails untouched)', () => {
    expect(slotBatches({ native, js }, keys)).toMatch(new RegExp(`^${N} keys in \\d+ batches$`));
  });

  it('ringFind agrees (and matches the contract) on random tables and hashes', () => {
    expect(ringFind({ native, js }, 120, 900)).toBe('108000 lookups on 120 tables');
  });

  it('ringLookup and ringLookupPacked agree for md5 and murmur3 with random seeds', () => {
    expect(ringBatches({ native, js }, keys, 60)).toMatch(new RegExp(`^${N} keys \\(md5 \\d+, murmur3 \\d+\\) on 60 tables$`));
  });

  it('agree on corrupt (non-monotonic) bucket indexes: same answer, no crash', () => {
    const g = rng(8);
    let compared = 0;
    for (let k = 0; k < 200; k++) {
      const t = randomTable(g, g.int(50), g.int(9));
      for (let b = 0; b < t.buckets.length - 1; b++) if (g() < 0.3) t.buckets[b] = g.int(t.points.length + 10);
      for (let j = 0; j < 50; j++) {
        const h = g.u32();
        expect(native.ringFind(t, h), `shift=${t.shift} h=${h}`).toBe(js.ringFind(t, h));
        compared++;
      }
    }
    expect(compared).toBe(10_000);
  });

  it('agree on edge shapes: no keys, empty offsets, a single offset, empty ring', () => {
    const outcome = (f: () => unknown): string => {
      try {
        return `ok ${JSON.stringify(f())}`;
      } catch (e) {
        return `throws ${(e as Error).constructor.name}`;
      }
    };
    const t = randomTable(rng(10), 5, 8);
    const empty = randomTable(rng(10), 0, 8);
    const cases: [string, (e: Engine) => unknown][] = [
      ['keySlots([])', (e) => e.keySlots([], new Uint16Array(0))],
      ['keySlotsPacked(offsets [])', (e) => e.keySlotsPacked(new Uint8Array(0), new Uint32Array(0), new Uint16Array(0))],
      ['keySlotsPacked(offsets [0])', (e) => e.keySlotsPacked(new Uint8Array(0), new Uint32Array([0]), new Uint16Array(0))],
      ['ringLookup([])', (e) => e.ringLookup(t, [], 0, 0, new Int32Array(0))],
      ['ringLookupPacked(offsets [])', (e) => e.ringLookupPacked(t, new Uint8Array(0), new Uint32Array(0), 0, 0, new Int32Array(0))],
      ['ringLookupPacked(offsets [0])', (e) => e.ringLookupPacked(t, new Uint8Array(0), new Uint32Array([0]), 1, 0, new Int32Array(0))],
      ['ringLookup(empty ring)', (e) => {
        const o = new Int32Array(2);
        e.ringLookup(empty, ['a', ''], 1, 0, o);
        return Array.from(o);
      }],
      ['ringLookupPacked(empty ring)', (e) => {
        const o = new Int32Array(3).fill(5);
        e.ringLookupPacked(empty, Buffer.from('ab'), new Uint32Array([0, 1, 2]), 0, 0, o);
        return Array.from(o);
      }],
      ['ringFind(empty ring)', (e) => e.ringFind(empty, 123)],
    ];
    const bad: string[] = [];
    for (const [what, f] of cases) {
      const a = outcome(() => f(native));
      const b = outcome(() => f(js));
      if (a !== b) bad.push(`${what}: native ${a}, js ${b}`);
    }
    expect(bad).toEqual([]);
  });

  it('agree on numbers outside uint32 for seed and hash: same value, or both throw the same error class', () => {
    const outcome = (f: () => number): string => {
      try {
        return `value ${f()}`;
      } catch (e) {
        return `throws ${(e as Error).constructor.name}`;
      }
    };
    const t = randomTable(rng(9), 100, 8);
    const bad: string[] = [];
    for (const x of [-1, -0, 1.5, -1.5, 2 ** 32, 2 ** 32 + 5, 2 ** 53, -(2 ** 53), 1e300, NaN, Infinity, -Infinity]) {
      const pairs: [string, () => number, () => number][] = [
        ['murmur3 seed', () => native.murmur3('abc', x), () => js.murmur3('abc', x)],
        ['ringFind hash', () => native.ringFind(t, x), () => js.ringFind(t, x)],
        [
          'ringLookup seed',
          () => {
            const o = new Int32Array(1);
            native.ringLookup(t, ['abc'], 1, x, o);
            return o[0];
          },
          () => {
            const o = new Int32Array(1);
            js.ringLookup(t, ['abc'], 1, x, o);
            return o[0];
          },
        ],
      ];
      for (const [what, n, j] of pairs) {
        const a = outcome(n);
        const b = outcome(j);
        if (a !== b) bad.push(`${what} ${x}: native ${a}, js ${b}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
