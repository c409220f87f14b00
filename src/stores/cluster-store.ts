/**
 * A key/value store over an ioredis `Cluster` whose batches are routed by ringcache's own,
 * Redis-exact slots.
 *
 * Why not just call `cluster.mget(...)`: ioredis sends a multi-key command to the node of its
 * first key and Redis answers CROSSSLOT unless every key shares a slot; and ioredis 6 computes
 * slots with `cluster-key-slot` 1.1.1, which is wrong for keys such as `foo{}{bar}` (an empty
 * `{}` must hash the whole key; 454 of the 5461 strings over `{ } a b` up to length 6 differ).
 *
 * What it does instead, per batch:
 * 1. slots of every key with our `keySlots` (one engine call), grouped by slot;
 * 2. one command per slot (`MGET`/`MSET`/`DEL` for several keys, `GET`/`SET`/`DEL` for one),
 *    each carrying OUR slot, sent through the cluster's own `sendCommand` so ioredis handles
 *    MOVED, ASK, CLUSTERDOWN and connection loss with its redirection machinery — and routes a
 *    `foo{}{bar}` key to the node that really owns it;
 * 3. every master connection is corked while the batch is written, so each node receives the
 *    whole batch in one write: one pipeline per node;
 * 4. keys spanning several slots of one master go out as ONE `EVALSHA` on that master (Redis
 *    ≥ 7.0 script flag `allow-cross-slot-keys`, keys passed as arguments; GET, SET or DEL of
 *    each): one command per node instead of one per slot. If the script fails for any reason
 *    (slot moved or migrating, the node became a replica, Redis < 7, …) those keys fall back
 *    to step 2. A wrong read is not possible because a node only serves keys of slots it owns,
 *    and a write script checks every key (EXISTS) before writing, so it fails whole or not;
 * 5. results are put back in input order.
 *
 * Retries: a `-TRYAGAIN` on a multi-key command (keys split across the two nodes of a slot
 * being migrated) splits it into single-key commands, which ASK always resolves. Errors that
 * heal (failover, resharding, connection loss, CLUSTERDOWN, LOADING, READONLY) are retried —
 * first by ioredis within `maxRedirections`, then by the store every `retryDelayMs` after a
 * slot-table refresh — until the operation's `retryTimeoutMs` budget runs out; then a
 * {@link ClusterUnavailableError}. Redis errors that retrying cannot fix surface at once as a
 * {@link CommandError}. Writes here are idempotent (SET of a given value, DEL), so a retry after
 * a lost reply cannot produce a wrong value; `del`/`mdel` counts may under-report in that case.
 */
import { createHash } from 'node:crypto';
import { debuglog } from 'node:util';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { Key } from '../engine';
import { ClusterUnavailableError, CommandError, MissingDependencyError, RingcacheError, StoreClosedError } from '../errors';
import { checkEntries, checkTtl, checkValue, toArg } from './arguments';
import { checkReadOptions, checkScaleReads, noReplicasError, type ReadOptions, type ScaleReads } from './replicas';
import { notAcknowledged, resolveReplicaAck, type ReplicaAckOptions } from './replica-ack';
export type { ReplicaAckOptions } from './replica-ack';
import { stripUndefined } from './connection';
import type { KeyValueStore, StoreValue } from './store';
import { checkInteger, checkKey, checkKeys, describe } from '../validate';
import { groupSlots } from '../cluster/group-by-slot';
import { keySlot, keySlots } from '../cluster/key-slot';
import { ReadSelector } from './read-selector';

const debug = debuglog('ringcache');

/** A value: a string (stored as UTF-8) or bytes. Same as `StoreValue` (stores/store). */
export type Value = StoreValue;

import { DEFAULT_CLUSTER_STORE_OPTIONS, type ClusterStoreOptions, type ClusterStoreStats } from './cluster-store-options';
export { DEFAULT_CLUSTER_STORE_OPTIONS, type ClusterStoreOptions, type ClusterStoreStats };

/** One public call's retry state, shared by all the commands it sends. */
interface OpContext {
  readonly start: number;
  /** `start + retryTimeoutMs`, or Infinity when `retryTimeoutMs` is 0. */
  readonly deadline: number;
  /** Commands sent so far, retries included. */
  attempts: number;
  /** Replies as UTF-8 strings, or as Buffers (`null`). */
  readonly encoding: 'utf8' | null;
  /** Reads may be served by replicas (the store's policy allows it and the call did not say fromMaster). */
  readonly replica: boolean;
}

/** A GET reply: a string or Buffer depending on the operation's encoding, null when missing. */
type Reply = string | Buffer | null;

/** How one batch operation runs: per slot, or per master in one script call. */
interface BatchPlan {
  /** Runs the keys `idx` (all of `slot`) with per-slot commands, storing their results. */
  perSlot(slot: number, idx: number[]): Promise<void>;
  script: Script;
  /** The script's ARGV for the keys `idx`. */
  argv(idx: number[]): unknown[];
  /** Stores the script's results for `idx`; false if the reply is not what the script returns. */
  apply(idx: number[], reply: unknown): boolean;
  op: OpContext;
}

