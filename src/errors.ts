/**
 * Typed errors. Every error ringcache raises on purpose is a {@link RingcacheError} with a
 * stable `code` (match on it, not on the message), the underlying error kept as `cause`, and
 * whatever context is known: the key, its slot, the node that answered.
 *
 * Argument validation is the exception: it throws plain `TypeError`/`RangeError` naming the
 * argument (see `validate.ts`), like Node's own APIs.
 */
import type { Key } from './engine';

/** Context carried by a {@link RingcacheError}. */
export interface RingcacheErrorContext {
  /** The underlying error (an ioredis `ReplyError`, a socket error, …). */
  cause?: unknown;
  /** The key concerned (the first one, for a batch). */
  key?: Key;
  /** Its Redis Cluster slot. */
  slot?: number;
  /** The node concerned, as `host:port`. */
  node?: string;
}

/** Base class of ringcache's errors. */
export class RingcacheError extends Error {
  /** Stable, machine-readable code, e.g. `'ERR_RINGCACHE_COMMAND'`. */
  readonly code: string;
  readonly key?: Key;
  readonly slot?: number;
  readonly node?: string;

  constructor(code: string, message: string, context: RingcacheErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    if (context.key !== undefined) this.key = context.key;
    if (context.slot !== undefined) this.slot = context.slot;
    if (context.node !== undefined) this.node = context.node;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * Redis answered with an error that retrying cannot fix (`WRONGTYPE`, `OOM`, `NOPERM`, a
 * syntax error, …). `cause` is the reply error.
 */
export class CommandError extends RingcacheError {
  constructor(message: string, context: RingcacheErrorContext = {}) {
    super('ERR_RINGCACHE_COMMAND', message, context);
  }
}

/**
 * The cluster kept failing in ways that usually heal (failover, resharding, connection loss)
 * for longer than the retry budget (`retryTimeoutMs`). `cause` is the last failure.
 */
export class ClusterUnavailableError extends RingcacheError {
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** Milliseconds from the first attempt to giving up. */
  readonly elapsedMs: number;

  constructor(message: string, context: RingcacheErrorContext & { attempts: number; elapsedMs: number }) {
    super('ERR_RINGCACHE_CLUSTER_UNAVAILABLE', message, context);
    this.attempts = context.attempts;
    this.elapsedMs = context.elapsedMs;
  }
}

/** The store was closed (`close()`/`quit()`) before or while the operation ran. */
export class StoreClosedError extends RingcacheError {
  constructor(message = 'The store is closed', context: RingcacheErrorContext = {}) {
    super('ERR_RINGCACHE_CLOSED', message, context);
  }
}

/** An optional peer dependency (e.g. `ioredis`) is needed for this feature but not installed. */
export class MissingDependencyError extends RingcacheError {
  constructor(message: string, context: RingcacheErrorContext = {}) {
    super('ERR_RINGCACHE_MISSING_DEPENDENCY', message, context);
  }
}

/**
 * A tiered-cache operation gave up waiting: an L2 call past `l2.timeoutMs`, or a loader past its
 * hard timeout. `cause` is unset (nothing failed: it was too slow); `timeoutMs` is the limit.
 */
export class CacheTimeoutError extends RingcacheError {
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(message: string, context: RingcacheErrorContext & { timeoutMs: number }) {
    super('ERR_RINGCACHE_CACHE_TIMEOUT', message, context);
    this.timeoutMs = context.timeoutMs;
  }
}

/** The L2 circuit breaker is open: L2 failed repeatedly and is skipped until a probe succeeds. */
export class CircuitOpenError extends RingcacheError {
  constructor(message = 'The L2 circuit breaker is open', context: RingcacheErrorContext = {}) {
    super('ERR_RINGCACHE_CIRCUIT_OPEN', message, context);
  }
}

/**
 * A cache loader (the factory of `getOrSet`/`getOrSetMany`) threw and no stale value could be
 * served instead. `cause` is what the loader threw.
 */
export class LoaderError extends RingcacheError {
  constructor(message: string, context: RingcacheErrorContext = {}) {
    super('ERR_RINGCACHE_LOADER', message, context);
  }
}

/**
 * A node could not serve a command: connection refused or lost, no reply within the timeout,
 * ioredis gave up reconnecting, or (ring stores) no node is left on the ring. `node` names the
 * node (its ring id, e.g. `127.0.0.1:6379`, or a Sentinel master name), `key` the first key
 * of the command; `cause` is the ioredis error. Unlike {@link CommandError}, retrying later (or
 * on another node) may succeed.
 */
export class NodeUnavailableError extends RingcacheError {
  constructor(message: string, context: RingcacheErrorContext = {}) {
    super('ERR_RINGCACHE_NODE_UNAVAILABLE', message, context);
  }
}

/**
 * A cache write (`set`, `setMany`, `delete`, `deleteMany`, `clear`, `deleteByTag`) could not
 * reach L2 (option `l2WriteFailure: 'throw'`, the default). The writer's L1 does not keep the
 * new value (the key is dropped there), so every instance keeps reading what L2 holds; other
 * instances' L1 were still told to invalidate the keys (a timed-out write may have landed).
 * `keys` are the cache keys (with namespace) that failed; `cause` is the L2 error.
 */
export class CacheWriteError extends RingcacheError {
  /** The keys (L1 keys, namespace included) whose L2 write failed. */
  readonly keys: readonly string[];

  constructor(message: string, context: RingcacheErrorContext & { keys: readonly string[] }) {
    super('ERR_RINGCACHE_CACHE_WRITE', message, context);
    this.keys = context.keys;
  }
}
