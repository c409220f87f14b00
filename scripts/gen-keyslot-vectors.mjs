#!/usr/bin/env node
/**
 * Generates test/fixtures/keyslot-vectors.json: Redis Cluster key slots as a real
 * `redis-server` computes them (`CLUSTER KEYSLOT`), for the keys that matter to key-slot
 * code: every string over `{`, `}`, `a`, `b` up to length 6 (where the npm `cluster-key-slot`
 * package disagrees with Redis), hand-picked hash-tag patterns, long keys, random ASCII,
 * random binary keys and strings with non-ASCII characters and lone surrogates.
 *
 *   node scripts/gen-keyslot-vectors.mjs            # needs /usr/bin/redis-server
 *   REDIS_SERVER=/path/to/redis-server node scripts/gen-keyslot-vectors.mjs
 *
 * The server is our own: a free port on 127.0.0.1, a fresh temp dir, no persistence; it is
 * killed by PID and the dir removed when done. Keys are generated from a fixed seed, so a
 * re-run against the same Redis reproduces the file byte for byte.
 *
 * Fixture format (ASCII only; JSON `\uXXXX` escapes for anything else):
 *   { key, slot }                 an ASCII string key
 *   { key, utf8, slot }           a string with non-ASCII or lone surrogates; `utf8` is the
 *                                 base64 of `Buffer.from(key)`, the bytes Redis saw
 *   { key, encoding: 'base64', slot }   raw bytes, base64-encoded
 * Each vector also has a `group` naming where it came from.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';
import { prng } from './prng.mjs';

const SEED = 0x5eed_cafe;
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'keyslot-vectors.json');
const REDIS_SERVER = process.env.REDIS_SERVER || '/usr/bin/redis-server';

const rand = prng(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (arr) => arr[int(arr.length)];

// ---- keys ---------------------------------------------------------------------------------

/** [group, key] pairs; key is a string or a Buffer. */
const keys = [];
const add = (group, key) => keys.push([group, key]);

// 1. Every string over { } a b of length 0..6: 1 + 4 + ... + 4^6 = 5461 strings.
{
  const alphabet = ['{', '}', 'a', 'b'];
  let level = [''];
  for (let len = 0; len <= 6; len++) {
    for (const s of level) add('alphabet', s);
    level = level.flatMap((s) => alphabet.map((c) => s + c));
  }
}

// 2. Hand-picked hash-tag patterns (Redis docs, cluster-key-slot issues, edge cases).
for (const s of [
  '',
  '{',
  '}',
  '{}',
  '{}}',
  '{{}}',
  '}{',
  '{{',
  '}}',
  '{a',
  'a}',
  'foo{}{bar}',
  'foo{{bar}}zap',
  'foo{bar}{zap}',
  'foo{bar}',
  'foo{}bar',
  '{}foo{bar}',
  '{foo}{}',
  '{user1000}.following',
  '{user1000}.followers',
  'user:{1001}:profile',
  'user:{1001}:sessions',
  'foo',
  'bar',
  'hello',
  '123456789',
  'key:1',
  '{key}',
  'a{b}c{d}e',
  '{a}{b}',
  '{{a}}',
  '}a{b}',
  '{ }',
  '{\0}',
  '\0',
  '\0{\0}\0',
]) {
  add('pattern', s);
}

// 3. Long keys (100 / 1000 / 70000 bytes) with a tag at the start, the end, both ends, or none.
for (const len of [100, 1000, 70000]) {
  const fill = (n) => 'x'.repeat(n);
  add('long', fill(len));
  add('long', '{tag}' + fill(len - 5));
  add('long', fill(len - 5) + '{tag}');
  add('long', '{head}' + fill(len - 12) + '{tail}');
  // 70000-byte variants of these would only grow the fixture; the shapes are covered at 1000.
  if (len > 1000) continue;
  add('long', '{' + fill(len - 2) + '}'); // the tag is the whole key but the braces
  add('long', fill(len - 1) + '{'); // an unclosed brace at the very end
  add('long', '{}' + fill(len - 7) + '{bar}'); // empty tag first: the whole key is hashed
}

// 4. Random ASCII keys, brace-heavy, lengths 0..40.
{
  const ascii = [];
  for (let c = 0x20; c < 0x7f; c++) ascii.push(String.fromCharCode(c));
  const braceHeavy = [...ascii, '{', '{', '{', '{', '}', '}', '}', '}', '{', '}'];
  for (let i = 0; i < 1000; i++) {
    const n = int(41);
    let s = '';
    for (let j = 0; j < n; j++) s += pick(braceHeavy);
    add('ascii', s);
  }
}

// 5. Random binary keys: every byte value, biased to 0x00, 0x7B, 0x7D and invalid UTF-8.
{
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  add('binary', all);
  add('binary', Buffer.from([0x7b, 0xff, 0x7d])); // tag is one invalid-UTF-8 byte
  add('binary', Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d])); // CESU-8 lone surrogate as a tag
  add('binary', Buffer.from([0x7b, 0xef, 0xbf, 0xbd, 0x7d])); // U+FFFD as a tag
  add('binary', Buffer.from([0xc3])); // truncated 2-byte sequence
  add('binary', Buffer.from([0x00, 0x7b, 0x00, 0x7d, 0x00]));
  const biased = [0x00, 0x7b, 0x7d, 0x7b, 0x7d, 0xff, 0x80, 0xc0, 0xed, 0xf4];
  for (let i = 0; i < 1000; i++) {
    const n = int(65);
    const b = Buffer.alloc(n);
    for (let j = 0; j < n; j++) b[j] = rand() < 0.3 ? pick(biased) : int(256);
    add('binary', b);
  }
}

