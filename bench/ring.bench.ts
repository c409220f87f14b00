/**
 * Ring suite: HashRing (native engine, TS engine) against the `hashring` package it replaces.
 *
 * - `get`, uncached: 100k distinct keys walked in slices, so no cache (theirs holds 5000) hits;
 * - `get`, hot keys: 1000 keys over and over (both caches hit);
 * - `getMany` of 1000 keys (one engine call) against a `get` loop;
 * - `getManyPacked` on an `algorithm: 'murmur3'` ring (Buffer keys packed into one array),
 *   returning a new array or filling a reused one;
 * - add + remove of one server on a 1000-server ring (incremental merge vs full rebuild);
 * - bytes per ring point ({@link ringMemory}).
 * 10 and 100 servers, 11-byte and 40-100-byte keys.
 *
 *   npm run build:ts && npx ringcache bench --suite ring
 *   node dist/bench/ring.bench.js [--time MS]          # this suite alone, plus memory
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { backend, engines, type Engine } from '../src/engine';
import { packKeys } from '../src/cluster/key-slot';
import { HashRing } from '../src/ring/hash-ring';
import { makeKeys, methodLoop, optionalRequire, runGroup, runMain, type BenchOptions, type BenchRow, type BenchTask } from './lib';

interface ReferenceRing {
  get(key: string): string | undefined;
  add(server: unknown): unknown;
  remove(server: unknown): unknown;
  ring: unknown[];
}
type ReferenceCtor = new (servers: unknown, algorithm?: unknown, options?: unknown) => ReferenceRing;

/** Distinct keys for the uncached runs (the 100k), hot keys, and batch size. */
const DISTINCT = 100_000;
const HOT = 1000;
const SLICE = 1000;

let sink = 0;

function servers(n: number): Record<string, number> {
  const s: Record<string, number> = {};
  for (let i = 0; i < n; i++) s[`10.0.${i >> 8}.${i & 255}:11211`] = 1;
  return s;
}

/** The engines to bench: the one users get (hybrid when native loads) and the TS engine. */
function ourEngines(): [string, Engine | undefined][] {
  const list: [string, Engine | undefined][] = [];
  if (backend === 'native') list.push(['ringcache (native)', undefined]);
  list.push(['ringcache (TS)', engines.js]);
  return list;
}

/** A task over `keys` in slices of {@link SLICE}, continuing where the last call stopped. */
function sliced(name: string, keys: readonly string[], each: (slice: readonly string[]) => void): BenchTask {
  const slices: string[][] = [];
  for (let i = 0; i < keys.length; i += SLICE) slices.push(keys.slice(i, i + SLICE));
  let at = 0;
  return {
    name,
    opsPerCall: SLICE,
    fn: () => {
      each(slices[at]);
      at = at + 1 === slices.length ? 0 : at + 1;
    },
  };
}

/** `ring.get` over a slice, compiled per task (see `methodLoop`: no shared call site). */
function getLoop(ring: { get(key: string): string | undefined }): (slice: readonly string[]) => void {
  const loop = methodLoop(ring, 'get');
  return (slice) => {
    sink += loop(slice);
  };
}

