/**
 * Differential: the public surface of `ringcache/hashring` ≡ the real hashring 3.2.0
 * (devDependency), item by item — `ring.cache` (hashring's simple-lru-cache: `get`, `set`,
 * `del`, `reset`, `forEach`, `size`, `maxSize`; what `get`, `swap`, `add`, `remove`, `reset`
 * and `end` do to it), the instance's own properties and their values, the `ring` and
 * `points()` shapes, each method's return value, and `version`. Where ringcache differs on
 * purpose (a hashring bug, or a design choice the README names), the test says so and pins
 * both behaviours. The checks of placement over many keys are in hashring.test.ts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rng } from '../helpers/random-keys';
import HashRing from '../../src/hashring';

interface RefCache {
  maxSize: number;
  size: number;
  get(key: unknown, hit?: boolean): string | undefined;
  set(key: unknown, value: unknown): void;
  del(key: unknown): void;
  reset(): void;
  forEach(cb: (value: string, key: string) => void): void;
}
interface RefRing {
  [name: string]: unknown;
  ring: { value: number; server: string }[];
  size: number;
  servers: { string: string; host: string; port: number | null; weight: number }[];
  vnodes: Record<string, number | undefined>;
  cache: RefCache;
  get(key: unknown): string | undefined;
  range(key: unknown, size?: unknown, unique?: unknown): string[];
  points(servers?: unknown): Record<string, number[]>;
  has(server: unknown): boolean;
  find(h: number): number;
  hashValue(key: unknown): number;
  add(s: unknown): RefRing;
  remove(s: unknown): RefRing;
  swap(a: string, b: string): RefRing;
  reset(): RefRing;
  end(): RefRing;
  continuum(): RefRing;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Reference = require('hashring') as { new (s?: unknown, a?: unknown, o?: unknown): RefRing; version: string };

type Ours = InstanceType<typeof HashRing>;
const SERVERS = { '10.0.0.1:11211': 1, '10.0.0.2:11211': 2, '10.0.0.3:6379': { vnodes: 30 }, '7': 1 };

/** A fresh pair from one spec (each ring gets its own copy: hashring keeps what it parses). */
function pair(servers: unknown = SERVERS, algorithm?: unknown, options?: Record<string, unknown>): [Ours, RefRing] {
  const copy = (): unknown => structuredClone(servers);
  return [new HashRing(copy() as never, algorithm as never, options as never), new Reference(copy(), algorithm, options)];
}

/** The cache's entries as forEach lists them, `[key, server]` in call order. */
function entries(cache: { forEach(cb: (value: string, key: string) => void): void }): [string, string][] {
  const list: [string, string][] = [];
  cache.forEach((value, key) => list.push([key, value]));
  return list;
}

/** Keys hashring's plain-object cache handles (no Object.prototype names: they would pollute it). */
function keys(seed: number, n: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => (r() < 0.2 ? String(r.int(5000)) : `k:${i}:${r.u32().toString(36)}`));
}

/** hashring's answer for `key` from its ring, bypassing its cache. */
function uncached(ring: RefRing, key: string): string {
  return ring.ring[ring.find(ring.hashValue(key))].server;
}

/** Same cache as seen through every method that reads it. */
function sameCache(ours: Ours, theirs: RefRing, probe: readonly string[], where: string): void {
  expect(ours.cache.size, `${where}: size`).toBe(theirs.cache.size);
  expect(ours.cache.maxSize, `${where}: maxSize`).toBe(theirs.cache.maxSize);
  expect(entries(ours.cache), `${where}: forEach`).toEqual(entries(theirs.cache));
  for (const k of probe) expect(ours.cache.get(k), `${where}: get(${k})`).toBe(theirs.cache.get(k));
}

// hashring's deprecated aliases write to console.warn; keep the test output clean.
let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

