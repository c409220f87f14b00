/**
 * The write path: `set`/`setMany` and the loads' results (L1, then L2 grouped by TTL, then one
 * bus message), `delete`/`deleteMany`, and the markers of `clear` and `deleteByTag`. A write
 * first invalidates its keys (coherence.ts), so no read still in flight here stores an older
 * value over it. L2 failures: explicit writes reject with `CacheWriteError` and roll this
 * instance's L1 back (`l2WriteFailure: 'throw'`); a load's write never fails the read.
 */
import { CacheWriteError } from '../errors';
import type { StoreValue } from '../stores/store';
import type { CacheBase } from './cache-core';
import type { Candidate } from './candidate';
import { now as coarseNow, stamp } from './clock';
import type { Coherence } from './coherence';
import { encodeEntry } from './envelope';
import type { L2Calls } from './l2-calls';
import type { View } from './view';
import type { Resolved } from './resolve-options';

function jittered(ttlMs: number, jitter: number): number {
  if (jitter <= 0 || !Number.isFinite(ttlMs)) return ttlMs;
  return Math.max(1, Math.round(ttlMs * (1 - jitter * Math.random())));
}

export class WritePath {
  readonly #base: CacheBase;
  readonly #l2: L2Calls;
  readonly #coh: Coherence;
  /** Explicit writes reject (and roll back L1) when L2 fails: see TieredCacheOptions.l2WriteFailure. */
  readonly #throwOnWriteFailure: boolean;
  /** options.markerTtlMs, or undefined to derive it from {@link #longestLifetimeMs}. */
  readonly #markerTtlMs: number | undefined;
  /** Longest lifetime (TTL + grace) of an entry this instance made or would make by default. */
  #longestLifetimeMs: number;

  constructor(base: CacheBase, l2: L2Calls, coh: Coherence, throwOnWriteFailure: boolean, markerTtlMs: number | undefined, defaultLifetimeMs: number) {
    this.#base = base;
    this.#l2 = l2;
    this.#coh = coh;
    this.#throwOnWriteFailure = throwOnWriteFailure;
    this.#markerTtlMs = markerTtlMs;
    this.#longestLifetimeMs = defaultLifetimeMs;
  }

