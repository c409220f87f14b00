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
export { RING_HASH_MD5, RING_HASH_MURMUR3 } from './types';

/**
 * Per-op cut-over: keys of at most this many string characters / bytes use the TS engine even
 * when native is loaded. Measured with `npm run bench -- --suite hash` (README).
 */
export const JS_MAX_KEY_LENGTH = {
  md5Uint32: 0,
  murmur3: 0,
  crc16: 0,
  keySlot: 0,
} as const;

function hybrid(native: Engine, js: Engine): Engine {
  const pick =
    (limit: number, n: (key: Key, ...rest: never[]) => number, j: (key: Key, ...rest: never[]) => number) =>
    (key: Key, ...rest: never[]): number =>
      (typeof key === 'string' ? key.length : key?.length) <= limit ? j(key, ...rest) : n(key, ...rest);
  return {
    ...native,
    md5Uint32: JS_MAX_KEY_LENGTH.md5Uint32 > 0 ? pick(JS_MAX_KEY_LENGTH.md5Uint32, native.md5Uint32, js.md5Uint32) : native.md5Uint32,
    murmur3:
      JS_MAX_KEY_LENGTH.murmur3 > 0
        ? (pick(JS_MAX_KEY_LENGTH.murmur3, native.murmur3 as never, js.murmur3 as never) as Engine['murmur3'])
        : native.murmur3,
    crc16: JS_MAX_KEY_LENGTH.crc16 > 0 ? pick(JS_MAX_KEY_LENGTH.crc16, native.crc16, js.crc16) : native.crc16,
    keySlot: JS_MAX_KEY_LENGTH.keySlot > 0 ? pick(JS_MAX_KEY_LENGTH.keySlot, native.keySlot, js.keySlot) : native.keySlot,
  };
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
    chosen = hybrid(native, jsEngine);
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
