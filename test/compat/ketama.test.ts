/**
 * Ketama continuums (src/ring/ketama.ts) against the real implementations:
 * - libmemcached.json: the real libmemcached (Debian libmemcached-dev), weighted ketama;
 * - twemproxy.json: a real nutcracker in front of real redis-servers (which backend holds each key);
 * - libketama.json: our C port of libketama's published rules compiled by gcc, 21 of 24 sets also confirmed by the
 *   real libmemcached (`libmemcachedAgrees`; the header's `notCrossChecked` says why the other 3 cannot be).
 * Regenerate with scripts/gen-ketama-fixtures.mjs and scripts/gen-twemproxy-fixtures.mjs.
 *
 * The lookup here is the C implementations' own: points sorted stably by value (generation
 * order for ties), a key goes to the first point >= ketamaKeyHash(mode, key) (md5Uint32, but 0
 * for twemproxy's empty key), else wraps to point 0.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engine, RING_HASH_MD5 } from '../../src/engine';
import { md5Uint32 } from '../../src/hash';
import {
  ketamaDigestCount,
  ketamaKeyHash,
  ketamaPoints,
  ketamaServerName,
  type KetamaMode,
  type KetamaServer,
} from '../../src/ring/ketama';
import { HashRing } from '../../src/ring/hash-ring';
import { tableFor } from '../helpers/random-keys';

const DIR = join(__dirname, '..', 'fixtures', 'ketama');
const NOT_ASKED = 255;

interface FixtureSet {
  name: string;
  servers: KetamaServer[];
  owners: string;
  libmemcachedAgrees?: boolean;
}
interface Fixture {
  reference: string;
  sets: FixtureSet[];
}

const keys: string[] = JSON.parse(readFileSync(join(DIR, 'keys.json'), 'utf8')).keys;
const keyHashes = Uint32Array.from(keys, (k) => md5Uint32(k));
if (keys[0] !== '') throw new Error('keys.json: key 0 must be the empty key'); // see ketamaKeyHash

/** The fixture, or undefined when its file is missing (then {@link expectPresent} fails the suite). */
function load(file: string): Fixture | undefined {
  const path = join(DIR, file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Fixture) : undefined;
}

/** A missing fixture fails (never skips): a test that checks nothing must not pass. */
function expectPresent(file: string, fixture: Fixture | undefined): void {
  it(`fixture ${file} is present`, () => {
    expect(fixture, `test/fixtures/ketama/${file} is missing: regenerate it (scripts/gen-*-fixtures.mjs)`).toBeDefined();
  });
}

/** Sorted continuum: point values and their owners, ties in generation order. */
function continuum(mode: KetamaMode, servers: readonly KetamaServer[]) {
  const { hashes, owners } = ketamaPoints(mode, servers);
  const order = Array.from(hashes.keys()).sort((a, b) => hashes[a] - hashes[b] || a - b);
  return { points: Uint32Array.from(order, (i) => hashes[i]), owners: Uint32Array.from(order, (i) => owners[i]) };
}

function lookup(points: Uint32Array, owners: Uint32Array, hash: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid] < hash) lo = mid + 1;
    else hi = mid;
  }
  return owners[lo === points.length ? 0 : lo];
}

/**
 * Each mismatching key (at most 5) as "key → got, want", looked up twice: with the plain
 * lower bound above and with the engine's batch ring search (bucket index in front).
 */
function mismatches(mode: KetamaMode, set: FixtureSet): string[] {
  const want = Buffer.from(set.owners, 'base64');
  expect(want.length).toBe(keys.length);
  const { points, owners } = continuum(mode, set.servers);
  const table = tableFor(points, 12);
  const found = new Int32Array(keys.length);
  engine.ringLookup(table, keys, RING_HASH_MD5, 0, found);
  found[0] = engine.ringFind(table, ketamaKeyHash(mode, keys[0])); // twemproxy: '' hashes to 0
  const bad: string[] = [];
  for (let i = 0; i < keys.length && bad.length < 5; i++) {
    if (want[i] === NOT_ASKED) continue;
    const got = lookup(points, owners, i === 0 ? ketamaKeyHash(mode, keys[0]) : keyHashes[i]);
    const viaEngine = owners[found[i]];
    if (got !== want[i] || viaEngine !== want[i]) {
      bad.push(`${JSON.stringify(keys[i])} → ${got} (engine ${viaEngine}), want ${want[i]}`);
    }
  }
  return bad;
}

