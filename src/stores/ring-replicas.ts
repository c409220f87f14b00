/**
 * Replica reads of a RingStore (`scaleReads`): each Sentinel-managed node reads from its own
 * replicas (a {@link SentinelReplicas} per node, see `replicas.ts`); plain nodes read their one
 * server.
 *
 * RingStore holds one {@link RingReplicaReads}: it checks the policy against the nodes before
 * any connection opens, makes the replica set of each node as it joins, and sends a read of a
 * node that has one to a replica — or, when no replica is usable or the chosen one failed as a
 * node, back to the store, which reads the node itself and counts the outcome as for any command
 * (failures, ejection). Writes always go to the node; their acknowledgement by its replicas
 * (`replicaAck`) is `waitForAcks` in `replica-ack.ts`.
 */
import type { Redis } from 'ioredis';
import type { Key } from '../engine';
import { classify } from './arguments';
import type { ConnectionOptions, Ioredis, ParsedNode } from './connection';
import {
  MASTER,
  isSentinelNode,
  noReplicasError,
  replicaReadOptions,
  replicasFor,
  type ReplicaReadOptions,
  type ScaleReads,
  type SentinelReplicas,
} from './replicas';

/** A node as its replica reads need it. */
export interface ReplicaNode {
  readonly id: string;
  readonly client: Redis;
  /** Its replica set; undefined when its reads go to the node. */
  readonly replicas: SentinelReplicas | undefined;
}

/** The store's read of `node` itself, counted as its commands are (`reply` already sent). */
export type NodeRead<N extends ReplicaNode> = <T>(node: N, command: string, key: Key, reply: Promise<T>) => Promise<T>;

/** Where a RingStore's reads go, under its `scaleReads` policy. */
export class RingReplicaReads<N extends ReplicaNode> {
  /** The policy of the Sentinel-managed nodes. */
  readonly policy: ScaleReads;
  readonly #refreshMs: number;
  readonly #io: Ioredis;
  readonly #options: ConnectionOptions & ReplicaReadOptions;
  readonly #onNode: NodeRead<N>;

  /**
   * Checks `options.scaleReads` and `options.replicaRefreshMs` (errors name them).
   * @param onNode how the store reads a node itself (a read no replica takes).
   */
  constructor(io: Ioredis, options: ConnectionOptions & ReplicaReadOptions, onNode: NodeRead<N>) {
    ({ policy: this.policy, refreshMs: this.#refreshMs } = replicaReadOptions(options));
    this.#io = io;
    this.#options = options;
    this.#onNode = onNode;
  }

  /** RangeError naming `options.scaleReads` when a replica policy has no Sentinel-managed node to apply to. */
  check(nodes: readonly ParsedNode[]): void {
    if (this.policy !== 'master' && !nodes.some(isSentinelNode)) {
      throw noReplicasError(this.policy, 'options.scaleReads', 'no node is Sentinel-managed ({ sentinels, name })');
    }
  }

  /** The replica set of a joining node: undefined under `'master'` and for a plain node. */
  replicasOf(node: ParsedNode): SentinelReplicas | undefined {
    if (!isSentinelNode(node)) return undefined;
    return replicasFor(this.#io, node, this.policy, 'options.scaleReads', this.#refreshMs, this.#options);
  }

  /**
   * A read (`command` of `key`) on one of `node`'s replicas; on the node itself (counted as
   * usual) when none is usable or the replica failed. A reply error of the command itself (the
   * replica is fine) rejects as such, and is not a node failure.
   */
  async read<T>(node: N, command: string, key: Key, read: (c: Redis) => Promise<T>): Promise<T> {
    let v: T | typeof MASTER;
    try {
      v = await node.replicas!.read(read);
    } catch (err) {
      if (err instanceof RangeError) throw err;
      throw classify(err, this.#io.ReplyError, command, node.id, key).error;
    }
    return v === MASTER ? this.#onNode(node, command, key, read(node.client)) : v;
  }
}
