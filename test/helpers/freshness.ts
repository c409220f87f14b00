/**
 * A freshness oracle for histories of writes and reads of versioned values: a read that starts
 * after an acknowledged write has completed never returns an older version.
 *
 * "Older" follows real-time order, not version numbers alone: version `v` is older than an
 * acknowledged write W when the write that produced `v` was itself acknowledged before W
 * started. Two writes that overlap in time may land in either order, so either may be read
 * after both. A write that failed or is still in flight was never acknowledged and may land at
 * any time: it is never "older" than anything.
 *
 * Which acknowledged writes a read must see is the caller's rule ({@link FreshnessOptions.visible}):
 * every one for a single store, or, across cache instances, only those whose invalidation the
 * reader has received. Besides staleness it reports reads of versions never written, and misses
 * (`undefined`) when those are not allowed.
 *
 * Time is a logical clock (`tick()`, one step per event) unless the caller passes its own times,
 * e.g. milliseconds on one clock for histories logged by several processes.
 */

/** One write of `version` to `key` by `source` (a client, cache instance or worker). */
export interface WriteRecord {
  readonly key: string;
  readonly version: number;
  readonly source: string;
  readonly start: number;
  /** When it was acknowledged; undefined while in flight or when it failed. */
  ack: number | undefined;
  failed: boolean;
}

/** A read that broke the rule. */
export interface Violation {
  kind: 'stale' | 'never-written' | 'missing';
  key: string;
  reader: string;
  /** The version read (undefined for a miss). */
  got: number | undefined;
  /** For `stale`: the acknowledged write the read should have seen (or a newer one). */
  newer?: WriteRecord;
  start: number;
  end: number;
}

export interface FreshnessOptions {
  /**
   * Versions that exist before any write (e.g. rows of the database of record at start), per
   * key; they count as acknowledged at time 0.
   */
  initial?: ReadonlyMap<string, number>;
  /** Whether a miss (`undefined`) is a legal answer (a store that lost a node, a cache miss). @default false */
  allowMissing?: boolean;
  /**
   * Whether the read by `reader` that started at `start` must see the acknowledged write `w`.
   * @default every acknowledged write is visible
   */
  visible?: (w: WriteRecord, reader: string, start: number) => boolean;
}

/** Counters of everything the oracle saw; a test asserts them all. */
export interface FreshnessCounts {
  writes: number;
  acked: number;
  failed: number;
  reads: number;
  /** Reads answered with a version (checked for staleness). */
  versions: number;
  misses: number;
  violations: number;
}

export class FreshnessOracle {
  readonly violations: Violation[] = [];
  readonly #writes = new Map<string, WriteRecord[]>();
  /** key → version → the write that produced it. */
  readonly #byVersion = new Map<string, Map<number, WriteRecord>>();
  readonly #opts: FreshnessOptions;
  #clock = 0;
  #reads = 0;
  #versions = 0;
  #misses = 0;

  constructor(opts: FreshnessOptions = {}) {
    this.#opts = opts;
    for (const [key, version] of opts.initial ?? []) {
      const w: WriteRecord = { key, version, source: 'initial', start: 0, ack: 0, failed: false };
      this.#add(w);
    }
  }

  /** The logical clock: strictly increasing, one step per call. */
  tick(): number {
    return ++this.#clock;
  }

  #add(w: WriteRecord): void {
    let list = this.#writes.get(w.key);
    if (list === undefined) this.#writes.set(w.key, (list = []));
    list.push(w);
    let versions = this.#byVersion.get(w.key);
    if (versions === undefined) this.#byVersion.set(w.key, (versions = new Map()));
    if (versions.has(w.version)) throw new Error(`freshness: version ${w.version} of ${w.key} written twice`);
    versions.set(w.version, w);
  }

  /**
   * A write begins (call it before the write is sent). Call `ack()` when it resolved and
   * `fail()` when it rejected.
   */
  write(key: string, version: number, source: string, start = this.tick()): { record: WriteRecord; ack(at?: number): void; fail(): void } {
    const record: WriteRecord = { key, version, source, start, ack: undefined, failed: false };
    this.#add(record);
    return {
      record,
      ack: (at = this.tick()) => {
        record.ack = at;
      },
      fail: () => {
        record.failed = true;
      },
    };
  }

  /** A read begins (call it before the read is sent); `end` checks what it returned. */
  read(key: string, reader: string, start = this.tick()): { end(got: number | undefined, at?: number): Violation | undefined } {
    return { end: (got, at = this.tick()) => this.check(key, reader, start, at, got) };
  }

  /** Checks one completed read; records and returns the violation, if any. */
  check(key: string, reader: string, start: number, end: number, got: number | undefined): Violation | undefined {
    this.#reads++;
    const v = this.#judge(key, reader, start, end, got);
    if (v !== undefined) this.violations.push(v);
    return v;
  }

  #judge(key: string, reader: string, start: number, end: number, got: number | undefined): Violation | undefined {
    if (got === undefined) {
      this.#misses++;
      return this.#opts.allowMissing ? undefined : { kind: 'missing', key, reader, got, start, end };
    }
    this.#versions++;
    const produced = this.#byVersion.get(key)?.get(got);
    if (produced === undefined) return { kind: 'never-written', key, reader, got, start, end };
    // Not acknowledged (in flight or failed): it may land at any time, so it is never older.
    if (produced.ack === undefined) return undefined;
    const visible = this.#opts.visible;
    for (const w of this.#writes.get(key) ?? []) {
      if (w.ack === undefined || w.ack >= start || w.version === got) continue;
      if (produced.ack < w.start && (visible === undefined || visible(w, reader, start))) {
        return { kind: 'stale', key, reader, got, newer: w, start, end };
      }
    }
    return undefined;
  }

  counts(): FreshnessCounts {
    let writes = 0;
    let acked = 0;
    let failed = 0;
    for (const list of this.#writes.values()) {
      for (const w of list) {
        if (w.source === 'initial') continue;
        writes++;
        if (w.ack !== undefined) acked++;
        if (w.failed) failed++;
      }
    }
    return { writes, acked, failed, reads: this.#reads, versions: this.#versions, misses: this.#misses, violations: this.violations.length };
  }

  /** One line per violation, for an assertion message. */
  describe(max = 10): string[] {
    return this.violations.slice(0, max).map((v) => {
      const newer = v.newer ? `, but v${v.newer.version} by ${v.newer.source} was acknowledged at ${v.newer.ack} (started ${v.newer.start})` : '';
      return `${v.kind}: ${v.reader} read ${v.key} = ${v.got === undefined ? 'nothing' : `v${v.got}`} in [${v.start}, ${v.end}]${newer}`;
    });
  }
}
