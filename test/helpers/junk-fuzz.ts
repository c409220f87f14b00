/**
 * Junk-argument fuzz of an engine against the TS engine: seeded random calls of every Engine
 * method where some arguments are valid and the others junk (wrong types, detached or short
 * views, bad numbers, sparse or throwing arrays, tables with a junk field). Both engines get
 * identical arguments (built twice from the same seed) and must fail alike: the same error
 * class and `code`, or the same result with output arrays written the same. The engine under
 * test must leave every argument untouched when it throws (the TS engine may have written a
 * prefix of `out` before meeting a junk element; it is internal and the public layer checks
 * every key first, so that is not compared). Only TypeError/RangeError may come out, except
 * the error a throwing array element raises itself. A crash ends the process: the caller sees it.
 *
 * Plain node:assert: runs under vitest (test/unit/junk-fuzz.test.ts) and under the emulated
 * arm64 Node (test/arm64/).
 */
import assert from 'node:assert/strict';
import type { Engine, RingTable } from '../../src/engine/types';
import { tableFor, rng, type Rng } from './random-keys';

/** What an element getter throws; it may pass through an engine unchanged. */
class GetterError extends Error {}

/** A view of `make`'s type whose buffer has been transferred away. */
function detached(make: (b: ArrayBuffer) => ArrayBufferView): ArrayBufferView {
  const buffer = new ArrayBuffer(16);
  const view = make(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

const VIEW_KINDS = [Uint8Array, Uint16Array, Uint32Array, Int32Array, Int8Array, Int16Array, Uint8ClampedArray, Float32Array, Float64Array];

/** One junk value (fresh objects on every call, so a detached view is detached for one call). */
function junk(g: Rng): unknown {
  switch (g.int(12)) {
    case 0:
      return g.pick([undefined, null, true, false, Symbol('j'), 10n, () => 1, {}, Object.create(null), new String('a')]);
    case 1:
      return g.pick([-1, -0, 0.5, 1.5, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, -(2 ** 53), 1e300, NaN, Infinity, -Infinity]);
    case 2:
      return g.pick(['', 'abc', '\ud800', '{a}b', 'x'.repeat(300)]);
    case 3: {
      const Kind = g.pick(VIEW_KINDS);
      return new Kind(g.pick([0, 1, 2, 3, 16, 40]));
    }
    case 4: {
      const Kind = g.pick(VIEW_KINDS);
      return detached((b) => new Kind(b));
    }
    case 5:
      return g.pick([new ArrayBuffer(8), new DataView(new ArrayBuffer(8)), Buffer.alloc(0), Buffer.from('ab')]);
    case 6:
      return g.pick([[], ['a'], ['a', 1], [Buffer.from('a'), null], [1, 2, 3], new Array(3)]);
    case 7: {
      // An array whose element getter throws: the engine must pass the getter's error on.
      const a = ['a', 'b'];
      Object.defineProperty(a, 1, {
        get() {
          throw new GetterError('element getter');
        },
      });
      return a;
    }
    case 8:
      return new Uint32Array(g.pick([[0, 5], [3, 1], [0, 0xffffffff], [0], []]));
    case 9:
      return new Uint16Array(g.int(3));
    case 10:
      return new Int32Array(g.int(3));
    default:
      return g.u32();
  }
}

/** A valid small table, or (junk) one with one field replaced. */
function table(g: Rng, junkIt: boolean): RingTable {
  const t = tableFor(Uint32Array.from([10, 2 ** 31, 2 ** 32 - 5]), g.pick([0, 4, 8]));
  if (!junkIt) return t;
  const field = g.pick(['points', 'buckets', 'shift'] as const);
  return { ...t, [field]: g() < 0.3 ? g.pick([7, 33, 8.5, -1, NaN]) : junk(g) } as RingTable;
}

interface Method {
  name: keyof Engine;
  /** Valid arguments; position `table` (if any) is a RingTable. */
  valid: (g: Rng) => unknown[];
  table?: number;
}

const METHODS: Method[] = [
  { name: 'md5', valid: () => ['abc', new Uint8Array(16)] },
  { name: 'md5Uint32', valid: () => ['abc'] },
  { name: 'murmur3', valid: () => ['abc', 7] },
  { name: 'crc16', valid: () => [Buffer.from('abc')] },
  { name: 'keySlot', valid: () => ['{u}a'] },
  { name: 'keySlots', valid: () => [['a', Buffer.from('b')], new Uint16Array(2)] },
  { name: 'keySlotsPacked', valid: () => [Buffer.from('abcd'), new Uint32Array([0, 2, 4]), new Uint16Array(2)] },
  { name: 'ringFind', valid: (g) => [table(g, false), 5], table: 0 },
  { name: 'ringLookup', valid: (g) => [table(g, false), ['a', 'bb'], 1, 0, new Int32Array(2)], table: 0 },
  {
    name: 'ringLookupPacked',
    valid: (g) => [table(g, false), Buffer.from('abcd'), new Uint32Array([0, 2, 4]), 0, 9, new Int32Array(2)],
    table: 0,
  },
];

/** Arguments for call `i`: the method's valid ones with 1..all positions replaced by junk. */
function callArgs(seed: number, i: number): { method: Method; args: unknown[] } {
  const g = rng(seed * 1_000_003 + i);
  const method = g.pick(METHODS);
  const args = method.valid(g);
  const junkCount = 1 + g.int(args.length);
  for (let j = 0; j < junkCount; j++) {
    const at = g.int(args.length);
    args[at] = at === method.table ? table(g, true) : junk(g);
  }
  return { method, args };
}

/** A view's contents as text (a detached view reads as empty; iterating it would throw). */
function contents(view: ArrayBufferView): string {
  const v = view as Uint8Array;
  let s = '';
  for (let i = 0; i < v.length; i++) s += `${v[i]},`;
  return s;
}

interface Outcome {
  /** `returns X | outputs` or `throws Class code` (outputs of a throwing call are not compared). */
  text: string;
  error?: unknown;
  /** The call threw after writing into one of its array arguments. */
  wroteThenThrew: boolean;
}

function outcome(e: Engine, method: Method, args: unknown[]): Outcome {
  const outs = args.filter((a): a is Uint8Array => ArrayBuffer.isView(a) && !(a instanceof DataView));
  const before = outs.map(contents).join('|');
  try {
    const r = (e[method.name] as (...a: unknown[]) => unknown)(...args);
    return { text: `returns ${String(r)} | ${outs.map(contents).join(' | ')}`, wroteThenThrew: false };
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const text = `throws ${(error as Error)?.constructor?.name ?? typeof error} ${String(code ?? '')}`;
    return { text, error, wroteThenThrew: outs.map(contents).join('|') !== before };
  }
}

export interface FuzzCounts {
  calls: number;
  threw: number;
  returned: number;
  getterErrors: number;
}

/**
 * `calls` seeded junk calls on `engine` and on `reference` (the TS engine); throws listing
 * the first disagreements. Returns how the calls went (every counter is asserted non-trivial).
 */
export function junkFuzz(engine: Engine, reference: Engine, calls: number, seed = 1): FuzzCounts {
  const counts: FuzzCounts = { calls: 0, threw: 0, returned: 0, getterErrors: 0 };
  const bad: string[] = [];
  for (let i = 0; i < calls && bad.length < 10; i++) {
    const a = callArgs(seed, i);
    const b = callArgs(seed, i);
    const got = outcome(engine, a.method, a.args);
    const want = outcome(reference, b.method, b.args);
    counts.calls++;
    if (got.text !== want.text) bad.push(`#${i} ${a.method.name}: engine ${got.text}; reference ${want.text}`);
    if (got.error === undefined) {
      counts.returned++;
    } else if (got.error instanceof GetterError) {
      counts.getterErrors++;
    } else {
      counts.threw++;
      if (got.wroteThenThrew) bad.push(`#${i} ${a.method.name}: wrote into an argument, then threw`);
      if (!(got.error instanceof TypeError || got.error instanceof RangeError)) {
        bad.push(`#${i} ${a.method.name}: threw ${String((got.error as Error)?.stack ?? got.error)}`);
      }
    }
  }
  assert.deepEqual(bad, []);
  assert.equal(counts.calls, calls);
  assert.equal(counts.threw + counts.returned + counts.getterErrors, calls);
  // The mix must exercise both paths, or the fuzz tests nothing.
  assert.ok(counts.threw > calls / 2, `only ${counts.threw} of ${calls} calls threw`);
  assert.ok(counts.returned > 0 && counts.getterErrors > 0, JSON.stringify(counts));
  return counts;
}
