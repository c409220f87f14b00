/**
 * Hashing core suite: ringcache (auto dispatch), the native engine and the TS engine against
 * the peers users would otherwise pick (`node:crypto` md5, `cluster-key-slot`, `murmurhash`),
 * on 11 B and 40–100 B keys, single calls and batches. Each task processes the same key set,
 * so ns/op is per key.
 */
import { createHash } from 'node:crypto';
import { engines, type Engine } from '../src/engine';
import { keySlot, keySlots, keySlotsPacked, md5Uint32, murmur3, packKeys } from '../src';
import { makeKeys, methodLoop, optionalRequire, runGroup, type BenchOptions, type BenchRow, type BenchTask } from './lib';

type ClusterKeySlot = ((key: string | Buffer) => number) & { generateMulti(keys: (string | Buffer)[]): number };
type Murmurhash = { v3(key: string, seed?: number): number };

let sink = 0;

/** A task calling `target[method](key, ...args)` over every key, in its own compiled loop. */
function perKey(name: string, keys: readonly string[], target: object, method: string, args: number[] = []): BenchTask {
  const loop = methodLoop(target, method, args);
  return { name, opsPerCall: keys.length, fn: () => (sink ^= loop(keys)) };
}

function engineTasks(keys: readonly string[], method: keyof Engine, args: number[] = []): BenchTask[] {
  const out: BenchTask[] = [];
  if (engines.native) out.push(perKey('native engine', keys, engines.native, method, args));
  out.push(perKey('TS engine', keys, engines.js, method, args));
  return out;
}

const ringcache = { md5Uint32, murmur3, keySlot };

function keySets(opts: BenchOptions): [string, string[]][] {
  const n = opts.keys ?? 1000;
  return [
    ['11 B', makeKeys(n, 11, 11, 11)],
    ['40–100 B', makeKeys(n, 40, 100, 40)],
  ];
}

/** Hash suite (md5Uint32, murmur3); rows carry ratios to the peer baseline of each group. */
export async function runHashBench(opts: BenchOptions = {}): Promise<BenchRow[]> {
  const mm = optionalRequire<Murmurhash>('murmurhash');
  const rows: BenchRow[] = [];
  for (const [size, keys] of keySets(opts)) {
    // md5Uint32
    const md5Tasks: BenchTask[] = [
      perKey('node:crypto md5', keys, { md5: (k: string) => createHash('md5').update(k).digest().readUInt32LE(0) }, 'md5'),
      perKey('ringcache md5Uint32', keys, ringcache, 'md5Uint32'),
      ...engineTasks(keys, 'md5Uint32'),
    ];
    rows.push(...(await runGroup('hash', `md5Uint32 ${size}`, md5Tasks, opts)));

    // murmur3
    const mmTasks: BenchTask[] = [];
    if (mm) mmTasks.push(perKey('murmurhash v3', keys, mm, 'v3', [0]));
    mmTasks.push(perKey('ringcache murmur3', keys, ringcache, 'murmur3', [0]));
    mmTasks.push(...engineTasks(keys, 'murmur3', [0]));
    rows.push(...(await runGroup('hash', `murmur3 ${size}`, mmTasks, opts)));
  }
  if (sink === 0.5) console.log(sink); // keep results observable
  return rows;
}

/** Slot suite (keySlot single, keySlots batches, packed) vs `cluster-key-slot`. */
export async function runSlotBench(opts: BenchOptions = {}): Promise<BenchRow[]> {
  const cks = optionalRequire<ClusterKeySlot>('cluster-key-slot');
  const rows: BenchRow[] = [];
  for (const [size, keys] of keySets(opts)) {
    const slotTasks: BenchTask[] = [];
    if (cks) slotTasks.push(perKey('cluster-key-slot', keys, { generate: cks }, 'generate'));
    slotTasks.push(perKey('ringcache keySlot', keys, ringcache, 'keySlot'));
    slotTasks.push(...engineTasks(keys, 'keySlot'));
    rows.push(...(await runGroup('slot', `keySlot ${size}`, slotTasks, opts)));

    // keySlots batch: array of strings and packed bytes
    const out = new Uint16Array(keys.length);
    const packed = packKeys(keys);
    const batchTasks: BenchTask[] = [];
    if (cks) batchTasks.push(perKey('cluster-key-slot (loop)', keys, { generate: cks }, 'generate'));
    batchTasks.push({ name: 'ringcache keySlots', opsPerCall: keys.length, fn: () => keySlots(keys, out) });
    batchTasks.push({
      name: 'ringcache keySlotsPacked',
      opsPerCall: keys.length,
      fn: () => keySlotsPacked(packed.data, packed.offsets, out),
    });
    for (const [label, e] of [
      ['native', engines.native],
      ['TS', engines.js],
    ] as const) {
      if (!e) continue;
      batchTasks.push({ name: `${label} engine keySlots`, opsPerCall: keys.length, fn: () => e.keySlots(keys, out) });
      batchTasks.push({
        name: `${label} engine keySlotsPacked`,
        opsPerCall: keys.length,
        fn: () => e.keySlotsPacked(packed.data, packed.offsets, out),
      });
    }
    rows.push(...(await runGroup('slot', `keySlots batch ${size}`, batchTasks, opts)));
  }
  if (sink === 0.5) console.log(sink); // keep results observable
  return rows;
}
