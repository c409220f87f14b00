#!/usr/bin/env node
/**
 * Generates test/fixtures/hashring/hashring.json from the REAL `hashring` package (the pinned
 * devDependency, 3.2.0): for each set of servers/algorithm/options, the ring hashring builds
 * (point count and a SHA-256 of its `value server` lines) and the server it picks for every key
 * of the fixture's key list — also after each step of a sequence of add/remove/swap/reset/
 * continuum calls where a set has one.
 *
 *   node scripts/gen-hashring-fixtures.mjs
 *
 * Keys and sets come from a fixed seed: a re-run reproduces the file byte for byte.
 *
 * Format: { reference, generator, keys: string[], sets: [{ name, servers, algorithm, options,
 * steps: [{ op, arg?, size, ringSha256, labels, owners }] }] }. Step 0 is the constructor
 * (`op: 'new'`); `owners` is base64, byte i = index into `labels` of keys[i]'s server, 255 when
 * the ring is empty.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './prng.mjs';

const require = createRequire(import.meta.url);
const HashRing = require('hashring');
const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, '..', 'test', 'fixtures', 'hashring', 'hashring.json');
const version = JSON.parse(readFileSync(require.resolve('hashring/package.json'), 'utf8')).version;
const EMPTY = 255;

/** 3000 keys: short ASCII, longer ASCII, non-ASCII (2/3/4-byte UTF-8), numbers, the empty key. */
function makeKeys() {
  const r = prng(0x4a5b1);
  const keys = [''];
  const seen = new Set(keys);
  const add = (k) => {
    // Avoid hashring's cache bug (Object.prototype names answer wrongly there).
    if (seen.has(k) || k in Object.prototype) return;
    seen.add(k);
    keys.push(k);
  };
  for (let i = 0; i < 500; i++) add(`user:${i}`);
  for (let i = 0; i < 200; i++) add(String(r.int(1e9)));
  while (keys.length < 2200) {
    let s = '';
    const len = r.int(60);
    for (let j = 0; j < len; j++) s += String.fromCharCode(0x20 + r.int(0x5f));
    add(s);
  }
  while (keys.length < 3000) {
    let s = '';
    const len = 1 + r.int(20);
    for (let j = 0; j < len; j++) {
      const x = r();
      if (x < 0.4) s += String.fromCharCode(0x61 + r.int(26));
      else if (x < 0.6) s += String.fromCharCode(0x80 + r.int(0x700));
      else if (x < 0.85) s += String.fromCharCode(0x800 + r.int(0xd000));
      else s += String.fromCodePoint(0x10000 + r.int(0x10000));
    }
    add(s);
  }
  return keys;
}

function ip(i) {
  return `10.0.${(i >> 8) & 255}.${i & 255}`;
}

function equal(n, port = 11211) {
  return Array.from({ length: n }, (_, i) => `${ip(i + 1)}:${port}`);
}

function weighted(n, seed) {
  const r = prng(seed);
  const servers = {};
  for (let i = 0; i < n; i++) servers[`${ip(i + 1)}:${11211 + r.int(3)}`] = 1 + r.int(10);
  return servers;
}