describe('ring.cache ≡ hashring 3.2.0 ring.cache', () => {
  it('has the same methods and one instance per ring', () => {
    const [ours, theirs] = pair();
    for (const m of ['get', 'set', 'del', 'reset', 'forEach'] as const) {
      expect(typeof ours.cache[m], m).toBe(typeof theirs.cache[m]);
    }
    expect(ours.cache).toBe(ours.cache);
    expect(theirs.cache).toBe(theirs.cache);
  });

  it('holds what get() looked up: size, get, forEach order (integer-like keys first) — 3 rings × 600 keys', () => {
    const configs: [unknown, unknown, Record<string, unknown> | undefined][] = [
      [SERVERS, undefined, undefined],
      [['a:1', 'b:2', 'c:3', '40', '3'], 'sha1', { 'max cache size': 2000 }],
      [{ 'h1:11211': 3, 'h2:11211': 1 }, 'md5', { compatibility: 'hash_ring', 'default port': 11211 }],
    ];
    for (const [i, [servers, algorithm, options]] of configs.entries()) {
      const [ours, theirs] = pair(servers, algorithm, options);
      const ks = keys(100 + i, 600);
      sameCache(ours, theirs, ks, `config ${i} before any get`);
      for (const k of ks) expect(ours.get(k)).toBe(theirs.get(k));
      for (const k of ks) expect(ours.get(k)).toBe(theirs.get(k)); // hits
      sameCache(ours, theirs, [...ks, 'never-looked-up'], `config ${i}`);
    }
  });

  it('keys are property names: get(42) reads what ring.get(42) cached under "42"', () => {
    const [ours, theirs] = pair();
    for (const k of [42, 7.5, true, null]) {
      expect(ours.get(k as never)).toBe(theirs.get(k));
      expect(ours.cache.get(k)).toBe(theirs.cache.get(k));
      expect(ours.cache.get(String(k))).toBe(theirs.cache.get(String(k)));
    }
    sameCache(ours, theirs, [], 'non-string keys');
  });

  it('set(key, server) pins: ring.get answers it; del and reset forget it', () => {
    const [ours, theirs] = pair();
    const ks = keys(200, 50);
    for (const k of ks) expect(ours.get(k)).toBe(theirs.get(k));
    for (const c of [ours.cache, theirs.cache]) {
      c.set(ks[0], 'pinned:1');
      c.set('fresh-key', 'pinned:2');
      c.set(5, 'pinned:3');
    }
    for (const k of [ks[0], 'fresh-key', '5', 5]) expect(ours.get(k as never), String(k)).toBe(theirs.get(k));
    expect(ours.get('fresh-key')).toBe('pinned:2');
    sameCache(ours, theirs, ks, 'after set');
    for (const c of [ours.cache, theirs.cache]) {
      c.del(ks[0]);
      c.del(ks[1]);
      c.del('not-cached');
    }
    sameCache(ours, theirs, ks, 'after del');
    expect(ours.get(ks[0])).toBe(theirs.get(ks[0])); // recomputed, cached again
    sameCache(ours, theirs, ks, 'after del + get');
    ours.cache.reset();
    theirs.cache.reset();
    sameCache(ours, theirs, ks, 'after reset');
    expect(ours.cache.size).toBe(0);
    expect(ours.get('fresh-key')).toBe(theirs.get('fresh-key')); // the ring's answer again
  });

  it('a pinned key is answered even after a stream of distinct keys (where the ring samples its cache)', () => {
    // 3000 distinct keys: our cache then consults and fills itself on 1 get in 16 (see
    // HashRing#miss); a pin must switch that off, or ring.get would skip the pinned entry.
    const [ours, theirs] = pair();
    for (const k of keys(300, 3000)) expect(ours.get(k)).toBe(theirs.get(k));
    for (const c of [ours.cache, theirs.cache]) c.set('user:1', 'pinned:1');
    for (let i = 0; i < 64; i++) {
      expect(ours.get('user:1')).toBe('pinned:1');
      expect(ours.get(`other:${i}`)).toBe(theirs.get(`other:${i}`));
    }
    expect(theirs.get('user:1')).toBe('pinned:1');
  });

  it('swap(from, to) relabels the cached answers of from and keeps the others', () => {
    const [ours, theirs] = pair();
    const ks = keys(400, 300);
    for (const k of ks) expect(ours.get(k)).toBe(theirs.get(k));
    ours.swap('10.0.0.2:11211', '10.9.9.9:11211');
    theirs.swap('10.0.0.2:11211', '10.9.9.9:11211');
    sameCache(ours, theirs, ks, 'after swap');
    expect(entries(ours.cache).some(([, s]) => s === '10.9.9.9:11211')).toBe(true);
    for (const k of ks) expect(ours.get(k)).toBe(theirs.get(k));
  });

  it('add, remove, reset and end empty it (add of a server already there too)', () => {
    const steps: [string, (r: Ours | RefRing) => unknown][] = [
      ['add new', (r) => r.add('10.0.0.4:11211')],
      ['add present', (r) => r.add('10.0.0.1:11211')],
      ['remove', (r) => r.remove('10.0.0.1:11211')],
      ['remove absent', (r) => r.remove('10.0.0.8:11211')],
      ['reset', (r) => r.reset()],
      ['end', (r) => r.end()],
    ];
    for (const [name, step] of steps) {
      const [ours, theirs] = pair();
      const ks = keys(500, 40);
      for (const k of ks) expect(ours.get(k)).toBe(theirs.get(k));
      expect(ours.cache.size).toBe(40);
      step(ours);
      step(theirs);
      sameCache(ours, theirs, ks, name);
      expect(ours.cache.size, name).toBe(0);
    }
  });

  it('bad arguments: a TypeError naming the argument, the cache unchanged', () => {
    const [ours] = pair();
    ours.get('a');
    const before = entries(ours.cache);
    expect(() => ours.cache.set('b', 42 as never)).toThrow(/for value/);
    expect(() => ours.cache.set('b', '')).toThrow(/for value/);
    expect(() => ours.cache.set(Symbol('k'), 's:1')).toThrow(/for key/);
    expect(() => ours.cache.get(Symbol('k'))).toThrow(TypeError);
    expect(() => ours.cache.forEach(undefined as never)).toThrow(/for callback/);
    expect(entries(ours.cache)).toEqual(before);
  });
});