/** Runs the ring suite; rows as the other suites (see bench/lib.ts). */
export async function runRingBench(opts: BenchOptions = {}): Promise<BenchRow[]> {
  const Reference = optionalRequire<ReferenceCtor>('hashring');
  const rows: BenchRow[] = [];
  const keySets: [string, string[]][] = [
    ['11 B', makeKeys(DISTINCT, 11, 11, 0x11)],
    ['40-100 B', makeKeys(DISTINCT, 40, 100, 0x40)],
  ];
  const batch = Math.max(1, Math.min(opts.keys ?? SLICE, DISTINCT));

  for (const count of [10, 100]) {
    const spec = servers(count);
    const theirs = Reference ? new Reference(spec) : undefined;
    const ours = ourEngines().map(([name, engine]) => [name, new HashRing(spec, 'md5', { engine })] as const);
    for (const [size, keys] of keySets) {
      const label = `${count} servers, ${size} keys, md5`;
      const uncached: BenchTask[] = [];
      if (theirs) uncached.push(sliced('hashring get', keys, getLoop(theirs)));
      for (const [name, ring] of ours) uncached.push(sliced(`${name} get`, keys, getLoop(ring)));
      rows.push(...(await runGroup('ring', `get uncached, ${label}`, uncached, opts)));

      const hotKeys = keys.slice(0, HOT);
      const hot: BenchTask[] = [];
      if (theirs) hot.push(sliced('hashring get', hotKeys, getLoop(theirs)));
      for (const [name, ring] of ours) hot.push(sliced(`${name} get`, hotKeys, getLoop(ring)));
      rows.push(...(await runGroup('ring', `get hot keys (${HOT}), ${label}`, hot, opts)));

      const many: BenchTask[] = [];
      const batches: string[][] = [];
      for (let i = 0; i + batch <= keys.length; i += batch) batches.push(keys.slice(i, i + batch));
      let at = 0;
      const next = () => {
        const b = batches[at];
        at = at + 1 === batches.length ? 0 : at + 1;
        return b;
      };
      if (theirs) many.push({ name: 'hashring get loop', opsPerCall: batch, fn: () => getLoop(theirs)(next()) });
      for (const [name, ring] of ours) {
        many.push({ name: `${name} getMany`, opsPerCall: batch, fn: () => (sink += ring.getMany(next()).length) });
      }
      rows.push(...(await runGroup('ring', `getMany ${batch} keys, ${label}`, many, opts)));
    }
  }

  // murmur3 ring, packed byte keys: the fastest shape.
  for (const [size, keys] of keySets) {
    const packed: { data: Uint8Array; offsets: Uint32Array }[] = [];
    for (let i = 0; i + batch <= keys.length; i += batch) packed.push(packKeys(keys.slice(i, i + batch).map((k) => Buffer.from(k))));
    let at = 0;
    const next = () => {
      const p = packed[at];
      at = at + 1 === packed.length ? 0 : at + 1;
      return p;
    };
    const tasks: BenchTask[] = [];
    const md5Ring = new HashRing(servers(10), 'md5');
    tasks.push({
      name: 'ringcache md5 getManyPacked',
      opsPerCall: batch,
      fn: () => {
        const p = next();
        sink += md5Ring.getManyPacked(p.data, p.offsets).length;
      },
    });
    for (const [name, engine] of ourEngines()) {
      const ring = new HashRing(servers(10), 'murmur3', { engine });
      tasks.push({
        name: `${name} murmur3 getManyPacked`,
        opsPerCall: batch,
        fn: () => {
          const p = next();
          sink += ring.getManyPacked(p.data, p.offsets).length;
        },
      });
      // The same into one reused result array: no allocation per batch, so no GC in the loop.
      const out: string[] = [];
      tasks.push({
        name: `${name} murmur3 getManyPacked, reused out`,
        opsPerCall: batch,
        fn: () => {
          const p = next();
          sink += ring.getManyPacked(p.data, p.offsets, out).length;
        },
      });
    }
    rows.push(...(await runGroup('ring', `getManyPacked ${batch} Buffer keys of ${size}, 10 servers`, tasks, opts)));
  }

  // Add then remove one server on a 1000-server ring (160k points).
  const big = servers(1000);
  const churn: BenchTask[] = [];
  if (Reference) {
    const theirs = new Reference(big);
    churn.push({ name: 'hashring add+remove', opsPerCall: 2, fn: () => theirs.remove(theirs.add('10.9.9.9:11211') && '10.9.9.9:11211') });
  }
  for (const [name, engine] of ourEngines()) {
    const ring = new HashRing(big, 'md5', { engine });
    churn.push({ name: `${name} add+remove`, opsPerCall: 2, fn: () => ring.add('10.9.9.9:11211').remove('10.9.9.9:11211') });
  }
  rows.push(...(await runGroup('ring', 'add or remove 1 server, 1000 servers', churn, { ...opts, time: Math.max(opts.time ?? 300, 500) })));

  if (sink === 0.5) console.log(sink);
  return rows;
}

/** Heap bytes per ring point of hashring and of HashRing, on rings of 1000 servers (160k points). */
export function ringMemory(): { name: string; points: number; bytesPerPoint: number }[] {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const measure = (make: () => { size: number }): { points: number; bytesPerPoint: number } => {
    gc();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const ring = make();
    gc();
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const points = ring.size;
    return { points, bytesPerPoint: (after - before) / points };
  };
  const Reference = optionalRequire<ReferenceCtor>('hashring');
  const spec = servers(1000);
  const out: { name: string; points: number; bytesPerPoint: number }[] = [];
  if (Reference) {
    out.push({
      name: 'hashring (heap)',
      ...measure(() => {
        const r = new Reference(spec);
        return { size: r.ring.length, keep: r } as { size: number };
      }),
    });
  }
  let ours: HashRing | undefined;
  out.push({ name: 'ringcache (heap)', ...measure(() => (ours = new HashRing(spec))) });
  if (ours) out.push({ name: 'ringcache (typed arrays: points + owners + buckets)', points: ours.size, bytesPerPoint: ours.byteLength / ours.size });
  return out;
}

if (require.main === module) {
  runMain(async (opts) => {
    const rows = await runRingBench(opts);
    process.stderr.write('bytes per ring point (1000 servers):\n');
    for (const m of ringMemory()) process.stderr.write(`  ${m.name.padEnd(52)} ${m.bytesPerPoint.toFixed(1)} B (${m.points} points)\n`);
    return rows;
  });
}
