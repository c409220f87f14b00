/**
 * The parts of HashRing that exist to look like the `hashring` package (3.2.0) to code written
 * against it: its options (types and checks), the instance's own keys in hashring's order, the
 * `ring` array and `points()` shapes, `range`, `has` and the server-list edit of `swap` over the
 * ring's points, and the deprecated aliases' warnings.
 *
 * HashRing (`hash-ring.ts`, whose header lists what is kept, fixed and different from hashring)
 * calls these with just what each needs — the continuum's points and owners, the owners'
 * labels, the server list — and keeps the lookup core itself: membership → continuum (through
 * `ring-plan.ts`) and lookups through the engine. Its lookup cache (`ring.cache`) is
 * `lookup-cache.ts`.
 */
import { engine as defaultEngine, type Engine } from '../engine';
import { describe } from '../validate';
import type { HashRing } from './hash-ring';
import { DEFAULT_MAX_CACHE_SIZE, DEFAULT_VNODE_COUNT, isCryptoHash, replicasFromOptions } from './hashring-points';
import { checkKetamaServers, type KetamaMode } from './ketama';
import { getOwn, parseServers, setOwn, type ServerEntry } from './parse-servers';
import { ketamaServer, labelByString } from './ring-plan';

/** A custom hash: hashring calls it with `this` = the ring and the key as a string. */
export type HashFunction = (this: HashRing, key: string) => string | Uint8Array | ArrayLike<number>;

/** Placement modes: hashring's two, plus the three ketama implementations. */
export type Compatibility = 'ketama' | 'hash_ring' | KetamaMode;

/** Options, named as in hashring (plus `engine`). */
export interface HashRingOptions {
  /**
   * Digests (virtual nodes) per server, scaled by weight; each digest gives `replicas` points.
   * @default 40
   */
  'vnode count'?: number;
  /**
   * - `'ketama'` (hashring's default placement) and `'hash_ring'` (python's hash_ring module:
   *   3 points per digest instead of 4). Either one overrides `replicas`.
   * - `'libmemcached'`, `'twemproxy'`, `'libketama'`: the continuum of that C implementation
   *   (float point counts, host-only names on port 11211…, see `src/ring/ketama.ts`); servers
   *   without a port get 11211; `replicas`, `'vnode count'`, per-server `vnodes` and
   *   `'default port'` do not apply; twemproxy names a server's points by its `name` when
   *   given (`{ '10.0.0.1:6379': { weight: 1, name: 'cache-1' } }`). These need `algorithm`
   *   `'md5'`; `add` and `remove` rebuild the whole continuum.
   * @default undefined (ketama placement, `replicas` as given)
   */
  compatibility?: Compatibility;
  /**
   * Points per digest (little-endian 32-bit words of it); `<= 0` becomes 1.
   * @default 4
   */
  replicas?: number;
  /**
   * Keys remembered by the lookup cache (a per-instance `Map`); 0 turns it off.
   * @default 5000
   */
  'max cache size'?: number;
  /** Servers on this port name their points by host alone (libketama / pylibmc compatibility). */
  'default port'?: number;
  /**
   * The engine to hash and search with (benchmarks and differential tests).
   * @default the chosen engine (`backend`)
   */
  engine?: Engine;
}

/** A point of the ring as hashring exposes it in `ring.ring`. */
export interface RingNode {
  value: number;
  server: string;
}

/** What HashRing's constructor makes of its `algorithm` and `options` arguments. */
export interface RingSettings {
  /** `'vnode count'`, as given (hashring keeps it so in `ring.vnode`). */
  vnode: number;
  algorithm: string | HashFunction;
  defaultport: number | null;
  replicas: number;
  /** The ketama implementation of `compatibility`, if any. */
  ketama: KetamaMode | undefined;
  /** `'max cache size'`. */
  cacheMax: number;
  engine: Engine;
}

const KETAMA_MODES: readonly string[] = ['libmemcached', 'twemproxy', 'libketama'];

