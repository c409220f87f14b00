/**
 * The ioredis `Cluster` as {@link ClusterStore} and its modules (cluster-send, cluster-batch)
 * see it: the few shapes they use — its public API plus internals documented in ioredis's
 * source (the slot table, `refreshSlotsCache`, each node's connection and socket) — so that a
 * look-alike works too; and, in {@link ConnectionDiagnostics}, why its nodes cannot be reached,
 * for the errors of operations that run out of time.
 */
import { debuglog } from 'node:util';
import type { RedisOptions } from 'ioredis';
import type { Ioredis } from './connection';

const debug = debuglog('ringcache');

/** What the store uses of an ioredis `Cluster` (public API plus the documented-in-source internals). */
export interface ClusterLike {
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

/** One node's connection in a {@link ClusterLike} (`cluster.nodes()`). */
export interface NodeLike {
  status: string;
  options: { host?: string; port?: number; readOnly?: boolean };
  stream?: { cork(): void; uncork(): void; writable?: boolean };
  sendCommand(command: unknown): Promise<unknown>;
}

/** ioredis's `Command` class, as the store uses it. */
export type CommandCtor = Ioredis['Command'];

export function isClusterLike(x: unknown): x is ClusterLike {
  const c = x as ClusterLike | null;
  return typeof c === 'object' && c !== null && c.isCluster === true && typeof c.sendCommand === 'function';
}

/**
 * Why the cluster's nodes can't be reached (a refused TLS certificate, an ACL refusal, …), kept
 * so that an operation that times out says so.
 *
 * ioredis reports a node it cannot reach during a slot refresh only as "Connection is closed"
 * (the refresh connection's own error, e.g. a TLS certificate refusal, is swallowed). While the
 * cluster is not connected, one short-lived probe connection per 2 s finds the real reason.
 */
export class ConnectionDiagnostics {
  readonly #cluster: Pick<ClusterLike, 'status' | 'options'>;
  readonly #Redis: Ioredis['Redis'];
  readonly #isClosed: () => boolean;
  #lastError: Error | undefined;
  #lastProbeAt = -Infinity;

  /**
   * Listens to `cluster`'s 'node error' and 'ready' events, and to its 'error' events when the
   * store created it (`owned`: ioredis prints unhandled 'error' events; the store reports
   * failures per operation). 'node error' is observed without silencing the caller's own
   * 'error' handling of a Cluster they pass in. `isClosed` stops the probes once the store is closed.
   */
  constructor(cluster: Pick<ClusterLike, 'status' | 'options' | 'on'>, Redis: Ioredis['Redis'], isClosed: () => boolean, owned: boolean) {
    this.#cluster = cluster;
    this.#Redis = Redis;
    this.#isClosed = isClosed;
    if (owned) cluster.on('error', (err) => this.#note(err));
    cluster.on('node error', (err, node) => {
      this.#note(err);
      if (typeof node === 'string') this.#diagnose(node);
    });
    cluster.on('ready', () => (this.#lastError = undefined));
  }

  /** The last connection error seen since the cluster was last ready. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  #note(err: unknown): void {
    // ioredis wraps a failed slot refresh; the node's own error says what went wrong.
    const inner = (err as { lastNodeError?: unknown })?.lastNodeError;
    const e = inner instanceof Error ? inner : err;
    // A generic "Connection is closed" does not replace a reason already known.
    const generic = e instanceof Error && /^Connection is closed\.?$/.test(e.message);
    if (e instanceof Error && !(generic && this.#lastError !== undefined)) this.#lastError = e;
    debug('cluster error: %s', (err as Error)?.message);
  }

  /** Probes `node` (`host:port`) with a connection of its own, at most once per 2 s. */
  #diagnose(node: string): void {
    const now = Date.now();
    if (this.#isClosed() || this.#cluster.status === 'ready' || now - this.#lastProbeAt < 2000) return;
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
    probe.on('error', (err: Error) => this.#note(err));
    probe
      .connect()
      .catch(() => {})
      .finally(() => probe.disconnect());
  }
}
