/**
 * Analysis on 100k keys: consistent hashing moves ~1/(n+1) of keys only onto a new node and
 * only a removed node's keys; `hash % n` moves ~n/(n+1). Distribution reports add up.
 */
import { describe, expect, it } from 'vitest';
import type { Key } from '../../src/engine';
import { distribution, movement } from '../../src/ring/distribution';
import { HashRing } from '../../src/ring/hash-ring';
import { ModuloRing } from '../../src/ring/modulo-ring';

const KEYS = 100_000;
const nodes = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:6379`);

describe('movement', () => {
  it('10 → 11 equal nodes: 1/11 ± 2 % of keys move, all onto the new node', () => {
    for (const algorithm of ['md5', 'murmur3']) {
      const from = new HashRing(nodes(10), algorithm);
      const to = new HashRing(nodes(11), algorithm);
      const m = movement(from, to, KEYS);
      expect(m.keys).toBe(KEYS);
      expect(Math.abs(m.fraction - 1 / 11)).toBeLessThanOrEqual(0.02);
      expect(m.gained).toEqual([{ server: nodes(11)[10], count: m.moved }]);
      expect(m.flows.every((f) => f.to === nodes(11)[10])).toBe(true);
      expect(m.lost.reduce((n, l) => n + l.count, 0)).toBe(m.moved);
    }
  });

  it('removing one of 11 nodes moves only its keys', () => {
    const from = new HashRing(nodes(11));
    const gone = nodes(11)[4];
    const to = new HashRing(nodes(11)).remove(gone);
    const m = movement(from, to, KEYS);
    expect(m.lost).toEqual([{ server: gone, count: m.moved }]);
    const share = from.distribution(KEYS).servers.find((s) => s.server === gone)!;
    expect(m.moved).toBe(share.count);
    expect(Math.abs(m.fraction - 1 / 11)).toBeLessThanOrEqual(0.02);
  });

  it('hash % n, 10 → 11 nodes: about 10/11 of keys move', () => {
    const m = movement(new ModuloRing(nodes(10)), new ModuloRing(nodes(11)), KEYS);
    expect(Math.abs(m.fraction - 10 / 11)).toBeLessThanOrEqual(0.02);
    expect(m.gained.length).toBe(11);
  });

  it('works across ring kinds and with key arrays', () => {
    const keys = ['a', 'b', Buffer.from('c')];
    const m = movement(new HashRing(nodes(3)), new ModuloRing(nodes(3)), keys);
    expect(m.keys).toBe(3);
    expect(m.moved).toBe(m.flows.reduce((n, f) => n + f.count, 0));
    expect(() => movement({} as never, new ModuloRing(nodes(3)), 10)).toThrow(/fromRing/);
    expect(() => movement(new ModuloRing(nodes(3)), new ModuloRing(nodes(3)), 0)).toThrow(/sample/);
  });
});

describe('distribution', () => {
  it('counts add up; shares follow weights; outliers are the nodes beyond ±20 %', () => {
    const ring = new HashRing({ 'a:1': 1, 'b:1': 1, 'c:1': 2 });
    const d = ring.distribution(KEYS);
    expect(d.keys).toBe(KEYS);
    expect(d.servers.map((s) => s.server)).toEqual(['a:1', 'b:1', 'c:1']);
    expect(d.servers.reduce((n, s) => n + s.count, 0)).toBe(KEYS);
    expect(d.servers.map((s) => s.weightShare)).toEqual([0.25, 0.25, 0.5]);
    for (const s of d.servers) {
      expect(s.share).toBeCloseTo(s.count / KEYS, 12);
      expect(s.load).toBeCloseTo(s.share / s.weightShare, 12);
    }
    expect(d.maxOverMean).toBeGreaterThanOrEqual(1);
    expect(d.outliers).toEqual(d.servers.filter((s) => Math.abs(s.load - 1) > 0.2).map((s) => s.server));
    expect(d.cv).toBeGreaterThanOrEqual(0);
  });

  it('a ring whose placement ignores weights shows its outliers', () => {
    // Per-server vnodes override weights: 'b' has 4× the weight but the same points as 'a'.
    const ring = new HashRing({ 'a:1': { weight: 1, vnodes: 80 }, 'b:1': { weight: 4, vnodes: 80 } });
    const d = ring.distribution(20_000);
    expect(d.outliers.sort()).toEqual(['a:1', 'b:1']);
  });

  it('100 equal servers on 100k keys: outliers are exactly the servers beyond ±20 %', () => {
    const d = new HashRing(nodes(100)).distribution(KEYS);
    expect(d.servers).toHaveLength(100);
    const beyond = d.servers.filter((s) => Math.abs(s.load - 1) > 0.2).map((s) => s.server);
    expect(d.outliers).toEqual(beyond);
    expect(d.cv).toBeLessThan(0.2);
  });

  it('a modulo ring is even; distribution() works on any placement', () => {
    const d = distribution(new ModuloRing(nodes(10)), KEYS);
    expect(d.cv).toBeLessThan(0.05);
    expect(d.outliers).toEqual([]);
    expect(new ModuloRing(nodes(10)).distribution(1000).keys).toBe(1000);
  });

  it('samples: generated keys or the given array, validated', () => {
    const seen: string[][] = [];
    const placement = { getMany: (keys: readonly Key[]) => (seen.push([...keys] as string[]), keys.map(() => 'a')) };
    distribution(placement, 3);
    expect(seen).toEqual([['sample-0', 'sample-1', 'sample-2']]);
    distribution(placement, ['x']);
    expect(seen[1]).toEqual(['x']);
    expect(() => distribution(placement, -1)).toThrow(RangeError);
    expect(() => distribution(placement, [1] as never)).toThrow(/sample\[0\]/);
  });
});

describe('ModuloRing', () => {
  it('puts key k on servers[hash(k) % n], with the HashRing lookup API', () => {
    const ring = new ModuloRing(nodes(7));
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    const want = keys.map((k) => ring.get(k));
    expect(ring.getMany(keys)).toEqual(want);
    expect(ring.getManyPacked(Buffer.from(keys.join('')), Uint32Array.from([0, ...keys.map((_, i) => keys.slice(0, i + 1).join('').length)]))).toEqual(
      want,
    );
    const mm = new ModuloRing(nodes(7), { algorithm: 'murmur3' });
    expect(mm.getMany(keys)).toEqual(keys.map((k) => mm.get(k)));
    expect(ring.add(nodes(8)[7]).servers).toHaveLength(8);
    expect(ring.remove(nodes(8)[0]).has(nodes(8)[0])).toBe(false);
    expect(new ModuloRing().get('a')).toBeUndefined();
    expect(() => new ModuloRing(nodes(2), { algorithm: 'sha1' as never })).toThrow(/algorithm/);
  });
});
