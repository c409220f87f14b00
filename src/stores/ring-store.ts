/**
 * Client-side partitioning: a {@link KeyValueStore} over N Redis nodes, each key placed by a
 * {@link HashRing} — hashring-compatible md5 by default, or the continuum of twemproxy,
 * libmemcached or libketama (`compatibility`), so a fleet that reaches the same servers through
 * twemproxy and directly agrees on every key.
 *
 * - One ioredis client per node (a URL, options, a Sentinel-managed master, or your `Redis`).
 * - Batches are grouped by node with one ring lookup for the whole batch, then sent as one
 *   pipeline per node (`MGET`/`MSET`/`DEL` with all of that node's keys; `SET … PX` per key
 *   when there is a TTL, written in one corked write), and answered in input order.
 * - `hashTag: '{}'` places `user:{42}:a` and `user:{42}:b` by `42` alone, as twemproxy does.
 * - Keys are placed as given: a `keyPrefix` in a node's ioredis options is added after routing
 *   (twemproxy would place the prefixed key), so leave it out where placement must agree.
 *
 * Node failure, like twemproxy's `auto_eject_hosts`: a failure is a command that fails for a
 * reason other than the command itself (connection refused or lost, no reply within
 * `timeoutMs`, a node loading or read-only); a success resets the count. After `ejectAfter`
 * consecutive failures the node leaves the ring: the ring is rebuilt over the live nodes
 * (as twemproxy rebuilds its continuum: in `'twemproxy'` mode placement during an ejection
 * agrees with nutcracker's `auto_eject_hosts`, weights rescaled alike). With equal weights only
 * the ejected node's keys move, each to the next node on the ring; with unequal weights the
 * survivors' shares are recomputed and a few of their keys move too. Every `retryAfterMs` the
 * node is sent a `PING`; when it answers it is put back and its keys route to it again.
 * Events: `'down'` (first failure), `'ejected'`, `'restored'`. Commands that fail before the
 * ejection reject with a
 * {@link NodeUnavailableError} naming the node and the key; with `autoEject: false` every
 * failure does.
 *
 * What ejection costs (as with twemproxy): while a node is out, its keys are written to other
 * nodes; when it is back, reads go to it again and those copies are orphaned until their TTL —
 * a node that comes back with its data (a network partition rather than a restart) serves
 * what it had before. Use TTLs, or `autoEject: false` where a stale read is worse than an error.
 *
 * Sentinel-backed nodes do not fail during a failover: their commands wait for the promoted
 * replica (see `connection.ts`), so they count as failures only after `failoverTimeoutMs`.
 *
 * This file: routing keys to nodes, membership, ejection and retry, batches. The options, node
 * configs and their checks are in `ring-store-options.ts`; reads from a node's replicas
 * (`scaleReads`) in `ring-replicas.ts`; waiting for a node's replicas to acknowledge a write
 * (`replicaAck`) in `replica-ack.ts`.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Key } from '../engine';
import { NodeUnavailableError, StoreClosedError } from '../errors';
import {
  distribution as ringDistribution,
  movement as ringMovement,
  type DistributionReport,
  type KeySample,
  type MovementReport,
  type Placement,
} from '../ring/distribution';
import { HashRing, type HashRingOptions, type ServerWeight } from '../ring/hash-ring';
import { setOwn } from '../ring/parse-servers';
import { checkInteger, checkKey, checkKeys, describe } from '../validate';
import { checkEntries, checkTtl, checkValue, classify, toArg } from './arguments';
import { connectionOptions, createClient, lastConnectionError, loadIoredis, stripUndefined, withCorked, type ParsedNode } from './connection';
import { hashTagged, parseHashTag, type HashTag } from './hash-tag';
import { waitForAcks, type ReplicaAckOptions } from './replica-ack';
import { checkReadOptions, type ReadOptions, type ScaleReads, type SentinelReplicas } from './replicas';
import { RingReplicaReads } from './ring-replicas';
import {
  DEFAULT_RING_STORE_OPTIONS,
  checkDistinct,
  parseRingNode,
  type MembershipChange,
  type Placed,
  type RingNode,
  type RingNodeInfo,
  type RingNodeState,
  type RingStoreEvents,
  type RingStoreOptions,
} from './ring-store-options';
import type { KeyValueStore, StoreValue } from './store';

export {
  DEFAULT_RING_STORE_OPTIONS,
  type MembershipChange,
  type RingNode,
  type RingNodeConfig,
  type RingNodeEvent,
  type RingNodeInfo,
  type RingNodeState,
  type RingStoreEvents,
  type RingStoreOptions,
} from './ring-store-options';

interface Member {
  readonly id: string;
  readonly weight: number;
  readonly alias: string | undefined;
  readonly replicaAck: Required<ReplicaAckOptions> | undefined;
  readonly client: Redis;
  readonly owned: boolean;
  /** Replica connections of a Sentinel-managed node under a replica policy. */
  readonly replicas: SentinelReplicas | undefined;
  state: RingNodeState;
  failures: number;
  downSince: number;
  probe: NodeJS.Timeout | undefined;
  probing: boolean;
}

