/**
 * The three points issue 20 left to decide, as decided (README, "Consistent hashing"):
 * 1. twemproxy `swap()` keeps the server's twemproxy name, so `to` keeps `from`'s points for good;
 * 2. in twemproxy mode `hashValue('')` is 0, the hash `get('')` looks up with;
 * 3. server errors name the server by its string as the caller wrote it, not by its index in
 *    the internal (re-ordered, merged) list.
 */
import { describe, expect, it } from 'vitest';
import { md5Uint32 } from '../../src/hash';
import { HashRing, type HashRingOptions } from '../../src/ring/hash-ring';

const KEYS = Array.from({ length: 3000 }, (_, i) => `key-${i}`);
const TWEMPROXY: HashRingOptions = { compatibility: 'twemproxy' };

describe('twemproxy swap() keeps the twemproxy name (point 1)', () => {
  it('a named server: `to` owns `from`\'s points now and after any rebuild, as when nutcracker\'s config edits an address', () => {
    const ring = new HashRing({ '10.0.0.1:6379': { weight: 1, name: 'cache-1' }, '10.0.0.2:6379': { weight: 1, name: 'cache-2' } }, 'md5', TWEMPROXY);
    const before = ring.getMany(KEYS);
    ring.swap('10.0.0.1:6379', '10.0.0.9:6379');
    const relabelled = before.map((s) => (s === '10.0.0.1:6379' ? '10.0.0.9:6379' : s));
    expect(ring.getMany(KEYS)).toEqual(relabelled);
    expect(ring.servers.find((s) => s.string === '10.0.0.9:6379')?.name).toBe('cache-1');
    ring.continuum();
    expect(ring.getMany(KEYS)).toEqual(relabelled);
    ring.add('10.0.0.3:6379');
    const fresh = new HashRing(
      { '10.0.0.9:6379': { weight: 1, name: 'cache-1' }, '10.0.0.2:6379': { weight: 1, name: 'cache-2' }, '10.0.0.3:6379': 1 },
      'md5',
      TWEMPROXY,
    );
    expect(ring.getMany(KEYS)).toEqual(fresh.getMany(KEYS));
  });

  it('an unnamed server is placed by its new address at the next rebuild (hashring semantics)', () => {
    const ring = new HashRing(['10.0.0.1:6379', '10.0.0.2:6379'], 'md5', TWEMPROXY);
    ring.swap('10.0.0.1:6379', '10.0.0.9:6379').continuum();
    expect(ring.getMany(KEYS)).toEqual(new HashRing(['10.0.0.9:6379', '10.0.0.2:6379'], 'md5', TWEMPROXY).getMany(KEYS));
  });
});

describe("hashValue is the hash a key is looked up by, '' in twemproxy mode included (point 2)", () => {
  it('find(hashValue(k)) is the point get(k) answers from, in every mode', () => {
    const modes: [string, HashRingOptions][] = [
      ['md5', {}],
      ['md5', { compatibility: 'libmemcached' }],
      ['md5', { compatibility: 'libketama' }],
      ['md5', TWEMPROXY],
      ['murmur3', {}],
      ['sha1', {}],
    ];
    const keys = ['', new Uint8Array(0), 'a', Buffer.from('b'), ...KEYS.slice(0, 200)];
    let differs = 0;
    for (const [algorithm, options] of modes) {
      for (let n = 2; n <= 12; n++) {
        const ring = new HashRing(Array.from({ length: n }, (_, i) => `10.0.0.${i}:6379`), algorithm, options);
        const nodes = ring.ring;
        for (const k of keys) expect(nodes[ring.find(ring.hashValue(k))].server, `${options.compatibility ?? algorithm} n=${n}`).toBe(ring.get(k));
        if (options === TWEMPROXY && nodes[ring.find(md5Uint32(''))].server !== ring.get('')) differs++;
      }
    }
    // The rings above include some where md5('') lands elsewhere than the first point.
    expect(differs).toBeGreaterThan(0);
    expect(new HashRing(['a:1'], 'md5', TWEMPROXY).hashValue('')).toBe(0);
    expect(new HashRing(['a:1'], 'md5', { compatibility: 'libmemcached' }).hashValue('')).toBe(new HashRing(['a:1']).hashValue(''));
  });
});

describe('server errors name the server as the caller wrote it (point 3)', () => {
  it("by its string: servers['10'].weight, not servers[0]", () => {
    // Object.keys puts the integer-like '10' first: by index it would have been servers[0].
    expect(() => new HashRing({ 'z:1': 1, '10': 0.5 }, 'md5', { compatibility: 'libmemcached' })).toThrow(
      "Expected an integer for servers['10'].weight but received number 0.5",
    );
    const ring = new HashRing(['b:1', 'c:2'], 'md5', { compatibility: 'libmemcached' });
    expect(() => ring.add({ '5': 0.5 })).toThrow("servers['5'].weight");
    expect(() => ring.add(['d:4', '10.0.0.3:112111'])).toThrow("Expected an integer in 0..65535 for servers['10.0.0.3:112111'].port but received 112111");
    const tw = new HashRing({ 'a:1': { weight: 1, name: 'x' } }, 'md5', TWEMPROXY);
    expect(() => tw.add({ 'b:2': { weight: 1, name: 'x' } })).toThrow(
      "Expected distinct twemproxy server names but servers['a:1'] and servers['b:2'] are both named 'x'",
    );
    expect(() => tw.swap('a:1', 'a:0')).toThrow('Expected an integer in 1..65535 for to.port but received 0');
  });
});
