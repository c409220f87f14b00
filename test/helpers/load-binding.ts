/**
 * The C++ binding loaded the way src/engine/native.ts loads it (node-gyp-build), from the repo
 * root or from RINGCACHE_NATIVE_DIR: scripts/native-sanitize.sh points that at an ASan+UBSan
 * build, so every test that takes its binding from here runs against the sanitized addon.
 */
import * as path from 'node:path';
import { vi } from 'vitest';
import { engines, hybridEngine, type Engine } from '../../src/engine';
import { nativeEngine } from '../../src/engine/native';
import type { NativeBinding } from '../../src/engine/types';

export function loadBinding(): NativeBinding {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = require('node-gyp-build') as (dir: string) => NativeBinding;
  return load(process.env.RINGCACHE_NATIVE_DIR || path.resolve(__dirname, '..', '..'));
}

/**
 * The engines a differential test runs on: the TS engine always; with the native project
 * also the native engine over {@link loadBinding} and the hybrid over both (what users get by
 * default). Named for assertion messages.
 */
export function testEngines(): [name: string, engine: Engine][] {
  const list: [string, Engine][] = [['js', engines.js]];
  if (process.env.RINGCACHE_BACKEND !== 'js') {
    const native = nativeEngine(loadBinding());
    list.push(['native', native], ['hybrid', hybridEngine(native, engines.js)]);
  }
  return list;
}

/**
 * The package as a user gets it by default (RINGCACHE_HYBRID unset: the hybrid engine when the
 * native core loads): a fresh copy of src/index, loaded with the variable removed.
 */
export async function importDefault(): Promise<{ api: typeof import('../../src/index'); engine: Engine }> {
  const saved = process.env.RINGCACHE_HYBRID;
  delete process.env.RINGCACHE_HYBRID;
  try {
    vi.resetModules();
    const api = await import('../../src/index.js');
    const { engine } = await import('../../src/engine/index.js');
    return { api, engine };
  } finally {
    if (saved !== undefined) process.env.RINGCACHE_HYBRID = saved;
    vi.resetModules();
  }
}