describe('ring.cache: differences kept on purpose (README, hashring section)', () => {
  it('prototype names are plain keys and nothing is written to Object.prototype (hashring bug)', () => {
    // Not run on hashring: its cache reads Object.prototype.toString for 'toString' and writes
    // `before`/`next`/`value` onto it, which would pollute this test process.
    const [ours, theirs] = pair();
    for (const k of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(ours.cache.get(k), k).toBeUndefined();
      const want = uncached(theirs, k);
      expect(ours.get(k), k).toBe(want);
      expect(ours.cache.get(k), k).toBe(want);
      expect(ours.get(k), k).toBe(want);
    }
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'value')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'next')).toBe(false);
    expect(ours.cache.size).toBe(5);
  });

  it("'max cache size': 0 turns the cache off (hashring threw on every get)", () => {
    const [ours, theirs] = pair(SERVERS, undefined, { 'max cache size': 0 });
    expect(() => theirs.get('a')).toThrow(TypeError);
    expect(ours.get('a')).toBe(uncached(theirs, 'a'));
    ours.cache.set('a', 'pinned:1');
    expect(ours.cache.size).toBe(0);
    expect(ours.cache.maxSize).toBe(0);
    expect(ours.get('a')).not.toBe('pinned:1');
  });

  it('get(key, false) peeks (simple-lru-cache 0.0.2 returned undefined whenever hit was false)', () => {
    const [ours, theirs] = pair();
    expect(ours.get('a')).toBe(theirs.get('a'));
    expect(theirs.cache.get('a', false)).toBeUndefined();
    expect(ours.cache.get('a', false)).toBe(theirs.cache.get('a'));
  });

  it('continuum() empties the cache (hashring kept it and answered from the ring before a swap)', () => {
    const [ours, theirs] = pair();
    const ks = keys(600, 200);
    for (const k of ks) expect(ours.get(k)).toBe(theirs.get(k));
    ours.swap('10.0.0.1:11211', '10.0.0.5:11211').continuum();
    theirs.swap('10.0.0.1:11211', '10.0.0.5:11211').continuum();
    expect(theirs.cache.size).toBe(200);
    expect(ours.cache.size).toBe(0);
    // hashring's cached answers still follow the swapped labels; its ring now places
    // 10.0.0.5 by its own name, so some of them are wrong. Ours answer from the ring.
    const stale = ks.filter((k) => theirs.cache.get(k) !== uncached(theirs, k));
    expect(stale.length).toBeGreaterThan(0);
    for (const k of ks) expect(ours.get(k)).toBe(uncached(theirs, k));
  });

  it('when full it starts over (hashring drops the least recently used entry): both stay within maxSize', () => {
    const [ours, theirs] = pair(SERVERS, undefined, { 'max cache size': 10 });
    const ks = keys(700, 25);
    for (const k of ks) expect(ours.get(k)).toBe(theirs.get(k));
    expect(theirs.cache.size).toBe(10); // the last 10
    expect(ours.cache.size).toBe(5); // cleared at 10 and 20 entries: the last 5
    expect(entries(ours.cache)).toEqual(entries(theirs.cache).slice(5)); // the most recent ones, same answers
  });

  it('Uint8Array keys are hashed as bytes and not cached (hashring cached String(key))', () => {
    const [ours, theirs] = pair();
    const key = Buffer.from('user:42');
    expect(ours.get(key)).toBe(theirs.get(key)); // valid UTF-8: the same server
    expect(theirs.cache.get('user:42')).toBe(theirs.get('user:42'));
    expect(ours.cache.get('user:42')).toBeUndefined();
  });

  it('algorithm is fixed at construction (hashring hashed with whatever it was set to later)', () => {
    const [ours, theirs] = pair();
    const before = ours.get('user:1');
    (ours as unknown as { algorithm: string }).algorithm = 'sha1';
    (theirs as unknown as { algorithm: string }).algorithm = 'sha1';
    expect(theirs.hashValue('user:1')).not.toBe(ours.hashValue('user:1'));
    ours.cache.reset();
    expect(ours.get('user:1')).toBe(before);
  });

  it('ring is a snapshot: editing it does not move keys (hashring searched the array you edited)', () => {
    const [ours, theirs] = pair();
    const want = ours.get('user:1');
    for (const r of [ours, theirs]) {
      for (const node of r.ring) node.server = 'edited:1';
      r.cache.reset();
    }
    expect(theirs.get('user:1')).toBe('edited:1');
    expect(ours.get('user:1')).toBe(want);
  });

  it('deprecated aliases warn through process.emitWarning, once per alias (hashring: console.warn)', async () => {
    // The first getNode of this file (vitest loads src afresh per file; the alias test below runs later).
    const [ours, theirs] = pair();
    const seen: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void seen.push(String(w.code));
    process.on('warning', onWarning);
    try {
      warn.mockClear();
      (theirs as unknown as { getNode(k: string): string }).getNode('k');
      expect(warn).toHaveBeenCalled();
      warn.mockClear();
      expect(ours.getNode('k')).toBe(theirs.get('k'));
      ours.getNode('k');
      expect(warn).not.toHaveBeenCalled();
      await new Promise((resolve) => setImmediate(resolve)); // emitWarning delivers on the next tick
      expect(seen.filter((c) => c === 'RINGCACHE_HASHRING_GETNODE')).toHaveLength(1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('ring, size and cache are read-only (hashring let you overwrite them)', () => {
    const [ours, theirs] = pair();
    theirs.size = 3;
    expect(theirs.size).toBe(3);
    for (const name of ['ring', 'size', 'cache']) {
      expect(() => {
        (ours as unknown as Record<string, unknown>)[name] = 3;
      }, name).toThrow(TypeError);
    }
    expect(ours.size).toBe(theirs.ring.length);
  });
});

describe('instance surface ≡ hashring 3.2.0', () => {
  const fn = (key: string): Buffer => createHash('sha1').update(key).digest();
  const configs: [string, unknown, unknown, Record<string, unknown> | undefined][] = [
    ['defaults', SERVERS, undefined, undefined],
    ['no servers', undefined, undefined, undefined],
    ['options', ['a:1', 'b:2'], 'sha256', { 'vnode count': '12', replicas: '2', 'default port': 1, 'max cache size': 9 }],
    ['replicas 0', 'a:1', 'md5', { replicas: 0 }],
    ['replicas -3', 'a:1', 'md5', { replicas: -3 }],
    ['hash_ring', ['a:1', 'b:2', 'c:3'], undefined, { compatibility: 'hash_ring', replicas: 9 }],
    ['ketama', ['a:1', 'b:2', 'c:3'], undefined, { compatibility: 'ketama', replicas: 2 }],
    ['function', ['a:1', 'b:2'], fn, undefined],
  ];

  it('own enumerable keys, in order, and their values', () => {
    for (const [name, servers, algorithm, options] of configs) {
      const [ours, theirs] = pair(servers, algorithm, options);
      expect(Object.keys(ours), name).toEqual(Object.keys(theirs));
      for (const p of ['vnode', 'algorithm', 'defaultport', 'replicas', 'size', 'vnodes', 'servers']) {
        expect(ours[p as keyof Ours], `${name}: ${p}`).toStrictEqual(theirs[p]);
      }
      // A custom hash function becomes the instance's own `hash` (the same function).
      expect(Object.hasOwn(ours, 'hash'), name).toBe(Object.hasOwn(theirs, 'hash'));
      if (Object.hasOwn(theirs, 'hash')) expect(ours.hash, name).toBe(theirs.hash);
      expect(ours.ring, name).toEqual(theirs.ring);
    }
  });

  it('version', () => {
    expect(HashRing.version).toBe(Reference.version);
    expect(HashRing.version).toBe('3.2.0');
  });

  it('ring: an array of { value, server } in ring order, the same array on each read until a change', () => {
    const [ours, theirs] = pair();
    expect(Array.isArray(ours.ring)).toBe(true);
    expect(ours.ring.map((n) => Object.keys(n))).toEqual(theirs.ring.map((n) => Object.keys(n)));
    expect(ours.ring).toEqual(theirs.ring);
    expect(ours.ring).toBe(ours.ring);
    expect(theirs.ring).toBe(theirs.ring);
    expect(ours.size).toBe(theirs.size);
  });

  it('points(): a null-prototype object of server → points, for vnodes or for the given names', () => {
    const [ours, theirs] = pair();
    for (const arg of [undefined, ['10.0.0.1:11211', 'absent:1'], '10.0.0.1:11211', [], ['7']]) {
      const a = ours.points(arg as never);
      const b = theirs.points(arg);
      expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
      expect(Object.getPrototypeOf(a)).toBeNull();
      expect(Object.keys(a)).toEqual(Object.keys(b));
      expect({ ...a }).toEqual({ ...b });
    }
  });

  it('return values of every method, on a fresh ring and after reset and end', () => {
    const calls: [string, (r: Ours | RefRing) => unknown][] = [
      ['get', (r) => r.get('user:1')],
      ['range', (r) => r.range('user:1')],
      ['range 2 false', (r) => r.range('user:1', 2, false)],
      ['has', (r) => r.has('10.0.0.1:11211')],
      ['has absent', (r) => r.has('nope:1')],
      ['find', (r) => r.find(123456789)],
      ['hashValue', (r) => r.hashValue('user:1')],
      ['size', (r) => r.size],
    ];
    const chained: [string, (r: Ours | RefRing) => unknown][] = [
      ['continuum', (r) => r.continuum()],
      ['add', (r) => r.add('10.0.0.4:11211')],
      ['add present', (r) => r.add(['10.0.0.1:11211'])],
      ['remove', (r) => r.remove('10.0.0.1:11211')],
      ['remove absent', (r) => r.remove('nope:1')],
      ['swap', (r) => r.swap('10.0.0.2:11211', '10.0.0.9:11211')],
      ['swap absent', (r) => r.swap('nope:1', '10.0.0.9:11211')],
      ['reset', (r) => r.reset()],
      ['end', (r) => r.end()],
    ];
    /** A pair in `state`: as built, after reset() (servers kept, no points) or after end(). */
    const inState = (state: string): [Ours, RefRing] => {
      const [o, t] = pair();
      if (state === 'reset') [o, t].forEach((r) => r.reset());
      if (state === 'end') [o, t].forEach((r) => r.end());
      return [o, t];
    };
    for (const state of ['fresh', 'reset', 'end']) {
      const [ours, theirs] = inState(state);
      for (const [name, call] of calls) expect(call(ours), `${state}: ${name}`).toStrictEqual(call(theirs));
      for (const [name, call] of chained) {
        const [o, t] = inState(state);
        expect(call(o), `${state}: ${name}`).toBe(o);
        expect(call(t), `${state}: ${name}`).toBe(t);
        expect(Object.keys(o.vnodes), `${state}: ${name} vnodes`).toEqual(Object.keys(t.vnodes));
        expect(o.servers, `${state}: ${name} servers`).toEqual(t.servers);
        expect(o.ring, `${state}: ${name} ring`).toEqual(t.ring);
      }
    }
  });

  it('swap: servers becomes a new array of the same edited entries; vnodes moves (to an absent from: undefined)', () => {
    for (const from of ['10.0.0.2:11211', 'absent:1']) {
      const [ours, theirs] = pair();
      const [os, ts] = [ours.servers, theirs.servers];
      const [o0, t0] = [ours.servers[1], theirs.servers[1]];
      ours.swap(from, '10.0.0.9:6380');
      theirs.swap(from, '10.0.0.9:6380');
      expect(ours.servers === os, from).toBe(theirs.servers === ts);
      expect(ours.servers[1] === o0, from).toBe(theirs.servers[1] === t0);
      expect(ours.servers).toEqual(theirs.servers);
      expect(Object.entries(ours.vnodes)).toEqual(Object.entries(theirs.vnodes));
      expect(ours.ring).toEqual(theirs.ring);
      expect({ ...ours.points() }).toEqual({ ...theirs.points() });
    }
  });

  it('end: vnodes {} and no servers; the ring can be filled again', () => {
    const [ours, theirs] = pair();
    const [os, ts] = [ours.servers, theirs.servers];
    ours.end();
    theirs.end();
    expect(ours.servers === os).toBe(theirs.servers === ts);
    expect(ours.servers).toEqual([]);
    expect(ours.vnodes).toEqual(theirs.vnodes);
    ours.add(['x:1', 'y:2']);
    theirs.add(['x:1', 'y:2']);
    expect(ours.ring).toEqual(theirs.ring);
  });

  it('vnode, replicas, defaultport, vnodes and servers are read by the next reset() + continuum()', () => {
    const edits: [string, (r: Ours | RefRing) => void][] = [
      ['vnode', (r) => void (r.vnode = 7)],
      ['replicas', (r) => void (r.replicas = 2)],
      ['defaultport', (r) => void (r.defaultport = 11211)],
      ['vnodes', (r) => void (r.vnodes['10.0.0.1:11211'] = 3)],
      ['servers', (r) => void r.servers.pop()],
    ];
    for (const [name, edit] of edits) {
      const [ours, theirs] = pair();
      edit(ours);
      edit(theirs);
      ours.reset().continuum();
      theirs.reset().continuum();
      expect(ours.ring, name).toEqual(theirs.ring);
      expect(ours.get('user:1'), name).toBe(theirs.get('user:1'));
    }
  });

  it('deprecated aliases return what hashring returns', () => {
    const [ours, theirs] = pair();
    const o = ours as unknown as Record<string, (...a: unknown[]) => unknown>;
    const t = theirs as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(o.replaceServer()).toBe(t.replaceServer());
    expect(o.replace()).toBe(t.replace());
    expect(o.getNode('k')).toBe(t.getNode('k'));
    expect(o.getNodePosition(99)).toBe(t.getNodePosition(99));
    expect(o.position(99)).toBe(t.position(99));
    expect(o.addServer('z:1')).toBe(ours);
    expect(t.addServer('z:1')).toBe(theirs);
    expect(o.removeServer('z:1')).toBe(ours);
    expect(t.removeServer('z:1')).toBe(theirs);
    expect(ours.ring).toEqual(theirs.ring);
  });
});
