/**
 * `getOrSetMany` after L1: the load path (load-path.ts) for many keys with ONE loader call.
 * Keys already in flight are joined; the others are claimed, read from L2 in one batch, and the
 * misses loaded together — with the same soft/hard timeouts, fail-safe and (per key) lease lock
 * as a single load.
 */
import { CacheTimeoutError, LoaderError } from '../errors';
import { describe } from '../validate';
import type { CacheBase } from './cache-core';
import { fromDecoded, fromL1, type Candidate } from './candidate';
import { now as coarseNow, stamp } from './clock';
import type { Coherence } from './coherence';
import type { L1Entry } from './l1';
import type { LoadPath } from './load-path';
import type { ReadPath } from './read-path';
import type { View } from './view';
import type { Resolved } from './resolve-options';
import type { FlightSlot } from './single-flight';
import { withTimeout } from './timeouts';
import type { WritePath } from './write-path';

/** Bulk loader of getOrSetMany: values aligned with `keys`, or a Map by key. */
export type BulkLoader<V> = (keys: string[]) => Promise<readonly (V | undefined)[] | ReadonlyMap<string, V | undefined>> | readonly (V | undefined)[] | ReadonlyMap<string, V | undefined>;

export class BulkLoad {
  readonly #base: CacheBase;
  readonly #coh: Coherence;
  readonly #reads: ReadPath;
  readonly #writes: WritePath;
  readonly #single: LoadPath;

  constructor(base: CacheBase, coh: Coherence, reads: ReadPath, writes: WritePath, single: LoadPath) {
    this.#base = base;
    this.#coh = coh;
    this.#reads = reads;
    this.#writes = writes;
    this.#single = single;
  }

