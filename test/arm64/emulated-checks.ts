/**
 * Checks run INSIDE an emulated arm64 Node 18 (qemu-user, Debian's nodejs:arm64) against
 * ringcache as installed from the packed tarball. vitest does not run there, so this is a
 * plain script: test/arm64/run.mjs compiles it with tsc, runs it once per mode and counts.
 *
 *   node emulated-checks.js MODE APP_DIR FIXTURES_DIR
 *
 * Modes:
 * - `native`: the prebuild loads (backend 'native', the .node file from prebuilds/linux-arm64),
 *   the engines agree on random keys, rings and packed batches, the RFC 1321 / MurmurHash3 /
 *   Redis slot vectors pass on the C++ core, the junk-argument fuzz finds nothing.
 * - `musl`: run with LIBC=musl, as node-gyp-build sees an Alpine host: the glibc-tagged
 *   prebuild is skipped, the TS engine serves, with nativeLoadError set.
 * - `fallback`: the arm64 prebuild deleted (and no compiler: there is none in the sysroot):
 *   the TS engine serves with nativeLoadError set; RINGCACHE_BACKEND=native makes it an error.
 *
 * Prints one `RESULT {"name","ok","detail"}` line per check and `DONE <count>` at the end; the
 * runner treats a missing DONE (a crash) as a failure.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type { Engine, Key } from '../../src/engine/types';
import { ringBatches, ringFind, singleKeyMethods, slotBatches } from '../helpers/engines-differential';
import { junkFuzz } from '../helpers/junk-fuzz';
import { randomKey, rng } from '../helpers/random-keys';
import { MURMUR3_VECTORS, RFC1321_VECTORS } from '../helpers/reference';

/** Keys for the differential: emulation runs ~10x slower than the host, 100k would take minutes. */
const DIFF_KEYS = 10_000;
const FUZZ_CALLS = 4_000;

/** The public entry points the checks call (declared here, not imported: tsc then compiles only what runs). */
interface Api {
  backend: 'native' | 'js';
  nativeLoadError: Error | undefined;
  md5(key: Key): Uint8Array;
  murmur3(key: Key, seed?: number): number;
  keySlot(key: Key): number;
  keySlots(keys: readonly Key[]): Uint16Array;
  keySlotsPacked(data: Uint8Array, offsets: Uint32Array): Uint16Array;
  packKeys(keys: readonly Key[]): { data: Uint8Array; offsets: Uint32Array };
}
interface EngineModule {
  engines: { js: Engine; native: Engine | undefined };
}
interface Vector {
  key: string;
  encoding?: 'base64';
  slot: number;
}

const [mode, appDir, fixturesDir] = process.argv.slice(2);
if (!mode || !appDir || !fixturesDir) throw new Error('usage: emulated-checks MODE APP_DIR FIXTURES_DIR');
const requireFromApp = createRequire(join(appDir, 'package.json'));
const pkgDir = dirname(requireFromApp.resolve('ringcache/package.json'));
let checks = 0;