/** Checks HashRing's `algorithm` and `options` (in hashring's order; errors name the option). */
export function ringSettings(algorithm: unknown, options: unknown): RingSettings {
  const opts = (options || {}) as HashRingOptions;
  if (typeof opts !== 'object') throw new TypeError(`Expected an object for options but received ${describe(options)}`);

  const vnode = 'vnode count' in opts ? opts['vnode count'] : DEFAULT_VNODE_COUNT;
  const vt = typeof vnode;
  if ((vt !== 'number' && vt !== 'string' && vnode !== undefined) || Math.abs(Number(vnode)) === Infinity) {
    throw new TypeError(`Expected a finite number for options['vnode count'] but received ${describe(vnode)}`);
  }

  const algo = algorithm || 'md5';
  if (typeof algo !== 'function' && (typeof algo !== 'string' || (algo !== 'murmur3' && !isCryptoHash(algo)))) {
    throw new TypeError(
      `Expected 'md5', 'murmur3', a node:crypto hash name or a function for algorithm but received ${describe(algorithm)}`,
    );
  }
  const defaultport = opts['default port'] || null;
  const replicas = replicasFromOptions(opts);

  const compat = opts.compatibility;
  const ketama = KETAMA_MODES.includes(compat as string) ? (compat as KetamaMode) : undefined;
  if (ketama && algo !== 'md5') {
    throw new TypeError(`Expected algorithm 'md5' with compatibility '${ketama}' but received ${describe(algorithm)}`);
  }

  const max = 'max cache size' in opts ? opts['max cache size'] : DEFAULT_MAX_CACHE_SIZE;
  if (typeof max !== 'number' || !(max >= 0)) {
    throw new RangeError(`Expected a number >= 0 for options['max cache size'] but received ${describe(max)}`);
  }

  const engine = opts.engine ?? defaultEngine;
  if (typeof engine !== 'object' || engine === null || typeof engine.ringFind !== 'function') {
    throw new TypeError(`Expected an Engine (e.g. engines.js) for options.engine but received ${describe(engine)}`);
  }
  return { vnode: vnode as number, algorithm: algo as string | HashFunction, defaultport, replicas, ketama, cacheMax: max, engine };
}

/**
 * Makes the prototype accessor `name` an own enumerable property of `ring`, as hashring's
 * field: called in the constructor between the field assignments, so that an instance's own
 * enumerable keys are hashring's, in its order (what `Object.keys`, spreading and
 * `console.log` show).
 */
export function ownGetter(ring: object, name: 'ring' | 'size' | 'cache'): void {
  // The nearest definition on the instance's prototype chain (a subclass may override it).
  let proto: object | null = Object.getPrototypeOf(ring);
  let desc: PropertyDescriptor | undefined;
  while (proto && !(desc = Object.getOwnPropertyDescriptor(proto, name))) proto = Object.getPrototypeOf(proto);
  const get = desc?.get;
  Object.defineProperty(ring, name, { get, enumerable: true, configurable: true });
}

const warned = new Set<string>();
/** Warns once per process that `HashRing#name` is deprecated (a `DeprecationWarning` with a code). */
export function deprecated(name: string, to: string | undefined): void {
  if (warned.has(name)) return;
  warned.add(name);
  process.emitWarning(
    `HashRing#${name} is deprecated: ${to ? `use HashRing#${to}` : 'it does nothing and has no replacement'}`,
    { type: 'DeprecationWarning', code: `RINGCACHE_HASHRING_${name.toUpperCase()}` },
  );
}

/**
 * `ring.ring`: the points as hashring's `{ value, server }` array, built on demand and kept
 * while someone holds it (a WeakRef), until the ring changes.
 */
export class RingNodesView {
  #nodes: WeakRef<RingNode[]> | undefined;

  /** The ring changed: the next read builds a new array. */
  changed(): void {
    this.#nodes = undefined;
  }