/** A Lua script sent with EVALSHA (EVAL on NOSCRIPT). Keys are passed as ARGV, never KEYS. */
interface Script {
  readonly body: string;
  readonly sha: string;
}

function script(...lines: string[]): Script {
  const body = lines.join('\n');
  return { body, sha: createHash('sha1').update(body).digest('hex') };
}

/** GET of every argument, in order (a missing key gives nil). */
const SCRIPT_GET = script(
  '#!lua flags=allow-cross-slot-keys,no-writes',
  'local r = {}',
  'for i = 1, #ARGV do r[i] = redis.call("GET", ARGV[i]) end',
  'return r',
);

// Writes check every key first: EXISTS fails on a key this node may not serve (slot moved,
// migrating and key absent, node demoted) before any write, so a script that fails wrote
// nothing and the per-slot fallback starts from a clean state.

/** ARGV = ttlMs ('' for none), then key, value pairs; SET each. Returns the pair count. */
const SCRIPT_SET = script(
  '#!lua flags=allow-cross-slot-keys',
  'for i = 2, #ARGV, 2 do redis.call("EXISTS", ARGV[i]) end',
  'local ttl = ARGV[1]',
  'for i = 2, #ARGV, 2 do',
  '  if ttl == "" then redis.call("SET", ARGV[i], ARGV[i + 1]) else redis.call("SET", ARGV[i], ARGV[i + 1], "PX", ttl) end',
  'end',
  'return (#ARGV - 1) / 2',
);

/** DEL of every argument. Returns how many existed. */
const SCRIPT_DEL = script(
  '#!lua flags=allow-cross-slot-keys',
  'for i = 1, #ARGV do redis.call("EXISTS", ARGV[i]) end',
  'local n = 0',
  'for i = 1, #ARGV do n = n + redis.call("DEL", ARGV[i]) end',
  'return n',
);

/** What the store uses of an ioredis `Cluster` (public API plus the documented-in-source internals). */
interface ClusterLike {
  isCluster: boolean;
  status: string;
  options: { keyPrefix?: string; redisOptions?: RedisOptions };
  /** `slots[slot]` = `['host:port' of the master, ...replicas]`, refreshed by ioredis. */
  slots: (string[] | undefined)[];
  sendCommand(command: unknown): Promise<unknown>;
  nodes(role?: 'all' | 'master' | 'slave'): NodeLike[];
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** ioredis internal (coalesces concurrent calls); optional so a look-alike still works. */
  refreshSlotsCache?(callback?: (err?: Error) => void): void;
  quit(): Promise<unknown>;
  disconnect(): void;
}

interface NodeLike {
  status: string;
  options: { host?: string; port?: number; readOnly?: boolean };
  stream?: { cork(): void; uncork(): void; writable?: boolean };
  sendCommand(command: unknown): Promise<unknown>;
}

type CommandCtor = new (name: string, args: unknown[], options?: { replyEncoding?: BufferEncoding | null }) => {
  slot?: number | null;
};

interface Ioredis {
  Cluster: new (nodes: ClusterNode[], options?: ClusterOptions) => Cluster;
  Redis: new (options: RedisOptions) => Redis;
  Command: CommandCtor;
}

let ioredisModule: Ioredis | undefined;

function loadIoredis(): Ioredis {
  if (ioredisModule === undefined) {
    try {
      // ioredis is an optional peer dependency: only stores need it, so it is loaded here.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ioredisModule = require('ioredis') as Ioredis;
    } catch (err) {
      throw new MissingDependencyError(
        'ClusterStore needs the optional peer dependency ioredis (>= 5), which could not be loaded.\n' +
          'Possible solutions:\n- npm install ioredis',
        { cause: err },
      );
    }
  }
  return ioredisModule;
}

function isClusterLike(x: unknown): x is ClusterLike {
  const c = x as ClusterLike | null;
  return typeof c === 'object' && c !== null && c.isCluster === true && typeof c.sendCommand === 'function';
}

/** How a failure is handled: split a multi-key command, retry, or surface. */
type Verdict = 'split' | 'retry' | 'fatal';

// Errors that heal by themselves: redirections and cluster reconfiguration (ioredis wraps the
// last one in "Too many Cluster redirections. Last error: …"), lost or refused connections,
// a replica still loading or promoted, an ioredis cluster between two slot tables.
const HEALING =
  /^(?:MOVED|ASK|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY)\b|Too many Cluster redirections|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|Cluster isn't ready|Stream isn't writeable|Failed to refresh slots cache|None of startup nodes is available|Command timed out/;

