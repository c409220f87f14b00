/**
 * What the cache accepts as its L2, and how it is reached: any KeyValueStore as is, a plain
 * ioredis `Redis` wrapped in a RedisStore, a `Cluster` in a ClusterStore. The bus and the lease
 * lock need a raw ioredis client: the one given, or the one a store exposes (`cluster`,
 * `redis` or `client`).
 */
import type { Cluster, Redis } from 'ioredis';
import { ClusterStore } from '../stores/cluster-store';
import { RedisStore } from '../stores/redis-store';
import type { KeyValueStore } from '../stores/store';
import { describe } from '../validate';
import type { L2Source } from './options';

/** An ioredis client (standalone, Sentinel-backed or Cluster). */
export type RawClient = Redis | Cluster;

export function isIoredis(x: unknown): x is RawClient {
  const c = x as { sendCommand?: unknown; duplicate?: unknown; status?: unknown } | null;
  return typeof c === 'object' && c !== null && typeof c.sendCommand === 'function' && typeof c.duplicate === 'function' && typeof c.status === 'string';
}

function isStore(x: unknown): x is KeyValueStore {
  const s = x as Record<string, unknown> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.getBuffer === 'function' &&
    typeof s.mgetBuffer === 'function' &&
    typeof s.set === 'function' &&
    typeof s.mset === 'function' &&
    typeof s.mdel === 'function' &&
    typeof s.del === 'function'
  );
}

/** The ioredis client behind an L2 source, for the bus and the lock (undefined if none). */
export function rawClientOf(l2: unknown): RawClient | undefined {
  if (isIoredis(l2)) return l2;
  const s = l2 as { cluster?: unknown; redis?: unknown; client?: unknown } | null;
  if (typeof s !== 'object' || s === null) return undefined;
  for (const c of [s.cluster, s.redis, s.client]) if (isIoredis(c)) return c;
  return undefined;
}

/** The KeyValueStore to use for an L2 source (ioredis clients are wrapped, never closed). */
export function toStore(l2: L2Source): KeyValueStore {
  if (isIoredis(l2)) {
    return (l2 as Cluster).isCluster === true ? new ClusterStore(l2 as Cluster) : new RedisStore(l2 as Redis);
  }
  if (isStore(l2)) return l2;
  throw new TypeError(`Expected a KeyValueStore or an ioredis Redis/Cluster for options.l2 but received ${describe(l2)}`);
}