/**
 * `get`/`set`/`del` and `mget`/`mset`/`mdel` over a consistent-hash ring of Redis nodes.
 *
 * ```ts
 * const store = new RingStore(['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'], { hashTag: '{}' });
 * store.on('ejected', ({ node }) => log.warn(`${node} left the ring`));
 * await store.mset([['user:{42}:a', '1'], ['user:{42}:b', '2']], 60_000);
 * store.nodeFor('user:{42}:a'); // '10.0.0.2:6379'
 * ```
 */
export class RingStore extends EventEmitter<RingStoreEvents> implements KeyValueStore {
  readonly #members = new Map<string, Member>();
  #ring: HashRing | undefined;
  readonly #algorithm: 'md5' | 'murmur3';
  readonly #ringOptions: HashRingOptions;
  readonly #tag: HashTag | undefined;
  readonly #autoEject: boolean;
  readonly #ejectAfter: number;
  readonly #retryAfterMs: number;
  readonly #conn: ReturnType<typeof connectionOptions>;
  readonly #ReplyError: new (...args: unknown[]) => Error;
  readonly #replicaReads: RingReplicaReads<Member>;
  #closed = false;

  /** @param nodes the nodes, in ring order (see {@link RingNode}); at least one. */
  constructor(nodes: readonly RingNode[], options: RingStoreOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected an object for options but received ${describe(options)}`);
    }
    if (!Array.isArray(nodes)) throw new TypeError(`Expected an array of nodes for nodes but received ${describe(nodes)}`);
    if (nodes.length === 0) throw new RangeError('Expected at least one node for nodes but received an empty array');
    const o = { ...DEFAULT_RING_STORE_OPTIONS, ...stripUndefined(options) };
    if (typeof o.autoEject !== 'boolean') throw new TypeError(`Expected a boolean for options.autoEject but received ${describe(o.autoEject)}`);
    checkInteger(o.ejectAfter, 'options.ejectAfter', 1, 1_000_000);
    checkInteger(o.retryAfterMs, 'options.retryAfterMs', 1, 2 ** 31 - 1);
    if (o.algorithm !== 'md5' && o.algorithm !== 'murmur3') {
      throw new TypeError(`Expected 'md5' or 'murmur3' for options.algorithm but received ${describe(o.algorithm)}`);
    }
    this.#algorithm = o.algorithm;
    this.#ringOptions = { ...options.ringOptions, compatibility: options.compatibility };
    this.#tag = parseHashTag(options.hashTag);
    this.#autoEject = o.autoEject;
    this.#ejectAfter = o.ejectAfter;
    this.#retryAfterMs = o.retryAfterMs;
    this.#conn = connectionOptions(options);
    const io = loadIoredis('RingStore');
    this.#ReplyError = io.ReplyError;
    this.#replicaReads = new RingReplicaReads<Member>(io, options, (m, command, key, reply) => this.#call(m, command, key, reply));

    const parsed = nodes.map((n, i) => parseRingNode(n, `nodes[${i}]`));
    checkDistinct(parsed, []);
    this.#replicaReads.check(parsed.map((p) => p.parsed));
    // Builds (and so validates) the ring before any connection is opened.
    this.#ring = this.#buildRing(parsed);
    for (const p of parsed) this.#members.set(p.id, this.#connect(p));
  }

  /** Every node, in the order added, with its health. */
  get nodes(): RingNodeInfo[] {
    return [...this.#members.values()].map((m) => ({
      id: m.id,
      weight: m.weight,
      ...(m.alias === undefined ? {} : { alias: m.alias }),
      state: m.state,
      failures: m.failures,
      onRing: m.state !== 'ejected',
    }));
  }

  /** The read policy of the Sentinel-managed nodes (`'master'` unless replica reads were turned on). */
  get scaleReads(): ScaleReads {
    return this.#replicaReads.policy;
  }

  /** The ioredis client of node `id`. */
  client(id: string): Redis | undefined {
    return this.#members.get(id)?.client;
  }

  /** The id of the node `key` is placed on now, or undefined when every node is ejected. */
  nodeFor(key: Key): string | undefined {
    checkKey(key);
    return this.#ring?.get(this.#tag === undefined ? key : hashTagged(key, this.#tag));
  }

  get(key: Key, options?: ReadOptions): Promise<string | null> {
    return this.#getOne(key, false, options) as Promise<string | null>;
  }

  getBuffer(key: Key, options?: ReadOptions): Promise<Buffer | null> {
    return this.#getOne(key, true, options) as Promise<Buffer | null>;
  }

  async set(key: Key, value: StoreValue, ttlMs?: number): Promise<void> {
    checkKey(key);
    checkValue(value, 'value');
    checkTtl(ttlMs);
    const m = this.#owner(key);
    const k = toArg(key);
    const v = toArg(value);
    await this.#call(m, 'SET', key, ttlMs === undefined ? m.client.set(k, v) : m.client.set(k, v, 'PX', ttlMs));
    await waitForAcks([m], 'SET', key);
  }

  async del(key: Key): Promise<number> {
    checkKey(key);
    const m = this.#owner(key);
    const n = await this.#call(m, 'DEL', key, m.client.del(toArg(key)));
    await waitForAcks([m], 'DEL', key);
    return n;
  }

  async mget(keys: readonly Key[], options?: ReadOptions): Promise<(string | null)[]> {
    checkKeys(keys);
    checkReadOptions(options);
    return this.#read(keys, false, options?.fromMaster === true) as Promise<(string | null)[]>;
  }

  async mgetBuffer(keys: readonly Key[], options?: ReadOptions): Promise<(Buffer | null)[]> {
    checkKeys(keys);
    checkReadOptions(options);
    return this.#read(keys, true, options?.fromMaster === true) as Promise<(Buffer | null)[]>;
  }

  async mset(entries: readonly (readonly [Key, StoreValue])[], ttlMs?: number): Promise<void> {
    checkEntries(entries);
    checkTtl(ttlMs);
    if (entries.length === 0) {
      this.#checkOpen();
      return;
    }
    const groups = this.#group(entries.map((e) => e[0]));
    const tasks: Promise<unknown>[] = [];
    withCorked(Array.from(groups.keys(), (m) => m.client), () => {
      for (const [m, idx] of groups) {
        const c = m.client;
        const key = entries[idx[0]][0];
        if (ttlMs === undefined && idx.length > 1) {
          const args: (string | Buffer)[] = [];
          for (const i of idx) args.push(toArg(entries[i][0]), toArg(entries[i][1]));
          tasks.push(this.#call(m, 'MSET', key, c.mset(args)));
          continue;
        }
        // One SET per key (MSET has no TTL), all written to the node in one corked write.
        for (const i of idx) {
          const [k, v] = entries[i];
          const reply = ttlMs === undefined ? c.set(toArg(k), toArg(v)) : c.set(toArg(k), toArg(v), 'PX', ttlMs);
          tasks.push(this.#call(m, 'SET', k, reply));
        }
      }
    });
    await Promise.all(tasks);
    await waitForAcks(groups.keys(), 'MSET', entries[0][0]);
  }

  async mdel(keys: readonly Key[]): Promise<number> {
    checkKeys(keys);
    if (keys.length === 0) {
      this.#checkOpen();
      return 0;
    }
    const groups = this.#group(keys);
    const tasks: Promise<number>[] = [];
    for (const [m, idx] of groups) tasks.push(this.#call(m, 'DEL', keys[idx[0]], m.client.del(idx.map((i) => toArg(keys[i])))));
    let total = 0;
    for (const n of await Promise.all(tasks)) total += n;
    await waitForAcks(groups.keys(), 'DEL', keys[0]);
    return total;
  }

  /**
   * Adds a node (connecting to it) and returns its id; its share of keys routes to it at once
   * (they are not copied: a cache refills). See {@link movement} for how many keys move.
   */
  addNode(node: RingNode): string {
    this.#checkOpen();
    const p = parseRingNode(node, 'node');
    checkDistinct([p], [...this.#members.values()]);
    const ring = this.#buildRing([...this.#live(), p]);
    const m = this.#connect(p);
    this.#members.set(p.id, m);
    this.#ring = ring;
    return p.id;
  }

  /** Removes node `id` (closing its connection if the store opened it); its keys move to the others. */
  async removeNode(id: string): Promise<void> {
    this.#checkOpen();
    const m = this.#members.get(id);
    if (m === undefined) throw new RangeError(`Expected the id of a node of this store for id but received ${describe(id)}`);
    this.#members.delete(id);
    this.#stopProbe(m);
    this.#ring = this.#buildRing(this.#live());
    await closeClient(m);
  }

  /**
   * How many keys of `sample` would change node if `change` were applied to the ring as it is
   * now (ejected nodes are not on it), and where they would go. Nothing is connected or changed.
   */
  movement(change: MembershipChange, sample: KeySample = 100_000): MovementReport {
    if (typeof change !== 'object' || change === null) {
      throw new TypeError(`Expected { add, remove } for change but received ${describe(change)}`);
    }
    const add = (change.add ?? []).map((n, i) => parseRingNode(n, `change.add[${i}]`));
    const remove = new Set(change.remove ?? []);
    for (const id of remove) {
      if (!this.#members.has(id)) throw new RangeError(`Expected the id of a node of this store for change.remove but received ${describe(id)}`);
    }
    const kept = this.#live().filter((m) => !remove.has(m.id));
    // As addNode would: an ejected node's id is taken too.
    checkDistinct(add, [...this.#members.values()].filter((m) => !remove.has(m.id)));
    return ringMovement(this.#placement(this.#ring), this.#placement(this.#buildRing([...kept, ...add])), sample);
  }

  /**
   * How `sample` spreads over the nodes on the ring now (ejected nodes are not on it), against
   * their weight shares: counts, max/mean, coefficient of variation, outliers.
   */
  distribution(sample: KeySample = 100_000): DistributionReport {
    const weights = new Map(this.#live().map((m) => [m.id, m.weight]));
    return ringDistribution(this.#placement(this.#ring), sample, weights);
  }

  /** Closes the store and the connections it opened (not the `Redis` instances you passed). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const members = [...this.#members.values()];
    for (const m of members) this.#stopProbe(m);
    await Promise.all(members.map(closeClient));
  }

  // -------------------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  #live(): Member[] {
    return [...this.#members.values()].filter((m) => m.state !== 'ejected');
  }

  #connect(p: Placed & { parsed: ParsedNode }): Member {
    const replicas = this.#replicaReads.replicasOf(p.parsed);
    const { client, owned } = createClient(p.parsed, this.#conn);
    return { id: p.id, weight: p.weight, alias: p.alias, replicaAck: p.replicaAck, client, owned, replicas, state: 'up', failures: 0, downSince: 0, probe: undefined, probing: false };
  }

  #buildRing(nodes: readonly Placed[]): HashRing | undefined {
    if (nodes.length === 0) return undefined;
    const spec: Record<string, ServerWeight> = {};
    // Own properties: an id such as '__proto__' is a node, not the spec's prototype.
    for (const n of nodes) setOwn(spec, n.id, n.alias === undefined ? { weight: n.weight } : { weight: n.weight, name: n.alias });
    return new HashRing(spec, this.#algorithm, this.#ringOptions);
  }

  #placement(ring: HashRing | undefined): Placement {
    const tag = this.#tag;
    return {
      getMany: (keys) => {
        if (ring === undefined) return new Array<undefined>(keys.length);
        return ring.getMany(tag === undefined ? keys : keys.map((k) => hashTagged(k, tag)));
      },
    };
  }

  #noNode(key: Key): NodeUnavailableError {
    return new NodeUnavailableError(`No node is on the ring: all ${this.#members.size} nodes are ejected`, { key });
  }

  /** The member `key` is placed on (throws when closed or when every node is ejected). */
  #owner(key: Key): Member {
    this.#checkOpen();
    const ring = this.#ring;
    if (ring === undefined) throw this.#noNode(key);
    return this.#members.get(ring.get(this.#tag === undefined ? key : hashTagged(key, this.#tag)))!;
  }

