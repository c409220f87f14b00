/**
 * HashRing: a drop-in for the `hashring` package (3.2.0) — same constructor, methods, own
 * properties and, bit for bit, the same server for every key — on a typed-array continuum
 * searched by the engine, plus ketama placements of libmemcached, twemproxy and libketama,
 * batch lookups and distribution analysis.
 *
 * Kept from hashring on purpose (observable behaviour people rely on):
 * - `add()` skips servers already present, and re-orders the list as hashring does (it
 *   re-parses `{ string: server }`, so integer-like names such as `'10'` move to the front);
 * - `remove()` of an array or object removes only its *last* server;
 * - `swap(from, to)` relabels `from`'s points without rehashing them (until the next `add`,
 *   `remove` or `continuum`, which place `to` by its own name), and its cached answers
 *   become `to` (the other cached keys stay);
 * - `range(key, size, unique)`: `unique` defaults to true; `size` to the number of servers.
 *
 * Fixed (each a hashring 3.2.0 bug):
 * - its lookup cache is a plain object: keys such as `'toString'` or `'constructor'` read
 *   `Object.prototype` members (wrong answers once set), and `get('__proto__')` writes
 *   `value`, `next` and `before` onto `Object.prototype`. Here the cache is a bounded `Map`
 *   that answers as an uncached lookup would, unless a key is pinned with `ring.cache.set`
 *   (as in hashring). `ring.cache` offers hashring's cache methods over it (see
 *   `src/ring/lookup-cache.ts` for the few differences, e.g. `get(key, false)` and eviction);
 * - `'max cache size': 0` made every `get` throw; here it turns the cache off;
 * - `continuum()` kept the cache, so after a `swap()` it went on answering from the old ring;
 * - `new HashRing(null)` and a `null` weight threw; both mean "none" / weight 1 here;
 * - `[{ host, port, weight }]` threw; the weight is honoured here;
 * - a server named `'__proto__'` got no points (its vnodes were read from `Object.prototype`);
 * - an `add`/`remove` whose rebuild threw (the points limit, a throwing hash function) had
 *   already changed `servers`, leaving a ring that answered for neither list; here every
 *   change is validated and built before anything is committed, and one that throws changes
 *   nothing (the ketama modes too: a bad port or weight, two twemproxy servers of one name).
 *
 * Differences by design:
 * - `Uint8Array`/`Buffer` keys are hashed as their bytes (hashring hashes `String(key)`, the
 *   same bytes for a Buffer holding valid UTF-8); a custom hash function still gets `String(key)`.
 * - `ring` is built on demand from the typed arrays (a new snapshot after each change; editing
 *   it does not change the ring); `ring`, `size` and `cache` are read-only (own enumerable
 *   getters, in hashring's key order); `cache` is not hashring's LRU object but its interface.
 * - `getMany`, `getManyPacked` and `range` never read the cache (hashring's `range` neither):
 *   a key pinned with `ring.cache.set` is answered so by `get` only.
 * - Uint8Array keys are not cached (hashring cached them under `String(key)`).
 * - `algorithm` is fixed at construction (hashring hashed with whatever it was later set to).
 * - The deprecated aliases (`getNode`, …) warn once each through `process.emitWarning` (a
 *   `DeprecationWarning` with a code), not `console.warn`.
 * - `continuum()` rebuilds the whole ring from `servers` (hashring overwrote the first points
 *   and kept stale ones when the ring shrank without a `reset()`).
 *
 * Layout: this class keeps the lookup core — membership → continuum (planned and applied by
 * `ring-plan.ts`, points in `continuum.ts`), and `get`/`getMany`/`getManyPacked` through the
 * engine; hashring's options, own-key order, `ring`/`points()` shapes, `range`, `has`, `swap`'s
 * server-list edit and the deprecation warnings are in `hashring-surface.ts`; `ring.cache` and
 * the lookup cache behind it in `lookup-cache.ts`.
 */
import type { Engine, Key } from '../engine';
import { checkOutArray, checkPackedKeys, describe, isBytes, keyList } from '../validate';
import { Continuum } from './continuum';
import { distribution, type DistributionReport, type KeySample } from './distribution';
import { digestOf, digestWord, genericHasher, namedHasher, type PointHasher } from './hashring-points';
import {
  RingNodesView,
  checkSwap,
  deprecated,
  ownGetter,
  ownsPoints,
  ringSettings,
  serverPoints,
  swapServers,
  walkRange,
  type HashFunction,
  type HashRingOptions,
  type RingNode,
} from './hashring-surface';
import type { KetamaMode } from './ketama';
import { AnswerCache, type LookupCache } from './lookup-cache';
import { applyPlan, planHashring, planKetama, type Built, type RingPlan } from './ring-plan';
import { mergeServers, parseServers, vnodesMap, type ServerEntry, type ServersSpec } from './parse-servers';

