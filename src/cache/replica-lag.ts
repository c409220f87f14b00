/**
 * Closes hole (c) of a cache whose L2 reads from replicas (`scaleReads: 'slave' | 'all'`).
 *
 * The hole: instance A writes key K to the master and publishes K's invalidation; instance B
 * gets the message before the replica it reads from has the write (the bus is one hop, the
 * replication stream is another, and nothing orders them). B drops K from L1, reads K again —
 * from the replica, which still has the old value — and keeps that in L1. No further
 * invalidation of K will come: B serves the old value until its L1 TTL ends, long after the
 * replica caught up.
 *
 * The mechanism chosen: after an invalidation of K (from the bus or a local write), B reads K
 * from the MASTER (`{ fromMaster: true }`) for `replicaLagMs`; after a broad invalidation (clear,
 * tags, bus lost or restored: keys unknown), every read goes to the master for `replicaLagMs`.
 * Guarantee: as long as the replication lag stays under `replicaLagMs`, no instance puts a value
 * older than the invalidation into L1, so once the replica has caught up no instance serves the
 * old value. While a replica lags, a read of a key that was NOT invalidated recently may return
 * a value up to the lag old (as any replica read); past `replicaLagMs` of lag, an invalidated
 * key can again be read old from the replica and kept in L1 until its L1 TTL (`l1.ttlMs`) —
 * set `replicaLagMs` above the worst lag you accept.
 *
 * Trade-offs of the alternatives (not chosen):
 * - `WAIT n timeout` after each write, before publishing: exact (the replicas have the write
 *   when the message leaves), but every write waits for the slowest replica, a dead replica
 *   makes every write wait the full timeout, and the cache would have to know the replica count
 *   of each shard.
 * - Replication offsets in the bus message (the writer's `master_repl_offset`, the reader
 *   checking its replica's offset before reading): exact without slowing writes, but the offset
 *   is per master (one per shard of a cluster, read with INFO after each write) and the reader
 *   would need an INFO per replica per invalidated read.
 * The window costs only master reads of recently invalidated keys (on a broad invalidation, of
 * every key for `replicaLagMs`).
 *
 * Memory: one entry per key invalidated within the last `replicaLagMs`, at most `maxKeys`;
 * beyond that the guard sends every read to the master for `replicaLagMs` (safe) and forgets
 * the keys.
 */

/** Most keys tracked; beyond, every read goes to the master for the window. */
const DEFAULT_MAX_KEYS = 100_000;

export class ReplicaLagGuard {
  readonly lagMs: number;
  readonly #maxKeys: number;
  /** L2 key → end of its master-read window, in insertion (= time) order. */
  readonly #until = new Map<string, number>();
  /** End of the window in which every read goes to the master. */
  #allUntil = 0;
  /** Reads sent to the master because of the window (diagnostics, tests). */
  masterReads = 0;

  constructor(lagMs: number, maxKeys = DEFAULT_MAX_KEYS) {
    this.lagMs = lagMs;
    this.#maxKeys = maxKeys;
  }

  /** L2 key `key` was invalidated at `now`. */
  noteKey(key: string, now: number): void {
    this.#prune(now);
    this.#until.delete(key); // re-inserted at the end: the map stays in time order
    this.#until.set(key, now + this.lagMs);
    if (this.#until.size > this.#maxKeys) this.noteAll(now);
  }

  /** Every key may have been invalidated at `now` (clear, tags, bus lost or restored). */
  noteAll(now: number): void {
    this.#allUntil = now + this.lagMs;
    this.#until.clear();
  }

  /** Whether a read of `keys` at `now` must go to the master. */
  fromMaster(keys: string | readonly string[], now: number): boolean {
    let master = now < this.#allUntil;
    if (!master && this.#until.size > 0) {
      this.#prune(now);
      if (typeof keys === 'string') master = this.#until.has(keys);
      else for (let i = 0; i < keys.length && !master; i++) master = this.#until.has(keys[i]);
    }
    if (master) this.masterReads++;
    return master;
  }

  /** Drops the windows that ended (the oldest first). */
  #prune(now: number): void {
    for (const [k, end] of this.#until) {
      if (end > now) break;
      this.#until.delete(k);
    }
  }
}

/** What {@link lagGuardedReads} reads through: a store that may read from replicas. */
interface ReplicaReadingStore {
  scaleReads?: unknown;
  getBuffer(key: string, options?: { fromMaster?: boolean }): Promise<Buffer | null>;
  mgetBuffer(keys: readonly string[], options?: { fromMaster?: boolean }): Promise<(Buffer | null)[]>;
}

const FROM_MASTER = Object.freeze({ fromMaster: true });

/**
 * For an L2 store that reads from replicas (its `scaleReads` is `'slave'` or `'all'`) and a
 * positive `lagMs`: the guard, and the cache's L2 reads through it. Undefined otherwise (reads
 * stay as they were, at no cost).
 */
export function lagGuardedReads(
  store: ReplicaReadingStore | undefined,
  lagMs: number,
  now: () => number,
):
  | { guard: ReplicaLagGuard; getBuffer: (key: string) => Promise<Buffer | null>; mgetBuffer: (keys: string[]) => Promise<(Buffer | null)[]> }
  | undefined {
  if (store === undefined || lagMs === 0 || (store.scaleReads !== 'slave' && store.scaleReads !== 'all')) return undefined;
  const guard = new ReplicaLagGuard(lagMs);
  return {
    guard,
    getBuffer: (k) => (guard.fromMaster(k, now()) ? store.getBuffer(k, FROM_MASTER) : store.getBuffer(k)),
    mgetBuffer: (ks) => (guard.fromMaster(ks, now()) ? store.mgetBuffer(ks, FROM_MASTER) : store.mgetBuffer(ks)),
  };
}