function suite(mode: KetamaMode, file: string, minSets: number) {
  const fixture = load(file);
  describe(`${mode}: ${file}`, () => {
    expectPresent(file, fixture);
    it(`has at least ${minSets} sets of ${keys.length} keys`, () => {
      expect(fixture!.sets.length).toBeGreaterThanOrEqual(minSets);
    });
    for (const set of fixture?.sets ?? []) {
      it(`${set.name} (${set.servers.length} servers)`, () => {
        expect(mismatches(mode, set)).toEqual([]);
      });
    }
  });
}

/** The same fixtures through HashRing({ compatibility: mode }): `get` and `getMany` answer `host:port`. */
function hashRingSuite(mode: KetamaMode, file: string) {
  const fixture = load(file);
  describe(`HashRing compatibility '${mode}': ${file}`, () => {
    expectPresent(file, fixture);
    for (const set of fixture?.sets ?? []) {
      it(`${set.name}`, () => {
        const ring = new HashRing(
          set.servers.map((s) => ({ ...s })),
          'md5',
          { compatibility: mode },
        );
        const labels = set.servers.map((s) => `${s.host}:${s.port}`);
        const want = Buffer.from(set.owners, 'base64');
        const many = ring.getMany(keys);
        const bad: string[] = [];
        for (let i = 0; i < keys.length && bad.length < 5; i++) {
          if (want[i] === NOT_ASKED) continue;
          const one = ring.get(keys[i]);
          if (one !== labels[want[i]] || many[i] !== labels[want[i]]) {
            bad.push(`${JSON.stringify(keys[i])} → get ${one}, getMany ${many[i]}, want ${labels[want[i]]}`);
          }
        }
        expect(bad).toEqual([]);
      });
    }
    it('add() of the last server and remove() of an extra one land on the fixture placement', () => {
      const set = fixture!.sets.find((x) => x.servers.length >= 4 && new Set(x.servers.map((s) => s.weight)).size > 1)!;
      const servers = set.servers.map((s) => ({ ...s }));
      const ring = new HashRing(servers.slice(0, -1), 'md5', { compatibility: mode });
      ring.add([servers[servers.length - 1]]);
      const extra = { host: '192.0.2.99', port: 7000, weight: 3, name: 'extra' };
      ring.add([extra]);
      ring.remove(`${extra.host}:${extra.port}`);
      const labels = set.servers.map((s) => `${s.host}:${s.port}`);
      const want = Buffer.from(set.owners, 'base64');
      const got = ring.getMany(keys);
      expect(got.filter((g, i) => want[i] !== NOT_ASKED && g !== labels[want[i]]).length).toBe(0);
    });
  });
}

hashRingSuite('libmemcached', 'libmemcached.json');
hashRingSuite('libketama', 'libketama.json');
hashRingSuite('twemproxy', 'twemproxy.json');

suite('libmemcached', 'libmemcached.json', 30);
suite('libketama', 'libketama.json', 20);
suite('twemproxy', 'twemproxy.json', 4);