  /**
   * getOrSetMany after L1: keys already in flight are joined; the others are claimed, read from
   * L2 in one batch, and the misses loaded with ONE bulk loader call. Answers go into `out`.
   */
  async loadMany<V>(view: View, keys: readonly string[], lks: readonly string[], stales: readonly (L1Entry | undefined)[], need: readonly number[], loader: BulkLoader<V>, o: Resolved, out: unknown[]): Promise<void> {
    const single = this.#single;
    const flights = single.flights;
    const counters = this.#base.counters;
    const joins: Promise<unknown>[] = [];
    const own: number[] = [];
    const slots = new Map<string, FlightSlot<unknown>>();
    const dups: [number, string][] = [];
    for (const i of need) {
      const lk = lks[i];
      if (slots.has(lk)) {
        dups.push([i, lk]);
        continue;
      }
      const p = flights.peek(lk);
      if (p !== undefined) {
        // Handled at once: the join is awaited only after our own load, and may fail first.
        const j = p.then((v) => (out[i] = v));
        j.catch(() => {});
        joins.push(j);
        continue;
      }
      slots.set(lk, flights.claim(lk));
      own.push(i);
    }
    if (own.length > 0) {
      const coh = this.#coh;
      const start = coh.begin();
      try {
        const got = await this.#reads.readL2(view, own.map((i) => lks[i]));
        let now = coarseNow();
        const toLoad: number[] = [];
        const staleOf = new Map<number, Candidate>();
        for (let j = 0; j < own.length; j++) {
          const i = own[j];
          const d = got?.[j];
          const c = d === undefined || d === null ? undefined : fromDecoded(d);
          if (c !== undefined && now < c.expiresAt) {
            counters.l2Hits++;
            coh.fillL1(lks[i], c, o.l1TtlMs, now, start);
            out[i] = c.negative ? undefined : c.value;
            slots.get(lks[i])!.resolve(out[i]);
            continue;
          }
          if (d !== undefined) counters.l2Misses++;
          const s = stales[i];
          if (c !== undefined && now < c.staleUntil) staleOf.set(i, c);
          else if (s !== undefined && now < s.staleUntil) {
            staleOf.set(i, fromL1(s));
          }
          toLoad.push(i);
        }
        if (toLoad.length > 0) {
          // The load (lease waits included) runs as one piece of work that stores its results
          // itself, so it finishes in the background past a soft or hard timeout; the epoch
          // window stays open until then.
          coh.retain(start);
          const work = this.#bulkWork(view, keys, lks, toLoad, loader, o, start);
          void work.then(
            () => {},
            () => {},
          ).finally(() => coh.end(start));
          const hard = o.hardTimeoutMs;
          // Soft timeout: only when some key has a stale value to answer, and before the hard one.
          const softMs = o.softTimeoutMs > 0 && staleOf.size > 0 && (hard === 0 || o.softTimeoutMs < hard) ? o.softTimeoutMs : 0;
          let timedOut: 'soft' | 'hard' | undefined;
          const wait = (ms: number, kind: 'soft' | 'hard'): Promise<unknown[]> =>
            ms <= 0
              ? work
              : withTimeout(work, ms, () => {
                  timedOut = kind;
                  return new CacheTimeoutError(`Bulk loader for ${toLoad.length} keys exceeded its ${kind} timeout of ${kind === 'soft' ? o.softTimeoutMs : hard} ms`, {
                    key: keys[toLoad[0]],
                    timeoutMs: kind === 'soft' ? o.softTimeoutMs : hard,
                  });
                });
          // Keys still waiting for the load (the others were answered stale at the soft timeout).
          let pending = toLoad;
          let values: unknown[] | undefined;
          try {
            if (softMs > 0) {
              try {
                values = await wait(softMs, 'soft');
              } catch (err) {
                if (timedOut !== 'soft') throw err;
                timedOut = undefined;
                now = coarseNow();
                pending = [];
                for (const i of toLoad) {
                  const s = staleOf.get(i);
                  if (s !== undefined && single.servable(lks[i], s, now, start)) {
                    out[i] = single.serveStale(lks[i], s, o);
                    slots.get(lks[i])!.resolve(out[i]);
                  } else pending.push(i);
                }
                if (pending.length > 0) values = await wait(hard > 0 ? hard - softMs : 0, 'hard');
              }
            } else values = await wait(hard, 'hard');
          } catch (err) {
            if (timedOut === 'hard') counters.loaderTimeouts++;
            now = coarseNow();
            let unserved = 0;
            for (const i of pending) {
              const s = staleOf.get(i);
              if (s !== undefined && single.servable(lks[i], s, now, start)) {
                out[i] = single.serveStale(lks[i], s, o);
                slots.get(lks[i])!.resolve(out[i]);
              } else unserved++;
            }
            if (unserved > 0) {
              if (timedOut === 'hard') throw err;
              throw new LoaderError(`Bulk loader failed for ${toLoad.length} keys: ${(err as Error)?.message ?? String(err)}`, { cause: err, key: keys[toLoad[0]] });
            }
            values = undefined;
          }
          if (values !== undefined) {
            for (let j = 0; j < toLoad.length; j++) {
              const i = toLoad[j];
              out[i] = values[j]; // fresh, also for keys answered stale at the soft timeout
              slots.get(lks[i])!.resolve(out[i]);
            }
          }
        }
      } catch (err) {
        // Settled slots (hits, stale served) ignore this; the others fail with the batch.
        for (const slot of slots.values()) slot.reject(err);
        throw err;
      } finally {
        coh.end(start);
      }
    }
    await Promise.all(joins);
    for (const [i, lk] of dups) out[i] = out[lks.indexOf(lk)];
  }

