/**
 * A membership change that throws leaves the ring exactly as it was (issue 20, item 1):
 * `add`, `remove`, `swap` and `continuum` validate and build first and commit last, in every
 * compatibility mode, on both engines. The property test runs random sequences of valid and
 * invalid changes and checks them against a ring given only the changes that succeeded; every
 * throwing call is checked to leave the ring byte-identical (points, owners, labels, servers,
 * vnodes).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engines, type Engine } from '../../src/engine';
import { HashRing, type HashRingOptions, type ServersSpec } from '../../src/ring/hash-ring';
import { ModuloRing } from '../../src/ring/modulo-ring';

const KEYS = Array.from({ length: 2000 }, (_, i) => `key-${i}`);
const ENGINES = [engines.js, engines.native].filter((e): e is Engine => e !== undefined);

/** Everything a throwing call must leave as it was. */
function snapshot(ring: HashRing) {
  return {
    points: Uint32Array.from(ring.ring, (n) => n.value),
    owners: ring.ring.map((n) => n.server),
    size: ring.size,
    byteLength: ring.byteLength,
    servers: ring.servers.map((s) => ({ ...s })),
    vnodes: { ...ring.vnodes },
  };
}

/** What the ring answers: sampled keys, servers, has(), points(). */
function answers(ring: HashRing, names: readonly string[]) {
  return {
    keys: ring.getMany(KEYS),
    one: KEYS.slice(0, 50).map((k) => ring.get(k)),
    has: names.map((n) => ring.has(n)),
    points: ring.points(),
    servers: ring.servers.map((s) => s.string),
  };
}

/** Runs `change` expecting it to throw `kind`, and checks that the ring did not change. */
function expectUnchanged(ring: HashRing, change: () => unknown, kind: typeof TypeError | typeof RangeError, names: string[] = []) {
  const before = snapshot(ring);
  const said = answers(ring, names);
  expect(change).toThrow(kind);
  expect(snapshot(ring)).toEqual(before);
  expect(answers(ring, names)).toEqual(said);
}

describe('a throwing membership change leaves the ring as it was (the issue cases)', () => {
  it("libmemcached: add({ '5': 0.5 }) throws and no key moves", () => {
    const ring = new HashRing(['b:1', 'c:2'], 'md5', { compatibility: 'libmemcached' });
    expectUnchanged(ring, () => ring.add({ '5': 0.5 }), TypeError, ['5', 'b:1', 'c:2']);
    expect(ring.has('5')).toBe(false);
    expect(new Set(ring.getMany(KEYS))).toEqual(new Set(['b:1', 'c:2']));
  });

  it('hashring mode: the points-limit RangeError of add leaves the ring', () => {
    const ring = new HashRing(['a:1', 'b:2']);
    expectUnchanged(ring, () => ring.add({ 'c:3': { vnodes: 2 ** 24 } }), RangeError, ['a:1', 'b:2', 'c:3']);
  });

  it('a typo in a ketama mode is refused and does not block later adds', () => {
    for (const compatibility of ['libmemcached', 'twemproxy', 'libketama'] as const) {
      const ring = new HashRing(['10.0.0.1:11211', '10.0.0.2:11211'], 'md5', { compatibility });
      expectUnchanged(ring, () => ring.add('10.0.0.3:112111'), RangeError);
      ring.add('10.0.0.3:11211');
      const fresh = new HashRing(['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'], 'md5', { compatibility });
      expect(ring.getMany(KEYS), compatibility).toEqual(fresh.getMany(KEYS));
    }
  });

  it('a remove whose rebuild throws (a custom hash that fails) leaves the ring; has() stays true', () => {
    let fail = false;
    const md5 = (key: string) => {
      if (fail) throw new Error('hash backend down');
      return createHash('md5').update(key).digest();
    };
    // 8 → 7 equal servers changes each one's digest count (40 → 39), so remove() must hash.
    const servers = Array.from({ length: 8 }, (_, i) => `s${i}:1`);
    const ring = new HashRing(servers, md5);
    const before = snapshot(ring);
    const said = answers(ring, servers);
    fail = true;
    expect(() => ring.remove('s3:1')).toThrow('hash backend down');
    fail = false;
    expect(snapshot(ring)).toEqual(before);
    expect(answers(ring, servers)).toEqual(said);
    expect(ring.has('s3:1')).toBe(true);
  });

  it('swap: a target a later rebuild would refuse is refused now', () => {
    const lm = new HashRing(['a:1', 'b:2'], 'md5', { compatibility: 'libmemcached' });
    expectUnchanged(lm, () => lm.swap('a:1', 'a:112111'), RangeError);
    lm.add('c:3'); // would throw forever had the typo been kept
    // twemproxy refuses two servers of one name: swapping onto another server's address would make one.
    const tw = new HashRing(['a:1', 'b:2'], 'md5', { compatibility: 'twemproxy' });
    expectUnchanged(tw, () => tw.swap('a:1', 'b:2'), RangeError);
    expectUnchanged(tw, () => tw.swap('a:1', 5 as unknown as string), TypeError);
  });

  it('ModuloRing: a throwing add or remove leaves its servers', () => {
    const ring = new ModuloRing(['a:1', 'b:2']);
    const before = ring.getMany(KEYS);
    expect(() => ring.add(['c:3', 7 as unknown as string])).toThrow(TypeError);
    expect(() => ring.remove([])).toThrow(TypeError);
    expect(ring.servers).toEqual(['a:1', 'b:2']);
    expect(ring.getMany(KEYS)).toEqual(before);
  });
});

