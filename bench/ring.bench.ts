/**
 * Ring suite: HashRing (native engine, TS engine) against the `hashring` package it replaces.
 *
 * - `get`, uncached: 100k distinct keys walked in slices, so no cache (theirs holds 5000) hits;
 * - `get`, hot keys: 1000 keys over and over (both caches hit);
 * - `getMany` of 1000 keys (one engine call) against a `get` loop;
 * - `getManyPacked` on an `algorithm: 'murmur3'` ring, with `packKeys` of the string keys
 *   inside the timed code (returning a new array or filling a reused one), and the
 *   packed-input-only row (keys packed beforehand) labelled as such; baseline `hashring`;
 * - add or remove of one server on a 1000-server ring (incremental merge vs full rebuild),
 *   ns per add or remove;
 * - bytes per ring point ({@link ringMemory}).
 * 10 and 100 servers, 11-byte and 40-100-byte keys; on 10 servers also short non-ASCII
 * (`ключ:123`) and `{tag}` keys (the ring hashes the whole key, tag included). A quick run
 * (`--quick`) walks 10k distinct keys and churns a 200-server ring.
 *
 *   npm run build:ts && npx ringcache bench --suite ring
 *   node dist/bench/ring.bench.js [--time MS]          # this suite alone, plus memory
 */
import { backend, engines, type Engine } from '../src/engine';
import { packKeys } from '../src/cluster/key-slot';
import { HashRing } from '../src/ring/hash-ring';
import { collectGarbage, makeKeys, makeTaggedKeys, makeUnicodeKeys, methodLoop, optionalRequire, runGroup, runMain, type BenchOptions, type BenchRow, type BenchTask } from './lib';

interface ReferenceRing {
  get(key: string): string | undefined;
  add(server: unknown): unknown;
  remove(server: unknown): unknown;
  ring: unknown[];
}
type ReferenceCtor = new (servers: unknown, algorithm?: unknown, options?: unknown) => ReferenceRing;

/**
 * Distinct keys for the uncached runs (the 100k; 10k in a quick run, still twice what
 * hashring's LRU holds, so a cycle through them never hits it), hot keys, and batch size.
 */