export type { ServerEntry, ServersSpec, ServerWeight, HostPort } from './parse-servers';
export type { LookupCache } from './lookup-cache';
export type { HashFunction, Compatibility, HashRingOptions, RingNode } from './hashring-surface';

/** Consistent-hash ring, hashring 3.2.0 compatible. */
export class HashRing {
  /** hashring's API version this class reproduces. */
  static readonly version = '3.2.0';

  // The public fields are `declare`d and assigned in the constructor, with the accessors
  // `ring`, `size` and `cache` defined between them, so that an instance's own enumerable keys
  // are hashring's, in its order (what `Object.keys`, spreading and `console.log` show).
  /** Default digests per server (`'vnode count'`). */
  declare vnode: number;
  /** `'md5'` (default), `'murmur3'`, any node:crypto hash name, or a function. Fixed at construction. */
  declare readonly algorithm: string | HashFunction;
  /** `'default port'`, or null. */
  declare defaultport: number | null;
  /** Points per digest. Read when the ring is (re)built. */
  declare replicas: number;
  /** Server string → its own vnodes (hashring's map; read when the ring is built). */
  declare vnodes: Record<string, number | undefined>;
  /** The servers, as hashring parses them. */
  declare servers: ServerEntry[];

  readonly #engine: Engine;
  readonly #continuum: Continuum;
  readonly #hasher: PointHasher;
  readonly #base: PointHasher;
  readonly #generic: boolean;
  readonly #ketama: KetamaMode | undefined;
  /** Engine hash (0 md5, 1 murmur3) when the engine can hash keys itself, else -1. */
  readonly #ringHash: number;
  /** Owner → what `get` returns for it. */
  #labels: string[] = [];
  #built: Built | undefined;
  readonly #answers: AnswerCache;
  readonly #view = new RingNodesView();
  #batchOut = new Int32Array(256);

  /**
   * @param servers `'host:port'`, an array of them (or of `{ host, port }`), or
   *   `{ 'host:port': weight | { weight, vnodes, name } }`.
   * @param algorithm `'md5'` (default), `'murmur3'` (fast, ringcache only), a node:crypto hash
   *   name, or a function returning the digest (string, Buffer or byte array).
   * @param options see {@link HashRingOptions}.
   */
  constructor(servers?: ServersSpec, algorithm?: string | HashFunction, options?: HashRingOptions) {
    const settings = ringSettings(algorithm, options);
    const algo = settings.algorithm;
    this.vnode = settings.vnode;
    this.algorithm = algo;
    this.defaultport = settings.defaultport;
    this.replicas = settings.replicas;
    ownGetter(this, 'ring');
    ownGetter(this, 'size');

    this.#ketama = settings.ketama;
    this.#answers = new AnswerCache(settings.cacheMax, (key) => this.#labelOf(key));
    this.#engine = settings.engine;
    this.#continuum = new Continuum(this.#engine);
    this.#base = namedHasher(typeof algo === 'string' ? algo : 'md5', this.#engine);
    const proto = HashRing.prototype;
    this.#generic =
      typeof algo === 'function' ||
      this.hash !== proto.hash ||
      this.digest !== proto.digest ||
      this.hashValue !== proto.hashValue;
    this.#hasher = this.#generic ? genericHasher(this, this.#base) : this.#base;
    this.#ringHash = this.#hasher.ringHash;

    const list = parseServers(servers);
    this.vnodes = vnodesMap(list);
    this.servers = list;
    ownGetter(this, 'cache');
    // hashring makes a custom hash function the instance's own `hash` (called with `this` = ring).
    if (typeof algo === 'function') (this as { hash: unknown }).hash = algo;
    this.continuum();
  }

  /**
   * hashring's lookup cache (`get`, `set`, `del`, `reset`, `forEach`, `size`, `maxSize`), over
   * this ring's bounded cache; see `src/ring/lookup-cache.ts` for what differs from hashring's.
   */
  get cache(): LookupCache {
    return this.#answers.view;
  }

  /** Number of points on the ring. */
  get size(): number {
    return this.#continuum.size;
  }