/** Runs one check; `fn` returns what it compared. A throw is a failed check, not the end. */
function check(name: string, fn: () => string): void {
  checks++;
  const started = Date.now();
  let result: { name: string; ok: boolean; detail: string; ms?: number };
  try {
    result = { name, ok: true, detail: fn() };
  } catch (err) {
    result = { name, ok: false, detail: String((err as Error)?.stack ?? err).slice(0, 4000) };
  }
  result.ms = Date.now() - started;
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/** Every module of the installed package in require.cache (to reload it, or find its parts). */
function packageModules(): string[] {
  return Object.keys(require.cache).filter((f) => f.startsWith(pkgDir + sep));
}

/** The package's engine module (wherever the build put it), for the engines themselves. */
function engineModule(): EngineModule {
  const file = packageModules().find((f) => /[\\/]engine[\\/]index\.js$/.test(f));
  assert.ok(file, 'the engine module of the installed package is not in require.cache');
  return require(file) as EngineModule;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const slotVectors = (): Vector[] =>
  (JSON.parse(readFileSync(join(fixturesDir, 'keyslot-vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors;
const keyOf = (v: Vector): Key => (v.encoding === 'base64' ? Buffer.from(v.key, 'base64') : v.key);

/** The public API answers right whichever engine serves (a handful of vectors, every entry). */
function publicAnswers(api: Api): string {
  for (const [input, digest] of RFC1321_VECTORS) assert.equal(hex(api.md5(input)), digest, `md5(${JSON.stringify(input)})`);
  for (const [input, seed, want] of MURMUR3_VECTORS) assert.equal(api.murmur3(input, seed), want, `murmur3(${JSON.stringify(input)}, ${seed})`);
  const vectors = slotVectors().filter((_, i) => i % 10 === 0);
  const keys = vectors.map(keyOf);
  const want = vectors.map((v) => v.slot);
  assert.deepEqual(keys.map((k) => api.keySlot(k)), want, 'keySlot');
  assert.deepEqual(Array.from(api.keySlots(keys)), want, 'keySlots');
  const { data, offsets } = api.packKeys(keys);
  assert.deepEqual(Array.from(api.keySlotsPacked(data, offsets)), want, 'keySlotsPacked');
  return `${RFC1321_VECTORS.length} md5, ${MURMUR3_VECTORS.length} murmur3, ${vectors.length} slot vectors × 3 entries`;
}

function loadsNative(): string {
  const api = requireFromApp('ringcache') as Api;
  assert.equal(api.nativeLoadError, undefined, `nativeLoadError: ${api.nativeLoadError?.message}`);
  assert.equal(api.backend, 'native');
  const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
  assert.deepEqual(addons.map((f) => f.slice(pkgDir.length + 1)), ['prebuilds/linux-arm64/ringcache.glibc.node']);
  return `backend native from ${addons[0]}`;
}

function nativeVectors(native: Engine): string {
  const out = new Uint8Array(16);
  for (const [input, digest] of RFC1321_VECTORS) {
    native.md5(input, out);
    assert.equal(hex(out), digest, `md5(${JSON.stringify(input)})`);
    assert.equal(native.md5Uint32(input), Buffer.from(digest, 'hex').readUInt32LE(0), `md5Uint32(${JSON.stringify(input)})`);
  }
  for (const [input, seed, want] of MURMUR3_VECTORS) assert.equal(native.murmur3(input, seed), want, `murmur3(${JSON.stringify(input)})`);
  const vectors = slotVectors();
  const keys = vectors.map(keyOf);
  const want = vectors.map((v) => v.slot);
  const bad = vectors.filter((v, i) => native.keySlot(keys[i]) !== v.slot).slice(0, 5);
  assert.deepEqual(bad, []);
  const slots = new Uint16Array(keys.length);
  native.keySlots(keys, slots);
  assert.deepEqual(Array.from(slots), want, 'keySlots');
  // Long keys through md5 too: node:crypto is the reference for what RFC 1321 gives them.
  for (const k of keys.filter((x) => x.length > 1000)) {
    native.md5(k, out);
    assert.equal(hex(out), createHash('md5').update(k).digest('hex'));
  }
  return `${RFC1321_VECTORS.length} RFC 1321, ${MURMUR3_VECTORS.length} MurmurHash3, ${vectors.length} Redis slot vectors (keySlot, keySlots)`;
}

function nativeMode(): void {
  check('runs on arm64 Node ≥ 18', () => {
    assert.equal(process.arch, 'arm64');
    assert.ok(Number(process.versions.node.split('.')[0]) >= 18, process.version);
    return `${process.platform}-${process.arch} Node ${process.version} N-API ${process.versions.napi}`;
  });
  check("backend is 'native', loaded from prebuilds/linux-arm64", loadsNative);
  let native: Engine | undefined;
  let js: Engine | undefined;
  check('the package exposes both engines', () => {
    ({ native, js } = engineModule().engines);
    assert.ok(native && js, 'engines.native did not load');
    assert.equal(native.backend, 'native');
    assert.equal(js.backend, 'js');
    return 'engines.native, engines.js';
  });
  if (!native || !js) return;
  const e = { native, js };
  check('RFC 1321, MurmurHash3 and Redis slot vectors on the C++ core', () => nativeVectors(e.native));
  check('public API answers the vectors (hybrid dispatch)', () => publicAnswers(requireFromApp('ringcache') as Api));
  const r = rng(0xa9ee);
  const keys = Array.from({ length: DIFF_KEYS }, () => randomKey(r, 300));
  check('engines agree: single-key methods', () => singleKeyMethods(e, keys));
  check('engines agree: keySlots / keySlotsPacked in random batches', () => slotBatches(e, keys));
  check('engines agree: ringFind on random tables', () => ringFind(e, 30, 400));
  check('engines agree: ringLookup / ringLookupPacked (md5, murmur3)', () => ringBatches(e, keys, 30));
  check('junk-argument fuzz: native fails as TS does', () => JSON.stringify(junkFuzz(e.native, e.js, FUZZ_CALLS)));
}

/** The TS engine serves, nativeLoadError says why, and the answers are right. */
function fallsBack(why: RegExp): void {
  check("backend is 'js' with nativeLoadError set", () => {
    const api = requireFromApp('ringcache') as Api;
    const err = api.nativeLoadError;
    assert.equal(api.backend, 'js');
    assert.ok(err instanceof Error, 'nativeLoadError is not an Error');
    assert.match(err.message, why);
    assert.deepEqual(Object.keys(require.cache).filter((f) => f.endsWith('.node')), []);
    return `nativeLoadError: ${err.message.split('\n')[0]}`;
  });
  check('public API answers the vectors on the TS engine', () => publicAnswers(requireFromApp('ringcache') as Api));
}

function fallbackMode(): void {
  fallsBack(/No native build was found for platform=linux arch=arm64/);
  check('RINGCACHE_BACKEND=native turns the fallback into an error naming the platform', () => {
    for (const f of packageModules()) delete require.cache[f];
    process.env.RINGCACHE_BACKEND = 'native';
    assert.throws(() => requireFromApp('ringcache'), (err: Error) => {
      assert.match(err.message, /could not load the native core for linux-arm64/);
      assert.match(err.message, /Possible solutions/);
      return true;
    });
    return 'throws: could not load the native core for linux-arm64 … Possible solutions';
  });
}

switch (mode) {
  case 'native':
    nativeMode();
    break;
  case 'musl':
    assert.equal(process.env.LIBC, 'musl', 'run the musl mode with LIBC=musl');
    fallsBack(/No native build was found for .*libc=musl/);
    break;
  case 'fallback':
    fallbackMode();
    break;
  default:
    throw new Error(`unknown mode ${mode}`);
}
console.log(`DONE ${checks}`);
