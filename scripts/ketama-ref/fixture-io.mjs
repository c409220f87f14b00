/**
 * Shared by scripts/gen-ketama-fixtures.mjs and scripts/gen-twemproxy-fixtures.mjs: the seeded
 * key set (test/fixtures/ketama/keys.json) and the owners encoding.
 *
 * Fixture sets store the server chosen for key i as byte i of `owners` (base64), so every set
 * has at most 255 servers; 255 marks a key the reference was not asked about.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTie } from './ties.mjs';
import { prng } from '../prng.mjs';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'ketama');
export const KEYS_FILE = join(FIXTURE_DIR, 'keys.json');
export const NOT_ASKED = 255;

/**
 * 12,012 keys, distinct as UTF-8 bytes: short counters, memcached-style namespaced keys, random printable ASCII,
 * non-ASCII (2/3/4-byte UTF-8 and a few lone surrogates, which hash as U+FFFD), long keys, and
 * the empty key (first), then 12 keys that land on a tied point. None contains '\n' or '\r' (the C references read one key a line).
 */
export function makeKeys(seed = 0x6b657461) {
  const r = prng(seed);
  // Distinct as UTF-8 bytes (two lone surrogates are the same key to a server).
  const seen = new Set();
  const keys = {
    list: [],
    get size() {
      return this.list.length;
    },
    add(k) {
      const bytes = Buffer.from(k).toString('latin1');
      if (!seen.has(bytes)) {
        seen.add(bytes);
        this.list.push(k);
      }
    },
  };
  keys.add('');
  const ascii = () => String.fromCharCode(0x20 + r.int(0x5f));
  const wide = () => {
    const x = r();
    if (x < 0.4) return String.fromCharCode(0xa0 + r.int(0x700)); // 2-byte UTF-8
    if (x < 0.8) return String.fromCharCode(0x3000 + r.int(0x6000)); // 3-byte
    if (x < 0.97) return String.fromCodePoint(0x1f300 + r.int(0x300)); // 4-byte (emoji)
    return String.fromCharCode(0xd800 + r.int(0x800)); // lone surrogate
  };
  for (let i = 0; i < 3000; i++) keys.add(`key:${i}`);
  for (let i = 0; keys.size < 5500; i++) keys.add(`user:${r.int(1e9)}:session:${r.int(1e6).toString(36)}`);
  while (keys.size < 9000) {
    let s = '';
    for (let n = 1 + r.int(40); n > 0; n--) s += ascii();
    keys.add(s);
  }
  while (keys.size < 11000) {
    let s = r() < 0.5 ? 'k' : '';
    for (let n = 1 + r.int(12); n > 0; n--) s += r() < 0.5 ? wide() : ascii();
    keys.add(s);
  }
  while (keys.size < 12000) {
    let s = `blob:${r.int(1e6)}:`;
    for (let n = 60 + r.int(190); n > 0; n--) s += ascii();
    keys.add(s);
  }
  // Last: keys that land on a point two servers share (see ties.mjs and the "tie" sets).
  for (const k of findTie().keys) keys.add(k);
  return keys.list;
}

export function readKeys() {
  return JSON.parse(readFileSync(KEYS_FILE, 'utf8')).keys;
}

export function encodeOwners(owners) {
  return Buffer.from(Uint8Array.from(owners)).toString('base64');
}

export function writeFixture(name, data) {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const file = join(FIXTURE_DIR, name);
  // One set a line keeps diffs readable without pretty-printing every key.
  const { sets, keys, ...head } = data;
  let text = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  if (keys) text += `,\n  "keys": [\n${keys.map((k) => `    ${JSON.stringify(k)}`).join(',\n')}\n  ]`;
  if (sets) text += `,\n  "sets": [\n${sets.map((s) => `    ${JSON.stringify(s)}`).join(',\n')}\n  ]`;
  writeFileSync(file, `${text}\n}\n`);
  return file;
}