function verdict(err: unknown, multiKey: boolean): Verdict {
  const msg = err instanceof Error ? err.message : String(err);
  // A multi-key command on a slot being migrated bounces MOVED → ASK → TRYAGAIN until ioredis
  // gives up, whichever error came last; single-key commands always resolve through ASK.
  if (multiKey && /\bTRYAGAIN\b|Too many Cluster redirections/.test(msg)) return 'split';
  if (/\bTRYAGAIN\b/.test(msg)) return 'retry';
  return HEALING.test(msg) ? 'retry' : 'fatal';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `get`/`set`/`del` and batched `mget`/`mset`/`mdel` over a Redis Cluster, for any keys (no
 * CROSSSLOT ever reaches the caller), results in input order. TTLs are in milliseconds (`PX`).
 *
 * ```ts
 * const store = new ClusterStore([{ host: '127.0.0.1', port: 7000 }]);
 * await store.mset([['user:{1001}:profile', '…'], ['other', 'x']], 60_000);
 * const [profile, other, missing] = await store.mget(['user:{1001}:profile', 'other', 'nope']);
 * await store.close();
 * ```
 */
export class ClusterStore implements KeyValueStore {
  readonly #cluster: ClusterLike;
  readonly #Command: CommandCtor;
  readonly #owned: boolean;
  readonly #retryTimeoutMs: number;
  readonly #retryDelayMs: number;
  readonly #prefix: string;
  #crossSlotScripts: boolean;
  readonly #replicaAck: Required<ReplicaAckOptions> | undefined;
  #closed = false;
  readonly #stats: ClusterStoreStats = { retries: 0, splits: 0, scriptFallbacks: 0, scriptCalls: 0, missRereads: 0, replicaWaits: 0 };
  /** `sha@host:port` of the scripts known to be cached on each node. */
  readonly #scriptLoaded = new Set<string>();
  #lastConnectionError: Error | undefined;
  #Redis: Ioredis['Redis'] | undefined;
  #lastProbeAt = -Infinity;
  /** Replica reads: the `scaleReads` function given to ioredis; undefined for master reads. */
  readonly #selector: ReadSelector | undefined;
  /** Replica reads: whether the cluster was checked for replicas, and the error if it has none. */
  #replicaCheck: Promise<void> | undefined;
  /** The check found replicas. */
  #replicasOk = false;
  #noReplicas: RangeError | undefined;

  /**
   * @param cluster an ioredis `Cluster` (the caller keeps owning it: `close()` leaves it open),
   *   or startup nodes, from which the store creates (and owns) a `Cluster` with the store's
   *   ioredis defaults.
   */
  constructor(cluster: Cluster | readonly ClusterNode[], options: ClusterStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected an object for options but received ${describe(options)}`);
    }
    const o = { ...DEFAULT_CLUSTER_STORE_OPTIONS, ...stripUndefined(options) };
    checkInteger(o.retryTimeoutMs, 'options.retryTimeoutMs', 0, 2 ** 31 - 1);
    checkInteger(o.retryDelayMs, 'options.retryDelayMs', 1, 2 ** 31 - 1);
    checkInteger(o.maxRedirections, 'options.maxRedirections', 1, 10_000);
    checkInteger(o.retryDelayOnFailover, 'options.retryDelayOnFailover', 0, 2 ** 31 - 1);
    checkInteger(o.retryDelayOnClusterDown, 'options.retryDelayOnClusterDown', 0, 2 ** 31 - 1);
    checkInteger(o.retryDelayOnTryAgain, 'options.retryDelayOnTryAgain', 0, 2 ** 31 - 1);
    if (typeof o.crossSlotScripts !== 'boolean') {
      throw new TypeError(`Expected a boolean for options.crossSlotScripts but received ${describe(o.crossSlotScripts)}`);
    }
    this.#replicaAck = resolveReplicaAck(o.replicaAck, 'options.replicaAck');
    this.#retryTimeoutMs = o.retryTimeoutMs;
    this.#retryDelayMs = o.retryDelayMs;
    this.#crossSlotScripts = o.crossSlotScripts;
    let policy = checkScaleReads(o.scaleReads);
    checkInteger(o.replicaRefreshMs, 'options.replicaRefreshMs', 1, 2 ** 31 - 1);

    const io = loadIoredis();
    this.#Command = io.Command;
    if (isClusterLike(cluster)) {
      if (options.scaleReads !== undefined) {
        throw new TypeError(
          `Expected options.scaleReads only with startup nodes (a Cluster you pass keeps its own scaleReads) but received ${describe(options.scaleReads)}`,
        );
      }
      const own = (cluster.options as { scaleReads?: unknown }).scaleReads;
      policy = typeof own === 'string' ? checkScaleReads(own, 'cluster.options.scaleReads') : 'master';
      this.#selector = policy === 'master' ? undefined : new ReadSelector(policy);
      // Same meaning, ready-aware, and fromMaster reads honoured.
      if (this.#selector !== undefined) (cluster.options as { scaleReads?: unknown }).scaleReads = this.#selector.select;
      this.#cluster = cluster;
      this.#owned = false;
    } else if (Array.isArray(cluster)) {
      if (cluster.length === 0) throw new RangeError('Expected at least one startup node for cluster but received an empty array');
      this.#selector = policy === 'master' ? undefined : new ReadSelector(policy);
      const created = new io.Cluster([...cluster], {
        ...o.clusterOptions,
        ...(this.#selector === undefined
          ? {}
          : {
              scaleReads: this.#selector.select as unknown as ClusterOptions['scaleReads'],
              slotsRefreshInterval: o.clusterOptions?.slotsRefreshInterval ?? o.replicaRefreshMs,
            }),
        maxRedirections: o.maxRedirections,
        retryDelayOnFailover: o.retryDelayOnFailover,
        retryDelayOnClusterDown: o.retryDelayOnClusterDown,
        retryDelayOnTryAgain: o.retryDelayOnTryAgain,
      }) as unknown as ClusterLike;
      // ioredis prints unhandled 'error' events; the store reports failures per operation.
      created.on('error', (err) => this.#noteConnectionError(err));
      this.#cluster = created;
      this.#owned = true;
    } else {
      throw new TypeError(`Expected an ioredis Cluster or an array of startup nodes for cluster but received ${describe(cluster)}`);
    }
    // Why nodes can't be reached (a refused TLS certificate, an ACL refusal, …), kept so that an
    // operation that times out says so ('node error' is observed without silencing the caller's
    // own 'error' handling of a Cluster they pass in).
    this.#cluster.on('node error', (err, node) => {
      this.#noteConnectionError(err);
      if (typeof node === 'string') this.#diagnose(node);
    });
    this.#cluster.on('ready', () => (this.#lastConnectionError = undefined));
    this.#Redis = io.Redis;
    const prefix = this.#cluster.options?.keyPrefix;
    this.#prefix = typeof prefix === 'string' ? prefix : '';
  }

  /** The underlying ioredis `Cluster`. */
  get cluster(): Cluster {
    return this.#cluster as unknown as Cluster;
  }

  /** The read policy in force. */
  get scaleReads(): ScaleReads {
    return this.#selector?.policy ?? 'master';
  }

  /** A snapshot of the diagnostic counters. */
  get stats(): ClusterStoreStats {
    return { ...this.#stats };
  }

  /** The value of `key` as a UTF-8 string, or null. */
  get(key: Key, options?: ReadOptions): Promise<string | null> {
    return this.#get(key, 'utf8', options) as Promise<string | null>;
  }

  /** The value of `key` as bytes, or null. */
  getBuffer(key: Key, options?: ReadOptions): Promise<Buffer | null> {
    return this.#get(key, null, options) as Promise<Buffer | null>;
  }

  async #get(key: Key, encoding: 'utf8' | null, options: ReadOptions | undefined): Promise<string | Buffer | null> {
    checkKey(key);
    checkReadOptions(options);
    this.#checkOpen();
    const k = this.#fullKey(key);
    const op = this.#begin(encoding, options);
    if (op.replica && !this.#replicasOk) await this.#checkReplicas();
    const slot = keySlot(k);
    const read = async (): Promise<Reply> => {
      const v = (await this.#send(slot, 'get', [toArg(k)], key, op)) as Reply;
      // Missing on a replica: maybe not replicated yet, or moved away by a migration.
      if (v === null && op.replica) this.#stats.missRereads++;
      return v === null && op.replica ? ((await this.#send(slot, 'get', [toArg(k)], key, this.#onMaster(op))) as Reply) : v;
    };
    return this.#bounded(op, read(), 'GET', key);
  }

  /** Sets `key` to `value`, expiring after `ttlMs` milliseconds when given. */
  async set(key: Key, value: StoreValue, ttlMs?: number): Promise<void> {
    checkKey(key);
    checkValue(value, 'value');
    checkTtl(ttlMs, 'ttlMs');
    this.#checkOpen();
    const k = this.#fullKey(key);
    const args = ttlMs === undefined ? [toArg(k), toArg(value)] : [toArg(k), toArg(value), 'PX', ttlMs];
    const op = this.#begin();
    await this.#bounded(op, this.#send(keySlot(k), 'set', args, key, op), 'SET', key);
  }

  /** Deletes `key`; resolves with 1 if it existed, else 0. */
  async del(key: Key): Promise<number> {
    checkKey(key);
    this.#checkOpen();
    const k = this.#fullKey(key);
    const op = this.#begin();
    return (await this.#bounded(op, this.#send(keySlot(k), 'del', [toArg(k)], key, op), 'DEL', key)) as number;
  }

  /** Values of `keys` as UTF-8 strings in input order (null where missing). Keys may span any slots. */
  mget(keys: readonly Key[], options?: ReadOptions): Promise<(string | null)[]> {
    return this.#mget(keys, 'utf8', options) as Promise<(string | null)[]>;
  }

  /** Values of `keys` as bytes in input order (null where missing). Keys may span any slots. */
  mgetBuffer(keys: readonly Key[], options?: ReadOptions): Promise<(Buffer | null)[]> {
    return this.#mget(keys, null, options) as Promise<(Buffer | null)[]>;
  }

  async #mget(keys: readonly Key[], encoding: 'utf8' | null, options: ReadOptions | undefined): Promise<Reply[]> {
    checkKeys(keys);
    checkReadOptions(options);
    this.#checkOpen();
    const out: Reply[] = new Array(keys.length).fill(null);
    if (keys.length === 0) return out;
    const full = this.#fullKeys(keys);
    const args = full.map(toArg);
    const op = this.#begin(encoding, options);
    if (op.replica && !this.#replicasOk) await this.#checkReplicas();
    const slots = keySlots(full);
    const batch = this.#batch(slots, {
      perSlot: (slot, idx) => this.#mgetSlot(slot, idx, args, keys, out, op),
      script: SCRIPT_GET,
      argv: (idx) => idx.map((i) => args[i]),
      apply: (idx, reply) => {
        if (!Array.isArray(reply) || reply.length !== idx.length) return false;
        for (let j = 0; j < idx.length; j++) out[idx[j]] = reply[j] as Reply;
        return true;
      },
      op,
    });
    // Keys a replica did not have (not replicated yet, or moved away by a migration): again on
    // their masters, one command per slot.
    const work = op.replica ? batch.then(() => this.#confirmMisses(slots, args, keys, out, op)) : batch;
    await this.#bounded(op, work, 'MGET', keys[0]);
    return out;
  }

  /** Sets every `[key, value]` of `entries`, expiring after `ttlMs` milliseconds when given. */
  async mset(entries: readonly (readonly [Key, StoreValue])[], ttlMs?: number): Promise<void> {
    checkEntries(entries);
    checkTtl(ttlMs, 'ttlMs');
    this.#checkOpen();
    if (entries.length === 0) return;
    const keys = entries.map((e) => e[0]);
    const full = this.#fullKeys(keys);
    const op = this.#begin();
    const setOne = (slot: number, i: number): Promise<unknown> => {
      const a = [toArg(full[i]), toArg(entries[i][1])];
      return this.#send(slot, 'set', ttlMs === undefined ? a : [...a, 'PX', ttlMs], keys[i], op);
    };
    const work = this.#batch(keySlots(full), {
      perSlot: async (slot, idx) => {
        if (idx.length === 1 || ttlMs !== undefined) {
          // MSET has no TTL: one SET … PX per key, all in the same per-node pipeline.
          await Promise.all(idx.map((i) => setOne(slot, i)));
          return;
        }
        const args: (string | Buffer)[] = [];
        for (const i of idx) args.push(toArg(full[i]), toArg(entries[i][1]));
        await this.#send(slot, 'mset', args, keys[idx[0]], op, () => this.#split(idx, (i) => setOne(slot, i)));
      },
      script: SCRIPT_SET,
      argv: (idx) => {
        const argv: (string | Buffer | number)[] = [ttlMs === undefined ? '' : ttlMs];
        for (const i of idx) argv.push(toArg(full[i]), toArg(entries[i][1]));
        return argv;
      },
      apply: (idx, reply) => Number(reply) === idx.length,
      op,
    });
    await this.#bounded(op, work, 'MSET', keys[0]);
  }

  /** Deletes `keys`; resolves with how many existed. */
  async mdel(keys: readonly Key[]): Promise<number> {
    checkKeys(keys);
    this.#checkOpen();
    if (keys.length === 0) return 0;
    const full = this.#fullKeys(keys);
    const op = this.#begin();
    let total = 0;
    const delOne = (slot: number, i: number): Promise<number> => this.#send(slot, 'del', [toArg(full[i])], keys[i], op) as Promise<number>;
    const work = this.#batch(keySlots(full), {
      perSlot: async (slot, idx) => {
        if (idx.length === 1) {
          const n = await delOne(slot, idx[0]); // not `total += await …`: that reads total first
          total += n;
          return;
        }
        const n = await this.#send(slot, 'del', idx.map((i) => toArg(full[i])), keys[idx[0]], op, async () => {
          const counts = await this.#split(idx, (i) => delOne(slot, i));
          return counts.reduce((a, b) => a + b, 0);
        });
        total += n as number;
      },
      script: SCRIPT_DEL,
      argv: (idx) => idx.map((i) => toArg(full[i])),
      apply: (_idx, reply) => {
        if (typeof reply !== 'number') return false;
        total += reply;
        return true;
      },
      op,
    });
    await this.#bounded(op, work, 'DEL', keys[0]);
    return total;
  }

  /**
   * Closes the store; later calls reject with `StoreClosedError`. A `Cluster` the store created
   * is quit gracefully (pending replies are awaited); one you passed is left open.
   */
  async quit(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.#cluster.quit();
  }

  /**
   * Like {@link quit}, but never rejects nor hangs: an owned `Cluster` that fails to quit within
   * `graceMs` (a node down, replies never coming) is disconnected.
   */
  async close(graceMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`quit took longer than ${graceMs} ms`)), graceMs);
      });
      const quitting = this.quit();
      quitting.catch(() => undefined); // may settle after the race; already handled below
      await Promise.race([quitting, timeout]);
    } catch (err) {
      debug('quit failed, disconnecting: %s', (err as Error)?.message);
      if (this.#owned) this.#cluster.disconnect();
    } finally {
      clearTimeout(timer);
    }
  }

  // -------------------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  #fullKey(key: Key): Key {
    if (this.#prefix === '') return key;
    return typeof key === 'string' ? this.#prefix + key : Buffer.concat([Buffer.from(this.#prefix), key]);
  }

  #fullKeys(keys: readonly Key[]): Key[] {
    return this.#prefix === '' ? (keys as Key[]) : keys.map((k) => this.#fullKey(k));
  }

  /**
   * Key indices bucketed by the `host:port` of their slot's master in ioredis's slot table,
   * with whether a bucket spans several slots; undefined while the table is incomplete.
   */
  #planByNode(slots: Uint16Array): { nodeKey: string; idx: number[]; multiSlot: boolean; slot: number }[] | undefined {
    if (this.#cluster.status !== 'ready') return undefined;
    const table = this.#cluster.slots;
    const buckets: { nodeKey: string; idx: number[]; multiSlot: boolean; slot: number }[] = [];
    const byKey = new Map<string, { nodeKey: string; idx: number[]; multiSlot: boolean; slot: number }>();
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      const nodeKey = table[slot]?.[0];
      if (nodeKey === undefined) return undefined;
      let b = byKey.get(nodeKey);
      if (b === undefined) {
        b = { nodeKey, idx: [], multiSlot: false, slot };
        byKey.set(nodeKey, b);
        buckets.push(b);
      } else if (b.slot !== slot) b.multiSlot = true;
      b.idx.push(i);
    }
    return buckets;
  }

  /**
   * The ready master connection for `host:port`, if any. Never a connection in READONLY mode:
   * there a replica would answer the script from its possibly lagging copy; a plain master
   * connection to a node that became a replica makes the script fail instead (MOVED inside).
   */
  #master(nodeKey: string): NodeLike | undefined {
    for (const n of this.#cluster.nodes('master')) {
      if (n.status === 'ready' && n.options.readOnly !== true && `${n.options.host}:${n.options.port}` === nodeKey) return n;
    }
    return undefined;
  }

  /**
   * Runs `send` (which must only issue commands synchronously) with every ready master socket
   * corked, so each node gets the batch in one write.
   */
  #corked(send: () => void): void {
    const streams: NonNullable<NodeLike['stream']>[] = [];
    for (const n of this.#cluster.nodes(this.#selector === undefined ? 'master' : 'all')) {
      if (n.status === 'ready' && n.stream) {
        n.stream.cork();
        streams.push(n.stream);
      }
    }
    try {
      send();
    } finally {
      for (const s of streams) s.uncork();
    }
  }

  async #mgetSlot(
    slot: number,
    idx: number[],
    args: (string | Buffer)[],
    keys: readonly Key[],
    out: Reply[],
    op: OpContext,
  ): Promise<void> {
    if (idx.length === 1) {
      out[idx[0]] = (await this.#send(slot, 'get', [args[idx[0]]], keys[idx[0]], op)) as Reply;
      return;
    }
    const vals = (await this.#send(
      slot,
      'mget',
      idx.map((i) => args[i]),
      keys[idx[0]],
      op,
      () => this.#split(idx, (i) => this.#send(slot, 'get', [args[i]], keys[i], op)),
    )) as Reply[];
    for (let j = 0; j < idx.length; j++) out[idx[j]] = vals[j];
  }

  /** Re-reads on the masters the keys of `out` that replicas answered as missing. */
  #confirmMisses(slots: Uint16Array, args: (string | Buffer)[], keys: readonly Key[], out: Reply[], op: OpContext): Promise<void> {
    const missing: number[] = [];
    for (let i = 0; i < out.length; i++) if (out[i] === null) missing.push(i);
    if (missing.length === 0) return Promise.resolve();
    this.#stats.missRereads += missing.length;
    const onMaster = this.#onMaster(op);
    const tasks: Promise<void>[] = [];
    this.#corked(() => {
      for (const [slot, g] of groupSlots(missing.map((i) => slots[i]))) {
        tasks.push(this.#mgetSlot(slot, g.map((j) => missing[j]), args, keys, out, onMaster));
      }
    });
    return Promise.all(tasks).then(() => undefined);
  }

  /** The same operation (deadline, attempts), its reads on masters only. */
  #onMaster(op: OpContext): OpContext {
    return { ...op, replica: false };
  }

  /**
   * Replica reads: the first read checks (once) that the cluster has replicas at all — a
   * replica policy on a cluster with none is a configuration error, reported as a RangeError by
   * every read rather than silently served by masters.
   */
  async #checkReplicas(): Promise<void> {
    this.#replicaCheck ??= (async () => {
      try {
        const text = String(await this.#cluster.sendCommand(new this.#Command('cluster', ['NODES'], { replyEncoding: 'utf8' })));
        this.#replicasOk = /^\S+ \S+ (?:\S+,)?slave[ ,]/m.test(text);
        if (!this.#replicasOk) {
          this.#noReplicas = noReplicasError(this.#selector!.policy, 'options.scaleReads', 'the cluster lists no replica (CLUSTER NODES)');
        }
      } catch {
        this.#replicaCheck = undefined; // unknown yet: the read itself reports the failure
      }
    })();
    await this.#replicaCheck;
    if (this.#noReplicas !== undefined) throw this.#noReplicas;
  }

  /**
   * Runs one batch: per master, the keys of several slots in one script call when possible,
   * else (and after a failed script) one command per slot via `perSlot`. Every command of the
   * first round is written with the master sockets corked.
   */
  #batch(slots: Uint16Array, b: BatchPlan): Promise<void> {
    const tasks: Promise<void>[] = [];
    // Cross-slot scripts run on masters: replica reads go per slot (to the replicas).
    const plan = this.#crossSlotScripts && !b.op.replica ? this.#planByNode(slots) : undefined;
    this.#corked(() => {
      if (plan === undefined) {
        for (const [slot, idx] of groupSlots(slots)) tasks.push(b.perSlot(slot, idx));
        return;
      }
      for (const bucket of plan) {
        const node = bucket.multiSlot ? this.#master(bucket.nodeKey) : undefined;
        if (node === undefined) this.#perSlot(bucket.idx, slots, b, tasks);
        else tasks.push(this.#scriptBatch(node, bucket.nodeKey, bucket.idx, slots, b));
      }
    });
    return Promise.all(tasks).then(() => undefined);
  }

  /** Schedules `b.perSlot` for the keys `idx`, grouped by slot. */
  #perSlot(idx: readonly number[], slots: Uint16Array, b: BatchPlan, tasks: Promise<void>[]): void {
    const groups = groupSlots(idx.map((i) => slots[i]));
    for (const [slot, g] of groups) tasks.push(b.perSlot(slot, g.map((j) => idx[j])));
  }

  /** Keys `idx` (all on the master `node`) in one script call; per slot on failure. */
  async #scriptBatch(node: NodeLike, nodeKey: string, idx: number[], slots: Uint16Array, b: BatchPlan): Promise<void> {
    let reply: unknown;
    let failed = false;
    try {
      reply = await this.#evalScript(node, nodeKey, b.script, b.argv(idx), b.op.encoding);
    } catch (err) {
      failed = true;
      const msg = (err as Error)?.message ?? '';
      // Redis < 7 does not know shebang flags: stop trying for this store.
      if (/Unknown lua shebang|Unexpected flag|Error compiling script|unknown command/i.test(msg)) this.#crossSlotScripts = false;
      debug('cross-slot script on %s fell back to per-slot commands: %s', nodeKey, msg);
    }
    if (!failed && b.apply(idx, reply)) {
      this.#stats.scriptCalls++;
      if (this.#replicaAck !== undefined && b.script !== SCRIPT_GET) await this.#waitReplicas(node, nodeKey, 'evalsha', b.argv(idx)[b.script === SCRIPT_SET ? 1 : 0] as Key, b.op);
      return;
    }
    this.#stats.scriptFallbacks++;
    const tasks: Promise<void>[] = [];
    this.#corked(() => this.#perSlot(idx, slots, b, tasks));
    await Promise.all(tasks);
  }

  async #evalScript(node: NodeLike, nodeKey: string, s: Script, argv: unknown[], encoding: 'utf8' | null): Promise<unknown> {
    const cacheKey = `${s.sha}@${nodeKey}`;
    if (this.#scriptLoaded.has(cacheKey)) {
      try {
        return await node.sendCommand(new this.#Command('evalsha', [s.sha, 0, ...argv], { replyEncoding: encoding }));
      } catch (err) {
        if (!/^NOSCRIPT/.test((err as Error)?.message ?? '')) throw err;
        this.#scriptLoaded.delete(cacheKey);
      }
    }
    // EVAL caches the script on the node; later calls send only its SHA1.
    const reply = await node.sendCommand(new this.#Command('eval', [s.body, 0, ...argv], { replyEncoding: encoding }));
    this.#scriptLoaded.add(cacheKey);
    return reply;
  }

  /** Runs `one(i)` for every index (issued in one corked batch). */
  #split<T>(idx: number[], one: (i: number) => Promise<T>): Promise<T[]> {
    this.#stats.splits++;
    const tasks: Promise<T>[] = [];
    this.#corked(() => {
      for (const i of idx) tasks.push(one(i));
    });
    return Promise.all(tasks);
  }

  #noteConnectionError(err: unknown): void {
    // ioredis wraps a failed slot refresh; the node's own error says what went wrong.
    const inner = (err as { lastNodeError?: unknown })?.lastNodeError;
    const e = inner instanceof Error ? inner : err;
    // A generic "Connection is closed" does not replace a reason already known.
    const generic = e instanceof Error && /^Connection is closed\.?$/.test(e.message);
    if (e instanceof Error && !(generic && this.#lastConnectionError !== undefined)) this.#lastConnectionError = e;
    debug('cluster error: %s', (err as Error)?.message);
  }

  /**
   * ioredis reports a node it cannot reach during a slot refresh only as "Connection is closed"
   * (the refresh connection's own error, e.g. a TLS certificate refusal, is swallowed). While the
   * cluster is not connected, one short-lived probe connection per 2 s finds the real reason.
   */
  #diagnose(node: string): void {
    const now = Date.now();
    if (this.#closed || this.#cluster.status === 'ready' || this.#Redis === undefined || now - this.#lastProbeAt < 2000) return;
    this.#lastProbeAt = now;
    const colon = node.lastIndexOf(':');
    const probe = new this.#Redis({
      ...this.#cluster.options.redisOptions,
      host: node.slice(0, colon),
      port: Number(node.slice(colon + 1)),
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: 2000,
    });
    probe.on('error', (err: Error) => this.#noteConnectionError(err));
    probe
      .connect()
      .catch(() => {})
      .finally(() => probe.disconnect());
  }

  /** A new operation: its deadline (`retryTimeoutMs` from now) and attempt counter. */
  #begin(encoding: 'utf8' | null = 'utf8', read?: ReadOptions): OpContext {
    const start = Date.now();
    const replica = this.#selector !== undefined && read?.fromMaster !== true;
    return { start, deadline: this.#retryTimeoutMs === 0 ? Infinity : start + this.#retryTimeoutMs, attempts: 0, encoding, replica };
  }

  /**
   * Rejects with `ClusterUnavailableError` when `work` is still pending at the deadline (ioredis
   * may be mid-way through its own redirections). Work that completes later is discarded; a
   * write may still apply after the rejection.
   */
  #bounded<T>(op: OpContext, work: Promise<T>, name: string, key: Key): Promise<T> {
    if (op.deadline === Infinity) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const elapsedMs = Date.now() - op.start;
        const conn = this.#cluster.status === 'ready' ? undefined : this.#lastConnectionError;
        const why = conn === undefined ? '' : ` (the cluster is not connected; last connection error: ${conn.message})`;
        reject(
          new ClusterUnavailableError(`${name} did not complete within retryTimeoutMs (${this.#retryTimeoutMs} ms)${why}`, {
            cause: conn,
            key,
            attempts: op.attempts,
            elapsedMs,
          }),
        );
      }, op.deadline - op.start);
    });
    // Promise.race subscribes to both, so a late rejection of `work` is not unhandled.
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Sends `name args` for `slot` through ioredis (which follows MOVED/ASK and retries
   * CLUSTERDOWN/lost connections within `maxRedirections`), retrying healing failures until the
   * operation's deadline. With `onSplit`, a TRYAGAIN (or ioredis giving up on redirections)
   * runs `onSplit` instead (multi-key commands).
   */
  async #send(slot: number, name: string, args: unknown[], key: Key, op: OpContext, onSplit?: () => Promise<unknown>): Promise<unknown> {
    let attempts = 0;
    for (;;) {
      attempts++;
      op.attempts++;
      const cmd = new this.#Command(name, args, { replyEncoding: op.encoding });
      // Our Redis-exact slot: ioredis would compute its own (wrong for e.g. `foo{}{bar}`).
      cmd.slot = slot;
      if (!op.replica && this.#selector !== undefined) this.#selector.toMaster(cmd);
      let reply: unknown;
      try {
        reply = await this.#cluster.sendCommand(cmd);
      } catch (err) {
        const v = verdict(err, onSplit !== undefined);
        if (v === 'split') return onSplit!();
        const node = this.#cluster.slots[slot]?.[0];
        const msg = (err as Error)?.message ?? String(err);
        if (this.#closed) throw new StoreClosedError(`The store was closed while ${name.toUpperCase()} was pending`, { cause: err, key, slot, node });
        if (v === 'fatal') {
          if (err instanceof RingcacheError) throw err;
          throw new CommandError(`${name.toUpperCase()} failed for slot ${slot}: ${msg}`, { cause: err, key, slot, node });
        }
        const now = Date.now();
        if (this.#retryTimeoutMs === 0 || now + this.#retryDelayMs > op.deadline) {
          const elapsedMs = now - op.start;
          throw new ClusterUnavailableError(
            `${name.toUpperCase()} for slot ${slot} still failing after ${attempts} attempts in ${elapsedMs} ms: ${msg}`,
            { cause: err, key, slot, node, attempts, elapsedMs },
          );
        }
        this.#stats.retries++;
        debug('retrying %s for slot %d (attempt %d): %s', name, slot, attempts, msg);
        // ioredis refreshes its slot table on MOVED and lost connections, not on e.g. READONLY or
        // after giving up: ask for a fresh one before the next attempt.
        if (this.#cluster.status === 'ready') this.#cluster.refreshSlotsCache?.();
        await sleep(this.#retryDelayMs);
        if (this.#closed) throw new StoreClosedError(`The store was closed while ${name.toUpperCase()} was pending`, { cause: err, key, slot, node });
        continue;
      }
      if (this.#replicaAck !== undefined && WRITE_COMMANDS.has(name)) {
        const nodeKey = this.#cluster.slots[slot]?.[0];
        await this.#waitReplicas(nodeKey === undefined ? undefined : this.#master(nodeKey), nodeKey, name, key, op);
      }
      return reply;
    }
  }

  /**
   * `WAIT replicas timeoutMs` on the master connection that took the write (WAIT counts the
   * replicas that acknowledged every write sent so far on that connection). Rejects when fewer
   * acknowledged, or the master is gone.
   */
  async #waitReplicas(node: NodeLike | undefined, nodeKey: string | undefined, name: string, key: Key, op: OpContext): Promise<void> {
    const ack = this.#replicaAck!;
    const fail = (why: string, cause?: unknown): ClusterUnavailableError =>
      new ClusterUnavailableError(notAcknowledged(name, ack, nodeKey, why), {
        cause,
        key,
        node: nodeKey,
        attempts: op.attempts,
        elapsedMs: Date.now() - op.start,
      });
    if (node === undefined) throw fail('the master is not connected');
    let n: unknown;
    try {
      n = await node.sendCommand(new this.#Command('wait', [ack.replicas, ack.timeoutMs], { replyEncoding: 'utf8' }));
    } catch (err) {
      throw fail((err as Error)?.message ?? String(err), err);
    }
    this.#stats.replicaWaits++;
    if (Number(n) < ack.replicas) throw fail(`${Number(n)} acknowledged`);
  }
}

/** Commands that write (for {@link ClusterStoreOptions.replicaAck}). */
const WRITE_COMMANDS = new Set(['set', 'mset', 'del']);

