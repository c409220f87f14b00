/**
 * One command for one slot, and the time budget of the operation that sends it: the part of
 * {@link ClusterStore} that talks to ioredis. A public call opens an {@link OpContext} with
 * {@link ClusterSender.begin}, sends every command through {@link ClusterSender.send}, and
 * bounds its whole work with {@link ClusterSender.bounded}.
 *
 * Each command carries the store's Redis-exact slot and goes through the cluster's own
 * `sendCommand`, so ioredis follows MOVED and ASK and retries CLUSTERDOWN and lost connections
 * within `maxRedirections`. Then:
 * - a `-TRYAGAIN` on a multi-key command (keys split across the two nodes of a slot being
 *   migrated) runs the caller's split instead: single-key commands, which ASK always resolves;
 * - errors that heal (failover, resharding, connection loss, CLUSTERDOWN, LOADING, READONLY)
 *   are retried by the store every `retryDelayMs` after a slot-table refresh, until the
 *   operation's `retryTimeoutMs` budget runs out; then a {@link ClusterUnavailableError};
 * - Redis errors that retrying cannot fix surface at once as a {@link CommandError}.
 * Writes here are idempotent (SET of a given value, DEL), so a retry after a lost reply cannot
 * produce a wrong value; `del`/`mdel` counts may under-report in that case.
 *
 * With `replicaAck`, a write that succeeded is followed by `WAIT` on the master connection
 * that took it (see replica-ack.ts).
 */
import { debuglog } from 'node:util';
import type { Key } from '../engine';
import { ClusterUnavailableError, CommandError, RingcacheError, StoreClosedError } from '../errors';
import type { ClusterLike, CommandCtor, NodeLike } from './cluster-client';
import type { ClusterStoreStats } from './cluster-store-options';
import { withCorked } from './connection';
import type { ReadSelector } from './read-selector';
import { notAcknowledged, type ReplicaAckOptions } from './replica-ack';
import type { ReadOptions } from './replicas';

const debug = debuglog('ringcache');

