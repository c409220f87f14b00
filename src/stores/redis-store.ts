/**
 * A {@link KeyValueStore} over one ioredis `Redis`: a standalone server, a Sentinel-managed
 * master, or a proxy endpoint such as twemproxy (nutcracker).
 *
 * twemproxy forwards the commands used here (GET, SET with PX, DEL of many keys, MGET, MSET:
 * it splits the multi-key ones per backend and joins the replies in order) but closes the
 * connection on the ones it does not know, which includes what ioredis sends when it connects
 * (`HELLO 3`, `CLIENT SETINFO`, `INFO` for the ready check, `SELECT`). With
 * `endpoint: 'twemproxy'` the store creates its client with RESP2, no client info, no ready
 * check and db 0. Pass a `Redis` of your own and it is used as is.
 *
 * Failures: a reply error of the command (`WRONGTYPE`, …) is a {@link CommandError}; a
 * connection that is down, lost or silent is a {@link NodeUnavailableError} naming the node.
 * Connection defaults are those of `connection.ts`: plain servers fail fast, Sentinel-backed
 * ones wait out a failover (`failoverTimeoutMs`).
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { Key } from '../engine';
import { StoreClosedError } from '../errors';
import { checkKey, checkKeys, describe } from '../validate';
import { checkEntries, checkTtl, checkValue, classify, toArg } from './arguments';
import { connectionOptions, createClient, lastConnectionError, loadIoredis, parseNode, type ConnectionOptions, type NodeSpec } from './connection';
import { checkReadOptions, noReplicasError, replicaReadOptions, replicasFor, type ReadOptions, type ReplicaReadOptions, type ScaleReads, type SentinelReplicas } from './replicas';
import type { KeyValueStore, StoreValue } from './store';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions extends ConnectionOptions, ReplicaReadOptions {
  /**
   * What the client talks to. `'twemproxy'`: a nutcracker listener (RESP2, none of the
   * connection-setup commands it refuses). Applies to a client the store creates.
   * @default 'redis'
   */
  endpoint?: 'redis' | 'twemproxy';
}

/** ioredis options a twemproxy listener needs: it closes the connection on unknown commands. */
export const TWEMPROXY_CLIENT_OPTIONS: Readonly<RedisOptions> = Object.freeze({
  protocol: 2,
  disableClientInfo: true,
  enableReadyCheck: false,
  db: 0,
});

/**
 * `get`/`set`/`del` and `mget`/`mset`/`mdel` over one Redis connection, results in input order.
 *
 * ```ts
 * const store = new RedisStore({ sentinels: [{ host: '10.0.0.1', port: 26379 }], name: 'cache' });
 * const proxied = new RedisStore('127.0.0.1:22121', { endpoint: 'twemproxy' });
 * ```
 */
export class RedisStore implements KeyValueStore {
  readonly #client: Redis;
  readonly #owned: boolean;
  readonly #node: string;
  readonly #ReplyError: new (...args: unknown[]) => Error;
  /** Replica connections (reads), or undefined with `scaleReads: 'master'`. */
  readonly #replicas: SentinelReplicas | undefined;
  #closed = false;

