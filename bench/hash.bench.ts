/**
 * Hashing core suite: ringcache (the default engine: hybrid when native loads), the native
 * engine and the TS engine against the peers users would otherwise pick — node:crypto's
 * one-shot `crypto.hash('md5')` (Node ≥ 20.12 / 21.7; `createHash` as an extra row),
 * `murmurhash`, `cluster-key-slot` — on four key sets (11 B, 40–100 B, short non-ASCII like
 * `ключ:123`, `{tag}` keys), single calls and batches. Each task processes the same key set,
 * so ns/op is per key. Packed batches: `packKeys` inside the timed code; the packed-input-only
 * row (keys packed beforehand, outside the timing) is labelled as such.
 */
import * as crypto from 'node:crypto';
import { engines, type Engine } from '../src/engine';
import { keySlot, keySlots, keySlotsPacked, md5Uint32, murmur3, packKeys } from '../src';
import { methodLoop, optionalRequire, runGroup, standardKeySets, type BenchOptions, type BenchRow, type BenchTask } from './lib';

type ClusterKeySlot = ((key: string | Buffer) => number) & { generateMulti(keys: (string | Buffer)[]): number };
type Murmurhash = { v3(key: string, seed?: number): number };
/** `crypto.hash` (one-shot digest) exists from Node 20.12 / 21.7. */
type OneShotHash = (algorithm: string, data: string, encoding: 'buffer') => Buffer;

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

/** Hash suite (md5Uint32, murmur3); rows carry ratios to the peer baseline of each group. */
export async function runHashBench(options: BenchOptions = {}): Promise<BenchRow[]> {
  const opts: BenchOptions = { ...options, clock: options.clock ?? 'cpu' };
  const mm = optionalRequire<Murmurhash>('murmurhash');
  const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
  const rows: BenchRow[] = [];
  let first = true;
  for (const [size, keys] of standardKeySets(opts.keys ?? 1000, 0)) {
    const md5Tasks: BenchTask[] = [];
    if (oneShot) md5Tasks.push(perKey("node:crypto hash('md5') (one-shot)", keys, { md5: (k: string) => oneShot('md5', k, 'buffer').readUInt32LE(0) }, 'md5'));
    md5Tasks.push(perKey("node:crypto createHash('md5')", keys, { md5: (k: string) => crypto.createHash('md5').update(k).digest().readUInt32LE(0) }, 'md5'));
    md5Tasks.push(perKey('ringcache md5Uint32', keys, ringcache, 'md5Uint32'), ...engineTasks(keys, 'md5Uint32'));
    rows.push(...(await runGroup('hash', `md5Uint32 ${size}`, md5Tasks, { ...opts, warmUp: first ? 1 : 0 })));
    first = false;

    const mmTasks: BenchTask[] = [];
    if (mm) mmTasks.push(perKey('murmurhash v3', keys, mm, 'v3', [0]));
    mmTasks.push(perKey('ringcache murmur3', keys, ringcache, 'murmur3', [0]), ...engineTasks(keys, 'murmur3', [0]));
    rows.push(...(await runGroup('hash', `murmur3 ${size}`, mmTasks, opts)));
  }
  if (sink === 0.5) console.log(sink); // keep results observable
  return rows;
}

/** Slot suite (keySlot single, keySlots batches, packed) vs `cluster-key-slot`. */
export async function runSlotBench(options: BenchOptions = {}): Promise<BenchRow[]> {
  const opts: BenchOptions = { ...options, clock: options.clock ?? 'cpu' };
  const cks = optionalRequire<ClusterKeySlot>('cluster-key-slot');
  const rows: BenchRow[] = [];
  let first = true;
  for (const [size, keys] of standardKeySets(opts.keys ?? 1000, 0)) {
    const slotTasks: BenchTask[] = [];
    if (cks) slotTasks.push(perKey('cluster-key-slot', keys, { generate: cks }, 'generate'));
    slotTasks.push(perKey('ringcache keySlot', keys, ringcache, 'keySlot'), ...engineTasks(keys, 'keySlot'));
    rows.push(...(await runGroup('slot', `keySlot ${size}`, slotTasks, { ...opts, warmUp: first ? 1 : 0 })));
    first = false;

    // Batches: an array of strings; packed bytes with packKeys timed; packed input alone.
    const out = new Uint16Array(keys.length);
    const packed = packKeys(keys);
    const batchTasks: BenchTask[] = [];
    if (cks) batchTasks.push(perKey('cluster-key-slot (loop)', keys, { generate: cks }, 'generate'));
    batchTasks.push({ name: 'ringcache keySlots', opsPerCall: keys.length, fn: () => keySlots(keys, out) });
    batchTasks.push({
      name: 'ringcache packKeys + keySlotsPacked',
      opsPerCall: keys.length,
      fn: () => {
        const p = packKeys(keys);
        keySlotsPacked(p.data, p.offsets, out);
      },
    });
    batchTasks.push({
      name: 'ringcache keySlotsPacked (packed input only: packKeys not timed)',
      opsPerCall: keys.length,
      fn: () => keySlotsPacked(packed.data, packed.offsets, out),
    });
    for (const [label, e] of [
      ['native', engines.native],
      ['TS', engines.js],
    ] as const) {
      if (e) batchTasks.push({ name: `${label} engine keySlots`, opsPerCall: keys.length, fn: () => e.keySlots(keys, out) });
    }
    rows.push(...(await runGroup('slot', `keySlots batch ${size}`, batchTasks, opts)));
  }
  if (sink === 0.5) console.log(sink); // keep results observable
  return rows;
}
