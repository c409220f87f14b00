/**
 * The optional MessagePack serializer (msgpackr): random JSON-shaped values come back equal
 * through L2 (single and batch reads), exactly as the JSON serializer gives them back; the bytes
 * are standard MessagePack (no msgpackr record extension); a JSON entry read by a msgpack cache
 * is a miss with an `l2:error`, not a wrong value; and without msgpackr installed the call fails
 * with an error that says what to install.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { loadMsgpackr, msgpackSerializer } from '../../src/cache/msgpack-serializer';
import { MissingDependencyError } from '../../src/errors';
import { jsonSerializer } from '../../src/cache/serializer';
import { TieredCache } from '../../src/cache/tiered-cache';
import { MemoryStore } from '../helpers/chaos-store';
import { randomUnicode, rng, type Rng } from '../helpers/random-keys';

/** A random value JSON can hold (no lone surrogates: JSON and MessagePack both need valid text). */
function randomJson(r: Rng, depth = 0): unknown {
  const pick = r.int(depth > 2 ? 5 : 7);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return r() < 0.5 ? r.int(2 ** 31) - 2 ** 30 : (r() - 0.5) * 1e6;
    case 3:
      return randomUnicode(r, r.int(20)).replace(/[\uD800-\uDFFF]/g, 'x');
    case 4:
      return r.int(2 ** 53) - 2 ** 52;
    case 5:
      return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--) o[`k${r.int(100)}`] = randomJson(r, depth + 1);
      return o;
    }
  }
}

describe('msgpackSerializer', () => {
  it('round-trips random JSON-shaped values through L2 like the JSON serializer, singly and in batches', async () => {
    const r = rng(20261203);
    const values = Array.from({ length: 400 }, () => randomJson(r));
    const keys = values.map((_, i) => `v${i}`);
    for (const serializer of [msgpackSerializer(), jsonSerializer]) {
      const mem = new MemoryStore();
      const writer = new TieredCache({ l2: mem, serializer, l1: { maxEntries: 1 } });
      await writer.setMany(keys.map((k, i) => [k, values[i]] as [string, unknown]));
      // Fresh instances: every read comes from L2 bytes.
      const single = new TieredCache({ l2: mem, serializer });
      for (let i = 0; i < 50; i++) expect(await single.get(keys[i]!)).toEqual(values[i]);
      const batch = new TieredCache({ l2: mem, serializer });
      expect(await batch.getMany(keys)).toEqual(values);
    }
  });

  it('writes standard MessagePack maps, readable by a plain decoder', () => {
    const s = msgpackSerializer();
    const bytes = s.serialize({ a: 1, b: [true, 'x'] }) as Uint8Array;
    // A map (fixmap 0x8N or map16 0xde), not a record-extension header (ext 0xd4…0xd8).
    expect(bytes[0] === 0xde || (bytes[0]! & 0xf0) === 0x80).toBe(true);
    expect(new Packr({ useRecords: false }).unpack(bytes)).toEqual({ a: 1, b: [true, 'x'] });
    expect(s.deserialize(Buffer.from(bytes))).toEqual({ a: 1, b: [true, 'x'] });
  });

  it('a JSON entry read by a msgpack cache is a miss with an l2:error, never a wrong value', async () => {
    const mem = new MemoryStore();
    await new TieredCache({ l2: mem }).set('k', { v: 1 });
    const reader = new TieredCache({ l2: mem, serializer: msgpackSerializer() });
    const errors: unknown[] = [];
    reader.on('l2:error', (e) => errors.push(e));
    expect(await reader.get('k')).toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('without msgpackr installed, it throws MissingDependencyError saying what to install', () => {
    const notInstalled = (id: string): never => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    let err: unknown;
    try {
      loadMsgpackr(notInstalled);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingDependencyError);
    expect((err as Error).message).toContain('npm install msgpackr');
    expect(((err as Error).cause as Error).message).toContain("Cannot find module 'msgpackr'");
    expect(typeof loadMsgpackr().Packr).toBe('function');
  });
});