describe('libketama fixture is confirmed by the real libmemcached where the two coincide', () => {
  const fixture = load('libketama.json') as (Fixture & { notCrossChecked?: { name: string; why: string }[] }) | undefined;
  it('a set agrees exactly when the float and double digest counts are equal; the header lists the others', () => {
    expect(fixture).toBeDefined();
    const unconfirmed: string[] = [];
    for (const set of fixture!.sets) {
      // Every set is comparable: the generator gives libmemcached each address as a host name on
      // port 11211, so its point names are libketama's "<address>-i".
      const total = set.servers.reduce((a, s) => a + s.weight, 0);
      const n = set.servers.length;
      const sameCounts = set.servers.every(
        (s) => ketamaDigestCount('libketama', s.weight, total, n) === ketamaDigestCount('libmemcached', s.weight, total, n),
      );
      expect({ set: set.name, agrees: set.libmemcachedAgrees }).toEqual({ set: set.name, agrees: sameCounts });
      if (!set.libmemcachedAgrees) unconfirmed.push(set.name);
    }
    expect(fixture!.notCrossChecked?.map((x) => x.name)).toEqual(unconfirmed);
    expect(unconfirmed).toEqual(['25 equal', '47 equal', '50 equal']); // 21 of 24 confirmed
    for (const x of fixture!.notCrossChecked ?? []) expect(x.why).toMatch(/float/);
  });
});

describe('digest counts: float vs double (points per server = 4 × digests)', () => {
  const pointsPerServer = (mode: KetamaMode, n: number, port = 11212) => {
    const servers = Array.from({ length: n }, (_, i) => ({ host: `10.0.0.${i + 1}`, port, weight: 1 }));
    const { owners } = ketamaPoints(mode, servers);
    const counts = new Array<number>(n).fill(0);
    for (const o of owners) counts[o]++;
    return [...new Set(counts)];
  };

  it('n = 7: 160 points each in all three (hashring, in double precision, gets 156)', () => {
    expect(pointsPerServer('libmemcached', 7)).toEqual([160]);
    expect(pointsPerServer('twemproxy', 7)).toEqual([160]);
    expect(pointsPerServer('libketama', 7)).toEqual([160]);
    expect(Math.floor((1 / 7) * 40 * 7)).toBe(39); // hashring's double-precision count
  });

  it('n = 25, 47, 50: libmemcached and twemproxy compute in float and get 156; libketama rounds once and gets 160', () => {
    for (const n of [25, 47, 50]) {
      expect(pointsPerServer('libmemcached', n)).toEqual([156]);
      expect(pointsPerServer('twemproxy', n)).toEqual([156]);
      expect(pointsPerServer('libketama', n)).toEqual([160]);
    }
  });

  it('n = 61: all three get 156', () => {
    expect(pointsPerServer('libmemcached', 61)).toEqual([156]);
    expect(pointsPerServer('twemproxy', 61)).toEqual([156]);
    expect(pointsPerServer('libketama', 61)).toEqual([156]);
  });

  it('equal weights, n = 1..200: the n where libmemcached gets 39 digests', () => {
    const short = (mode: KetamaMode) =>
      Array.from({ length: 200 }, (_, i) => i + 1).filter((n) => ketamaDigestCount(mode, 1, n, n) !== 40);
    const float = [25, 47, 50, 55, 61, 71, 94, 100, 107, 109, 110, 115, 122, 142, 159, 163, 188, 193, 200];
    expect(short('libmemcached')).toEqual(float);
    expect(short('twemproxy')).toEqual(float);
    expect(short('libketama')).toEqual([61, 122]);
  });
});

