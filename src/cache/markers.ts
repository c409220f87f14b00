/**
 * Namespace and tag markers: how `clear(namespace)` and `deleteByTag` work on every topology
 * without SCAN. A marker is one L2 key, `${prefix}__rc:n:${namespace}` or `…:t:${tag}`,
 * holding the time of the last clear/deletion; an entry created at or before that time is
 * dead. Entries record their creation time and tags in their envelope, so a reader compares.
 *
 * Each instance caches marker times for `cacheMs` (reads that find a marker stale fetch it in
 * the same MGET as the entries); the bus pushes new times at once. A newer time than the one
 * known calls `onNewer`, which drops the covered L1 entries and blocks older in-flight reads.
 */

/** No clear/deletion ever recorded. */
const NEVER = 0;
/**
 * Most tag marker times kept (every tag seen is one). Past it the least recently fetched are
 * forgotten: they are fetched again when next needed, and until then an entry that depends on
 * one does not pass (a miss, never a value from before a deletion). Namespace markers are as
 * many as the namespaces the application uses, and are kept.
 */
export const MAX_TAG_MARKERS = 4096;

export class Markers {
  readonly #prefix: string;
  readonly #cacheMs: number;
  readonly #onNewer: (name: string, at: number) => void;
  /** Namespace marker name → { at: clear time (0 = never), fetchedAt }. */
  readonly #namespaces = new Map<string, { at: number; fetchedAt: number }>();
  /** The same for tag markers, in fetch order (oldest first). */
  readonly #tags = new Map<string, { at: number; fetchedAt: number }>();

  constructor(prefix: string, cacheMs: number, onNewer: (name: string, at: number) => void) {
    this.#prefix = prefix;
    this.#cacheMs = cacheMs;
    this.#onNewer = onNewer;
  }

  /** Marker names whose time is known. */
  get size(): number {
    return this.#namespaces.size + this.#tags.size;
  }

  #known(name: string): Map<string, { at: number; fetchedAt: number }> {
    return name.charCodeAt(0) === 116 /* t */ ? this.#tags : this.#namespaces;
  }

  /** The L2 key of marker `name` (`n:…` or `t:…`). */
  key(name: string): string {
    return `${this.#prefix}__rc:${name}`;
  }

  /** Records a marker time (from a local clear, the bus or L2). */
  apply(name: string, at: number, now: number): void {
    const known = this.#known(name);
    const prev = known.get(name)?.at ?? NEVER;
    known.delete(name); // re-inserted at the end: the map stays in fetch order
    known.set(name, { at: Math.max(at, prev), fetchedAt: now });
    if (known === this.#tags && known.size > MAX_TAG_MARKERS) known.delete(known.keys().next().value!);
    if (at > prev) this.#onNewer(name, at);
  }

  /**
   * Forgets `name`'s time, so the next read fetches it from L2 again (after a clear or tag
   * deletion whose L2 write failed: what L2 holds is the truth).
   */
  forget(name: string): void {
    this.#known(name).delete(name);
  }

  /** Whether `name`'s time is unknown or older than the cache period. */
  isStale(name: string, now: number): boolean {
    const m = this.#known(name).get(name);
    return m === undefined || now - m.fetchedAt >= this.#cacheMs;
  }

  /** The names (of `names`) to read from L2, or undefined when all are fresh. */
  stale(names: readonly string[], now: number): string[] | undefined {
    let out: string[] | undefined;
    for (const n of names) if (this.isStale(n, now)) (out ??= []).push(n);
    return out;
  }

  /** Records the times read from L2 for `names` (`raw[offset + i]`; null = never). */
  ingest(names: readonly string[], raw: readonly (Buffer | null)[], offset: number, now: number): void {
    for (let i = 0; i < names.length; i++) {
      const b = raw[offset + i];
      this.apply(names[i], b === null || b === undefined ? NEVER : Number(b.toString()) || NEVER, now);
    }
  }

  /**
   * Whether an entry created at `createdAt` survives the markers `names` and its tags. A
   * marker not known (forgotten since it was read) fails it: unproven is a miss.
   */
  passes(names: readonly string[], createdAt: number, tags: readonly string[] | undefined): boolean {
    return createdAt > this.floor(names) && (tags === undefined || this.tagsPass(tags, createdAt));
  }

  /**
   * The newest clear time of the markers `names` (Infinity when one is not known): an entry
   * created after it survives them. For a batch of entries of one view, taken once.
   */
  floor(names: readonly string[]): number {
    let at = -Infinity;
    for (const n of names) {
      const m = this.#namespaces.get(n);
      if (m === undefined) return Infinity;
      if (m.at > at) at = m.at;
    }
    return at;
  }

  /** Whether an entry created at `createdAt` survives the markers of `tags` (see {@link passes}). */
  tagsPass(tags: readonly string[], createdAt: number): boolean {
    for (const t of tags) {
      const m = this.#tags.get(`t:${t}`);
      if (m === undefined || createdAt <= m.at) return false;
    }
    return true;
  }
}
