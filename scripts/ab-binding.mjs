#!/usr/bin/env node
// Same-process A/B of native builds: loads each ringcache.node given on the command line,
// wraps it as the native engine (what RINGCACHE_HYBRID=0 runs; the hybrid sends short single
// keys to the TS engine and would hide the binding) and times the binding-bound rows of the
// bench suites, binaries interleaved in every round, in a fresh order per round. Prints the
// median ns/op per row and binary. Needs `npm run build:ts` (it takes HashRing from dist/).
//
//   node scripts/ab-binding.mjs old=/tmp/old.node new=build/Release/ringcache.node [rounds=41]
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { HashRing } = require(path.join(root, 'dist/src/ring/hash-ring.js'));
const { nativeEngine } = require(path.join(root, 'dist/src/engine/native.js'));
const { packKeys } = require(path.join(root, 'dist/src/cluster/key-slot.js'));

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^rounds=/.test(a))?.slice(7) ?? 41);
const builds = args.filter((a) => !/^rounds=/.test(a)).map((a) => {
  const [name, file] = a.split('=');
  return { name, binding: require(path.resolve(file)) };
});
if (builds.length < 2) throw new Error('usage: ab-binding.mjs name=file.node name=file.node [rounds=N]');

// Seeded keys (mulberry32), as bench/lib.ts makes them: 11 B and 40-100 B ASCII.
function makeKeys(count, min, max, seed) {
  let a = seed >>> 0;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const len = min + Math.floor(r() * (max - min + 1));
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(0x21 + Math.floor(r() * 90));
    return s;
  });
}
const short = makeKeys(100_000, 11, 11, 0x11);
const long = makeKeys(100_000, 40, 100, 0x40);
const servers = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}:11211`);
const BATCH = 1000;

let sink = 0;
/** Rows: name -> (binding) -> { ops, run() } with `run` doing `ops` operations. */
function rowsFor(b) {
  const engine = nativeEngine(b);
  const uncached = new HashRing(servers, 'md5', { engine, 'max cache size': 0 });
  const hot = new HashRing(servers, 'md5', { engine });
  const ring = new HashRing(servers, 'md5', { engine });
  const m3 = new HashRing(servers, 'murmur3', { engine });
  const slots = new Uint16Array(BATCH);
  const batches = [];
  for (let i = 0; i + BATCH <= short.length; i += BATCH) batches.push(short.slice(i, i + BATCH));
  const packed = batches.map((k) => packKeys(k));
  const out = [];
  let at = 0;
  // Short samples (~0.1-1 ms): on a shared machine a sample that lost the CPU is one outlier
  // among many, which the median drops.
  const loop = (keys, fn) => ({ ops: 2000, run: () => { for (let i = 0; i < 2000; i++) sink += fn(keys[(at + i) % keys.length]); at += 2000; } });
  const batched = (fn) => ({ ops: BATCH * 2, run: () => { for (let i = 0; i < 2; i++) fn(batches[(at + i) % batches.length], packed[(at + i) % packed.length]); at += 2; } });
  return {
    'md5Uint32 11 B': loop(short, (k) => b.md5Uint32(k)),
    'md5Uint32 40-100 B': loop(long, (k) => b.md5Uint32(k)),
    'keySlot 11 B': loop(short, (k) => b.keySlot(k)),
    'keySlot 40-100 B': loop(long, (k) => b.keySlot(k)),
    'keySlots 1000 x 11 B (per key)': batched((keys) => b.keySlots(keys, slots)),
    'HashRing.get uncached 11 B': loop(short, (k) => uncached.get(k).length),
    'HashRing.get hot (1000 keys)': loop(short.slice(0, 1000), (k) => hot.get(k).length),
    'getMany 1000 x 11 B, md5 (per key)': batched((keys) => (sink += ring.getMany(keys, out).length)),
    'getManyPacked 1000 x 11 B, md5 (per key)': batched((_, p) => (sink += ring.getManyPacked(p.data, p.offsets, out).length)),
    'getManyPacked 1000 x 11 B, murmur3 (per key)': batched((_, p) => (sink += m3.getManyPacked(p.data, p.offsets, out).length)),
  };
}

const tables = builds.map((b) => rowsFor(b.binding));
const names = Object.keys(tables[0]);
const samples = builds.map(() => Object.fromEntries(names.map((n) => [n, []])));
for (const t of tables) for (const n of names) for (let w = 0; w < 20; w++) t[n].run(); // warm-up, JIT
for (let r = 0; r < rounds; r++) {
  for (const n of names) {
    const order = builds.map((_, i) => i).sort(() => Math.random() - 0.5);
    for (const i of order) {
      const row = tables[i][n];
      const t0 = process.hrtime.bigint();
      row.run();
      samples[i][n].push(Number(process.hrtime.bigint() - t0) / row.ops);
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const header = ['row', ...builds.map((b) => `${b.name} ns/op`), ...builds.slice(1).map((b) => `${b.name}/${builds[0].name}`)];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const n of names) {
  const m = samples.map((s) => median(s[n]));
  console.log(`| ${n} | ${m.map((x) => x.toFixed(1)).join(' | ')} | ${m.slice(1).map((x) => (x / m[0]).toFixed(3)).join(' | ')} |`);
}
console.log(`\n${rounds} rounds, binaries interleaved per row in random order; median of rounds. sink=${sink % 10}`);