describe('point names', () => {
  it('libmemcached: host on 11211 (or port 0), else host:port; name ignored', () => {
    expect(ketamaServerName('libmemcached', { host: 'a', port: 11211, weight: 1, name: 'x' })).toBe('a');
    expect(ketamaServerName('libmemcached', { host: 'a', port: 0, weight: 1 })).toBe('a');
    expect(ketamaServerName('libmemcached', { host: 'a', port: 6379, weight: 1 })).toBe('a:6379');
  });
  it('twemproxy: name, else host on 11211, else host:port', () => {
    expect(ketamaServerName('twemproxy', { host: 'a', port: 6379, weight: 1, name: 'redis1' })).toBe('redis1');
    expect(ketamaServerName('twemproxy', { host: 'a', port: 11211, weight: 1 })).toBe('a');
    expect(ketamaServerName('twemproxy', { host: 'a', port: 6379, weight: 1 })).toBe('a:6379');
  });
  it('libketama: host:port always (or the address token given as name)', () => {
    expect(ketamaServerName('libketama', { host: 'a', port: 11211, weight: 1 })).toBe('a:11211');
    expect(ketamaServerName('libketama', { host: 'a', port: 1, weight: 1, name: 'b:2' })).toBe('b:2');
  });
  it('points are the 4 little-endian words of md5("<name>-<i>"), in order', () => {
    const { hashes, owners } = ketamaPoints('libmemcached', [
      { host: 'h1', port: 11211, weight: 1 },
      { host: 'h2', port: 11300, weight: 1 },
    ]);
    expect(hashes.length).toBe(320);
    expect(Array.from(owners.subarray(158, 162))).toEqual([0, 0, 1, 1]);
    const words = (s: string) => {
      const d = createHash('md5').update(s).digest();
      return [0, 4, 8, 12].map((o) => d.readUInt32LE(o));
    };
    expect(Array.from(hashes.subarray(0, 8))).toEqual([...words('h1-0'), ...words('h1-1')]);
    expect(Array.from(hashes.subarray(316, 320))).toEqual(words('h2:11300-39'));
  });
  it('twemproxy hashes at most 272 bytes of "<name>-<i>"', () => {
    const long = 'n'.repeat(300);
    const a = ketamaPoints('twemproxy', [{ host: 'h', port: 1, weight: 1, name: long }]);
    const b = ketamaPoints('twemproxy', [{ host: 'h', port: 1, weight: 1, name: `${long}x` }]);
    expect(a.hashes).toEqual(b.hashes); // both cut to 272 'n's: every digest is the same
    expect(new Set(a.hashes).size).toBe(4);
  });
});

describe('ties: tie253 and tie397 share point 667653269 (found by scripts/ketama-ref/ties.mjs)', () => {
  const tieKeys = keys.slice(-12);
  const ownersOfTieKeys = (mode: KetamaMode, names: string[]) => {
    const servers = names.map((name, i) => ({ host: mode === 'libmemcached' ? name : `h${i}`, port: 11211, weight: 1, name }));
    const { points, owners } = continuum(mode, servers);
    expect(points.filter((p) => p === 667653269).length).toBe(2);
    return [...new Set(tieKeys.map((k) => names[lookup(points, owners, md5Uint32(k))]))];
  };
  it('the last 12 fixture keys land on the shared point', () => {
    expect(tieKeys.every((k) => k.startsWith('tiekey:'))).toBe(true);
  });
  it('libmemcached and libketama: the server listed first wins', () => {
    for (const mode of ['libmemcached', 'libketama'] as const) {
      expect(ownersOfTieKeys(mode, ['tie397', 'tie253'])).toEqual(['tie397']);
      expect(ownersOfTieKeys(mode, ['tie253', 'tie397'])).toEqual(['tie253']);
    }
  });
  it('twemproxy: the name that sorts first wins, whatever the config order', () => {
    expect(ownersOfTieKeys('twemproxy', ['tie397', 'tie253'])).toEqual(['tie253']);
    expect(ownersOfTieKeys('twemproxy', ['tie253', 'tie397'])).toEqual(['tie253']);
  });
  it('twemproxy generates points in name order: shorter names first, then bytewise', () => {
    const { owners } = ketamaPoints('twemproxy', [
      { host: 'h', port: 1, weight: 1, name: 'bb' },
      { host: 'h', port: 2, weight: 1, name: 'c' },
      { host: 'h', port: 3, weight: 1, name: 'ab' },
    ]);
    expect([...new Set(owners)]).toEqual([1, 2, 0]);
  });
  it('twemproxy refuses two servers with the same name, as nutcracker does', () => {
    expect(() =>
      ketamaPoints('twemproxy', [
        { host: 'a', port: 1, weight: 1, name: 'x' },
        { host: 'b', port: 2, weight: 1 },
        { host: 'c', port: 3, weight: 1, name: 'x' },
      ]),
    ).toThrow(/servers\[0\] and servers\[2\] are both named 'x'/);
    expect(() => ketamaPoints('twemproxy', [{ host: 'a', port: 1, weight: 1 }, { host: 'b', port: 2, weight: 1, name: 'a:1' }])).toThrow(
      RangeError,
    );
  });
});