/** One public call's retry state, shared by all the commands it sends. */
export interface OpContext {
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

/** The same operation (deadline, attempts), its reads on masters only. */
export function onMaster(op: OpContext): OpContext {
  return { ...op, replica: false };
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

/** Commands that write (for {@link ClusterStoreOptions.replicaAck}). */
const WRITE_COMMANDS = new Set(['set', 'mset', 'del']);

/** What a {@link ClusterSender} is given by its store. */
export interface SenderOptions {
  /** The `Cluster` commands go through. */
  readonly cluster: Pick<ClusterLike, 'status' | 'slots' | 'sendCommand' | 'nodes' | 'refreshSlotsCache'>;
  readonly Command: CommandCtor;
  /** `ClusterStoreOptions.retryTimeoutMs`, validated (0: no budget and no store-level retries). */
  readonly retryTimeoutMs: number;
  /** `ClusterStoreOptions.retryDelayMs`, validated. */
  readonly retryDelayMs: number;
  /** Replica reads: the `scaleReads` function given to ioredis; undefined for master reads. */
  readonly selector: ReadSelector | undefined;
  /** `ClusterStoreOptions.replicaAck`, resolved; undefined when off. */
  readonly replicaAck: Required<ReplicaAckOptions> | undefined;
  /** The store's counters this module counts in. */
  readonly stats: Pick<ClusterStoreStats, 'retries' | 'splits' | 'replicaWaits'>;
  /** Whether the store was closed (a pending retry then stops with `StoreClosedError`). */
  isClosed(): boolean;
  /** Why the cluster's nodes can't be reached, when known (named by an operation that times out). */
  lastConnectionError(): Error | undefined;
}

/** Sends a {@link ClusterStore}'s commands: see the module comment. */
export class ClusterSender {
  /** `ClusterStoreOptions.replicaAck`, resolved; undefined when off. */
  readonly replicaAck: Required<ReplicaAckOptions> | undefined;
  readonly #cluster: SenderOptions['cluster'];
  readonly #Command: CommandCtor;
  readonly #retryTimeoutMs: number;
  readonly #retryDelayMs: number;
  readonly #selector: ReadSelector | undefined;
  readonly #stats: SenderOptions['stats'];
  readonly #isClosed: () => boolean;
  readonly #lastConnectionError: () => Error | undefined;

  constructor(o: SenderOptions) {
    this.#cluster = o.cluster;
    this.#Command = o.Command;
    this.#retryTimeoutMs = o.retryTimeoutMs;
    this.#retryDelayMs = o.retryDelayMs;
    this.#selector = o.selector;
    this.replicaAck = o.replicaAck;
    this.#stats = o.stats;
    this.#isClosed = () => o.isClosed();
    this.#lastConnectionError = () => o.lastConnectionError();
  }

  /** A new operation: its deadline (`retryTimeoutMs` from now) and attempt counter. */
  begin(encoding: 'utf8' | null = 'utf8', read?: ReadOptions): OpContext {
    const start = Date.now();
    const replica = this.#selector !== undefined && read?.fromMaster !== true;
    return { start, deadline: this.#retryTimeoutMs === 0 ? Infinity : start + this.#retryTimeoutMs, attempts: 0, encoding, replica };
  }

  /**
   * Rejects with `ClusterUnavailableError` when `work` is still pending at the deadline (ioredis
   * may be mid-way through its own redirections). Work that completes later is discarded; a
   * write may still apply after the rejection.
   */
  bounded<T>(op: OpContext, work: Promise<T>, name: string, key: Key): Promise<T> {
    if (op.deadline === Infinity) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const elapsedMs = Date.now() - op.start;
        const conn = this.#cluster.status === 'ready' ? undefined : this.#lastConnectionError();
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
  async send(slot: number, name: string, args: unknown[], key: Key, op: OpContext, onSplit?: () => Promise<unknown>): Promise<unknown> {
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
        if (this.#isClosed()) throw new StoreClosedError(`The store was closed while ${name.toUpperCase()} was pending`, { cause: err, key, slot, node });
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
        if (this.#isClosed()) throw new StoreClosedError(`The store was closed while ${name.toUpperCase()} was pending`, { cause: err, key, slot, node });
        continue;
      }
      if (this.replicaAck !== undefined && WRITE_COMMANDS.has(name)) {
        const nodeKey = this.#cluster.slots[slot]?.[0];
        await this.waitReplicas(nodeKey === undefined ? undefined : this.master(nodeKey), nodeKey, name, key, op);
      }
      return reply;
    }
  }

  /** Runs `one(i)` for every index (issued in one corked batch): the split of a multi-key command. */
  split<T>(idx: number[], one: (i: number) => Promise<T>): Promise<T[]> {
    this.#stats.splits++;
    const tasks: Promise<T>[] = [];
    this.corked(() => {
      for (const i of idx) tasks.push(one(i));
    });
    return Promise.all(tasks);
  }

  /**
   * Runs `send` (which must only issue commands synchronously) with every ready master socket
   * (every node's, with replica reads) corked, so each node gets the batch in one write.
   */
  corked(send: () => void): void {
    withCorked(this.#cluster.nodes(this.#selector === undefined ? 'master' : 'all'), send);
  }

  /**
   * The ready master connection for `host:port`, if any. Never a connection in READONLY mode:
   * there a replica would answer a script from its possibly lagging copy; a plain master
   * connection to a node that became a replica makes the script fail instead (MOVED inside).
   */
  master(nodeKey: string): NodeLike | undefined {
    for (const n of this.#cluster.nodes('master')) {
      if (n.status === 'ready' && n.options.readOnly !== true && `${n.options.host}:${n.options.port}` === nodeKey) return n;
    }
    return undefined;
  }

  /**
   * `WAIT replicas timeoutMs` on the master connection that took the write (WAIT counts the
   * replicas that acknowledged every write sent so far on that connection). Rejects when fewer
   * acknowledged, or the master is gone. Only with {@link replicaAck}.
   */
  async waitReplicas(node: NodeLike | undefined, nodeKey: string | undefined, name: string, key: Key, op: OpContext): Promise<void> {
    const ack = this.replicaAck!;
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
