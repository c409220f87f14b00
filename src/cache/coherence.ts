/**
 * Coherence: what keeps every instance's L1 — and the results of reads and loads in flight —
 * true to L2. Per-key epochs, the namespace/tag markers' effect on L1, the bus and its messages,
 * and the repair of loads that raced another instance's write.
 *
 * Epoch rule (closes bentocache's hole (a)): every invalidation of a key — a local set/delete or
 * a bus message — bumps a global sequence number and records it for that key while any L2 read
 * or load is in flight. A read or load remembers the sequence number at its start
 * ({@link Coherence.begin}) and may put its result into L1 (or L2, for a load) only if the key
 * was not invalidated since ({@link Coherence.valid}). Broad invalidations (namespace clear,
 * tags, bus loss or gap) block every older read. The same check guards fail-safe: a stale value
 * answers only if its key was not invalidated since the read or load began. An invalidation also
 * detaches the key's in-flight loads, so a later caller never joins a load that began before it.
 * The per-key table keeps only what an open read can still need, and is bounded
 * (see {@link MAX_KEY_EPOCHS}).
 */
import type { Redis, Cluster } from 'ioredis';
import type { CacheBase } from './cache-core';
import { Bus, type BusMessage, type BusStats } from './bus';
import { estimateSize, freezeValue, type Candidate } from './candidate';
import { now as coarseNow } from './clock';
import { L1Entry } from './l1';
import type { L2Calls } from './l2-calls';
import { Markers } from './markers';
import type { SingleFlight } from './single-flight';
import { channels } from './stats';

/** Most per-key invalidation epochs kept while reads are in flight (then one broad invalidation). */
const MAX_KEY_EPOCHS = 10_000;
/** How long after writing a loaded value an invalidation of that key triggers a repair DEL. */
const LOAD_REPAIR_WINDOW_MS = 2000;
const LOAD_REPAIR_MAX_KEYS = 10_000;

/** The bus of a cache, options checked. */
export interface BusSetup {
  client: Redis | Cluster;
  channel: string;
  sharded: boolean;
  /** options.bus.degradedL1TtlMs */
  degradedL1Ms: number;
  /** options.l2TimeoutMs: bounds each PUBLISH. */
  publishTimeoutMs: number;
}

export class Coherence {
  readonly markers: Markers;
  readonly #base: CacheBase;
  readonly #l2: L2Calls;
  readonly #bus: Bus | undefined;
  readonly #publishTimeoutMs: number;
  /** What an invalidation detaches: callers' single-flight slots and running loads (see load-path.ts). */
  readonly #flights: SingleFlight<unknown>;
  readonly #loads: Map<string, Promise<Candidate>>;
  /** False while a configured bus is not subscribed: L1 is then neither read (it is empty) nor filled. */
  #trusted = true;
  /** While untrusted, L1 may still hold entries for at most this long (0: not at all). */
  readonly #degradedL1Ms: number;

  #seq = 0;
  #broadSeq = 0;
  /** The newest epoch a read or load began in. */
  #lastBegin = -1;
  /** Epoch → reads/loads that began in it and are still in flight (ascending: epochs only grow). */
  readonly #open = new Map<number, number>();
  /** Key → epoch of its last invalidation, kept in ascending epoch order (see {@link end}). */
  readonly #keySeq = new Map<string, number>();
  /** L1 key → when this instance last wrote a loaded value for it to L2 (bus only; see #repairLoadWrites). */
  readonly #loadWrites = new Map<string, number>();

