/**
 * Packed batches whose `offsets` live on a SharedArrayBuffer that a Worker writes while the
 * main thread hashes (issue 21, case b). The Worker cycles one offset through a valid value A,
 * an invalid 0xF0000000, a second valid value B and the invalid one again. Every call must
 * either throw a RangeError naming `offsets` or return exactly the answer for A or for B: each
 * offset is read once, checked, and used as read. Before the fix the native engine read an
 * offset again after checking it and died with SIGSEGV within the first few hundred calls;
 * the TS engine looped over ~4 G out-of-range indexes.
 *
 * Bounded by iteration count. The main thread waits (Atomics.wait) for the Worker to have
 * flipped again before each call, so consecutive calls see different values and all three
 * outcomes occur; whether a flip also lands inside a call is up to the scheduler, which is
 * the race itself.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { engines, type Engine } from '../../src/engine';
import { HashRing, keySlotsPacked, packKeys } from '../../src/index';
import { importDefault, testEngines } from '../helpers/load-binding';

const ITERATIONS = 1200;
const KEYS = Array.from({ length: 600 }, (_, i) => `race-${i}-${'y'.repeat(i % 17)}`);
/** The flipped offset: 256 is the first offset of the second chunk of 256 keys (native). */
const FLIPPED = 256;
const INVALID = 0xf0000000;
const { data, offsets: original } = packKeys(KEYS);
const A = original[FLIPPED];
const B = original[FLIPPED - 1]; // key 255 empty, key 256 spans two keys' bytes

/** Writes values[i % 4] into offsets[index] until control[0] is set; control[1] counts flips. */
const FLIPPER = `
const { workerData } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const offsets = new Uint32Array(workerData.offsets);
const { index, values } = workerData;
for (let i = 1; Atomics.load(control, 0) === 0; i++) {
  offsets[index] = values[i & 3];
  // Every 257th flip (257 = 1 mod 4): a main thread that runs before the next flip still sees
  // each of the four values in turn, not always the one written just before the notify.
  if (i % 257 === 0) {
    Atomics.store(control, 1, i);
    Atomics.notify(control, 1);
  }
}
`;

/** Offsets on a SharedArrayBuffer, as `original` with offsets[FLIPPED] set to `value`. */
function sharedOffsets(value = A): Uint32Array {
  const offsets = new Uint32Array(new SharedArrayBuffer(original.byteLength));
  offsets.set(original);
  offsets[FLIPPED] = value;
  return offsets;
}

interface Outcomes {
  a: number;
  b: number;
  threw: number;
}

/**
 * Runs `call(offsets)` ITERATIONS times while a Worker flips offsets[FLIPPED]; `same(result,
 * which)` says whether a result is the answer for A or B.
 */
async function race<T>(call: (offsets: Uint32Array) => T, wantA: T, wantB: T, same: (x: T, y: T) => boolean): Promise<Outcomes> {
  const offsets = sharedOffsets();
  const control = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(FLIPPER, {
    eval: true,
    workerData: { control: control.buffer, offsets: offsets.buffer, index: FLIPPED, values: [A, INVALID, B, INVALID] },
  });
  const exited = once(worker, 'exit');
  const outcomes: Outcomes = { a: 0, b: 0, threw: 0 };
  try {
    await once(worker, 'online');
    while (Atomics.load(control, 1) === 0) await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < ITERATIONS; i++) {
      // Wait until the Worker has flipped again. The timeout only keeps a stalled Worker from
      // hanging the loop; it bounds nothing that is checked.
      Atomics.wait(control, 1, Atomics.load(control, 1), 1000);
      let result: T;
      try {
        result = call(offsets);
      } catch (err) {
        if (!(err instanceof RangeError) || !/offsets/.test(err.message)) throw err;
        outcomes.threw++;
        continue;
      }
      if (same(result, wantA)) outcomes.a++;
      else if (same(result, wantB)) outcomes.b++;
      else expect.fail(`call ${i}: an answer for neither offsets[${FLIPPED}] = ${A} nor ${B}`);
    }
  } finally {
    Atomics.store(control, 0, 1);
    await exited;
  }
  return outcomes;
}

function expectAllOutcomes(o: Outcomes): void {
  expect(o.a + o.b + o.threw).toBe(ITERATIONS);
  expect(o.a, 'answers for A').toBeGreaterThan(0);
  expect(o.b, 'answers for B').toBeGreaterThan(0);
  expect(o.threw, 'RangeErrors').toBeGreaterThan(0);
}

const sameArray = (x: ArrayLike<unknown>, y: ArrayLike<unknown>): boolean => {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};

function slotsFor(value: number): Uint16Array {
  const out = new Uint16Array(KEYS.length);
  engines.js.keySlotsPacked(data, sharedOffsets(value), out);
  return out;
}

type Api = { keySlotsPacked: typeof keySlotsPacked; HashRing: typeof HashRing };
const apis: [string, () => Promise<Api>][] = [
  [`public API, project engine (${process.env.RINGCACHE_BACKEND ?? 'default'})`, async () => ({ keySlotsPacked, HashRing })],
];
if (process.env.RINGCACHE_BACKEND !== 'js') apis.push(['public API, hybrid default', async () => (await importDefault()).api]);
const SERVERS = Array.from({ length: 7 }, (_, i) => `10.1.0.${i}:6379`);

describe('keySlotsPacked while a Worker rewrites one offset', () => {
  const wantA = slotsFor(A);
  const wantB = slotsFor(B);

  it.each(testEngines())('%s engine', async (_name, e: Engine) => {
    const out = new Uint16Array(KEYS.length);
    const o = await race((offsets) => (e.keySlotsPacked(data, offsets, out), out), wantA, wantB, sameArray);
    expectAllOutcomes(o);
  });

  it.each(apis)('%s', async (_name, load) => {
    const api = await load();
    const out = new Uint16Array(KEYS.length);
    expectAllOutcomes(await race((offsets) => api.keySlotsPacked(data, offsets, out), wantA, wantB, sameArray));
  });
});

describe.each([['md5'], ['murmur3']] as const)('HashRing.getManyPacked (%s) while a Worker rewrites one offset', (algo) => {
  const reference = new HashRing(SERVERS, algo, { engine: engines.js });
  const wantA = reference.getManyPacked(data, sharedOffsets(A));
  const wantB = reference.getManyPacked(data, sharedOffsets(B));

  it.each(testEngines())('%s engine', async (_name, engine: Engine) => {
    const ring = new HashRing(SERVERS, algo, { engine });
    const out: string[] = [];
    expectAllOutcomes(await race((offsets) => ring.getManyPacked(data, offsets, out), wantA, wantB, sameArray));
  });

  it.each(apis)('%s', async (_name, load) => {
    const ring = new (await load()).HashRing(SERVERS, algo);
    expectAllOutcomes(await race((offsets) => ring.getManyPacked(data, offsets), wantA, wantB, sameArray));
  });
});
