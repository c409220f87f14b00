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
 *    `foo{}{bar}` key to the node that really owns it; what still fails and heals is retried
 *    within the operation's `retryTimeoutMs`, then a {@link ClusterUnavailableError};
 * 3. every master connection is corked while the batch is written, so each node receives the
 *    whole batch in one write: one pipeline per node;
 * 4. keys spanning several slots of one master go out as ONE `EVALSHA` on that master (Redis
 *    ≥ 7.0 script flag `allow-cross-slot-keys`): one command per node instead of one per slot,
 *    falling back to step 2 for those keys if the script fails;
 * 5. results are put back in input order.
 *
 * Where each part lives:
 * - this file: the API — arguments, key prefix, replica reads, the commands of each operation;
 * - cluster-store-options.ts: its options, defaults and counters;
 * - cluster-batch.ts: the batch planner (per master or per slot) and the cross-slot scripts;
 * - cluster-send.ts: one command for one slot — retries, TRYAGAIN splits, the time budget,
 *   `WAIT` for `replicaAck`;
 * - cluster-client.ts: what is used of the ioredis `Cluster`, and why its nodes can't be reached.
 */
import { debuglog } from 'node:util';
import type { Cluster, ClusterNode, ClusterOptions } from 'ioredis';
import type { Key } from '../engine';
import { StoreClosedError } from '../errors';
import { checkEntries, checkTtl, checkValue, toArg } from './arguments';
import { checkReadOptions, checkScaleReads, noReplicasError, type ReadOptions, type ScaleReads } from './replicas';
import { resolveReplicaAck } from './replica-ack';
export type { ReplicaAckOptions } from './replica-ack';
import { loadIoredis, stripUndefined } from './connection';
import type { KeyValueStore, StoreValue } from './store';
import { checkInteger, checkKey, checkKeys, describe } from '../validate';
import { groupSlots } from '../cluster/group-by-slot';
import { keySlot, keySlots } from '../cluster/key-slot';
import { ReadSelector } from './read-selector';
import { ConnectionDiagnostics, isClusterLike, type ClusterLike, type CommandCtor } from './cluster-client';
import { ClusterSender, onMaster, type OpContext } from './cluster-send';
import { BatchRunner, SCRIPT_DEL, SCRIPT_GET, SCRIPT_SET } from './cluster-batch';

const debug = debuglog('ringcache');

/** A value: a string (stored as UTF-8) or bytes. Same as `StoreValue` (stores/store). */
export type Value = StoreValue;

import { DEFAULT_CLUSTER_STORE_OPTIONS, type ClusterStoreOptions, type ClusterStoreStats } from './cluster-store-options';
export { DEFAULT_CLUSTER_STORE_OPTIONS, type ClusterStoreOptions, type ClusterStoreStats };

