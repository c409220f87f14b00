/**
 * hashring 3.2.0's point formulas: how many digests a server gets, what each digest is named,
 * and which uint32 words of it become ring points. Everything that decides placement in the
 * hashring-compatible modes is here; sorting and lookup are the continuum's job.
 *
 * A server gets `count` digests named `"<name>-<i>"` (i = 0 … count-1), `name` being its
 * `'host:port'` string (or its host alone when its port equals `'default port'`); digest `i`
 * gives `replicas` points, word `j` being the little-endian uint32 of digest bytes 4j … 4j+3
 * (hashring reads bytes past the end of the digest as 0, so md5 with 5 replicas makes a point
 * at 0 for each digest).
 */
import { createHash, hash as cryptoHash } from 'node:crypto';
import type { Engine, RingHash } from '../engine';
import { getOwn, type ServerEntry } from './parse-servers';

/** hashring's default `'vnode count'`: 40 digests × 4 words = ketama's 160 points per server. */
export const DEFAULT_VNODE_COUNT = 40;
/** hashring's default `replicas` (words used per digest). */
export const DEFAULT_REPLICAS = 4;
/** hashring's default `'max cache size'`. */
export const DEFAULT_MAX_CACHE_SIZE = 5000;
/**
 * Refuse rings beyond this many points (hashring would loop for a very long time or run out of
 * memory; at 8 bytes a point this is 256 MiB).
 */
export const MAX_RING_POINTS = 2 ** 25;

/**
 * hashring's replicas: `compatibility` wins (3 for `'hash_ring'`, python's hash_ring module,
 * else 4); otherwise `+options.replicas`, default 4; a value `<= 0` becomes 1. NaN stays NaN
 * (and then, as in hashring, a server gets no points).
 */
export function replicasFromOptions(options: { compatibility?: unknown; replicas?: unknown }): number {
  let replicas = options.compatibility
    ? options.compatibility === 'hash_ring'
      ? 3
      : 4
    : 'replicas' in options
      ? +(options.replicas as number)
      : DEFAULT_REPLICAS;
  if (replicas <= 0) replicas = 1;
  return replicas;
}

/** How many times `for (i = 0; i < bound; i++)` runs: `ceil(bound)` for a positive bound, else 0. */
export function loopCount(bound: unknown): number {
  const b = Number(bound);
  return b > 0 ? Math.ceil(b) : 0;
}

/**
 * hashring's point word: `(x[o+3] << 24 | x[o+2] << 16 | x[o+1] << 8 | x[o]) >>> 0`, with JS
 * semantics for missing entries (0) and for entries above 255 (a custom hash returning a
 * string gives char codes, which may overlap) — only exact for such inputs when computed so.
 */
export function digestWord(x: ArrayLike<number>, o: number): number {
  return ((x[o + 3] << 24) | (x[o + 2] << 16) | (x[o + 1] << 8) | x[o]) >>> 0;
}

/** hashring's `digest()` result: a string's char codes, anything else as it is. */
export function digestOf(hash: unknown): ArrayLike<number> {
  if (typeof hash !== 'string') return hash as ArrayLike<number>;
  const codes = new Array<number>(hash.length);
  for (let i = 0; i < hash.length; i++) codes[i] = hash.charCodeAt(i);
  return codes;
}

/**
 * Digests per server, as hashring computes them: with `total` the sum of weights (summed left
 * to right in double precision), `vnodes` the server's own vnodes or else `vnode`,
 * `Math.floor(weight / total * vnodes * n)` digests — or exactly `vnodes` when the server's
 * vnodes differ from the ring's `vnode` (compared with `!==`, so a per-server 40 on a ring of 40
 * still uses the weight formula). The floor is in double precision: at n = 7 equal servers
 * 1/7 * 40 * 7 = 39.99999999999999, so each gets 39 digests (156 points), not 40.
 *
 * The per-server vnodes are read from `vnodes` (hashring's map) as own properties only: hashring
 * also reads inherited ones, so a server named `'__proto__'` got no points there.
 */
export function digestCounts(
  servers: readonly ServerEntry[],
  vnodes: Record<string, number | undefined>,
  vnode: number,
): number[] {
  const n = servers.length;
  let total = 0;
  for (const s of servers) total += s.weight;
  const counts = new Array<number>(n);
  for (let p = 0; p < n; p++) {
    const s = servers[p];
    const v = getOwn(vnodes, s.string) || vnode;
    let length = Math.floor((s.weight / total) * v * n);
    if (v !== vnode) length = v;
    counts[p] = loopCount(length);
  }
  return counts;
}

