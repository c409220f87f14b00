/**
 * The read path after L1: a key's L2 entry is read (batched with the other reads of this
 * turn), checked against its namespace and tag markers, and then is a hit (promoted into L1
 * unless the key was invalidated since the read began), a miss, or — when L2 failed — the
 * stale L1 value within its grace period.
 *
 * `get` → {@link ReadPath.getOne} → {@link ReadPath.readEntry} → (one MGET per turn) →
 * {@link ReadPath.batchOk} → {@link ReadPath.hitOrMiss}. `getMany` → {@link ReadPath.getFromL2}
 * → {@link ReadPath.readL2}. The load path (load-path.ts) reads through {@link ReadPath.readEntry}
 * and {@link ReadPath.readL2} too.
 *
 * Where a read is sent is decided in one place per shape: {@link ReadPath.readEntry} (one key,
 * batched) and {@link ReadPath.readL2} (a list, and the slow path with markers to fetch); a
 * per-key choice of source (say, a recently invalidated key read from the master rather than
 * a replica) belongs at the top of those two.
 */
import type { CacheTimeoutError } from '../errors';
import type { CacheBase } from './cache-core';
import { fromDecoded } from './candidate';
import { now as coarseNow } from './clock';
import type { Coherence } from './coherence';
import { decodeEntries, KIND_NEGATIVE, type DecodedEntry } from './envelope';
import type { L1Entry } from './l1';
import type { L2Calls } from './l2-calls';
import type { Resolved } from './resolve-options';
import { channels } from './stats';
import type { QueuedDeadline } from './timeouts';
import type { View } from './view';

/**
 * What {@link ReadPath.readEntry} calls back with: the key's L2 entry, null (missing, foreign,
 * or cleared by a marker) or undefined (L2 failed, was skipped or is absent), and the epoch
 * the read began in.
 */
export type EntryCallback = (entry: DecodedEntry | null | undefined, start: number) => void;

export class ReadPath {
  readonly #base: CacheBase;
  readonly #l2: L2Calls;
  readonly #coh: Coherence;
  /** options.batchGets: most keys per coalesced MGET, 0 = one GET per get(). */
  readonly #batchMax: number;
  /** get()s waiting for this turn's coalesced MGET (see {@link readEntry}). */
  #gets: GetBatch | undefined;

  constructor(base: CacheBase, l2: L2Calls, coh: Coherence, batchMax: number) {
    this.#base = base;
    this.#l2 = l2;
    this.#coh = coh;
    this.#batchMax = batchMax;
  }