  /**
   * `get`/`getBuffer`: the hot path, so one async layer over the ioredis call (the public
   * methods return this promise as is): ~150–200 ns more than the bare call (store bench).
   */
  async #getOne(key: Key, buffer: boolean, options: ReadOptions | undefined): Promise<string | Buffer | null> {
    checkKey(key);
    checkReadOptions(options);
    const m = this.#owner(key);
    if (m.replicas !== undefined && options?.fromMaster !== true) {
      const k = toArg(key);
      return this.#replicaReads.read<string | Buffer | null>(m, 'GET', key, (c) => (buffer ? c.getBuffer(k) : c.get(k)));
    }
    try {
      const k = toArg(key);
      const v = await (buffer ? m.client.getBuffer(k) : m.client.get(k));
      if (m.failures !== 0) this.#succeeded(m);
      return v;
    } catch (err) {
      throw this.#failed(m, err, 'GET', key);
    }
  }

  /** Indices of `keys` by member, with one ring lookup for the batch. */
  #group(keys: readonly Key[]): Map<Member, number[]> {
    this.#checkOpen();
    const ring = this.#ring;
    if (ring === undefined) throw this.#noNode(keys[0]);
    const tag = this.#tag;
    const ids = ring.getMany(tag === undefined ? keys : keys.map((k) => hashTagged(k, tag)));
    const byId = new Map<string, number[]>();
    for (let i = 0; i < ids.length; i++) {
      const list = byId.get(ids[i]);
      if (list === undefined) byId.set(ids[i], [i]);
      else list.push(i);
    }
    const groups = new Map<Member, number[]>();
    for (const [id, idx] of byId) groups.set(this.#members.get(id)!, idx);
    return groups;
  }

  async #read(keys: readonly Key[], buffers: boolean, fromMaster: boolean): Promise<(string | Buffer | null)[]> {
    const out = new Array<string | Buffer | null>(keys.length).fill(null);
    if (keys.length === 0) {
      this.#checkOpen();
      return out;
    }
    const groups = this.#group(keys);
    const tasks: Promise<void>[] = [];
    for (const [m, idx] of groups) {
      const c = m.client;
      if (m.replicas !== undefined && !fromMaster) {
        const args = idx.map((i) => toArg(keys[i]));
        const read = (r: Redis): Promise<(string | Buffer | null)[]> => (buffers ? r.mgetBuffer(args) : r.mget(args));
        tasks.push(
          this.#replicaReads.read(m, 'MGET', keys[idx[0]], read).then((vals) => {
            for (let j = 0; j < idx.length; j++) out[idx[j]] = vals[j];
          }),
        );
        continue;
      }
      if (idx.length === 1) {
        const k = toArg(keys[idx[0]]);
        const reply = buffers ? c.getBuffer(k) : c.get(k);
        tasks.push(this.#call<string | Buffer | null>(m, 'GET', keys[idx[0]], reply).then((v) => void (out[idx[0]] = v)));
        continue;
      }
      const args = idx.map((i) => toArg(keys[i]));
      const reply = buffers ? c.mgetBuffer(args) : c.mget(args);
      tasks.push(
        this.#call<(string | Buffer | null)[]>(m, 'MGET', keys[idx[0]], reply).then((vals) => {
          for (let j = 0; j < idx.length; j++) out[idx[j]] = vals[j];
        }),
      );
    }
    await Promise.all(tasks);
    return out;
  }

  async #call<T>(m: Member, command: string, key: Key, reply: Promise<T>): Promise<T> {
    try {
      const v = await reply;
      if (m.failures !== 0) this.#succeeded(m);
      return v;
    } catch (err) {
      throw this.#failed(m, err, command, key);
    }
  }

  /** The typed error for a failed command; counts node failures (and ejects). */
  #failed(m: Member, err: unknown, command: string, key: Key): Error {
    if (this.#closed) return new StoreClosedError(`The store was closed while ${command} was pending`, { cause: err, key, node: m.id });
    const { error, failure } = classify(err, this.#ReplyError, command, m.id, key, lastConnectionError(m.client));
    if (!failure || this.#members.get(m.id) !== m || m.state === 'ejected') return error;
    m.failures++;
    if (m.state === 'up') {
      m.state = 'down';
      m.downSince = Date.now();
      this.emit('down', { node: m.id, failures: m.failures, error });
    }
    if (this.#autoEject && m.failures >= this.#ejectAfter) this.#eject(m, error);
    return error;
  }

  #succeeded(m: Member): void {
    if (m.state !== 'down') return;
    this.#restore(m);
  }

  #eject(m: Member, error: unknown): void {
    m.state = 'ejected';
    this.#ring = this.#buildRing(this.#live());
    this.emit('ejected', { node: m.id, failures: m.failures, error });
    m.probe = setInterval(() => void this.#probe(m), this.#retryAfterMs);
    m.probe.unref();
  }

  async #probe(m: Member): Promise<void> {
    if (m.probing || this.#closed || m.state !== 'ejected') return;
    m.probing = true;
    try {
      await m.client.ping();
      if (!this.#closed && m.state === 'ejected' && this.#members.get(m.id) === m) this.#restore(m);
    } catch {
      // Still down: probe again in retryAfterMs.
    } finally {
      m.probing = false;
    }
  }

  #restore(m: Member): void {
    const wasEjected = m.state === 'ejected';
    this.#stopProbe(m);
    m.state = 'up';
    m.failures = 0;
    if (wasEjected) this.#ring = this.#buildRing(this.#live());
    this.emit('restored', { node: m.id, failures: 0, downMs: Date.now() - m.downSince });
  }

  #stopProbe(m: Member): void {
    if (m.probe !== undefined) clearInterval(m.probe);
    m.probe = undefined;
  }
}

async function closeClient(m: Member): Promise<void> {
  await m.replicas?.close();
  if (!m.owned) return;
  try {
    await m.client.quit();
  } catch {
    m.client.disconnect();
  }
}