describe('key hash', () => {
  it('is md5Uint32, except that twemproxy looks an empty key up with hash 0', () => {
    for (const mode of ['libmemcached', 'twemproxy', 'libketama'] as const) {
      expect(ketamaKeyHash(mode, 'foo')).toBe(md5Uint32('foo'));
      expect(ketamaKeyHash(mode, new Uint8Array([1, 2]))).toBe(md5Uint32(new Uint8Array([1, 2])));
    }
    expect(ketamaKeyHash('libmemcached', '')).toBe(md5Uint32(''));
    expect(ketamaKeyHash('libketama', new Uint8Array(0))).toBe(md5Uint32(''));
    expect(ketamaKeyHash('twemproxy', '')).toBe(0);
    expect(ketamaKeyHash('twemproxy', new Uint8Array(0))).toBe(0);
  });
});

describe('weights and validation', () => {
  it('libmemcached counts weight 0 as 1; twemproxy and libketama refuse it', () => {
    const servers = [
      { host: 'a', port: 11211, weight: 0 },
      { host: 'b', port: 11211, weight: 1 },
    ];
    expect(ketamaPoints('libmemcached', servers).hashes).toEqual(
      ketamaPoints('libmemcached', [{ ...servers[0], weight: 1 }, servers[1]]).hashes,
    );
    expect(() => ketamaPoints('twemproxy', servers)).toThrow(/servers\[0\]\.weight/);
    expect(() => ketamaPoints('libketama', servers)).toThrow(RangeError);
  });
  it('twemproxy weights are ints and their sum a uint32', () => {
    expect(() => ketamaPoints('twemproxy', [{ host: 'a', port: 1, weight: 2 ** 31 }])).toThrow(/servers\[0\]\.weight/);
    const big = { host: 'a', port: 1, weight: 2 ** 31 - 1 };
    expect(() => ketamaPoints('twemproxy', [big, { ...big, port: 2 }, { ...big, port: 3 }])).toThrow(/sum/);
    expect(ketamaPoints('libmemcached', [big, { ...big, port: 2 }, { ...big, port: 3 }]).hashes.length).toBe(480);
  });
  it('empty server lists give empty continuums', () => {
    for (const mode of ['libmemcached', 'twemproxy', 'libketama'] as const) {
      expect(ketamaPoints(mode, []).hashes.length).toBe(0);
    }
  });
  it('bad arguments throw errors that name them', () => {
    expect(() => ketamaPoints('ketama' as KetamaMode, [])).toThrow(TypeError);
    expect(() => ketamaPoints('libmemcached', {} as never)).toThrow(/servers/);
    expect(() => ketamaPoints('libmemcached', [{ host: '', port: 1, weight: 1 }])).toThrow(/servers\[0\]\.host/);
    expect(() => ketamaPoints('libmemcached', [{ host: 'a', port: 70000, weight: 1 }])).toThrow(RangeError);
    expect(() => ketamaPoints('twemproxy', [{ host: 'a', port: 0, weight: 1 }])).toThrow(/servers\[0\]\.port/);
    expect(() => ketamaPoints('libketama', [{ host: 'a', port: 1, weight: 1.5 }])).toThrow(TypeError);
    expect(() => ketamaPoints('libketama', [{ host: 'a', port: 1, weight: 1, name: 3 as never }])).toThrow(
      /servers\[0\]\.name/,
    );
  });
});