  /**
   * `get` after an L1 miss, one key: its entry read as {@link readEntry} reads it, then a hit
   * (promoted into L1), a miss, or on an L2 failure the stale L1 value.
   */
  getOne(view: View, lk: string, stale: L1Entry | undefined, o: Resolved): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      this.readEntry(view, lk, (d, start) => {
        try {
          resolve(d === undefined ? this.staleOrMiss(lk, stale, true) : this.#hitOrMiss(view, lk, d, stale, o, start, coarseNow()));
        } catch (err) {
          resolve(Promise.reject(err));
        }
      });
    });
  }

  /** getMany after L1 missed: one L2 batch, promotion, fail-safe from L1's stale entries. */
  async getFromL2(view: View, lks: readonly string[], stales: readonly (L1Entry | undefined)[], o: Resolved): Promise<unknown[]> {
    const start = this.#coh.begin();
    try {
      const got = await this.readL2(view, lks);
      const out: unknown[] = got ?? new Array(lks.length);
      const now = coarseNow();
      for (let i = 0; i < lks.length; i++) {
        // In place over `got` (each entry is read before its slot is overwritten).
        out[i] = got === undefined ? this.staleOrMiss(lks[i], stales[i], true) : this.#hitOrMiss(view, lks[i], got[i], stales[i], o, start, now);
      }
      return out;
    } finally {
      this.#coh.end(start);
    }
  }

  /**
   * Reads one key's entry from L2 and calls `done(entry, start)` (see {@link EntryCallback}).
   * Hot path: when the namespace markers are known, the key joins this turn's batch: the keys
   * read while the current microtasks run go out as one MGET (up to `batchGets` keys each; a
   * batch of one is a GET), its reply decoded in one callback with one JSON.parse for all
   * values. Otherwise (or without L2), or for a tagged entry whose tag markers need reading,
   * the general {@link readL2} path.
   */
  readEntry(view: View, lk: string, done: EntryCallback): void {
    if (this.#l2.store === undefined || this.#coh.markers.stale(view.markers, coarseNow()) !== undefined) {
      this.#readSlow(view, lk, done);
      return;
    }
    let b = this.#gets;
    if (b === undefined) {
      b = this.#gets = new GetBatch();
      // As DataLoader does: after every promise job queued so far has run (they may read too),
      // then at once (process.nextTick, before any I/O).
      Promise.resolve(b).then(this.#scheduleFlush);
    }
    b.lks.push(lk);
    b.views.push(view);
    b.dones.push(done);
    if (b.lks.length >= this.#batchMax) {
      this.#gets = undefined;
      this.#flushGets(b);
    }
  }

  /** {@link readEntry} through {@link readL2} (markers to fetch first). */
  #readSlow(view: View, lk: string, done: EntryCallback): void {
    const start = this.#coh.begin();
    this.readL2(view, [lk])
      .then(
        (got) => done(got === undefined ? undefined : got[0], start),
        () => done(undefined, start),
      )
      .finally(() => this.#coh.end(start));
  }

  readonly #scheduleFlush = (b: GetBatch): void => {
    process.nextTick(this.#flushScheduled, b);
  };

  readonly #flushScheduled = (b: GetBatch): void => {
    if (this.#gets === b) this.#gets = undefined;
    if (b.lks.length > 0 && !b.sent) this.#flushGets(b);
  };

  /** Sends one batch of reads: a GET for one key, else one MGET. */
  #flushGets(b: GetBatch): void {
    b.sent = true;
    const n = b.lks.length;
    const l2 = this.#l2;
    if (!l2.allowed()) {
      this.#base.counters.l2Skipped += n - 1;
      const epoch = this.#coh.epoch;
      for (const done of b.dones) done(undefined, epoch);
      return;
    }
    const r = new BatchRead(b, this.#coh.begin(), this);
    const prefix = this.#base.prefix;
    try {
      if (n === 1) l2.getBuffer(prefix + b.lks[0]).then(r.one, r.fail);
      else l2.mgetBuffer(prefix === '' ? b.lks : b.lks.map((lk) => prefix + lk)).then(r.ok, r.fail);
    } catch (err) {
      r.fail(err);
      return;
    }
    if (l2.deadlines.enabled && !r.settled) l2.deadlines.add(r);
  }

  /** A batch's reply (called by {@link BatchRead}): each read gets its own entry. */
  batchOk(r: BatchRead, raw: readonly (Buffer | null)[]): void {
    this.#l2.breaker?.success();
    const { lks, views, dones } = r.batch;
    const markers = this.#coh.markers;
    const events = this.#base.events;
    let i = 0;
    try {
      const decoded = decodeEntries(raw, lks.length, this.#base.serializer, (j, err) => events.emitEvent('l2:error', { key: lks[j], error: err }));
      const now = coarseNow();
      for (; i < lks.length; i++) {
        const d = decoded[i];
        if (d?.tags !== undefined && markers.stale(d.tags.map((t) => `t:${t}`), now) !== undefined) {
          // Tag markers to read first: the general path (rare: once per markerCacheMs per tag).
          this.#readSlow(views[i], lks[i], dones[i]);
        } else {
          dones[i](d !== undefined && markers.passes(views[i].markers, d.createdAt, d.tags) ? d : null, r.start);
        }
      }
    } catch (err) {
      // Not expected (decoding errors are per entry): the reads left, this one included (its
      // callbacks settle promises, so a second call is harmless), are answered as failed.
      events.emitEvent('l2:error', { key: lks[i], error: err });
      for (; i < lks.length; i++) dones[i](undefined, r.start);
    } finally {
      this.#coh.end(r.start);
    }
  }

  /** A batch's failure or timeout (called by {@link BatchRead}): every read gets undefined. */
  batchFail(r: BatchRead, err: unknown): void {
    this.#l2.failed(err, r.batch.lks[0]);
    this.#coh.end(r.start);
    for (const done of r.batch.dones) done(undefined, r.start);
  }

  /** A timeout error for `key` (called by {@link BatchRead}). */
  l2TimeoutError(key: string): CacheTimeoutError {
    return this.#l2.timeoutError(key);
  }

  /**
   * Reads entries from L2 (with whatever markers need refreshing in the same MGET, and a second
   * read for the markers of tags not known yet). `undefined` when L2 failed or is absent;
   * otherwise one entry or null per key (null: missing, foreign, or cleared by a marker).
   */
  async readL2(view: View, lks: readonly string[]): Promise<(DecodedEntry | null)[] | undefined> {
    const l2 = this.#l2;
    if (l2.store === undefined) return undefined;
    const prefix = this.#base.prefix;
    const markers = this.#coh.markers;
    const now = coarseNow();
    const stale = markers.stale(view.markers, now);
    let raw: (Buffer | null)[];
    try {
      if (stale === undefined && lks.length === 1) {
        raw = [await l2.call(() => l2.getBuffer(prefix + lks[0]), lks[0])];
      } else {
        const keys = prefix === '' && stale === undefined ? (lks as string[]) : lks.map((lk) => prefix + lk);
        if (stale !== undefined) for (const n of stale) keys.push(markers.key(n));
        raw = await l2.call(() => l2.mgetBuffer(keys), lks[0]);
        if (stale !== undefined) markers.ingest(stale, raw, lks.length, coarseNow());
      }
    } catch {
      return undefined;
    }
    const decoded = decodeEntries(raw, lks.length, this.#base.serializer, (i, err) => this.#base.events.emitEvent('l2:error', { key: lks[i], error: err }));
    let tagNames: Set<string> | undefined;
    for (let i = 0; i < lks.length; i++) {
      const tags = decoded[i]?.tags;
      if (tags !== undefined) {
        for (const t of tags) {
          if (markers.isStale(`t:${t}`, now)) (tagNames ??= new Set()).add(`t:${t}`);
        }
      }
    }
    if (tagNames !== undefined) {
      const names = [...tagNames];
      try {
        const tr = await l2.call(() => l2.mgetBuffer(names.map((n) => markers.key(n))), names[0]);
        markers.ingest(names, tr, 0, coarseNow());
      } catch {
        // Unknown tag markers: a tagged entry cannot be proven valid, so it is a miss (a marker
        // not known fails markers.tagsPass below).
      }
    }
    // In place: the decoded entries become the answer (null: missing, foreign, or cleared).
    const floor = markers.floor(view.markers);
    for (let i = 0; i < decoded.length; i++) {
      const d = decoded[i];
      if (d === undefined || !(d.createdAt > floor && (d.tags === undefined || markers.tagsPass(d.tags, d.createdAt)))) (decoded as (DecodedEntry | null | undefined)[])[i] = null;
    }
    return decoded as (DecodedEntry | null)[];
  }

  /** A read's outcome for one key: a fresh L2 entry is promoted and returned; else a miss. */
  #hitOrMiss(view: View, lk: string, d: DecodedEntry | null, stale: L1Entry | undefined, o: Resolved, start: number, now: number): unknown {
    if (d !== null && now < d.expiresAt) {
      this.#base.counters.l2Hits++;
      if (channels.hit.hasSubscribers) channels.hit.publish({ cache: this.#base.name, key: lk, level: 'l2' });
      if (this.#base.l1 !== undefined) this.#coh.fillL1(lk, fromDecoded(d), o.l1TtlMs, now, start);
      return d.kind === KIND_NEGATIVE ? undefined : d.value;
    }
    this.#base.counters.l2Misses++;
    return this.staleOrMiss(lk, stale, false);
  }

  /** After an L2 miss or failure: the L1 entry within its grace period (failure only), else undefined. */
  staleOrMiss(lk: string, stale: L1Entry | undefined, failed: boolean): unknown {
    const now = coarseNow();
    if (failed && stale !== undefined && now < stale.staleUntil) {
      if (now >= stale.expiresAt) this.countStale(lk);
      return stale.negative ? undefined : stale.value;
    }
    if (channels.miss.hasSubscribers) channels.miss.publish({ cache: this.#base.name, key: lk });
    return undefined;
  }

  /** Counts (and reports) a stale value served. */
  countStale(lk: string): void {
    this.#base.counters.staleServed++;
    if (channels.stale.hasSubscribers) channels.stale.publish({ cache: this.#base.name, key: lk });
    this.#base.events.emitEvent('stale:served', { key: lk });
  }
}

/** Reads waiting to go out together, in parallel arrays (see {@link ReadPath.readEntry}). */
class GetBatch {
  readonly lks: string[] = [];
  readonly views: View[] = [];
  readonly dones: EntryCallback[] = [];
  sent = false;
}

/**
 * One in-flight L2 read of a {@link GetBatch} (a GET when it holds one key, else an MGET) and its
 * deadline entry: `ok`/`one`/`fail` (bound, for `promise.then`) and `expire` (the deadline
 * queue) settle it once; whichever comes later is ignored.
 */
class BatchRead implements QueuedDeadline {
  settled = false;
  deadline = 0;

  constructor(
    readonly batch: GetBatch,
    readonly start: number,
    readonly reads: ReadPath,
  ) {}

  readonly ok = (raw: (Buffer | null)[]): void => {
    if (this.settled) return;
    this.settled = true;
    this.reads.batchOk(this, raw);
  };

  /** The GET reply of a one-key batch. */
  readonly one = (b: Buffer | null): void => this.ok([b]);

  readonly fail = (err: unknown): void => {
    if (this.settled) return;
    this.settled = true;
    this.reads.batchFail(this, err);
  };

  expire(): void {
    this.reads.batchFail(this, this.reads.l2TimeoutError(this.batch.lks[0]));
  }
}