/** A GET reply: a string or Buffer depending on the operation's encoding, null when missing. */
type Reply = string | Buffer | null;

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
  readonly #prefix: string;
  #closed = false;
  readonly #stats: ClusterStoreStats = { retries: 0, splits: 0, scriptFallbacks: 0, scriptCalls: 0, missRereads: 0, replicaWaits: 0 };
  /** Every command goes through it (cluster-send.ts). */
  readonly #sender: ClusterSender;
  /** `mget`/`mset`/`mdel` go through it (cluster-batch.ts). */
  readonly #batch: BatchRunner;
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
    const replicaAck = resolveReplicaAck(o.replicaAck, 'options.replicaAck');
    let policy = checkScaleReads(o.scaleReads);
    checkInteger(o.replicaRefreshMs, 'options.replicaRefreshMs', 1, 2 ** 31 - 1);

    const io = loadIoredis('ClusterStore');
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
      this.#cluster = created;
      this.#owned = true;
    } else {
      throw new TypeError(`Expected an ioredis Cluster or an array of startup nodes for cluster but received ${describe(cluster)}`);
    }
    const diagnostics = new ConnectionDiagnostics(this.#cluster, io.Redis, () => this.#closed, this.#owned);
    this.#sender = new ClusterSender({
      cluster: this.#cluster,
      Command: io.Command,
      retryTimeoutMs: o.retryTimeoutMs,
      retryDelayMs: o.retryDelayMs,
      selector: this.#selector,
      replicaAck,
      stats: this.#stats,
      isClosed: () => this.#closed,
      lastConnectionError: () => diagnostics.lastError,
    });
    this.#batch = new BatchRunner({
      sender: this.#sender,
      cluster: this.#cluster,
      Command: io.Command,
      stats: this.#stats,
      crossSlotScripts: o.crossSlotScripts,
    });
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
    const op = this.#sender.begin(encoding, options);
    if (op.replica && !this.#replicasOk) await this.#checkReplicas();
    const slot = keySlot(k);
    const read = async (): Promise<Reply> => {
      const v = (await this.#sender.send(slot, 'get', [toArg(k)], key, op)) as Reply;
      // Missing on a replica: maybe not replicated yet, or moved away by a migration.
      if (v === null && op.replica) this.#stats.missRereads++;
      return v === null && op.replica ? ((await this.#sender.send(slot, 'get', [toArg(k)], key, onMaster(op))) as Reply) : v;
    };
    return this.#sender.bounded(op, read(), 'GET', key);
  }

  /** Sets `key` to `value`, expiring after `ttlMs` milliseconds when given. */
  async set(key: Key, value: StoreValue, ttlMs?: number): Promise<void> {
    checkKey(key);
    checkValue(value, 'value');
    checkTtl(ttlMs, 'ttlMs');
    this.#checkOpen();
    const k = this.#fullKey(key);
    const args = ttlMs === undefined ? [toArg(k), toArg(value)] : [toArg(k), toArg(value), 'PX', ttlMs];
    const op = this.#sender.begin();
    await this.#sender.bounded(op, this.#sender.send(keySlot(k), 'set', args, key, op), 'SET', key);
  }

  /** Deletes `key`; resolves with 1 if it existed, else 0. */
  async del(key: Key): Promise<number> {
    checkKey(key);
    this.#checkOpen();
    const k = this.#fullKey(key);
    const op = this.#sender.begin();
    return (await this.#sender.bounded(op, this.#sender.send(keySlot(k), 'del', [toArg(k)], key, op), 'DEL', key)) as number;
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
    const op = this.#sender.begin(encoding, options);
    if (op.replica && !this.#replicasOk) await this.#checkReplicas();
    const slots = keySlots(full);
    const batch = this.#batch.run(slots, {
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
    await this.#sender.bounded(op, work, 'MGET', keys[0]);
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
    const op = this.#sender.begin();
    const setOne = (slot: number, i: number): Promise<unknown> => {
      const a = [toArg(full[i]), toArg(entries[i][1])];
      return this.#sender.send(slot, 'set', ttlMs === undefined ? a : [...a, 'PX', ttlMs], keys[i], op);
    };
    const work = this.#batch.run(keySlots(full), {
      perSlot: async (slot, idx) => {
        if (idx.length === 1 || ttlMs !== undefined) {
          // MSET has no TTL: one SET … PX per key, all in the same per-node pipeline.
          await Promise.all(idx.map((i) => setOne(slot, i)));
          return;
        }
        const args: (string | Buffer)[] = [];
        for (const i of idx) args.push(toArg(full[i]), toArg(entries[i][1]));
        await this.#sender.send(slot, 'mset', args, keys[idx[0]], op, () => this.#sender.split(idx, (i) => setOne(slot, i)));
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
    await this.#sender.bounded(op, work, 'MSET', keys[0]);
  }

  /** Deletes `keys`; resolves with how many existed. */
  async mdel(keys: readonly Key[]): Promise<number> {
    checkKeys(keys);
    this.#checkOpen();
    if (keys.length === 0) return 0;
    const full = this.#fullKeys(keys);
    const op = this.#sender.begin();
    let total = 0;
    const delOne = (slot: number, i: number): Promise<number> => this.#sender.send(slot, 'del', [toArg(full[i])], keys[i], op) as Promise<number>;
    const work = this.#batch.run(keySlots(full), {
      perSlot: async (slot, idx) => {
        if (idx.length === 1) {
          const n = await delOne(slot, idx[0]); // not `total += await …`: that reads total first
          total += n;
          return;
        }
        const n = await this.#sender.send(slot, 'del', idx.map((i) => toArg(full[i])), keys[idx[0]], op, async () => {
          const counts = await this.#sender.split(idx, (i) => delOne(slot, i));
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
    await this.#sender.bounded(op, work, 'DEL', keys[0]);
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

  async #mgetSlot(
    slot: number,
    idx: number[],
    args: (string | Buffer)[],
    keys: readonly Key[],
    out: Reply[],
    op: OpContext,
  ): Promise<void> {
    if (idx.length === 1) {
      out[idx[0]] = (await this.#sender.send(slot, 'get', [args[idx[0]]], keys[idx[0]], op)) as Reply;
      return;
    }
    const vals = (await this.#sender.send(
      slot,
      'mget',
      idx.map((i) => args[i]),
      keys[idx[0]],
      op,
      () => this.#sender.split(idx, (i) => this.#sender.send(slot, 'get', [args[i]], keys[i], op)),
    )) as Reply[];
    for (let j = 0; j < idx.length; j++) out[idx[j]] = vals[j];
  }

  /** Re-reads on the masters the keys of `out` that replicas answered as missing. */
  #confirmMisses(slots: Uint16Array, args: (string | Buffer)[], keys: readonly Key[], out: Reply[], op: OpContext): Promise<void> {
    const missing: number[] = [];
    for (let i = 0; i < out.length; i++) if (out[i] === null) missing.push(i);
    if (missing.length === 0) return Promise.resolve();
    this.#stats.missRereads += missing.length;
    const masterOp = onMaster(op);
    const tasks: Promise<void>[] = [];
    this.#sender.corked(() => {
      for (const [slot, g] of groupSlots(missing.map((i) => slots[i]))) {
        tasks.push(this.#mgetSlot(slot, g.map((j) => missing[j]), args, keys, out, masterOp));
      }
    });
    return Promise.all(tasks).then(() => undefined);
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
}
