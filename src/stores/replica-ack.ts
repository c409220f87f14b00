/**
 * Waiting for replicas to acknowledge a store's writes (Redis `WAIT`), shared by ClusterStore
 * (`replicaAck`) and RingStore (per node). Redis replication is asynchronous: a write a master
 * acknowledged and then lost in a failover (it died before a replica received it) comes back as
 * the old value, with no invalidation to follow. `WAIT n timeout` after the write, on the same
 * connection, resolves with how many replicas hold every write sent on that connection so far.
 *
 * Here: the option and its check (both stores), the message of a write not acknowledged (both),
 * and {@link waitForAcks}, the `WAIT` a RingStore sends on each node it wrote to after a write
 * (ClusterStore sends its own through the cluster's node connection, counted in its stats).
 */
import type { Redis } from 'ioredis';
import type { Key } from '../engine';
import { NodeUnavailableError } from '../errors';
import { checkInteger, describe } from '../validate';

/** See `ClusterStoreOptions.replicaAck` and `RingNodeConfig.replicaAck`. */
export interface ReplicaAckOptions {
  /** Replicas that must acknowledge (`WAIT numreplicas`). @default 1 */
  replicas?: number;
  /** How long to wait for them (`WAIT … timeout`), in ms; must be positive (0 would wait forever). @default 1000 */
  timeoutMs?: number;
}

/** Validates the option (`name` is its path in messages); undefined when off. */
export function resolveReplicaAck(o: ReplicaAckOptions | false | undefined, name: string): Required<ReplicaAckOptions> | undefined {
  if (o === false || o === undefined) return undefined;
  if (typeof o !== 'object' || o === null) throw new TypeError(`Expected false or an object for ${name} but received ${describe(o)}`);
  const r = { replicas: o.replicas ?? 1, timeoutMs: o.timeoutMs ?? 1000 };
  checkInteger(r.replicas, `${name}.replicas`, 1, 1000);
  checkInteger(r.timeoutMs, `${name}.timeoutMs`, 1, 2 ** 31 - 1);
  return r;
}

/** The message of a write that was not acknowledged in time. */
export function notAcknowledged(command: string, ack: Required<ReplicaAckOptions>, node: string | undefined, why: string): string {
  return `${command.toUpperCase()} was not acknowledged by ${ack.replicas} replica(s) of ${node ?? 'its master'} within ${ack.timeoutMs} ms: ${why}`;
}

/** A node {@link waitForAcks} waits on: its connection, and its `replicaAck` (none: no wait). */
export interface AckNode {
  readonly id: string;
  readonly client: Pick<Redis, 'call'>;
  readonly replicaAck: Required<ReplicaAckOptions> | undefined;
}

/**
 * `WAIT replicas timeoutMs` on each node with `replicaAck`, after its writes (`command` of
 * `key`, for the message). Fewer acknowledgements, or a failed WAIT, reject with a
 * `NodeUnavailableError` naming the node (the write may still have applied on the master).
 */
export async function waitForAcks(nodes: Iterable<AckNode>, command: string, key: Key): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const m of nodes) {
    const ack = m.replicaAck;
    if (ack === undefined) continue;
    waits.push(
      m.client.call('WAIT', ack.replicas, ack.timeoutMs).then(
        (n) => {
          if (Number(n) < ack.replicas) throw new NodeUnavailableError(notAcknowledged(command, ack, m.id, `${Number(n)} acknowledged`), { key, node: m.id });
        },
        (err: unknown) => {
          throw new NodeUnavailableError(notAcknowledged(command, ack, m.id, (err as Error)?.message ?? String(err)), { cause: err, key, node: m.id });
        },
      ),
    );
  }
  await Promise.all(waits);
}