  /**
   * The points as hashring's `{ value, server }` array, built on demand (and kept while you
   * hold it, until the ring changes). Reading it costs ~60 bytes a point; lookups never need it.
   */
  get ring(): RingNode[] {
    const { points, owners } = this.#continuum;
    return this.#view.nodes(points, owners, this.#labels);
  }

  /** Bytes held by the ring's typed arrays (points, owners, bucket index). */
  get byteLength(): number {
    return this.#continuum.byteLength;
  }

  /**
   * (Re)builds the continuum from `servers`, `vnodes`, `vnode`, `replicas` and
   * `defaultport`. With no servers it leaves the ring as it is (as hashring does).
   */
  continuum(): this {
    if (this.servers.length > 0) this.#apply(this.#plan(this.servers, this.vnodes), this.servers);
    return this;
  }

  /**
   * The server `key` maps to: the owner of the first point >= the key's hash, wrapping to the
   * first point. `undefined` when the ring has no points (typed `string` as in @types/hashring).
   * Keys that are not strings or byte arrays are hashed as `key + ''`, as in hashring.
   */
  get(key: string | Uint8Array | number | object): string {
    if (typeof key === 'string') return this.#answers.get(key) as string;
    if (isBytes(key)) return this.#labelOf(key) as string;
    return this.get((key as unknown as string) + '');
  }