/** The sets: each fixed on purpose (the comment says which rule it pins). */
const SETS = [
  { name: "hashring's README weights", servers: { '127.0.0.1:11211': 600, '127.0.0.1:11212': 400 } },
  { name: '1 server, string spec', servers: '192.168.0.102:11212' },
  { name: '7 equal servers (39 digests each, double-precision floor)', servers: equal(7) },
  { name: '14 equal servers (39 digests each)', servers: equal(14) },
  { name: '10 equal servers', servers: equal(10, 6379) },
  { name: '100 servers, random weights', servers: weighted(100, 11) },
  {
    name: 'per-server vnodes, one equal to the vnode count (weight formula then)',
    servers: {
      '192.168.0.102:11212': { vnodes: 40 },
      '192.168.0.103:11212': { vnodes: 50 },
      '192.168.0.104:11212': { vnodes: 5, weight: 3 },
      '192.168.0.105:11212': { weight: 2 },
    },
  },
  { name: 'vnode count 60, replicas 3', servers: equal(5), options: { 'vnode count': 60, replicas: 3 } },
  {
    name: "compatibility 'hash_ring' (3 points per digest), weights 1-5",
    servers: { '0.0.0.1': 1, '0.0.0.2': 2, '0.0.0.3': 3, '0.0.0.4': 4, '0.0.0.5': 5 },
    options: { compatibility: 'hash_ring' },
  },
  {
    name: "'default port' 11211: host-only point names on that port",
    servers: ['0.0.0.1:11211', '0.0.0.2:11211', '0.0.0.3', '0.0.0.4:11213', '0.0.0.5:11212'],
    options: { 'default port': 11211 },
  },
  { name: 'sha1', servers: weighted(12, 3), algorithm: 'sha1' },
  { name: 'sha256, replicas 6', servers: equal(6), algorithm: 'sha256', options: { replicas: 6 } },
  { name: 'md5, replicas 5 (word 4 reads past the digest: points at 0)', servers: equal(4), options: { replicas: 5 } },
  { name: 'replicas 2.5 (3 words), vnode count 7', servers: equal(9), options: { replicas: 2.5, 'vnode count': 7 } },
  { name: 'replicas 0 (becomes 1)', servers: equal(3), options: { replicas: 0 } },
  { name: 'fractional and string weights', servers: { 'a:1': 0.5, 'b:1': 1.5, 'c:1': '2.25', 'd:1': 0 } },
  {
    name: 'integer-like names come first in an object spec',
    servers: { 'z:1': 1, 10: 2, 2: 1, 'a:1': 1 },
  },
  { name: 'duplicate servers in an array', servers: ['a:1', 'b:1', 'a:1', 'c:1'] },
  { name: 'non-ASCII server names', servers: ['cåche-1:11211', 'кэш-2:11211', '缓存-3:11211', '🗄️-4:11211'] },
  {
    name: 'add/remove/swap/reset/continuum sequence',
    servers: equal(10),
    steps: [
      { op: 'add', arg: '10.0.0.11:11211' },
      { op: 'add', arg: { '10.0.0.12:11211': 3, '10.0.0.1:11211': 9 } },
      { op: 'remove', arg: '10.0.0.3:11211' },
      { op: 'remove', arg: ['10.0.0.4:11211', '10.0.0.5:11211'] },
      { op: 'swap', arg: ['10.0.0.6:11211', '10.0.0.66:11211'] },
      { op: 'add', arg: ['10.0.0.13:11211', '10.0.0.2:11211'] },
      { op: 'remove', arg: 'not-there:1' },
      { op: 'reset' },
      { op: 'continuum' },
      { op: 'add', arg: { 10: 1 } },
      { op: 'remove', arg: { '10.0.0.7:11211': 1, '10.0.0.8:11211': 1 } },
    ],
  },
  {
    name: 'growing 1 → 8 servers one add at a time, weights 1-4 (digest counts shift)',
    servers: 'g-0:1',
    steps: Array.from({ length: 7 }, (_, i) => ({ op: 'add', arg: { [`g-${i + 1}:1`]: 1 + (i % 4) } })),
  },
];

function ringSha256(ring) {
  const h = createHash('sha256');
  for (const node of ring.ring) h.update(`${node.value} ${node.server}\n`);
  return h.digest('hex');
}

function snapshot(ring, keys, op, arg) {
  const labels = [];
  const index = new Map();
  const owners = Buffer.alloc(keys.length);
  keys.forEach((k, i) => {
    const s = ring.get(k);
    if (s === undefined) {
      owners[i] = EMPTY;
      return;
    }
    if (!index.has(s)) {
      index.set(s, labels.length);
      labels.push(s);
    }
    owners[i] = index.get(s);
  });
  if (labels.length >= EMPTY) throw new Error('too many servers for the owner encoding');
  const step = { op };
  if (arg !== undefined) step.arg = arg;
  return { ...step, size: ring.ring.length, ringSha256: ringSha256(ring), labels, owners: owners.toString('base64') };
}

const keys = makeKeys();
const sets = SETS.map((set) => {
  const ring = new HashRing(set.servers, set.algorithm, set.options);
  const steps = [snapshot(ring, keys, 'new')];
  for (const step of set.steps ?? []) {
    if (step.op === 'swap') ring.swap(step.arg[0], step.arg[1]);
    else if (step.arg === undefined) ring[step.op]();
    else ring[step.op](step.arg);
    steps.push(snapshot(ring, keys, step.op, step.arg));
  }
  return { name: set.name, servers: set.servers, algorithm: set.algorithm ?? 'md5', options: set.options ?? {}, steps };
});

mkdirSync(dirname(OUT), { recursive: true });
const lines = [
  '{',
  `"reference": ${JSON.stringify(`hashring ${version} (npm)`)},`,
  `"generator": "scripts/gen-hashring-fixtures.mjs",`,
  `"keys": ${JSON.stringify(keys)},`,
  '"sets": [',
  sets.map((s) => JSON.stringify(s)).join(',\n'),
  ']',
  '}',
];
writeFileSync(OUT, lines.join('\n') + '\n');
console.log(`wrote ${OUT}: ${sets.length} sets, ${keys.length} keys, ${sets.reduce((n, s) => n + s.steps.length, 0)} rings`);