// 6. Non-ASCII strings and lone surrogates (Node sends a lone surrogate as EF BF BD).
{
  for (const s of [
    'ключ',
    '{ключ}',
    'ключ{тег}суффикс',
    '日本語{キー}x',
    '{😀}',
    '😀{a}',
    '{a}😀',
    'é',
    '{é}',
    '\u00ff{\u0100}',
    '{\u07ff}\u0800',
    '\uffff{\uffff}',
    '\u{10ffff}',
    '{\u{10000}}',
    '\uD800',
    '\uDC00',
    '{\uD800}',
    '{\uDFFF}',
    'a\uDC00{b}',
    '{\uD83D}',
    '{\uDE00}',
    '\uDE00\uD83D',
    '{\uDE00\uD83D}',
    'foo{\uD800}bar',
    '\uD800{x}',
    '{x\uD800',
    '\uD800\uD800',
    '{}\uD800{a}',
    '{\uFFFD}',
  ]) {
    add('unicode', s);
  }
  // Random strings from code units chosen to hit every UTF-8 length and surrogate case.
  const units = () => {
    const r = rand();
    if (r < 0.2) return pick(['{', '}', '{', '}']);
    if (r < 0.35) return String.fromCharCode(0x20 + int(0x5f));
    if (r < 0.5) return String.fromCharCode(0x80 + int(0x780)); // 2-byte
    if (r < 0.65) return String.fromCharCode(0x800 + int(0xd000)); // 3-byte below surrogates
    if (r < 0.75) return String.fromCodePoint(0x10000 + int(0x100000)); // astral pair
    if (r < 0.85) return String.fromCharCode(0xd800 + int(0x400)); // lone high
    if (r < 0.95) return String.fromCharCode(0xdc00 + int(0x400)); // lone low
    return String.fromCharCode(0xe000 + int(0x2000));
  };
  for (let i = 0; i < 600; i++) {
    const n = int(17);
    let s = '';
    for (let j = 0; j < n; j++) s += units();
    add('unicode', s);
  }
}

// ---- server -------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once `PING` on host:port answers `+PONG`; rejects after `ms`. */
async function waitForPing(port, ms, child) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const sock = connect({ port, host: '127.0.0.1' });
      let data = '';
      sock.setTimeout(500);
      sock.on('connect', () => sock.write('PING\r\n'));
      sock.on('data', (d) => {
        data += d;
        if (data.includes('\r\n')) {
          sock.destroy();
          resolve(data.startsWith('+PONG'));
        }
      });
      sock.on('error', () => resolve(false));
      sock.on('timeout', () => {
        sock.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within ${ms} ms`);
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    process.kill(child.pid, 'SIGTERM');
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ringcache-keyslot-'));
  const port = await freePort();
  const args = [
    '--cluster-enabled', 'yes',
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--cluster-config-file', 'nodes.conf',
  ];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let redis;
  try {
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    await waitForPing(port, 10_000, child);
    redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    const info = await redis.call('INFO', 'server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';

    // Buffers go over the wire as-is; strings as UTF-8 exactly as Buffer.from encodes them.
    const slots = await Promise.all(keys.map(([, key]) => redis.call('CLUSTER', 'KEYSLOT', key)));

    const vectors = keys.map(([group, key], i) => {
      const slot = Number(slots[i]);
      if (!Number.isInteger(slot) || slot < 0 || slot > 16383) throw new Error(`bad slot ${slots[i]} for key #${i}`);
      if (Buffer.isBuffer(key)) return { group, key: key.toString('base64'), encoding: 'base64', slot };
      // eslint-disable-next-line no-control-regex
      if (/^[\x00-\x7f]*$/.test(key)) return { group, key, slot };
      return { group, key, utf8: Buffer.from(key).toString('base64'), slot };
    });
    const counts = {};
    for (const v of vectors) counts[v.group] = (counts[v.group] ?? 0) + 1;

    const fixture = {
      description:
        'Redis Cluster key slots from CLUSTER KEYSLOT of a real redis-server. String keys were sent as ' +
        'Buffer.from(key) (UTF-8, lone surrogates as EF BF BD, given in `utf8` as base64 for non-ASCII keys); ' +
        'keys with encoding "base64" are raw bytes.',
      generator: 'node scripts/gen-keyslot-vectors.mjs',
      redisVersion: version,
      seed: SEED,
      counts,
      vectors,
    };
    // One vector per line; everything outside ASCII as \uXXXX so the file is plain ASCII and
    // lone surrogates survive any editor or tool.
    const body = vectors.map((v) => '    ' + JSON.stringify(v)).join(',\n');
    const head = JSON.stringify({ ...fixture, vectors: undefined }, null, 2).replace(/\n}$/, '');
    const text = `${head},\n  "vectors": [\n${body}\n  ]\n}\n`.replace(
      /[\u007f-\uffff]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
    );
    // Guard against the escaping going wrong: the file must parse back to the same vectors.
    const back = JSON.parse(text);
    for (let i = 0; i < vectors.length; i++) {
      if (back.vectors[i].key !== vectors[i].key) throw new Error(`round trip failed at vector ${i}`);
    }
    writeFileSync(OUT, text);
    console.log(`wrote ${vectors.length} vectors (redis ${version}) to ${OUT}`, counts);
  } finally {
    redis?.disconnect();
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