  /**
   * Servers of many keys, with one engine call for the whole batch (md5 and murmur3 rings).
   * Entries are `undefined` when the ring has no points. With `out`, the servers are written
   * into it (its length set to the key count) and it is returned: a hot loop that reuses one
   * array allocates nothing per batch.
   */
  getMany(keys: readonly Key[], out?: string[]): string[] {
    const list = keyList(keys);
    checkOutArray(out);
    const n = list.length;
    const indexes = this.#scratch(n);
    const rh = this.#ringHash;
    if (rh >= 0) {
      this.#engine.ringLookup(this.#continuum.table, list, rh as 0 | 1, 0, indexes);
      if (this.#ketama === 'twemproxy') for (let i = 0; i < n; i++) if (list[i].length === 0) indexes[i] = this.#emptyKeyIndex();
    } else {
      for (let i = 0; i < n; i++) indexes[i] = this.#continuum.find(this.#hasher.keyHash(list[i]));
    }
    return this.#labelsOf(indexes, n, out);
  }

  /**
   * Servers of packed byte keys: key `i` is `data[offsets[i] … offsets[i + 1])`
   * (`packKeys` builds this shape). One engine call for md5 and murmur3 rings. `out` as in
   * {@link getMany}.
   */
  getManyPacked(data: Uint8Array, offsets: Uint32Array, out?: string[]): string[] {
    const n = checkPackedKeys(data, offsets);
    checkOutArray(out);
    const indexes = this.#scratch(n);
    const rh = this.#ringHash;
    if (rh >= 0) {
      this.#engine.ringLookupPacked(this.#continuum.table, data, offsets, rh as 0 | 1, 0, indexes);
      if (this.#ketama === 'twemproxy') {
        for (let i = 0; i < n; i++) if (offsets[i + 1] === offsets[i]) indexes[i] = this.#emptyKeyIndex();
      }
    } else {
      // Each offset read once: a shared `offsets` may change between a check and a second read.
      let start = n > 0 ? offsets[0] : 0;
      for (let i = 0; i < n; i++) {
        const end = offsets[i + 1];
        if (start > end || end > data.length) {
          throw new RangeError(
            `Expected non-decreasing offsets within data (length ${data.length}) for offsets but offsets[${i + 1}] is ${end}`,
          );
        }
        indexes[i] = this.#continuum.find(this.#hasher.keyHash(data.subarray(start, end)));
        start = end;
      }
    }
    return this.#labelsOf(indexes, n, out);
  }

  /**
   * Up to `size` servers for `key`, walking the ring from its point (replicas, fallbacks).
   * `size` defaults to the number of servers; `unique` (default true) skips servers already
   * listed; `range(key, 20, false)` lists the owners of 20 consecutive points.
   */
  range(key: string | Uint8Array | number | object, size?: number, unique?: boolean): string[] {
    const { owners } = this.#continuum;
    if (!owners.length) return [];
    const want = size || this.servers.length;
    const distinct = unique || typeof unique === 'undefined';
    const start = this.#indexOf(typeof key === 'string' || isBytes(key) ? key : key + '');
    return walkRange(owners, this.#labels, start, want, distinct);
  }

  /**
   * Adds servers (same specs as the constructor); servers already on the ring are skipped.
   * Only the points that change are computed and merged in.
   */
  add(servers: ServersSpec): this {
    const next = mergeServers(this.servers, parseServers(servers));
    return this.#change(next, vnodesMap(next));
  }

  /**
   * Removes a server. As in hashring, an array or object spec removes only its last server.
   */
  remove(server: ServersSpec): this {
    const last = parseServers(server, 'server').pop();
    if (!last) throw new TypeError(`Expected a server for server but received ${describe(server)}`);
    const name = last.string;
    // The plan reads vnodes of the remaining servers only: the entry goes once the change is made.
    this.#change(this.servers.filter((s) => s.string !== name), this.vnodes);
    delete this.vnodes[name];
    return this;
  }

  /**
   * Relabels the points of `from` as `to` without moving any (hot-swap a failed server for an
   * identical one). `servers` entries named `from` take `to`'s name, host and port; in
   * twemproxy mode they keep their twemproxy `name`, so `to` goes on owning `from`'s points
   * after the next rebuild (as nutcracker does when a named server's address is edited); an
   * unnamed server is placed by its new address then. Throws, changing nothing, when the ketama
   * modes could not rebuild the swapped list (a bad port, two twemproxy servers of one name).
   */
  swap(from: string, to: string): this {
    const target = checkSwap(this.servers, from, to, this.#ketama);
    this.#labels = this.#labels.map((l) => (l === from ? to : l));
    this.#answers.relabel(from, to);
    this.#view.changed();
    this.servers = swapServers(this.servers, this.vnodes, from, to, target);
    return this;
  }

  /** Whether any point of the ring belongs to `server`. */
  has(server: string): boolean {
    return ownsPoints(this.#continuum.owners, this.#labels, server);
  }

  /**
   * Points per server, in ring order: `{ server: [point, …] }` for the given server names, or
   * for every server in `vnodes` when `servers` is not an array.
   */
  points(servers?: ServersSpec | readonly string[]): Record<string, number[]> {
    const { points, owners } = this.#continuum;
    return serverPoints(servers, this.vnodes, points, owners, this.#labels);
  }

  /** Empties the ring (servers stay; `add`, `remove` or `continuum` rebuild it). */
  reset(): this {
    this.#continuum.clear();
    this.#built = undefined;
    this.#answers.entries.clear();
    this.#view.changed();
    return this;
  }

  /** Empties the ring and forgets every server. */
  end(): this {
    this.reset();
    this.vnodes = {};
    this.servers.length = 0;
    return this;
  }

  /** Index of the first point >= `hashValue`; 0 past the last point or on an empty ring. */
  find(hashValue: number): number {
    const x = typeof hashValue === 'number' ? hashValue : Number(hashValue);
    // The first point >= x: index 0 for x <= 0, none (so 0, the wrap) above 2^32 - 1 or for NaN.
    if (!(x > 0) || x > 0xffffffff) return 0;
    const i = this.#continuum.find(Math.ceil(x));
    return i < 0 ? 0 : i;
  }

  /**
   * The uint32 a key is looked up by: little-endian word 0 of its digest — except an empty key
   * in twemproxy mode, which twemproxy looks up with hash 0 (so `find(hashValue(k))` is always
   * the point `get(k)` answers from; `digest('')` stays the MD5 of nothing).
   */
  hashValue(key: string | Uint8Array | number | object): number {
    const k = typeof key === 'string' || isBytes(key) ? key : key + '';
    if (this.#ketama === 'twemproxy' && k.length === 0) return 0;
    if (this.#generic) return digestWord(this.digest(key), 0);
    return this.#base.keyHash(k);
  }

  /** The digest of a key as an array of numbers (a Buffer for built-in algorithms). */
  digest(key: string | Uint8Array | number | object): ArrayLike<number> {
    const k =
      typeof key === 'string' || (isBytes(key) && typeof this.algorithm !== 'function') ? key : key + '';
    return digestOf(this.hash(k as string));
  }

  /** The raw hash of `key` with the ring's algorithm. */
  hash(key: string | Uint8Array): string | Uint8Array | ArrayLike<number> {
    if (typeof this.algorithm === 'function') return this.algorithm.call(this, key as string);
    return this.#base.hash(key) as Uint8Array;
  }

  /**
   * How keys spread over the servers: per server its count and share against its weight share,
   * max/mean, coefficient of variation and the servers beyond ±20 % of their weight share.
   * `sample` is a key array, or a number of generated keys.
   */
  distribution(sample: KeySample = 100_000): DistributionReport {
    const weights = new Map<string, number>();
    for (const s of this.servers) weights.set(s.string, (weights.get(s.string) ?? 0) + s.weight);
    for (const l of this.#labels) if (!weights.has(l)) weights.set(l, 0);
    return distribution(this, sample, weights);
  }

  /** @deprecated Removed in hashring; does nothing. */
  replaceServer(): void {
    deprecated('replaceServer', undefined);
  }

  /** @deprecated Removed in hashring; does nothing. */
  replace(): void {
    deprecated('replace', undefined);
  }

  /** @deprecated Use {@link HashRing.remove}. */
  removeServer(server: ServersSpec): this {
    deprecated('removeServer', 'remove');
    return this.remove(server);
  }

  /** @deprecated Use {@link HashRing.add}. */
  addServer(servers: ServersSpec): this {
    deprecated('addServer', 'add');
    return this.add(servers);
  }

  /** @deprecated Use {@link HashRing.get}. */
  getNode(key: string | Uint8Array | number | object): string {
    deprecated('getNode', 'get');
    return this.get(key);
  }

  /** @deprecated Use {@link HashRing.find}. */
  getNodePosition(hashValue: number): number {
    deprecated('getNodePosition', 'find');
    return this.find(hashValue);
  }

  /** @deprecated Use {@link HashRing.find}. */
  position(hashValue: number): number {
    deprecated('position', 'find');
    return this.find(hashValue);
  }

  /**
   * Ring index for a string or byte key (-1 on an empty ring). Two engine calls (hash, then
   * search) beat one batch call with a one-key array: a batch call pays for reading the array.
   */
  #indexOf(key: string | Uint8Array): number {
    if (this.#ketama === 'twemproxy' && key.length === 0) return this.#emptyKeyIndex();
    return this.#continuum.find(this.#hasher.keyHash(key));
  }

  #labelOf(key: string | Uint8Array): string | undefined {
    const i = this.#indexOf(key);
    return i < 0 ? undefined : this.#labels[this.#continuum.owners[i]];
  }

  /** twemproxy looks an empty key up with hash 0: the first point. */
  #emptyKeyIndex(): number {
    return this.#continuum.size > 0 ? 0 : -1;
  }

  #scratch(n: number): Int32Array {
    if (this.#batchOut.length < n) this.#batchOut = new Int32Array(Math.max(n, this.#batchOut.length * 2));
    return this.#batchOut;
  }

  #labelsOf(indices: Int32Array, n: number, out: string[] | undefined): string[] {
    const owners = this.#continuum.owners;
    const labels = this.#labels;
    let result: string[];
    if (out === undefined) {
      result = new Array<string>(n);
    } else {
      result = out;
      if (result.length !== n) result.length = n;
    }
    for (let i = 0; i < n; i++) {
      const at = indices[i];
      result[i] = at < 0 ? (undefined as unknown as string) : labels[owners[at]];
    }
    return result;
  }

  /**
   * Validates and computes the ring of `servers` without touching this one: everything that
   * can throw (bad ports or weights in the ketama modes, the points limit, a custom hash
   * function) throws here.
   */
  #plan(servers: readonly ServerEntry[], vnodes: Record<string, number | undefined>): RingPlan {
    if (this.#ketama) return planKetama(this.#ketama, servers, this.#engine);
    return planHashring(servers, {
      hasher: this.#hasher,
      vnodes,
      vnode: this.vnode,
      replicas: this.replicas,
      defaultport: this.defaultport,
      built: this.#built,
    });
  }

  /** Makes `plan` (of `servers`) the ring. Nothing here throws on input. */
  #apply(plan: RingPlan, servers: readonly ServerEntry[]): void {
    this.#answers.entries.clear();
    this.#view.changed();
    this.#labels = servers.map((s) => s.string);
    this.#built = applyPlan(this.#continuum, plan, this.#built);
  }

  /**
   * After `add`/`remove`: hashring resets the ring and rebuilds it (none with no servers).
   * Plan first, then commit `servers`, `vnodes` and the points together: a change that throws
   * leaves the ring exactly as it was.
   */
  #change(servers: ServerEntry[], vnodes: Record<string, number | undefined>): this {
    const plan = servers.length > 0 ? this.#plan(servers, vnodes) : undefined;
    this.servers = servers;
    this.vnodes = vnodes;
    if (!plan) return this.reset();
    this.#apply(plan, servers);
    return this;
  }
}
