/**
 * The two-lane MD5 of ring batches (src/engine/js/md5-pair.ts) against node:crypto, and the
 * batch lookup that uses it against one-key lookups (odd batch sizes, mixed key kinds).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jsEngine as js } from '../../src/engine/js';
import { md5Uint32Pair, pairOut, PAIR_MAX_LENGTH } from '../../src/engine/js/md5-pair';
import { buildBuckets } from '../../src/ring/continuum';

const md5Word = (s: string) => createHash('md5').update(s).digest().readUInt32LE(0);

function randomKey(rand: () => number, max: number, nonAscii: number): string {
  const n = Math.floor(rand() * (max + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rand() < nonAscii ? 0xe9 : 32 + Math.floor(rand() * 95));
  return s;
}

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('md5Uint32Pair', () => {
  it('equals node:crypto for every length 0..55 and refuses longer or non-ASCII keys', () => {
    const rand = rng(3);
    for (let len = 0; len <= PAIR_MAX_LENGTH; len++) {
      for (let t = 0; t < 20; t++) {
        const a = String.fromCharCode(32 + t).repeat(len);
        const b = randomKey(rand, PAIR_MAX_LENGTH, 0);
        expect(md5Uint32Pair(a, b)).toBe(true);
        expect([pairOut[0] >>> 0, pairOut[1] >>> 0]).toEqual([md5Word(a), md5Word(b)]);
      }
    }
    expect(md5Uint32Pair('x'.repeat(56), 'a')).toBe(false);
    expect(md5Uint32Pair('a', 'caf\u00e9')).toBe(false);
  });

  it('ringLookup over batches of mixed keys equals one ringFind per key', () => {
    const rand = rng(9);
    const points = new Uint32Array(1600).map(() => Math.floor(rand() * 2 ** 32)).sort();
    const table = { points, buckets: buildBuckets(points, 9), shift: 23 };
    for (const size of [0, 1, 2, 3, 17, 1000]) {
      const keys = Array.from({ length: size }, (_, i) =>
        i % 7 === 3 ? Buffer.from(randomKey(rand, 20, 0)) : randomKey(rand, 70, 0.05),
      );
      const out = new Int32Array(size);
      js.ringLookup(table, keys, 0, 0, out);
      expect(Array.from(out)).toEqual(keys.map((k) => js.ringFind(table, js.md5Uint32(k))));
    }
  });
});