  constructor(base: CacheBase, l2: L2Calls, markerCacheMs: number, flights: SingleFlight<unknown>, loads: Map<string, Promise<Candidate>>, bus: BusSetup | undefined) {
    this.#base = base;
    this.#l2 = l2;
    this.#flights = flights;
    this.#loads = loads;
    this.markers = new Markers(base.prefix, markerCacheMs, (name, at) => this.#onNewerMarker(name, at));
    this.#degradedL1Ms = bus?.degradedL1Ms ?? 0;
    this.#publishTimeoutMs = bus?.publishTimeoutMs ?? 0;
    if (bus !== undefined) {
      const events = base.events;
      this.#trusted = false;
      this.#bus = new Bus(bus.client, bus.channel, bus.sharded, {
        onMessage: (m) => this.#onBusMessage(m),
        onLost: (reason) => {
          this.#trusted = false;
          this.#flushL1();
          events.emitEvent('bus:lost', { reason });
          if (channels.bus.hasSubscribers) channels.bus.publish({ cache: base.name, reason: 'lost' });
        },
        onRestored: (first) => {
          this.#flushL1();
          this.#trusted = true;
          events.emitEvent('bus:restored', { first });
          if (channels.bus.hasSubscribers) channels.bus.publish({ cache: base.name, reason: 'restored' });
        },
        onDenied: (error) => events.emitEvent('bus:error', { error }),
        onGap: (publisher, expected, got) => {
          this.#flushL1();
          events.emitEvent('bus:gap', { publisher, expected, got });
          if (channels.bus.hasSubscribers) channels.bus.publish({ cache: base.name, reason: 'gap' });
        },
      });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Epochs

  /** The current epoch (what a read that began now would get from {@link begin}). */
  get epoch(): number {
    return this.#seq;
  }

  /** Reads and loads in flight (each holder of an open epoch). */
  get inflight(): number {
    let n = 0;
    for (const c of this.#open.values()) n += c;
    return n;
  }

  get keyEpochs(): number {
    return this.#keySeq.size;
  }

  get loadWrites(): number {
    return this.#loadWrites.size;
  }

  /** A read or load begins: returns its epoch (its `start`); pair with {@link end}. */
  begin(): number {
    const s = this.#seq;
    this.#open.set(s, (this.#open.get(s) ?? 0) + 1);
    this.#lastBegin = s;
    return s;
  }

  /** One more holder of an open epoch (a load running past its caller); pair with {@link end}. */
  retain(start: number): void {
    this.#open.set(start, this.#open.get(start)! + 1);
  }

  /**
   * A read or load of epoch `start` is done. A key's entry only blocks what began before it,
   * so the entries at or below the oldest epoch still open go (the table is in epoch order).
   */
  end(start: number): void {
    const n = this.#open.get(start)!;
    if (n > 1) {
      this.#open.set(start, n - 1);
      return;
    }
    this.#open.delete(start);
    if (this.#open.size === 0) {
      if (this.#keySeq.size > 0) this.#keySeq.clear();
      return;
    }
    const oldest = this.#open.keys().next();
    for (const [lk, s] of this.#keySeq) {
      if (s > oldest.value!) break;
      this.#keySeq.delete(lk);
    }
  }

  /** Whether `lk` was not invalidated since epoch `start` began. */
  valid(lk: string, start: number): boolean {
    if (this.#broadSeq > start) return false;
    const k = this.#keySeq.get(lk);
    return k === undefined || k <= start;
  }

  /** A key changed (here or elsewhere): drop it from L1 and block older in-flight results. */
  invalidateKey(lk: string): void {
    this.#l2.lag?.noteKey(this.#base.prefix + lk, coarseNow());
    this.#seq++;
    // Only while something that began after the last broad invalidation is in flight (what
    // began before it is blocked anyway).
    if (this.#open.size > 0 && this.#lastBegin >= this.#broadSeq) {
      this.#flights.forget(lk);
      this.#loads.delete(lk);
      this.#keySeq.delete(lk); // re-inserted at the end: the table stays in epoch order
      this.#keySeq.set(lk, this.#seq);
      // A load that never ends (a hung loader) keeps its epoch open: past the bound, block
      // every older read instead (they store nothing; callers still get their values).
      if (this.#keySeq.size > MAX_KEY_EPOCHS) this.#invalidateBroad();
    }
    this.#base.l1?.delete(lk);
  }

  #invalidateBroad(): void {
    this.#l2.lag?.noteAll(coarseNow());
    this.#seq++;
    this.#broadSeq = this.#seq;
    // Every key entry blocks only reads older than this: they are all blocked now.
    this.#keySeq.clear();
    this.#flights.forgetAll();
    this.#loads.clear();
  }

  #flushL1(): void {
    this.#invalidateBroad();
    this.#base.counters.flushes++;
    this.#base.l1?.clear();
  }

  // ------------------------------------------------------------------------------------------
  // Filling L1

  /**
   * How long L1 may keep an entry now, at most `ms`: `ms` while the bus (if any) is
   * subscribed; while it is down nothing can invalidate the entry, so at most degradedL1TtlMs
   * (0: L1 is not filled; the whole L1 is flushed when the subscription is back).
   */
  l1Ms(ms: number): number {
    return this.#trusted ? ms : Math.min(ms, this.#degradedL1Ms);
  }

  /**
   * Puts a candidate into L1 with the L1 TTL cap, unless L1 may not be filled now or (with
   * `start`, the epoch of the read or load that produced it) the key was invalidated since.
   */
  fillL1(lk: string, c: Candidate, l1TtlMs: number, now: number, start: number | undefined): void {
    const l1 = this.#base.l1;
    if (l1 === undefined || (!this.#trusted && this.#degradedL1Ms === 0)) return;
    if (start !== undefined && !this.valid(lk, start)) {
      this.#base.counters.supersededWrites++;
      return;
    }
    if (c.size === 0 && l1.bytesBounded) c.size = estimateSize(c.value, this.#base.serializer);
    const freshUntil = Math.min(c.expiresAt, now + this.l1Ms(l1TtlMs));
    l1.set(lk, new L1Entry(c.negative ? undefined : freezeValue(c.value, this.#base.freeze), c.negative, freshUntil, c.expiresAt, c.staleUntil, c.createdAt, c.tags, c.size));
  }

  // ------------------------------------------------------------------------------------------
  // Markers (namespace clears, tag deletions)

  /** A marker got newer: drop the L1 entries it covers, block older in-flight reads. */
  #onNewerMarker(name: string, at: number): void {
    this.#invalidateBroad();
    const l1 = this.#base.l1;
    if (l1 === undefined) return;
    if (name.startsWith('n:')) {
      const ns = name.slice(2);
      if (ns === '') l1.clear();
      else {
        // Its own keys (`@ns@…`) and its nested views' (`@ns:…`).
        const own = `@${ns}@`;
        const nested = `@${ns}:`;
        l1.deleteWhere((k, e) => (k.startsWith(own) || k.startsWith(nested)) && e.createdAt <= at);
      }
    } else {
      const tag = name.slice(2);
      l1.deleteWhere((_k, e) => e.tags !== undefined && e.tags.includes(tag) && e.createdAt <= at);
    }
  }

  /** A marker from the bus: its new time, or (`r`: its L2 write failed) drop what it covers and re-read it. */
  #applyMarker(name: string, m: BusMessage, now: number): void {
    if (m.r !== 1) {
      this.markers.apply(name, m.at ?? now, now);
      return;
    }
    this.#onNewerMarker(name, m.at ?? now);
    this.markers.forget(name);
  }

  // ------------------------------------------------------------------------------------------
  // Bus

  /** Resolves when the bus (if any) is subscribed. */
  ready(): Promise<void> {
    return this.#bus?.ready() ?? Promise.resolve();
  }

  get busConnected(): boolean {
    return this.#bus?.connected ?? false;
  }

  get busStats(): BusStats | undefined {
    return this.#bus?.stats;
  }

  /** Publishes on the bus (if any); bounded by l2TimeoutMs, never rejects (Bus counts failures). */
  async publish(msg: Omit<BusMessage, 'p' | 's'>): Promise<void> {
    if (this.#bus !== undefined) await this.#bus.publish(msg, this.#publishTimeoutMs);
  }

  close(): Promise<void> {
    return this.#bus?.close() ?? Promise.resolve();
  }

  #onBusMessage(m: BusMessage): void {
    if (channels.bus.hasSubscribers) channels.bus.publish({ cache: this.#base.name, reason: 'message', message: m });
    const now = coarseNow();
    if (m.t !== 'k') this.#l2.lag?.noteAll(now); // clear, tags, flush: markers and keys unknown, all from the master
    switch (m.t) {
      case 'k':
        if (Array.isArray(m.k)) {
          for (const lk of m.k) this.invalidateKey(lk);
          // Only explicit writes: two instances loading the same key at once is benign, and
          // repairing that would make them delete each other's loads forever.
          if (m.w === 1) this.#repairLoadWrites(m.k, now);
        }
        break;
      case 'n':
        this.#applyMarker(`n:${m.n ?? ''}`, m, now);
        break;
      case 'g':
        if (Array.isArray(m.k)) for (const t of m.k) this.#applyMarker(`t:${t}`, m, now);
        break;
      case 'a':
        this.#flushL1();
        break;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Repair of loads that raced a write elsewhere

  /** Remembers that loaded values of these keys were written to L2 now (bus only; see #repairLoadWrites). */
  noteLoadWrites(items: readonly { lk: string }[], now: number): void {
    if (this.#bus === undefined) return;
    const m = this.#loadWrites;
    for (const it of items) {
      m.delete(it.lk); // re-insert at the end: the map stays in time order
      m.set(it.lk, now);
    }
    for (const [lk, t] of m) {
      if (now - t < LOAD_REPAIR_WINDOW_MS && m.size <= LOAD_REPAIR_MAX_KEYS) break;
      m.delete(lk);
    }
  }

  /**
   * The cross-process refill race: this instance loaded K (old data), passed its epoch check,
   * and its SET reached Redis after another instance's write/delete of K, whose invalidation
   * only arrives now. The epoch check cannot see that (the message came too late), so when an
   * invalidation arrives for a key this instance wrote from a load within the last
   * LOAD_REPAIR_WINDOW_MS, the key is deleted from L2 again ("delayed double delete"). The
   * DEL is ordered after our SET on the same connection; at worst it removes a fresh value,
   * which is then reloaded.
   */
  #repairLoadWrites(lks: readonly string[], now: number): void {
    const l2 = this.#l2;
    const store = l2.store;
    if (store === undefined || this.#loadWrites.size === 0) return;
    const doomed: string[] = [];
    for (const lk of lks) {
      const t = this.#loadWrites.get(lk);
      if (t !== undefined && now - t < LOAD_REPAIR_WINDOW_MS) {
        doomed.push(this.#base.prefix + lk);
        this.#loadWrites.delete(lk);
      }
    }
    if (doomed.length === 0) return;
    this.#base.counters.repairs += doomed.length;
    l2.call(() => store.mdel(doomed), doomed[0]).catch(() => {});
  }
}
