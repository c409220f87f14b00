/**
 * The default dispatch with the native core loaded: short keys to the TS engine, long keys and
 * packed batches to native. Whatever the split, answers equal both engines'.
 */
import { describe, expect, it } from 'vitest';
import { engines, hybridEngine, JS_MAX_KEY_LENGTH, type Engine } from '../../src/engine';
import { loadNativeBinding, nativeEngine } from '../../src/engine/native';

describe.skipIf(process.env.RINGCACHE_BACKEND === 'js')('hybrid engine', () => {
  const native = nativeEngine(loadNativeBinding());
  const js = engines.js;

  /** Wraps an engine so each call records which engine served it. */
  function spy(e: Engine, tag: string, log: string[]): Engine {
    const out: Record<string, unknown> = { backend: e.backend };
    for (const [k, v] of Object.entries(e)) {
      if (typeof v === 'function') out[k] = (...a: unknown[]) => (log.push(`${tag}.${k}`), (v as (...x: unknown[]) => unknown)(...a));
    }
    return out as unknown as Engine;
  }

  it('routes by key length and agrees with both engines', () => {
    const log: string[] = [];
    const h = hybridEngine(spy(native, 'native', log), spy(js, 'js', log));
    expect(h.backend).toBe('native');
    const short = 'x'.repeat(JS_MAX_KEY_LENGTH.keySlot);
    const long = 'y{tag}'.repeat(20);
    for (const key of [short, long, Buffer.from(short), Buffer.from(long), '', 'é'.repeat(40)]) {
      log.length = 0;
      expect(h.keySlot(key)).toBe(js.keySlot(key));
      expect(h.keySlot(key)).toBe(native.keySlot(key));
      expect(h.md5Uint32(key)).toBe(native.md5Uint32(key));
      expect(h.murmur3(key, 7)).toBe(js.murmur3(key, 7));
      expect(h.crc16(key)).toBe(native.crc16(key));
      const served = log.filter((l) => l.endsWith('.keySlot'));
      const len = typeof key === 'string' ? key.length : key.length;
      expect(served.every((l) => l.startsWith(len <= JS_MAX_KEY_LENGTH.keySlot ? 'js.' : 'native.')), `${len}: ${served}`).toBe(true);
    }
    const out1 = new Uint16Array(3);
    const out2 = new Uint16Array(3);
    log.length = 0;
    h.keySlots(['a', 'b', 'c'], out1);
    expect(log).toContain('js.keySlots');
    h.keySlots([long, 'b', 'c'], out2);
    expect(log).toContain('native.keySlots');
    expect(Array.from(out1)).toEqual(['a', 'b', 'c'].map((k) => js.keySlot(k)));
    expect(Array.from(out2)).toEqual([long, 'b', 'c'].map((k) => js.keySlot(k)));
  });

  it('still rejects junk on both paths', () => {
    const h = hybridEngine(native, js);
    for (const junk of [undefined, null, 42, {}, Symbol('s')]) {
      expect(() => h.keySlot(junk as never)).toThrow(TypeError);
      expect(() => h.md5Uint32(junk as never)).toThrow(TypeError);
      expect(() => h.keySlots([junk] as never, new Uint16Array(1))).toThrow(TypeError);
    }
    expect(() => h.keySlots('abc' as never, new Uint16Array(3))).toThrow(TypeError);
  });
});
