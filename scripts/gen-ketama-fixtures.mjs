#!/usr/bin/env node
/**
 * Generates test/fixtures/ketama/{keys,libmemcached,libketama}.json: the server each key goes
 * to under
 *   - libmemcached's weighted ketama, asked of the REAL library (Debian libmemcached-dev,
 *     `MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED`, `memcached_server_add_with_weight`,
 *     `memcached_generate_hash`; scripts/ketama-ref/libmemcached-ref.c), and
 *   - libketama, for which Debian has no package: scripts/ketama-ref/libketama-ref.c, our C
 *     program written from libketama's published rules so that gcc does its float/double
 *     arithmetic. Each libketama set is also run through the real libmemcached, each address
 *     given as the host name on port 11211 (libmemcached then names points "<addr>-<k>", as
 *     libketama does); `libmemcachedAgrees` records whether the two placements were identical,
 *     i.e. whether the real library confirms that set, and the header's `notCrossChecked` lists
 *     the sets it cannot confirm and why (libmemcached's all-float digest count differs, e.g. at
 *     25 equal servers).
 *
 *   node scripts/gen-ketama-fixtures.mjs        # needs gcc, libmemcached-dev (libhashkit)
 *
 * Keys and server sets come from fixed seeds, so a re-run reproduces the files byte for byte.
 * Binaries are built in a temp dir that is removed afterwards.
 *
 * Format: { reference, generator, sets: [{ name, servers: [{host, port, weight, name?}],
 * owners }] } where owners is base64, byte i = index into servers of keys.json's key i.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeOwners, makeKeys, writeFixture } from './ketama-ref/fixture-io.mjs';
import { prng } from './prng.mjs';
import { findTie, twemproxyNameCompare } from './ketama-ref/ties.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REF_DIR = join(HERE, 'ketama-ref');

function debVersion(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  } catch {
    return 'unknown';
  }
}

const work = mkdtempSync(join(tmpdir(), 'ketama-ref-'));
try {
  const cc = process.env.CC || 'gcc';
  const lmRef = join(work, 'libmemcached-ref');
  const lkRef = join(work, 'libketama-ref');
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-o', lmRef, join(REF_DIR, 'libmemcached-ref.c'), '-lmemcached']);
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-o', lkRef, join(REF_DIR, 'libketama-ref.c'), '-lhashkit', '-lm']);

  const keys = makeKeys();
  writeFixture('keys.json', {
    generator: 'scripts/gen-ketama-fixtures.mjs (makeKeys in scripts/ketama-ref/fixture-io.mjs)',
    note: 'Keys are hashed as the UTF-8 bytes of Buffer.from(key); lone surrogates become EF BF BD.',
    keys,
  });
  const keyInput = Buffer.concat(keys.map((k) => Buffer.from(`${k}\n`)));

  /** Runs a C reference: servers as text lines, returns the owner index per key. */
  const run = (bin, serverLines) => {
    const input = Buffer.concat([
      Buffer.from(`${serverLines.length}\n${serverLines.join('\n')}\n${keys.length}\n`),
      keyInput,
    ]);
    const out = execFileSync(bin, [], { input, maxBuffer: 64 << 20, encoding: 'utf8' }).trim().split('\n');
    if (out.length !== keys.length) throw new Error(`${bin}: ${out.length} answers for ${keys.length} keys`);
    return out.map(Number);
  };

  const r = prng(0x6b6d656d);
  const hosts = (n, f) => Array.from({ length: n }, (_, i) => f(i));
  const ip = (i) => `10.0.${i >> 8}.${(i & 255) + 1}`;

  // ---- libmemcached ------------------------------------------------------------------------
  /** [name, servers] */
  const lmSets = [];
  for (let n = 1; n <= 12; n++) lmSets.push([`${n} equal, port 11211`, hosts(n, (i) => ({ host: ip(i), port: 11211, weight: 1 }))]);
  // Digest counts where float and double disagree (hashring: 39 at n = 7, 14, 28;
  // libmemcached's float: 39 at n = 25, 47, 50, 55, 61; both 40 elsewhere).
  for (const n of [14, 25, 28, 47, 50, 61, 100]) {
    lmSets.push([`${n} equal, port 11211`, hosts(n, (i) => ({ host: ip(i), port: 11211, weight: 1 }))]);
  }
  for (const n of [3, 7, 25]) {
    lmSets.push([`${n} equal, port 11212`, hosts(n, (i) => ({ host: ip(i), port: 11212, weight: 1 }))]);
  }
  lmSets.push([
    'mixed ports and host names',
    [
      { host: 'cache-a.example.com', port: 11211, weight: 1 },
      { host: 'cache-b.example.com', port: 11212, weight: 1 },
      { host: '127.0.0.1', port: 11211, weight: 1 },
      { host: '127.0.0.1', port: 11213, weight: 1 },
      { host: 'localhost', port: 22122, weight: 1 },
    ],
  ]);
  lmSets.push([
    'weights 1,2,3,4 mixed ports',
    hosts(4, (i) => ({ host: ip(i), port: i % 2 ? 11211 : 11300 + i, weight: i + 1 })),
  ]);
  for (let t = 0; t < 8; t++) {
    const n = 2 + r.int(14);
    const max = [3, 10, 100, 100000][t % 4];
    lmSets.push([
      `random weights 1..${max}, ${n} servers`,
      hosts(n, (i) => ({ host: r() < 0.5 ? ip(i) : `mc${i}.local`, port: r() < 0.5 ? 11211 : 11000 + r.int(1000), weight: 1 + r.int(max) })),
    ]);
  }
  lmSets.push(['weights near 2^32', hosts(3, (i) => ({ host: ip(i), port: 11211, weight: [4000000000, 200000000, 94967295][i] }))]);
  lmSets.push(['weight 0 counts as 1', hosts(4, (i) => ({ host: ip(i), port: 11211, weight: [0, 1, 1, 2][i] }))]);
  lmSets.push(['port 0 means 11211', hosts(3, (i) => ({ host: ip(i), port: [0, 11211, 11212][i], weight: 1 }))]);
  lmSets.push([
    'duplicate server: ties go to the lower index',
    [
      { host: ip(0), port: 11211, weight: 1 },
      { host: ip(1), port: 11211, weight: 1 },
      { host: ip(0), port: 11211, weight: 1 },
    ],
  ]);

  // A real tie (two names sharing a point, keys on it), in both server orders.
  const tie = findTie();
  const [first, second] = [...tie.names].sort(twemproxyNameCompare);
  for (const names of [[second, first], [first, second]]) {
    lmSets.push([`tie: ${names.join(', ')} share point ${tie.value}`, names.map((host) => ({ host, port: 11211, weight: 1 }))]);
  }

  const lmFixture = {
    reference: `libmemcached ${debVersion('libmemcached-dev')} (Debian libmemcached-dev), MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, memcached_generate_hash`,
    generator: 'scripts/gen-ketama-fixtures.mjs',
    sets: lmSets.map(([name, servers]) => ({
      name,
      servers,
      owners: encodeOwners(run(lmRef, servers.map((s) => `${s.host} ${s.port} ${s.weight}`))),
    })),
  };
  console.log(`libmemcached: ${lmFixture.sets.length} sets × ${keys.length} keys → ${writeFixture('libmemcached.json', lmFixture)}`);

  // ---- libketama ---------------------------------------------------------------------------
  const lkSets = [];
  for (const n of [1, 2, 3, 4, 5, 7, 10, 14, 25, 47, 50, 61]) {
    lkSets.push([`${n} equal`, hosts(n, (i) => ({ host: ip(i), port: 11212 + (i % 3), weight: 1 }))]);
  }
  for (let t = 0; t < 8; t++) {
    const n = 2 + r.int(14);
    const max = [3, 10, 1024, 65536][t % 4];
    lkSets.push([`random memory 1..${max}, ${n} servers`, hosts(n, (i) => ({ host: ip(i), port: 11212 + r.int(4), weight: 1 + r.int(max) }))]);
  }
  lkSets.push(['port 11211 in the address', hosts(4, (i) => ({ host: ip(i), port: 11211, weight: [300, 100, 300, 600][i] }))]);
  lkSets.push(['explicit address tokens', [
    { host: 'a', port: 1, weight: 1, name: 'cache1.example:11211' },
    { host: 'b', port: 2, weight: 2, name: 'cache2.example:11211' },
    { host: 'c', port: 3, weight: 1, name: '10.1.2.3:11211' },
  ]]);

  for (const names of [[second, first], [first, second]]) {
    lkSets.push([`tie: ${names.join(', ')} share point ${tie.value}`, names.map((name, i) => ({ host: `h${i}`, port: 1, weight: 1, name }))]);
  }

  const sets = lkSets.map(([name, servers]) => {
    const addrs = servers.map((s) => s.name ?? `${s.host}:${s.port}`);
    const owners = run(lkRef, servers.map((s, i) => `${addrs[i]} ${s.weight}`));
    const lm = run(lmRef, libmemcachedView(addrs, servers));
    const libmemcachedAgrees = lm.every((o, i) => o === owners[i]);
    return { name, servers, libmemcachedAgrees, owners: encodeOwners(owners) };
  });
  const unconfirmed = sets.filter((s) => !s.libmemcachedAgrees).map((s) => s.name);
  const lkFixture = {
    reference:
      'scripts/ketama-ref/libketama-ref.c: our C port of libketama\'s (github.com/RJ/ketama, libketama/ketama.c) continuum rules, ' +
      'not libketama itself; libmemcachedAgrees: the real libmemcached (the addresses as host names on port 11211, so its point ' +
      'names are libketama\'s "<addr>-<k>") gave the identical placement, which confirms the set',
    notCrossChecked:
      unconfirmed.length === 0
        ? []
        : unconfirmed.map((name) => ({
            name,
            why:
              'libmemcached places these keys differently, by design: libketama computes pct * 40 * n in double and rounds once ' +
              '(40 digests per server here), libmemcached does every step in float (39); no real library can confirm these ' +
              '(test/compat/ketama.test.ts checks that the digest counts are the only difference)',
          })),
    generator: 'scripts/gen-ketama-fixtures.mjs',
    sets,
  };
  console.log(`libketama: ${lkFixture.sets.length} sets × ${keys.length} keys → ${writeFixture('libketama.json', lkFixture)}`);
  for (const s of lkFixture.sets) console.log(`  ${s.libmemcachedAgrees ? 'same as libmemcached' : 'NOT confirmed (differs from libmemcached)'}: ${s.name}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * libmemcached server lines that produce libketama's point names "<addr>-<k>" for any address:
 * libmemcached names a server's points "<host>-<k>" when its port is 11211 ("<host>:<port>-<k>"
 * otherwise), so the whole address goes in as the host, with port 11211 (nothing connects: only
 * the continuum is built).
 */
function libmemcachedView(addrs, servers) {
  return addrs.map((addr, i) => `${addr} 11211 ${servers[i].weight}`);
}