// ---- property test: random sequences of valid and invalid changes ----

type Mode = { name: string; algorithm?: string | ((key: string) => Buffer); options: HashRingOptions };

/** A custom hash that refuses some names: a throw in the middle of point generation. */
function pickyMd5(key: string): Buffer {
  if (key.startsWith('h6:')) throw new Error(`cannot hash ${key}`);
  return createHash('md5').update(key).digest();
}

const MODES: Mode[] = [
  { name: 'hashring', options: {} },
  { name: 'hash_ring', options: { compatibility: 'hash_ring' } },
  { name: 'libmemcached', options: { compatibility: 'libmemcached' } },
  { name: 'twemproxy', options: { compatibility: 'twemproxy' } },
  { name: 'libketama', options: { compatibility: 'libketama' } },
  { name: 'murmur3', algorithm: 'murmur3', options: {} },
  { name: 'sha1', algorithm: 'sha1', options: {} },
  { name: 'custom function', algorithm: pickyMd5, options: {} },
];

type Op = { kind: 'add'; spec: ServersSpec } | { kind: 'remove'; spec: ServersSpec } | { kind: 'swap'; from: string; to: string } | { kind: 'continuum' };

const HOSTS = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const host = fc.constantFrom(...HOSTS);
/** Mostly valid ports; 0 (twemproxy refuses), 112111 (a typo), 'x' (no port). */
const port = fc.constantFrom('11211', '6379', '1', '0', '112111', 'x');
const server = fc.tuple(host, port).map(([h, p]) => `${h}:${p}`);
/** Weights: integers, 0.5 (ketama modes refuse), a symbol (refused everywhere), vnodes beyond the points limit. */
const weight = fc.oneof(
  fc.constantFrom<unknown>(1, 2, 3, 0.5, '2'),
  fc.constant(Symbol('w')),
  fc.constant({ vnodes: 2 ** 24 }),
  fc.constantFrom('x', 'y').map((name) => ({ weight: 1, name })),
);
const spec: fc.Arbitrary<ServersSpec> = fc.oneof(
  server,
  fc.array(server, { minLength: 1, maxLength: 3 }),
  fc.dictionary(server, weight, { minKeys: 1, maxKeys: 3 }) as fc.Arbitrary<ServersSpec>,
  fc.constantFrom<ServersSpec>([], null, 42 as unknown as ServersSpec),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: spec.map((s) => ({ kind: 'add' as const, spec: s })) },
  { weight: 2, arbitrary: spec.map((s) => ({ kind: 'remove' as const, spec: s })) },
  { weight: 2, arbitrary: fc.tuple(server, fc.oneof(server, fc.constant(5 as unknown as string))).map(([from, to]) => ({ kind: 'swap' as const, from, to })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'continuum' as const }) },
);

function apply(ring: HashRing | ModuloRing, o: Op): void {
  if (o.kind === 'add') ring.add(o.spec);
  else if (o.kind === 'remove') ring.remove(o.spec);
  else if (o.kind === 'swap') (ring as HashRing).swap(o.from, o.to);
  else (ring as HashRing).continuum();
}

const INITIAL = ['h0:11211', 'h1:6379'];
const NAMES = HOSTS.flatMap((h) => ['11211', '6379', '1', '0', '112111', 'x'].map((p) => `${h}:${p}`));

describe('property: invalid changes are as if never made', () => {
  /** Calls that succeeded and that threw, over every run: both must occur for the test to mean anything. */
  const tally = { valid: 0, threw: 0 };
  for (const eng of ENGINES) {
    for (const mode of MODES) {
      it(`${mode.name}, ${eng.backend} engine`, () => {
        const make = () => new HashRing(INITIAL, mode.algorithm as string, { ...mode.options, engine: eng });
        fc.assert(
          fc.property(fc.array(op, { maxLength: 10 }), (ops) => {
            const ring = make();
            const valid: Op[] = [];
            let threw = 0;
            for (const o of ops) {
              const before = snapshot(ring);
              try {
                apply(ring, o);
                valid.push(o);
              } catch (err) {
                threw++;
                expect(err).toBeInstanceOf(Error);
                expect(snapshot(ring)).toEqual(before);
              }
            }
            const replay = make();
            for (const o of valid) apply(replay, o);
            expect(snapshot(ring)).toEqual(snapshot(replay));
            expect(answers(ring, NAMES)).toEqual(answers(replay, NAMES));
            tally.valid += valid.length;
            tally.threw += threw;
          }),
          { numRuns: 40, seed: 20 },
        );
      });
    }
  }

  it('exercised both kinds of change', () => {
    expect(tally.valid).toBeGreaterThan(100);
    expect(tally.threw).toBeGreaterThan(100);
  });

  it('ModuloRing', () => {
    const changes = fc.array(op.filter((o) => o.kind === 'add' || o.kind === 'remove'), { maxLength: 10 });
    fc.assert(
      fc.property(changes, (ops) => {
        const ring = new ModuloRing(INITIAL);
        const valid: Op[] = [];
        for (const o of ops) {
          const before = [...ring.servers];
          try {
            apply(ring, o);
            valid.push(o);
          } catch {
            expect(ring.servers).toEqual(before);
          }
        }
        const replay = new ModuloRing(INITIAL);
        for (const o of valid) apply(replay, o);
        expect(ring.servers).toEqual(replay.servers);
        expect(ring.getMany(KEYS)).toEqual(replay.getMany(KEYS));
      }),
      { numRuns: 100, seed: 20 },
    );
  });
});
