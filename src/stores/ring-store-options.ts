/**
 * The API surface of {@link RingStore} apart from its logic: its options and their defaults,
 * the node configs it is given and how they are checked and named (`parseRingNode`,
 * `checkDistinct`, used by the constructor, `addNode` and `movement`), and the types of what it
 * reports (`nodes`, events, `movement` changes).
 */
import type { Compatibility, HashRingOptions } from '../ring/hash-ring';
import { checkInteger, describe } from '../validate';
import { parseNode, type ConnectionOptions, type NodeSpec, type ParsedNode } from './connection';
import { resolveReplicaAck, type ReplicaAckOptions } from './replica-ack';
import type { ReplicaReadOptions } from './replicas';
import type { RingStore } from './ring-store';

/** A node with its ring settings. */
export interface RingNodeConfig {
  /** The node: a URL or `'host:port'`, ioredis options (`{ sentinels, name }`), or a `Redis`. */
  node: NodeSpec;
  /**
   * Its name on the ring: what {@link RingStore.nodeFor} returns and what its points are hashed
   * from (in every mode but twemproxy with an `alias`). Keep the default to agree with
   * twemproxy, libmemcached or another hashring client listing the same addresses.
   * @default `host:port`, the socket path, or the Sentinel master name
   */
  id?: string;
  /**
   * Relative weight, a positive integer.
   * @default 1
   */
  weight?: number;
  /** twemproxy's server name (`host:port:weight name`): names the points in `'twemproxy'` mode. */
  alias?: string;
  /**
   * Wait for replicas of this node (a Sentinel-backed master, or a standalone one with replicas)
   * to acknowledge every write (`set`, `mset`, `del`, `mdel`): `WAIT replicas timeoutMs` on the
   * node's connection after the write; fewer acknowledgements reject the call with
   * `NodeUnavailableError` (the write may still have applied on the master) without counting a
   * node failure. See `ClusterStoreOptions.replicaAck` for why. `false`: off.
   * @default false
   */
  replicaAck?: ReplicaAckOptions | false;
}

/** A node of a {@link RingStore}. */
export type RingNode = NodeSpec | RingNodeConfig;

/**
 * Options of {@link RingStore}. `scaleReads` applies to the Sentinel-managed nodes (each shard
 * reads from its own replicas); plain nodes read their one server.
 */
export interface RingStoreOptions extends ConnectionOptions, ReplicaReadOptions {
  /**
   * Placement: `undefined` for hashring's (md5 ketama, 40 vnodes, 4 points each), or
   * `'libmemcached'`, `'twemproxy'`, `'libketama'`, `'hash_ring'` (see {@link HashRing}).
   * @default undefined
   */
  compatibility?: Compatibility;
  /**
   * Ring hash: `'md5'`, or `'murmur3'` (faster, hashring modes only).
   * @default 'md5'
   */
  algorithm?: 'md5' | 'murmur3';
  /** Other {@link HashRingOptions} (`'vnode count'`, `replicas`, …) for hashring placement. */
  ringOptions?: Omit<HashRingOptions, 'compatibility' | 'engine'>;
  /**
   * twemproxy-style hash tag: two characters; a key is placed by the text between them.
   * @default undefined (the whole key)
   */
  hashTag?: string;
  /**
   * Take a node off the ring after `ejectAfter` consecutive failures (twemproxy's
   * `auto_eject_hosts`). Off: failures reject with `NodeUnavailableError` and keys stay put.
   * @default true
   */
  autoEject?: boolean;
  /**
   * Consecutive failures that eject a node (twemproxy's `server_failure_limit`).
   * @default 2
   */
  ejectAfter?: number;
  /**
   * Pause between health probes (`PING`) of an ejected node (twemproxy's
   * `server_retry_timeout`). A restarted cache node is back within a few seconds.
   * @default 5000
   */
  retryAfterMs?: number;
}

/** The default {@link RingStoreOptions} (connection defaults: `DEFAULT_CONNECTION_OPTIONS`). */
export const DEFAULT_RING_STORE_OPTIONS: Readonly<Required<Pick<RingStoreOptions, 'algorithm' | 'autoEject' | 'ejectAfter' | 'retryAfterMs'>>> =
  Object.freeze({
    algorithm: 'md5',
    autoEject: true,
    ejectAfter: 2,
    retryAfterMs: 5000,
  });

/** A node's health as the store sees it. */
export type RingNodeState = 'up' | 'down' | 'ejected';

/** What {@link RingStore.nodes} lists. */
export interface RingNodeInfo {
  id: string;
  weight: number;
  alias?: string;
  state: RingNodeState;
  /** Consecutive failures. */
  failures: number;
  /** Whether its keys are placed on it now. */
  onRing: boolean;
}

/** Payload of the `'down'`, `'ejected'` and `'restored'` events. */
export interface RingNodeEvent {
  /** The node's id. */
  node: string;
  /** Consecutive failures so far (0 on `'restored'`). */
  failures: number;
  /** The failure that caused the event (`'down'`, `'ejected'`). */
  error?: unknown;
  /** `'restored'`: milliseconds since its first failure. */
  downMs?: number;
}

/** Events of a {@link RingStore}. */
export interface RingStoreEvents {
  /** A healthy node failed a command. */
  down: [event: RingNodeEvent];
  /** A node left the ring after `ejectAfter` failures. */
  ejected: [event: RingNodeEvent];
  /** A failing node answered again (and, if it was ejected, is back on the ring). */
  restored: [event: RingNodeEvent];
}

/** A change of membership for {@link RingStore.movement}. */
export interface MembershipChange {
  add?: readonly RingNode[];
  /** Ids of nodes to remove. */
  remove?: readonly string[];
}

/** Ring entry of a node: what placement depends on. */
export interface Placed {
  id: string;
  weight: number;
  alias: string | undefined;
  replicaAck?: Required<ReplicaAckOptions>;
}

function isConfig(x: unknown): x is RingNodeConfig {
  return typeof x === 'object' && x !== null && 'node' in x && (x as RingNodeConfig).node !== undefined;
}

/** Checks a ring node and names it. */
export function parseRingNode(node: unknown, name: string): Placed & { parsed: ParsedNode } {
  if (!isConfig(node)) {
    const parsed = parseNode(node, name);
    return { id: parsed.defaultId, weight: 1, alias: undefined, parsed };
  }
  const parsed = parseNode(node.node, `${name}.node`);
  const id = node.id ?? parsed.defaultId;
  if (typeof id !== 'string' || id === '') throw new TypeError(`Expected a non-empty string for ${name}.id but received ${describe(id)}`);
  const weight = node.weight ?? 1;
  checkInteger(weight, `${name}.weight`, 1, 0x7fffffff);
  if (node.alias !== undefined && (typeof node.alias !== 'string' || node.alias === '')) {
    throw new TypeError(`Expected a non-empty string for ${name}.alias but received ${describe(node.alias)}`);
  }
  return { id, weight, alias: node.alias, parsed, replicaAck: resolveReplicaAck(node.replicaAck, `${name}.replicaAck`) };
}

/** Throws when an id of `added` is taken, by `existing` or by another of `added`. */
export function checkDistinct(added: readonly Placed[], existing: readonly Placed[]): void {
  const seen = new Set(existing.map((e) => e.id));
  for (const p of added) {
    if (seen.has(p.id)) throw new RangeError(`Expected distinct node ids but '${p.id}' appears twice (give one an id)`);
    seen.add(p.id);
  }
}
