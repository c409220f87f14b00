/**
 * Waiting for replicas to acknowledge a store's writes (Redis `WAIT`), shared by ClusterStore
 * (`replicaAck`) and RingStore (per node). Redis replication is asynchronous: a write a master
 * acknowledged and then lost in a failover (it died before a replica received it) comes back as
 * the old value, with no invalidation to follow. `WAIT n timeout` after the write, on the same
 * connection, resolves with how many replicas hold every write sent on that connection so far.
 */
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