  /**
   * The load of getOrSetMany's misses (positions `toLoad` of `keys`); resolves with their values
   * aligned with `toLoad`, once every loaded value is stored.
   *
   * With the lease lock, one lease PER KEY, not one per batch: batches of different callers
   * overlap arbitrarily, so a batch lease would neither stop two processes loading the same key
   * (requested in different batches) nor let unrelated batches run in parallel. The keys whose
   * lease this process takes at the first attempt (or when Redis cannot be asked) are loaded at
   * once in ONE bulk call; the keys another process holds are waited for (polling L2), and those
   * not stored by their holder within `waitMs` are loaded in one more bulk call. Loading our own
   * keys while waiting for the others' means two processes holding each other's keys never
   * wait on each other.
   */
  async #bulkWork<V>(view: View, keys: readonly string[], lks: readonly string[], toLoad: readonly number[], loader: BulkLoader<V>, o: Resolved, start: number): Promise<unknown[]> {
    const values: unknown[] = new Array(toLoad.length);
    if (!this.#single.locks(o)) {
      await this.#bulkLoad(view, keys, lks, toLoad, toLoad.map((_i, j) => j), loader, o, start, values);
      return values;
    }
    // Per key: the first attempt (took the lease, or could not ask) and the final outcome.
    const firsts: Promise<boolean>[] = [];
    const finals: Promise<{ hit?: Candidate; release?: () => void }>[] = [];
    for (const i of toLoad) {
      let first!: (own: boolean) => void;
      firsts.push(new Promise<boolean>((r) => (first = r)));
      finals.push(this.#single.lockOrWait(view, lks[i], o, start, first));
    }
    const own = await Promise.all(firsts);
    const mine: number[] = [];
    const later: number[] = [];
    for (let j = 0; j < toLoad.length; j++) (own[j] ? mine : later).push(j);
    const releaseAll = async (js: readonly number[]): Promise<void> => {
      for (const j of js) (await finals[j]).release?.();
    };
    const first = mine.length === 0 ? Promise.resolve() : this.#bulkLoad(view, keys, lks, toLoad, mine, loader, o, start, values).finally(() => releaseAll(mine));
    const second = (async () => {
      const missing: number[] = [];
      for (const j of later) {
        const r = await finals[j];
        if (r.hit !== undefined) values[j] = r.hit.negative ? undefined : r.hit.value;
        else missing.push(j);
      }
      if (missing.length > 0) await this.#bulkLoad(view, keys, lks, toLoad, missing, loader, o, start, values).finally(() => releaseAll(missing));
    })();
    // Both settle before the work does (no load left running unobserved); the first error wins.
    const [a, b] = await Promise.allSettled([first, second]);
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    return values;
  }

  /** One bulk loader call for `toLoad[js]`: values into `values[js]`, results stored (unless superseded). */
  async #bulkLoad<V>(view: View, keys: readonly string[], lks: readonly string[], toLoad: readonly number[], js: readonly number[], loader: BulkLoader<V>, o: Resolved, start: number, values: unknown[]): Promise<void> {
    const loadKeys = js.map((j) => keys[toLoad[j]]);
    const firstLk = lks[toLoad[js[0]]];
    const t0 = performance.now();
    const createdAt = stamp();
    this.#base.counters.loaderCalls++;
    let r: Awaited<ReturnType<BulkLoader<V>>>;
    try {
      r = await loader(loadKeys);
      if (!Array.isArray(r) && !(r instanceof Map)) {
        throw new TypeError(`Expected an array or a Map from the bulk loader but received ${describe(r)}`);
      }
      if (Array.isArray(r) && r.length !== loadKeys.length) {
        throw new RangeError(`Expected ${loadKeys.length} values from the bulk loader but received ${r.length}`);
      }
    } catch (err) {
      this.#base.counters.loaderErrors++;
      this.#single.loadDone(firstLk, t0, err);
      throw err;
    }
    this.#single.loadDone(firstLk, t0, undefined);
    const items: { lk: string; c: Candidate }[] = [];
    for (let n = 0; n < js.length; n++) {
      const v = Array.isArray(r) ? (r as readonly (V | undefined)[])[n] : (r as ReadonlyMap<string, V | undefined>).get(loadKeys[n]);
      values[js[n]] = v;
      if (v !== undefined || o.negativeCache) items.push({ lk: lks[toLoad[js[n]]], c: this.#writes.makeCandidate(v, v === undefined, o, createdAt) });
    }
    await this.#writes.write(view, items, o, start);
  }
}