const DISTINCT = 100_000;
const QUICK_DISTINCT = 10_000;
/** Servers of the add/remove ring (a quick run: fewer, as hashring rebuilds the whole ring per call). */
const CHURN_SERVERS = 1000;
const QUICK_CHURN_SERVERS = 200;
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
export async function runRingBench(options: BenchOptions = {}): Promise<BenchRow[]> {
  const opts: BenchOptions = { ...options, clock: options.clock ?? 'cpu' };
  const Reference = optionalRequire<ReferenceCtor>('hashring');
  const rows: BenchRow[] = [];
  const distinct = opts.quick ? QUICK_DISTINCT : DISTINCT;
  const keySets: [string, string[]][] = [
    ['11 B', makeKeys(distinct, 11, 11, 0x11)],
    ['40-100 B', makeKeys(distinct, 40, 100, 0x40)],
    ['non-ASCII (ключ:123)', makeUnicodeKeys(distinct, 0x55)],
    ['{tag} 16-24 B', makeTaggedKeys(distinct, 0x7a)],
  ];
  const batch = Math.max(1, Math.min(opts.keys ?? SLICE, distinct));
  let first = true;

  for (const count of [10, 100]) {
    const spec = servers(count);
    const theirs = Reference ? new Reference(spec) : undefined;
    const ours = ourEngines().map(([name, engine]) => [name, new HashRing(spec, 'md5', { engine })] as const);
    // 100 servers: the ASCII sets only (the key shape matters for hashing, not for the search).
    for (const [size, keys] of count === 10 ? keySets : keySets.slice(0, 2)) {
      const label = `${count} servers, ${size} keys, md5`;
      const uncached: BenchTask[] = [];
      if (theirs) uncached.push(sliced('hashring get', keys, getLoop(theirs)));
      for (const [name, ring] of ours) uncached.push(sliced(`${name} get`, keys, getLoop(ring)));
      rows.push(...(await runGroup('ring', `get uncached, ${label}`, uncached, { ...opts, warmUp: first ? 1 : 0 })));
      first = false;

      const hotKeys = keys.slice(0, HOT);
      const hot: BenchTask[] = [];
      if (theirs) hot.push(sliced('hashring get', hotKeys, getLoop(theirs)));
      for (const [name, ring] of ours) hot.push(sliced(`${name} get`, hotKeys, getLoop(ring)));
      if (count === 10 && size === '11 B') rows.push(...(await runGroup('ring', `get hot keys (${HOT}), ${label}`, hot, opts)));

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

  // murmur3 ring, packed keys: packKeys of the string keys is part of the timed work; the
  // packed-input-only rows pack beforehand and say so.
  for (const [size, keys] of keySets.slice(0, 2)) {
    const slices: string[][] = [];
    for (let i = 0; i + batch <= keys.length; i += batch) slices.push(keys.slice(i, i + batch));
    const packed = slices.map((sl) => packKeys(sl));
    let at = 0;
    const next = (): number => {
      const i = at;
      at = at + 1 === slices.length ? 0 : at + 1;
      return i;
    };
    const tasks: BenchTask[] = [];
    const theirs = Reference ? new Reference(servers(10)) : undefined;
    if (theirs) tasks.push({ name: 'hashring get loop (md5)', opsPerCall: batch, fn: () => getLoop(theirs)(slices[next()]) });
    for (const [name, engine] of ourEngines()) {
      const ring = new HashRing(servers(10), 'murmur3', { engine });
      tasks.push({
        name: `${name} murmur3 packKeys + getManyPacked`,
        opsPerCall: batch,
        fn: () => {
          const p = packKeys(slices[next()]);
          sink += ring.getManyPacked(p.data, p.offsets).length;
        },
      });
      // The same into one reused result array: no allocation per batch, so no GC in the loop.
      const out: string[] = [];
      tasks.push({
        name: `${name} murmur3 packKeys + getManyPacked, reused out`,
        opsPerCall: batch,
        fn: () => {
          const p = packKeys(slices[next()]);
          sink += ring.getManyPacked(p.data, p.offsets, out).length;
        },
      });
      tasks.push({
        name: `${name} murmur3 getManyPacked, reused out (packed input only: packKeys not timed)`,
        opsPerCall: batch,
        fn: () => {
          const p = packed[next()];
          sink += ring.getManyPacked(p.data, p.offsets, out).length;
        },
      });
    }
    rows.push(...(await runGroup('ring', `getManyPacked ${batch} string keys of ${size}, 10 servers, murmur3`, tasks, opts)));
  }

  // Add then remove one server on a 1000-server ring (160k points); ns per add or remove.
  const churnServers = opts.quick ? QUICK_CHURN_SERVERS : CHURN_SERVERS;
  const big = servers(churnServers);
  const churn: BenchTask[] = [];
  if (Reference) {
    const theirs = new Reference(big);
    churn.push({ name: 'hashring add then remove', opsPerCall: 2, fn: () => theirs.remove(theirs.add('10.9.9.9:11211') && '10.9.9.9:11211') });
  }
  for (const [name, engine] of ourEngines()) {
    const ring = new HashRing(big, 'md5', { engine });
    churn.push({ name: `${name} add then remove`, opsPerCall: 2, fn: () => ring.add('10.9.9.9:11211').remove('10.9.9.9:11211') });
  }
  const churnTime = opts.quick ? (opts.time ?? 300) : Math.max(opts.time ?? 300, 500);
  rows.push(...(await runGroup('ring', `add or remove 1 server, ${churnServers} servers (per add or per remove)`, churn, { ...opts, time: churnTime })));

  if (sink === 0.5) console.log(sink);
  return rows;
}

/** Heap bytes per ring point of hashring and of HashRing, on rings of 1000 servers (160k points). */
export function ringMemory(): { name: string; points: number; bytesPerPoint: number }[] {
  const gc = collectGarbage;
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
