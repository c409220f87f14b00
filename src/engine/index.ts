/**
 * Chooses the engine. This is the one place that knows whether the native core loaded.
 *
 * - `RINGCACHE_BACKEND=js` forces the pure TypeScript engine.
 * - `RINGCACHE_BACKEND=native` makes a load failure a hard error (platform, each load error,
 *   how to build) instead of a silent fallback.
 * - Otherwise: native when it loads and passes the shape/ABI check, else TS.
 *
 * With the native core loaded, the exported engine is a hybrid: single short keys go to the
 * TS engine (a native call that takes a JS string costs ~45 ns before any work), batches and
 * long keys to native. The thresholds come from `bench/` (see README).
 */
import { jsEngine } from './js';
import { loadNativeBinding, nativeEngine } from './native';
import type { Engine, Key } from './types';

export type { Engine, Key, RingHash, RingTable } from './types';
/** UTF-8 byte lengths and encoding as both engines count them (packKeys writes keys with them). */
export { utf8Length, writeUtf8 } from './js/utf8';
export { RING_HASH_MD5, RING_HASH_MURMUR3 } from './types';

/**
 * Per-op cut-over, in string characters or bytes: keys at most this long go to the TS engine
 * even when native is loaded, because a native call that takes a JS string pays ~45-80 ns
 * (string read, type checks) before any work, while the TS engine's per-byte cost is higher.
 * Measured with `npx ringcache bench --suite hash --suite slot` (README, "Benchmarks"):
 * on 11 B keys the TS engine is ~2x faster for keySlot/murmur3 and ~1.4x for md5; on 40-100 B
 * keys native wins by 2.5x (keySlot), 1.7x (murmur3), and md5 is even.
 * Batches of string keys follow their first key's length (reading a JS array element and its
 * string costs native ~80 ns per key); packed byte batches always go native.
 */
export const JS_MAX_KEY_LENGTH = Object.freeze({
  md5Uint32: 48,
  murmur3: 16,
  crc16: 16,
  keySlot: 16,
  keySlots: 16,
  /** Ring batches of string keys, by the first key's length and the ring's key hash. */
  ringLookupMd5: 48,
  ringLookupMurmur3: 16,
});

function keyLength(key: Key): number {
  return typeof key === 'string' ? key.length : key instanceof Uint8Array ? key.length : -1;
}

/** A batch's key length for dispatch: its first key's; Infinity (native) for a non-array or none. */
function batchKeyLength(keys: readonly Key[]): number {
  return Array.isArray(keys) && keys.length > 0 ? keyLength(keys[0]) : Infinity;
}

/** The native engine with short-key calls sent to the TS engine (exported for tests). */
export function hybridEngine(native: Engine, js: Engine): Engine {
  const L = JS_MAX_KEY_LENGTH;
  return Object.freeze({
    backend: 'native',
    md5: native.md5,
    md5Uint32: (key) => (keyLength(key) <= L.md5Uint32 ? js.md5Uint32(key) : native.md5Uint32(key)),
    murmur3: (key, seed) => (keyLength(key) <= L.murmur3 ? js.murmur3(key, seed) : native.murmur3(key, seed)),
    crc16: (key) => (keyLength(key) <= L.crc16 ? js.crc16(key) : native.crc16(key)),
    keySlot: (key) => (keyLength(key) <= L.keySlot ? js.keySlot(key) : native.keySlot(key)),
    keySlots: (keys, out) => (batchKeyLength(keys) <= L.keySlots ? js.keySlots(keys, out) : native.keySlots(keys, out)),
    keySlotsPacked: native.keySlotsPacked,
    // A lone number: the typed-array checks cost native more than the search itself.
    ringFind: js.ringFind,
    ringLookup: (table, keys, hash, seed, out) =>
      batchKeyLength(keys) <= (hash === 0 ? L.ringLookupMd5 : L.ringLookupMurmur3)
        ? js.ringLookup(table, keys, hash, seed, out)
        : native.ringLookup(table, keys, hash, seed, out),
    ringLookupPacked: native.ringLookupPacked,
  } satisfies Engine);
}

function describeLoadFailure(err: unknown): string {
  const e = err as Error;
  return [
    `ringcache: could not load the native core for ${process.platform}-${process.arch} (Node ${process.version}, N-API ${process.versions.napi}).`,
    `Load error: ${e?.message ?? String(err)}`,
    'Possible solutions:',
    '- Build it from source: `npm rebuild ringcache` (needs python3, make and a C++17 compiler).',
    '- Or unset RINGCACHE_BACKEND (or set it to `js`) to use the pure TypeScript engine, which gives identical results.',
  ].join('\n');
}

let loadError: Error | undefined;
let chosen: Engine = jsEngine;
let native: Engine | undefined;

const requested = process.env.RINGCACHE_BACKEND;
if (requested !== undefined && requested !== '' && requested !== 'js' && requested !== 'native') {
  throw new RangeError(`Expected 'js' or 'native' for RINGCACHE_BACKEND but received '${requested}'`);
}
if (requested !== 'js') {
  try {
    native = nativeEngine(loadNativeBinding());
    // RINGCACHE_HYBRID=0 sends every call to native: the test suite's native project uses it so
    // that every public call exercises the C++ core.
    chosen = process.env.RINGCACHE_HYBRID === '0' ? native : hybridEngine(native, jsEngine);
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
    if (requested === 'native') throw new Error(describeLoadFailure(err), { cause: err });
  }
}

/** The engine in use. */
export const engine: Engine = chosen;
/** `'native'` when the C++ core is in use, `'js'` for the pure TypeScript engine. */
export const backend: 'native' | 'js' = chosen.backend;
/** Why the native core did not load (undefined when it did, or when `RINGCACHE_BACKEND=js`). */
export const nativeLoadError: Error | undefined = loadError;

/** Both engines, for differential tests and benchmarks (native is undefined when it did not load). */
export const engines: { readonly js: Engine; readonly native: Engine | undefined } = { js: jsEngine, native };