  /** The array for points `points` owned by `owners` (indexes into `labels`). */
  nodes(points: Uint32Array, owners: ArrayLike<number>, labels: readonly string[]): RingNode[] {
    const cached = this.#nodes?.deref();
    if (cached) return cached;
    const nodes = new Array<RingNode>(points.length);
    for (let i = 0; i < points.length; i++) nodes[i] = { value: points[i], server: labels[owners[i]] };
    this.#nodes = new WeakRef(nodes);
    return nodes;
  }
}

/**
 * hashring's `points(servers)`: `{ server: [point, …] }` in ring order, for the given server
 * names, or for every server in `vnodes` when `servers` is not an array.
 */
export function serverPoints(
  servers: unknown,
  vnodes: Record<string, number | undefined>,
  points: Uint32Array,
  owners: ArrayLike<number>,
  labels: readonly string[],
): Record<string, number[]> {
  const names = Array.isArray(servers) ? servers : Object.keys(vnodes);
  const nodes: Record<string, number[]> = Object.create(null);
  for (const s of names) nodes[s as string] = [];
  for (let i = 0; i < points.length; i++) {
    const server = labels[owners[i]];
    if (server in nodes) nodes[server].push(points[i]);
  }
  return nodes;
}

/** hashring's `has(server)`: whether any point belongs to an owner labelled `server`. */
export function ownsPoints(owners: ArrayLike<number>, labels: readonly string[], server: string): boolean {
  const match = new Uint8Array(labels.length);
  let any = false;
  for (let p = 0; p < labels.length; p++) {
    if (labels[p] === server) {
      match[p] = 1;
      any = true;
    }
  }
  if (!any) return false;
  for (let i = 0; i < owners.length; i++) if (match[owners[i]]) return true;
  return false;
}

/**
 * hashring's `range`: up to `want` servers walking the ring from point `start` (wrapping),
 * skipping servers already listed when `distinct`.
 */
export function walkRange(owners: ArrayLike<number>, labels: readonly string[], start: number, want: number, distinct: boolean): string[] {
  const n = owners.length;
  const result: string[] = [];
  const seen = new Set<string>();
  for (let k = 0; k < n; k++) {
    const i = start + k < n ? start + k : start + k - n;
    const server = labels[owners[i]];
    if (distinct) {
      if (seen.has(server)) continue;
      seen.add(server);
    }
    result.push(server);
    if (result.length === want) return result;
  }
  return result;
}

/**
 * Checks `swap(from, to)` before anything changes and returns `to` parsed: `to` must be a
 * `'host:port'` string, and in the ketama modes the swapped list must pass the checks the next
 * rebuild makes (a bad port, two twemproxy servers of one name).
 */
export function checkSwap(servers: readonly ServerEntry[], from: string, to: string, ketama: KetamaMode | undefined): ServerEntry {
  const target = typeof to === 'string' ? parseServers(to, 'to')[0] : undefined;
  if (!target) throw new TypeError(`Expected a 'host:port' string for to but received ${describe(to)}`);
  if (ketama) {
    const next = servers.map((s) => (s.string === from ? { ...s, string: to, host: target.host, port: target.port } : s));
    const byString = labelByString(next);
    checkKetamaServers(ketama, next.map(ketamaServer), (i) => (next[i].string === to ? 'to' : byString(i)));
  }
  return target;
}

/**
 * hashring's edit of the server list in `swap`: `from`'s `vnodes` entry becomes `to`'s, and
 * the entries named `from` take `to`'s name, host and port (edited in place; a new array of
 * the same entries, as hashring's `servers.map`). A twemproxy `name` stays.
 */
export function swapServers(
  servers: readonly ServerEntry[],
  vnodes: Record<string, number | undefined>,
  from: string,
  to: string,
  target: ServerEntry,
): ServerEntry[] {
  setOwn(vnodes, to, getOwn(vnodes, from));
  delete vnodes[from];
  return servers.map((s) => {
    if (s.string === from) {
      s.string = to;
      s.host = target.host;
      s.port = target.port;
    }
    return s;
  });
}