  /**
   * @param node a URL or `'host:port'`, ioredis options (`{ sentinels, name }` for a
   *   Sentinel-managed master), or an ioredis `Redis` (left open by `close()`).
   */
  constructor(node: NodeSpec, options: RedisStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected an object for options but received ${describe(options)}`);
    }
    const endpoint = options.endpoint ?? 'redis';
    if (endpoint !== 'redis' && endpoint !== 'twemproxy') {
      throw new TypeError(`Expected 'redis' or 'twemproxy' for options.endpoint but received ${describe(endpoint)}`);
    }
    const conn = connectionOptions(options);
    const parsed = parseNode(node, 'node');
    const { policy, refreshMs } = replicaReadOptions(options);
    if (policy !== 'master' && endpoint === 'twemproxy') throw noReplicasError(policy, 'options.scaleReads', "endpoint 'twemproxy' has none");
    const io = loadIoredis('RedisStore');
    this.#ReplyError = io.ReplyError;
    const replicas = replicasFor(io, parsed, policy, 'options.scaleReads', refreshMs, options);
    const { client, owned } = createClient(parsed, conn, endpoint === 'twemproxy' ? TWEMPROXY_CLIENT_OPTIONS : {});
    this.#replicas = replicas;
    this.#client = client;
    this.#owned = owned;
    this.#node = parsed.defaultId;
  }

  /** The underlying ioredis `Redis`. */
  get client(): Redis {
    return this.#client;
  }

  /** The read policy in force (`'master'` unless replica reads were turned on). */
  get scaleReads(): ScaleReads {
    return this.#replicas?.policy ?? 'master';
  }

  /** The replicas reads are spread over (`host:port`, usable now or not); empty with master reads. */
  get replicas(): { id: string; usable: boolean }[] {
    return this.#replicas?.replicas ?? [];
  }

  /** The node's name in errors: `host:port`, the socket path, or the Sentinel master name. */
  get node(): string {
    return this.#node;
  }

  // Each method is one async layer over the ioredis call (no inner helper to await): the
  // store sits on the hot path of the tiered cache.

  async get(key: Key, options?: ReadOptions): Promise<string | null> {
    checkKey(key);
    checkReadOptions(options);
    this.#checkOpen();
    if (this.#replicas !== undefined && options?.fromMaster !== true) return this.#replicaRead('GET', key, (c) => c.get(toArg(key)));
    try {
      return await this.#client.get(toArg(key));
    } catch (err) {
      throw this.#error(err, 'GET', key);
    }
  }

  async getBuffer(key: Key, options?: ReadOptions): Promise<Buffer | null> {
    checkKey(key);
    checkReadOptions(options);
    this.#checkOpen();
    if (this.#replicas !== undefined && options?.fromMaster !== true) return this.#replicaRead('GET', key, (c) => c.getBuffer(toArg(key)));
    try {
      return await this.#client.getBuffer(toArg(key));
    } catch (err) {
      throw this.#error(err, 'GET', key);
    }
  }

  async set(key: Key, value: StoreValue, ttlMs?: number): Promise<void> {
    checkKey(key);
    checkValue(value, 'value');
    checkTtl(ttlMs);
    this.#checkOpen();
    const k = toArg(key);
    const v = toArg(value);
    try {
      await (ttlMs === undefined ? this.#client.set(k, v) : this.#client.set(k, v, 'PX', ttlMs));
    } catch (err) {
      throw this.#error(err, 'SET', key);
    }
  }

  async del(key: Key): Promise<number> {
    checkKey(key);
    this.#checkOpen();
    try {
      return await this.#client.del(toArg(key));
    } catch (err) {
      throw this.#error(err, 'DEL', key);
    }
  }

  async mget(keys: readonly Key[], options?: ReadOptions): Promise<(string | null)[]> {
    checkKeys(keys);
    checkReadOptions(options);
    this.#checkOpen();
    if (keys.length === 0) return [];
    if (this.#replicas !== undefined && options?.fromMaster !== true) return this.#replicaRead('MGET', keys[0], (c) => c.mget(keys.map(toArg)));
    try {
      return await this.#client.mget(keys.map(toArg));
    } catch (err) {
      throw this.#error(err, 'MGET', keys[0]);
    }
  }

  async mgetBuffer(keys: readonly Key[], options?: ReadOptions): Promise<(Buffer | null)[]> {
    checkKeys(keys);
    checkReadOptions(options);
    this.#checkOpen();
    if (keys.length === 0) return [];
    if (this.#replicas !== undefined && options?.fromMaster !== true) return this.#replicaRead('MGET', keys[0], (c) => c.mgetBuffer(keys.map(toArg)));
    try {
      return await this.#client.mgetBuffer(keys.map(toArg));
    } catch (err) {
      throw this.#error(err, 'MGET', keys[0]);
    }
  }

  async mset(entries: readonly (readonly [Key, StoreValue])[], ttlMs?: number): Promise<void> {
    checkEntries(entries);
    checkTtl(ttlMs);
    this.#checkOpen();
    if (entries.length === 0) return;
    if (ttlMs === undefined) {
      const args: (string | Buffer)[] = [];
      for (const [k, v] of entries) args.push(toArg(k), toArg(v));
      try {
        await this.#client.mset(args);
      } catch (err) {
        throw this.#error(err, 'MSET', entries[0][0]);
      }
      return;
    }
    // MSET has no TTL: one SET … PX per key, sent as plain commands (not a pipeline()), so they
    // take their place in the connection's order: with enableAutoPipelining a pipeline() is
    // written at once while earlier commands wait in the auto-pipeline for the next tick, and a
    // set(k) followed by mset([[k, …]]) reached Redis the other way round. Without
    // auto-pipelining the commands are written back to back: still one round trip.
    const replies: Promise<unknown>[] = [];
    for (const [k, v] of entries) replies.push(this.#client.set(toArg(k), toArg(v), 'PX', ttlMs));
    const results = await Promise.allSettled(replies);
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) throw this.#error((results[failed] as PromiseRejectedResult).reason, 'SET', entries[failed][0]);
  }

  async mdel(keys: readonly Key[]): Promise<number> {
    checkKeys(keys);
    this.#checkOpen();
    if (keys.length === 0) return 0;
    try {
      return await this.#client.del(keys.map(toArg));
    } catch (err) {
      throw this.#error(err, 'DEL', keys[0]);
    }
  }

  /** Closes the store; a client the store created is quit (disconnected if that fails). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#replicas?.close();
    if (!this.#owned) return;
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  /**
   * A read on a replica; on the master when none is usable or the replica failed. No async
   * layer of its own (hot path): the replica's promise, with a fallback on failure.
   */
  #replicaRead<T>(command: string, key: Key, read: (c: Redis) => Promise<T>): Promise<T> {
    const r = this.#replicas!;
    if (!r.polled) return r.firstPoll().then(() => this.#replicaRead(command, key, read));
    const onMaster = (): Promise<T> => read(this.#client).catch((err: unknown) => Promise.reject(this.#error(err, command, key)));
    let c: Redis | undefined;
    try {
      c = r.pick();
    } catch (err) {
      return Promise.reject(err); // the RangeError of a master with no replica
    }
    if (c === undefined) return onMaster();
    return read(c).catch((err: unknown) => (r.failed(c, err) ? onMaster() : Promise.reject(this.#error(err, command, key))));
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  /** The typed error for a failed command (StoreClosedError once the store is closed). */
  #error(err: unknown, command: string, key: Key): Error {
    if (this.#closed) return new StoreClosedError(`The store was closed while ${command} was pending`, { cause: err, key, node: this.#node });
    return classify(err, this.#ReplyError, command, this.#node, key, lastConnectionError(this.#client)).error;
  }
}
