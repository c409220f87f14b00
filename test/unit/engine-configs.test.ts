/**
 * The three engine configurations give identical answers: the default hybrid dispatch (what every
 * user gets when the native core loads), the C++ core alone (RINGCACHE_HYBRID=0) and the TS engine,
 * on seeded random keys and on keys at every cut-over length of JS_MAX_KEY_LENGTH (L - 2 … L + 2,
 * in UTF-16 units and in bytes, ASCII and multi-byte, so a key whose character count is under the
 * cut-over but whose byte count is over it is covered), for every Engine method.
 *
 * Also checks that each vitest project really runs the configuration it is named after: the
 * `hybrid` project with a hybrid engine over the loaded native core (a failed build must not turn
 * it into a second `js` run), `native` with the C++ core alone, `js` with the TS engine.
 */
import { describe, expect, it } from 'vitest';
import { backend, engine, engines, hybridEngine, JS_MAX_KEY_LENGTH, type Engine, type Key, type RingHash } from '../../src/engine';
import { loadNativeBinding, nativeEngine } from '../../src/engine/native';
import { project } from '../helpers/project';
import { keyBytes, offsetView, randomAscii, randomKey, randomUnicode, rng, show, tableFor, type Rng } from '../helpers/random-keys';

/** The native core, loaded directly (also in the `js` project, when the build exists). */
function tryNative(): Engine | undefined {
  try {
    return nativeEngine(loadNativeBinding());
  } catch {
    return undefined;
  }
}

const js = engines.js;
const native = tryNative();

describe(`project '${project}' runs its engine configuration`, () => {
  it.runIf(project === 'hybrid')('hybrid: the native core loaded and the engine is the hybrid dispatch over it', () => {
    expect(engines.native, 'the native core did not load in the default configuration').toBeDefined();
    expect(backend).toBe('native');
    expect(engine).not.toBe(engines.native); // the hybrid wrapper, not the C++ core itself
    const short = 'k'.repeat(JS_MAX_KEY_LENGTH.keySlot);
    expect(engine.keySlot).not.toBe(engines.native!.keySlot);
    expect(engine.keySlot(short)).toBe(js.keySlot(short));
  });
  it.runIf(project === 'native')('native: every call on the C++ core', () => {
    expect(backend).toBe('native');
    expect(engine).toBe(engines.native);
  });
  it.runIf(project === 'js')('js: the TS engine', () => {
    expect(backend).toBe('js');
    expect(engine).toBe(js);
  });
});

/** Keys of `len` UTF-16 units / bytes around one cut-over, in every shape. */
function keysAround(g: Rng, cut: number): Key[] {
  const out: Key[] = [];
  for (let len = Math.max(0, cut - 2); len <= cut + 2; len++) {
    out.push(randomAscii(g, len), `{${randomAscii(g, Math.max(0, len - 2))}}`.slice(0, len));
    // Multi-byte: `len` UTF-16 units but up to 3× as many bytes (the cut-over counts units).
    out.push(randomUnicode(g, len).slice(0, len), 'é'.repeat(len), '€'.repeat(len));
    const bytes = Buffer.from(randomAscii(g, len));
    out.push(bytes, offsetView(g, bytes, false), new Uint8Array(bytes));
  }
  return out;
}

function allKeys(): Key[] {
  const g = rng(0x19c0);
  const cuts = [...new Set(Object.values(JS_MAX_KEY_LENGTH))];
  expect(cuts.length).toBeGreaterThan(1); // md5 and the murmur3/slot family differ today
  const keys: Key[] = [];
  for (const cut of cuts) keys.push(...keysAround(g, cut));
  for (let i = 0; i < 5000; i++) keys.push(randomKey(g, 120));
  return keys;
}

/** Every Engine method's answer for `keys`, as one comparable array of numbers. */
function answers(e: Engine, keys: readonly Key[], g: Rng): number[] {
  const out: number[] = [];
  const digest = new Uint8Array(16);
  const seeds = [0, 0xffffffff, g.u32()];
  for (const k of keys) {
    e.md5(k, digest);
    out.push(...digest, e.md5Uint32(k), e.crc16(k), e.keySlot(k));
    for (const s of seeds) out.push(e.murmur3(k, s));
  }
  // Batches: each starts with a key of one cut-over length (the batch follows its first key).
  const table = tableFor(Uint32Array.from(Array.from({ length: 600 }, () => g.u32())).sort(), 10);
  for (let i = 0; i < keys.length; i += 7) {
    const batch = keys.slice(i, i + 1 + (i % 13));
    const slots = new Uint16Array(batch.length);
    e.keySlots(batch, slots);
    out.push(...slots);
    const parts = batch.map(keyBytes);
    const offsets = new Uint32Array(parts.length + 1);
    parts.forEach((p, j) => (offsets[j + 1] = offsets[j] + p.length));
    const data = new Uint8Array(Buffer.concat(parts));
    e.keySlotsPacked(data, offsets, slots);
    out.push(...slots);
    const found = new Int32Array(batch.length);
    for (const hash of [0, 1] as RingHash[]) {
      e.ringLookup(table, batch, hash, 0x9747b28c, found);
      out.push(...found);
      e.ringLookupPacked(table, data, offsets, hash, 7, found);
      out.push(...found);
    }
    out.push(e.ringFind(table, e.md5Uint32(batch[0])));
  }
  return out;
}

describe.runIf(native !== undefined)('hybrid ≡ native ≡ js', () => {
  it('every method agrees on random keys and on keys at every cut-over length', () => {
    const keys = allKeys();
    const configs: [string, Engine][] = [
      ['hybrid', hybridEngine(native!, js)],
      ['native', native!],
      ['js', js],
      [`this project's engine (${project})`, engine],
    ];
    const ref = answers(js, keys, rng(5));
    for (const [name, e] of configs) {
      const got = answers(e, keys, rng(5));
      expect(got.length, name).toBe(ref.length);
      const d = got.findIndex((x, i) => x !== ref[i]);
      expect(d, `${name} differs from js at answer ${d}`).toBe(-1);
    }
    // Single keys at each cut-over, method by method, so a failure names the key.
    const h = hybridEngine(native!, js);
    for (const k of keys.slice(0, 200)) {
      expect([h.md5Uint32(k), h.murmur3(k, 1), h.crc16(k), h.keySlot(k)], show(k)).toEqual([js.md5Uint32(k), js.murmur3(k, 1), js.crc16(k), js.keySlot(k)]);
    }
  });
});