  /** A new entry for `value` (negative when `negative`), created at `createdAt`. */
  makeCandidate(value: unknown, negative: boolean, o: Resolved, createdAt: number): Candidate {
    const ttl = jittered(negative ? o.negativeTtlMs : o.ttlMs, o.jitter);
    const expiresAt = createdAt + ttl;
    const grace = negative ? 0 : o.graceMs;
    if (ttl + grace > this.#longestLifetimeMs) this.#longestLifetimeMs = ttl + grace;
    return { value, negative, createdAt, expiresAt, staleUntil: expiresAt + grace, tags: o.tags, size: 0 };
  }

  #encode(c: Candidate): Buffer {
    const buf = encodeEntry(c.value, c.negative, c.createdAt, c.expiresAt, c.staleUntil - c.expiresAt, c.tags, this.#base.serializer);
    c.size = buf.length;
    return buf;
  }

  /**
   * Writes entries to L1 and L2 and publishes their invalidation. `start`: the epoch of the
   * load that produced them (entries whose key was invalidated since are dropped), or
   * undefined for an explicit write.
   */
  async write(view: View, items: readonly { lk: string; c: Candidate }[], o: Resolved, start: number | undefined): Promise<void> {
    const coh = this.#coh;
    const prefix = this.#base.prefix;
    const now = coarseNow();
    const ok: { lk: string; c: Candidate; buf: Buffer | undefined }[] = [];
    for (const it of items) {
      if (start !== undefined && !coh.valid(it.lk, start)) {
        this.#base.counters.supersededWrites++;
        continue;
      }
      ok.push({ lk: it.lk, c: it.c, buf: this.#l2.store !== undefined ? this.#encode(it.c) : undefined });
    }
    if (ok.length === 0) return;
    // A load's result: remember it for a while (see Coherence#repairLoadWrites).
    if (start !== undefined) coh.noteLoadWrites(ok, now);
    // Our own write supersedes any read of these keys still in flight here.
    for (const it of ok) coh.invalidateKey(it.lk);
    for (const it of ok) coh.fillL1(it.lk, it.c, o.l1TtlMs, now, undefined);
    const l2 = this.#l2;
    const store = l2.store;
    if (store !== undefined) {
      // Entries of one batch share TTLs unless jitter/negatives differ: group by PX.
      const groups = new Map<number, [string, StoreValue][]>();
      for (const it of ok) {
        const px = Math.max(1, Math.ceil(it.c.staleUntil - now));
        const list = groups.get(px);
        const pair: [string, StoreValue] = [prefix + it.lk, it.buf!];
        if (list === undefined) groups.set(px, [pair]);
        else list.push(pair);
      }
      let failure: { err: unknown; lks: string[] } | undefined;
      const tasks: Promise<void>[] = [];
      for (const [px, pairs] of groups) {
        const finite = Number.isFinite(px) && px < 2 ** 47;
        tasks.push(
          l2.call(() => (pairs.length === 1 ? store.set(pairs[0][0], pairs[0][1], finite ? px : undefined) : store.mset(pairs, finite ? px : undefined)), pairs[0][0]).then(
            () => {
              this.#base.counters.l2Writes += pairs.length;
            },
            (err: unknown) => {
              // Loads never fail the read that stored them; explicit writes may (below).
              if (start === undefined && this.#throwOnWriteFailure) {
                failure ??= { err, lks: [] };
                for (const [k] of pairs) failure.lks.push((k as string).slice(prefix.length));
              }
            },
          ),
        );
      }
      await Promise.all(tasks);
      if (failure !== undefined) {
        // Roll L1 back: the value is not in L2, so no other instance can see it. Other
        // instances are still told (a timed-out SET may have landed after all).
        const f: { err: unknown; lks: string[] } = failure;
        for (const lk of f.lks) coh.invalidateKey(lk);
        await coh.publish({ t: 'k', n: view.ns, k: ok.map((it) => it.lk), w: 1 });
        throw this.#writeError('set', f.lks, f.err);
      }
    }
    await coh.publish(start === undefined ? { t: 'k', n: view.ns, k: ok.map((it) => it.lk), w: 1 } : { t: 'k', n: view.ns, k: ok.map((it) => it.lk) });
  }

  #writeError(op: string, lks: readonly string[], cause: unknown): CacheWriteError {
    const what = lks.length === 1 ? `key '${lks[0]}'` : `${lks.length} keys ('${lks[0]}', …)`;
    return new CacheWriteError(`L2 ${op} failed for ${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause, key: lks[0], keys: lks });
  }

  /** Deletes keys everywhere. */
  async remove(view: View, lks: readonly string[]): Promise<void> {
    const coh = this.#coh;
    for (const lk of lks) coh.invalidateKey(lk);
    const store = this.#l2.store;
    if (store !== undefined && lks.length > 0) {
      const full = lks.map((lk) => this.#base.prefix + lk);
      let failed: { err: unknown } | undefined;
      await this.#l2.call(() => (full.length === 1 ? store.del(full[0]) : store.mdel(full)), full[0]).catch((err: unknown) => {
        if (this.#throwOnWriteFailure) failed = { err };
      });
      if (failed !== undefined) {
        await coh.publish({ t: 'k', n: view.ns, k: [...lks], w: 1 });
        throw this.#writeError('delete', lks, failed.err);
      }
    }
    await coh.publish({ t: 'k', n: view.ns, k: [...lks], w: 1 });
  }

  /** Clears a namespace path ('' = everything of this cache) on every instance. */
  async clearNamespace(ns: string): Promise<void> {
    const markers = this.#coh.markers;
    const at = stamp();
    const name = `n:${ns}`;
    markers.apply(name, at, coarseNow());
    const failed = await this.#setMarker(name, at);
    // Failed: L2 keeps the old marker, so everyone (this instance too) re-reads it rather than
    // trust this time; L1 entries it covers are dropped anyway (the SET may have landed).
    if (failed !== undefined) markers.forget(name);
    await this.#coh.publish(failed === undefined ? { t: 'n', n: ns, at } : { t: 'n', n: ns, at, r: 1 });
    if (failed !== undefined) throw this.#writeError('clear', [`__rc:${name}`], failed.err);
  }

  async deleteByTags(tags: readonly string[]): Promise<void> {
    const markers = this.#coh.markers;
    const at = stamp();
    const now = coarseNow();
    for (const t of tags) markers.apply(`t:${t}`, at, now);
    const results = await Promise.all(tags.map((t) => this.#setMarker(`t:${t}`, at)));
    const failedTags = tags.filter((_t, i) => results[i] !== undefined);
    for (const t of failedTags) markers.forget(`t:${t}`); // as in clearNamespace
    if (failedTags.length < tags.length) await this.#coh.publish({ t: 'g', k: tags.filter((_t, i) => results[i] === undefined), at });
    if (failedTags.length > 0) await this.#coh.publish({ t: 'g', k: failedTags, at, r: 1 });
    const failed = results.findIndex((r) => r !== undefined);
    if (failed >= 0) throw this.#writeError('deleteByTag', tags.filter((_t, i) => results[i] !== undefined).map((t) => `__rc:t:${t}`), results[failed]!.err);
  }

  /**
   * The PX of a marker: it must outlive every entry created before it (else that entry would
   * come back once the marker expired), so twice the longest lifetime known plus a minute.
   * Undefined: no expiry.
   */
  markerTtl(): number | undefined {
    const ms = this.#markerTtlMs ?? 2 * this.#longestLifetimeMs + 60_000;
    return Number.isFinite(ms) && ms < 2 ** 47 ? Math.ceil(ms) : undefined;
  }

  /** Writes a marker to L2; the failure (when writes throw) or undefined. */
  async #setMarker(name: string, at: number): Promise<{ err: unknown } | undefined> {
    const l2 = this.#l2;
    const store = l2.store;
    if (store === undefined) return undefined;
    const px = this.markerTtl();
    let failed: { err: unknown } | undefined;
    await l2.call(() => store.set(this.#coh.markers.key(name), String(at), px), name).catch((err: unknown) => {
      if (this.#throwOnWriteFailure) failed = { err };
    });
    return failed;
  }
}
