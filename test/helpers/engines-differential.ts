/**
 * Native ≡ TS on seeded inputs (keys of every shape, random ring tables, packed batches),
 * compared as whole arrays including untouched tails. Plain node:assert, so the same
 * comparisons run under vitest (test/unit/engines-agree.test.ts, 100k keys) and under an
 * emulated arm64 Node 18 that cannot run vitest (test/arm64/, fewer keys). Each function
 * throws on the first mismatches and returns what it compared.
 */
import assert from 'node:assert/strict';
import type { Engine, Key, RingHash } from '../../src/engine/types';
import { batches, firstDiff, pack, randomTables, referenceFind } from './engine-inputs';
import { rng, show } from './random-keys';

export interface Engines {
  native: Engine;
  js: Engine;
}

/** md5, md5Uint32, murmur3 (random seeds), crc16, keySlot on every key. */
export function singleKeyMethods({ native, js }: Engines, keys: readonly Key[]): string {
  const bad: string[] = [];
  const a = new Uint8Array(20);
  const b = new Uint8Array(20);
  const g = rng(1);
  let compared = 0;
  for (let i = 0; i < keys.length && bad.length < 10; i++) {
    const k = keys[i];
    a.fill(0xaa);
    b.fill(0xaa);
    native.md5(k, a);
    js.md5(k, b);
    if (firstDiff(a, b) >= 0) bad.push(`md5 ${show(k)}`);
    if (native.md5Uint32(k) !== js.md5Uint32(k)) bad.push(`md5Uint32 ${show(k)}`);
    const seed = i % 97 === 0 ? g.pick([0, 0xffffffff, 0x80000000]) : g.u32();
    if (native.murmur3(k, seed) !== js.murmur3(k, seed)) bad.push(`murmur3 ${show(k)} seed ${seed}`);
    if (native.crc16(k) !== js.crc16(k)) bad.push(`crc16 ${show(k)}`);
    if (native.keySlot(k) !== js.keySlot(k)) bad.push(`keySlot ${show(k)}`);
    compared++;
  }
  assert.deepEqual(bad, []);
  assert.equal(compared, keys.length);
  return `${compared} keys × 5 methods`;
}

/** keySlots and keySlotsPacked over random batches; packed ≡ unpacked; tails untouched. */
export function slotBatches({ native, js }: Engines, keys: readonly Key[]): string {
  let compared = 0;
  let count = 0;
  const extra = 3;
  const run = (e: Engine, batch: readonly Key[], packed: boolean): Uint16Array => {
    const out = new Uint16Array(batch.length + extra).fill(0xfeed);
    if (packed) {
      const { data, offsets } = pack(batch);
      e.keySlotsPacked(data, offsets, out);
    } else {
      e.keySlots(batch, out);
    }
    return out;
  };
  for (const batch of batches(keys, rng(2))) {
    const a = run(native, batch, false);
    const d = firstDiff(a, run(js, batch, false));
    assert.equal(d, -1, `keySlots ${show(batch[d] ?? '')}`);
    const pa = run(native, batch, true);
    const pd = firstDiff(pa, run(js, batch, true));
    assert.equal(pd, -1, `keySlotsPacked ${show(batch[pd] ?? '')}`);
    assert.equal(firstDiff(pa, a), -1, 'keySlotsPacked ≠ keySlots');
    compared += batch.length;
    count++;
  }
  assert.equal(compared, keys.length);
  return `${compared} keys in ${count} batches`;
}

/** ringFind on random tables: points, their neighbours, edges and random hashes. */
export function ringFind({ native, js }: Engines, tableCount: number, hashesPerTable: number): string {
  const tables = randomTables(rng(3), tableCount);
  const g = rng(4);
  const bad: string[] = [];
  let compared = 0;
  for (const t of tables) {
    const hashes: number[] = [0, 1, 0xffffffff, 0x80000000];
    for (let j = 0; j < Math.min(t.points.length, hashesPerTable / 4); j++) {
      const p = t.points[g.int(t.points.length)];
      hashes.push(p, (p + 1) >>> 0, (p - 1) >>> 0);
    }
    while (hashes.length < hashesPerTable) hashes.push(g.u32());
    for (const h of hashes) {
      const a = native.ringFind(t, h);
      const b = js.ringFind(t, h);
      compared++;
      if ((a !== b || (compared % 7 === 0 && a !== referenceFind(t.points, h))) && bad.length < 10) {
        bad.push(`n=${t.points.length} shift=${t.shift} h=${h}: native ${a}, js ${b}, reference ${referenceFind(t.points, h)}`);
      }
    }
  }
  assert.deepEqual(bad, []);
  assert.equal(compared, tableCount * hashesPerTable);
  return `${compared} lookups on ${tables.length} tables`;
}

/** ringLookup and ringLookupPacked, md5 and murmur3 with random seeds; packed ≡ unpacked. */
export function ringBatches({ native, js }: Engines, keys: readonly Key[], tableCount: number): string {
  const tables = randomTables(rng(5), tableCount);
  const g = rng(6);
  let compared = 0;
  let nonTrivial = 0;
  const byHash = [0, 0];
  batches(keys, rng(7)).forEach((batch, bi) => {
    const t = tables[bi % tables.length];
    const hash: RingHash = g() < 0.5 ? 0 : 1;
    const seed = g() < 0.1 ? 0 : g.u32();
    const run = (e: Engine, packed: boolean): Int32Array => {
      const out = new Int32Array(batch.length + 2).fill(0x7eadbeef);
      if (packed) {
        const { data, offsets } = pack(batch);
        e.ringLookupPacked(t, data, offsets, hash, seed, out);
      } else {
        e.ringLookup(t, batch, hash, seed, out);
      }
      return out;
    };
    const a = run(native, false);
    const ctx = `batch ${bi} n=${t.points.length} shift=${t.shift} hash=${hash} seed=${seed}`;
    const d = firstDiff(a, run(js, false));
    assert.equal(d, -1, `${ctx} ringLookup ${d >= 0 ? show(batch[d] ?? '') : ''}`);
    const pa = run(native, true);
    assert.equal(firstDiff(pa, run(js, true)), -1, `${ctx} ringLookupPacked`);
    assert.equal(firstDiff(a, pa), -1, `${ctx} packed ≠ unpacked`);
    // Spot-check against the contract: hash the key with the single-key method, then find.
    for (let i = 0; i < batch.length; i += 97) {
      const h = hash === 0 ? js.md5Uint32(batch[i]) : js.murmur3(batch[i], seed);
      assert.equal(a[i], referenceFind(t.points, h), `${ctx} key ${show(batch[i])}`);
    }
    compared += batch.length;
    byHash[hash] += batch.length;
    if (t.points.length > 1) nonTrivial += batch.length;
  });
  assert.equal(compared, keys.length);
  assert.ok(nonTrivial > keys.length / 2, `only ${nonTrivial} keys met a ring of 2+ points`);
  assert.ok(byHash[0] > 0 && byHash[1] > 0, `hash kinds ${byHash}`);
  return `${compared} keys (md5 ${byHash[0]}, murmur3 ${byHash[1]}) on ${tables.length} tables`;
}
