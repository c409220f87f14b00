/**
 * The only importer of node-gyp-build. Loads the native binding from `prebuilds/` or a local
 * `build/`, checks its shape and ABI version, and wraps it as an {@link Engine}.
 */
import * as path from 'node:path';
import { NATIVE_ABI_VERSION, type Engine, type NativeBinding, type RingTable } from './types';

const FUNCTIONS = [
  'md5',
  'md5Uint32',
  'murmur3',
  'crc16',
  'keySlot',
  'keySlots',
  'keySlotsPacked',
  'ringFind',
  'ringLookup',
  'ringLookupPacked',
] as const;

/** Package root: src/engine → ../.., dist/cjs/engine → ../../.. (whichever holds binding.gyp). */
function packageRoot(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..');
}

function checkShape(b: unknown): asserts b is NativeBinding {
  if (b === null || typeof b !== 'object') throw new TypeError('native binding did not export an object');
  const o = b as Record<string, unknown>;
  if (o.abiVersion !== NATIVE_ABI_VERSION) {
    throw new Error(
      `native binding has ABI version ${String(o.abiVersion)}, expected ${NATIVE_ABI_VERSION} ` +
        '(a stale build/ or prebuild; rebuild with `npm run build:native`)',
    );
  }
  for (const f of FUNCTIONS) {
    if (typeof o[f] !== 'function') throw new TypeError(`native binding lacks function ${f}`);
  }
}

/** Loads and checks the binding; throws with the load error when it cannot. */
export function loadNativeBinding(): NativeBinding {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = require('node-gyp-build') as (dir: string) => unknown;
  const binding = load(packageRoot());
  checkShape(binding);
  return binding;
}

/** Wraps the binding as an Engine (RingTable passed positionally). */
export function nativeEngine(b: NativeBinding): Engine {
  return {
    backend: 'native',
    md5: b.md5,
    md5Uint32: b.md5Uint32,
    murmur3: b.murmur3,
    crc16: b.crc16,
    keySlot: b.keySlot,
    keySlots: b.keySlots,
    keySlotsPacked: b.keySlotsPacked,
    ringFind: (t: RingTable, h) => b.ringFind(t.points, t.buckets, t.shift, h),
    ringLookup: (t: RingTable, keys, hash, seed, out) =>
      b.ringLookup(t.points, t.buckets, t.shift, keys, hash, seed, out),
    ringLookupPacked: (t: RingTable, data, offsets, hash, seed, out) =>
      b.ringLookupPacked(t.points, t.buckets, t.shift, data, offsets, hash, seed, out),
  };
}