/** The name a server's digests are made from: its host alone when its port is `'default port'`. */
export function pointBase(server: ServerEntry, defaultport: unknown): string {
  return defaultport && server.port === defaultport ? server.host + '' : server.string + '';
}

/**
 * One algorithm's view of placement: key hashes and point words. `ringHash` says when the
 * engine can hash and search keys itself (one native crossing for `get`, one per batch).
 */
export interface PointHasher {
  /** Engine ring hash for keys (0 md5, 1 murmur3), or -1: keys are hashed by {@link keyHash}. */
  readonly ringHash: RingHash | -1;
  /** hashring's `hash(key)`: the raw digest. */
  hash(key: string | Uint8Array): unknown;
  /** hashring's `hashValue`: the uint32 a key is looked up by. */
  keyHash(key: string | Uint8Array): number;
  /** Words 0 … replicas-1 of the digest of `name`, written to `out[at …]`. */
  points(name: string, replicas: number, out: Uint32Array, at: number): void;
}

function md5Hasher(engine: Engine): PointHasher {
  const digest = new Uint8Array(16);
  return {
    ringHash: 0,
    hash(key) {
      const out = Buffer.alloc(16);
      engine.md5(key, out);
      return out;
    },
    keyHash: (key) => engine.md5Uint32(key),
    points(name, replicas, out, at) {
      engine.md5(name, digest);
      for (let j = 0; j < replicas; j++) out[at + j] = j < 4 ? digestWord(digest, j * 4) : 0;
    },
  };
}

/**
 * `algorithm: 'murmur3'` (ringcache's own, no hashring equivalent): keys hash to
 * MurmurHash3 x86_32 with seed 0; point `j` of digest `"<name>-<i>"` is murmur3 of that name
 * with seed `j`. Its `hash()` is the 16 bytes of seeds 0-3, little-endian, so `hashValue` and
 * the point words read from it agree with the rule above.
 */
function murmur3Hasher(engine: Engine): PointHasher {
  return {
    ringHash: 1,
    hash(key) {
      const out = Buffer.alloc(16);
      for (let j = 0; j < 4; j++) out.writeUInt32LE(engine.murmur3(key, j), j * 4);
      return out;
    },
    keyHash: (key) => engine.murmur3(key, 0),
    points(name, replicas, out, at) {
      for (let j = 0; j < replicas; j++) out[at + j] = engine.murmur3(name, j);
    },
  };
}

/** Any other node:crypto hash, per key in TS (as hashring does for every key). */
function cryptoHasher(algorithm: string): PointHasher {
  const oneShot = typeof cryptoHash === 'function';
  const hash = (key: string | Uint8Array): Buffer =>
    oneShot ? (cryptoHash(algorithm, key, 'buffer') as Buffer) : createHash(algorithm).update(key).digest();
  return {
    ringHash: -1,
    hash,
    keyHash: (key) => digestWord(hash(key), 0),
    points(name, replicas, out, at) {
      const x = hash(name);
      for (let j = 0; j < replicas; j++) out[at + j] = digestWord(x, j * 4);
    },
  };
}

/** True when `name` is an algorithm node:crypto can hash with. */
export function isCryptoHash(name: string): boolean {
  try {
    createHash(name);
    return true;
  } catch {
    return false;
  }
}

/** The hasher of a named algorithm: `'md5'` and `'murmur3'` use the engine, others node:crypto. */
export function namedHasher(algorithm: string, engine: Engine): PointHasher {
  if (algorithm === 'md5') return md5Hasher(engine);
  if (algorithm === 'murmur3') return murmur3Hasher(engine);
  return cryptoHasher(algorithm);
}

/** What the generic hasher calls: a ring's (possibly user-defined) `digest` and `hashValue`. */
export interface DigestSource {
  digest(key: string): ArrayLike<number>;
  hashValue(key: string | Uint8Array): number;
}

/**
 * For a custom hash function, or a subclass that overrides `hash`, `digest` or `hashValue`:
 * everything goes through the ring's own methods, exactly as in hashring.
 */
export function genericHasher(source: DigestSource, base: PointHasher): PointHasher {
  return {
    ringHash: -1,
    hash: base.hash,
    keyHash: (key) => source.hashValue(key),
    points(name, replicas, out, at) {
      const x = source.digest(name);
      for (let j = 0; j < replicas; j++) out[at + j] = digestWord(x, j * 4);
    },
  };
}
