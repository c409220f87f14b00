/**
 * A model-based test of TieredCache (issue 17), for fast-check's `asyncModelRun`: several
 * instances share one L2, random operations run through random namespace views, loaders
 * succeed, fail, hang or wait, L2 calls fail on demand, and fast-check's scheduler decides the
 * order in which every L2 reply and every loader result arrives. Time is the cache's
 * ManualClock, moved only by the commands.
 *
 * The reference model is a log of operations (start/end step and clock time, the value each
 * write or loader call produced). Invariants:
 * - freshness: a read that starts after an invalidation of a key completed never returns a
 *   value produced before that invalidation began (no exception: fail-safe serves only values
 *   nothing invalidated). Without a bus another instance is allowed its documented lag (its
 *   L1 TTL, plus `markerCacheMs` for clears and tag deletions);
 * - a read returns only values produced for that very key (no aliasing between views);
 * - per key, L2 ends with the last explicit write in program order (when nothing else touched
 *   the key after it and no fault was injected);
 * - no unhandled rejection, every call settles once the run is drained, and the internal
 *   tables are empty (or bounded, behind a hung loader).
 */
import fc from 'fast-check';
import { ManualClock, useClock } from '../../src/cache/clock';
import { decodeEntry } from '../../src/cache/envelope';
import { jsonSerializer } from '../../src/cache/serializer';
import type { TieredCacheOptions } from '../../src/cache/options';
import { TieredCache } from '../../src/cache/tiered-cache';
import type { Key } from '../../src/engine';
import type { KeyValueStore, StoreValue } from '../../src/routing/store';
import { ChaosStore } from './chaos-store';

/** Namespace views, by their names (root first); 'a:b' is one name, not a → b. */
export const VIEWS: readonly (readonly string[])[] = [[], ['a'], ['a', 'b'], ['a:b']];
/** Keys, some chosen to collide with another view's or with the cache's own keys. */
export const KEYS = ['x', 'b:x', '@x', '__rc:n:a'];
const TAGS = ['t1', 't2'];

const L1_TTL_MS = 200;
const MARKER_CACHE_MS = 50;
const HARD_TIMEOUT_MS = 100;

/** The L2 key of `key` in the view of `segments` (the layout the README documents). */
export function l2Key(segments: readonly string[], key: string): string {
  if (segments.length === 0) return key.startsWith('@') || key.startsWith('__rc:') ? `@@${key}` : key;
  const enc = segments.map((s) => s.replace(/[%:@]/g, (c) => (c === '%' ? '%25' : c === ':' ? '%3A' : '%40')));
  return `@${enc.join(':')}@${key}`;
}

const modelKey = (view: number, key: string): string => `${VIEWS[view].join('/')}|${key}`;

/** A store whose every reply is released by the fast-check scheduler. */
class ScheduledStore implements KeyValueStore {
  constructor(
    readonly inner: KeyValueStore,
    readonly s: fc.Scheduler,
  ) {}
  #q<T>(p: Promise<T>, label: string): Promise<T> {
    return this.s.schedule(p, label);
  }
  get(k: Key): Promise<string | null> {
    return this.#q(this.inner.get(k), 'get');
  }
  getBuffer(k: Key): Promise<Buffer | null> {
    return this.#q(this.inner.getBuffer(k), 'get');
  }
  set(k: Key, v: StoreValue, ttl?: number): Promise<void> {
    return this.#q(this.inner.set(k, v, ttl), 'set');
  }
  del(k: Key): Promise<number> {
    return this.#q(this.inner.del(k), 'del');
  }
  mget(ks: readonly Key[]): Promise<(string | null)[]> {
    return this.#q(this.inner.mget(ks), 'mget');
  }
  mgetBuffer(ks: readonly Key[]): Promise<(Buffer | null)[]> {
    return this.#q(this.inner.mgetBuffer(ks), 'mget');
  }
  mset(es: readonly (readonly [Key, StoreValue])[], ttl?: number): Promise<void> {
    return this.#q(this.inner.mset(es, ttl), 'mset');
  }
  mdel(ks: readonly Key[]): Promise<number> {
    return this.#q(this.inner.mdel(ks), 'mdel');
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Where a value came from: an explicit write, or a loader call. */
interface Origin {
  key: string;
  kind: 'set' | 'load';
  instance: number;
  startStep: number;
  endStep: number;
  tags: readonly string[];
}

/** A completed invalidation: a write/delete of keys, a clear of a view, a tag deletion. */
interface Invalidation {
  instance: number;
  keys?: ReadonlySet<string>;
  clear?: readonly string[];
  tag?: string;
  startStep: number;
  endStep: number;
  endTime: number;
}

interface Op {
  name: string;
  settled: boolean;
}

/** What the L2 of a model run is: a raw store (for the final check) and a way to read it back. */
export interface ModelL2 {
  /** The store the caches use (wrapped here in a ChaosStore and the scheduler). */
  store: KeyValueStore;
  /** Extra cache options (bus, lock) for this L2. */
  options?: TieredCacheOptions;
  /** Lets real I/O run (a real Redis needs more than microtasks). */
  settle(): Promise<void>;
}

/** An operation that wrote (or may have written) a key: an explicit write, or a loader call. */
interface Touch {
  instance: number;
  startStep: number;
  endStep: number;
  value: string | null;
  failed: boolean;
  explicit: boolean;
}

export class Model {
  step = 0;
  nextValue = 0;
  readonly origins = new Map<string, Origin>();
  readonly invalidations: Invalidation[] = [];
  readonly ops: Op[] = [];
  readonly violations: string[] = [];
  /** Model key → its explicit writes and every op that touched it, in start order. */
  readonly touches = new Map<string, Touch[]>();
  hung = 0;
  faults = 0;
  /** getOrSet/getOrSetMany calls (a later call on the same instance may join one). */
  readonly loadCalls: { instance: number; mk: string; startStep: number; endStep: number }[] = [];
}

export class Real {
  readonly clock = new ManualClock();
  readonly caches: TieredCache[] = [];
  readonly chaos: ChaosStore;
  readonly unhandled: unknown[] = [];
  readonly #onUnhandled = (e: unknown): void => {
    this.unhandled.push(e);
  };

  constructor(
    readonly s: fc.Scheduler,
    readonly l2: ModelL2,
  ) {
    useClock(this.clock);
    process.on('unhandledRejection', this.#onUnhandled);
    this.chaos = new ChaosStore(new ScheduledStore(l2.store, s));
    const base: TieredCacheOptions = {
      l2: this.chaos,
      ttlMs: 100,
      graceMs: 1000,
      failSafeThrottleMs: 50,
      hardTimeoutMs: HARD_TIMEOUT_MS,
      markerCacheMs: MARKER_CACHE_MS,
      ...l2.options,
    };
    // 0 and 1 have a small L1 (evictions), 1 refreshes eagerly and has a circuit breaker; 2 has no L1.
    this.caches.push(new TieredCache({ ...base, l1: { maxEntries: 4, ttlMs: L1_TTL_MS }, circuitBreaker: false }));
    this.caches.push(new TieredCache({ ...base, l1: { maxEntries: 4, ttlMs: L1_TTL_MS }, eagerRefreshThreshold: 0.5, softTimeoutMs: 30 }));
    this.caches.push(new TieredCache({ ...base, l1: false, circuitBreaker: false }));
  }

  /** Resolves once every instance's bus (if any) is subscribed. */
  async ready(): Promise<void> {
    await Promise.all(this.caches.map((c) => c.ready()));
  }

  hasL1(i: number): boolean {
    return i !== 2;
  }

  view(i: number, v: number): TieredCache {
    let c = this.caches[i];
    for (const name of VIEWS[v]) c = c.namespace(name);
    return c;
  }

  async dispose(): Promise<void> {
    for (const c of this.caches) await c.close();
    process.off('unhandledRejection', this.#onUnhandled);
    useClock(undefined);
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;
type LoaderKind = 'ok' | 'fail' | 'hang' | 'sync' | 'undefined';

/** Starts `run` as an operation of the model: not awaited (operations overlap). */
function start(m: Model, name: string, run: (startStep: number) => Promise<void>): void {
  const op: Op = { name, settled: false };
  m.ops.push(op);
  const startStep = ++m.step;
  run(startStep).then(
    () => (op.settled = true),
    (e: unknown) => {
      op.settled = true;
      m.violations.push(`${name} threw unexpectedly: ${(e as Error)?.stack ?? String(e)}`);
    },
  );
}

/** Checks one value a read of `mk` on `instance` (started at step/time) returned. */
export const modelStats = { reads: 0, values: 0, checkedAgainst: 0 };

/** L2 failures an instance has seen (errors, timeouts, circuit skips). */
function l2Failures(r: Real, i: number): number {
  const l2 = r.caches[i].stats().l2;
  return l2.errors + l2.skipped;
}

function checkRead(m: Model, r: Real, what: string, instance: number, mk: string, value: unknown, startStep: number, startTime: number, l2Failed: boolean, joinable: boolean): void {
  modelStats.reads++;
  if (value === undefined) return;
  modelStats.values++;
  const o = typeof value === 'string' ? m.origins.get(value) : undefined;
  if (o === undefined) {
    m.violations.push(`${what}: returned ${JSON.stringify(value)}, never produced`);
    return;
  }
  if (o.key !== mk) {
    m.violations.push(`${what}: returned ${value as string}, produced for ${o.key} (aliasing)`);
    return;
  }
  // The value is dead for this read if an invalidation covering it completed before the read
  // began (plus the lag another instance is allowed) and began after the value was produced.
  const [viewPath] = mk.split('|');
  const segs = viewPath === '' ? [] : viewPath.split('/');
  for (const inv of m.invalidations) {
    if (inv.endStep >= startStep) continue;
    const covers =
      (inv.keys !== undefined && inv.keys.has(mk)) ||
      (inv.clear !== undefined && inv.clear.every((s, i) => segs[i] === s) && segs.length >= inv.clear.length) ||
      (inv.tag !== undefined && o.tags.includes(inv.tag));
    if (!covers) continue;
    modelStats.checkedAgainst++;
    // Another instance's invalidation reaches this one's L1 after its L1 TTL (no bus), or not
    // at all while L2 fails (fail-safe serves the L1 entry within its grace period).
    if (inv.instance !== instance && r.hasL1(instance) && l2Failed) continue;
    // Nor into a load of this instance already in flight, which a later call joins (until the
    // bus message, if any, arrives).
    if (inv.instance !== instance && joinable && m.loadCalls.some((c) => c.instance === instance && c.mk === mk && c.startStep < inv.endStep && c.endStep > startStep)) continue;
    const lag = inv.instance === instance ? 0 : (r.hasL1(instance) ? L1_TTL_MS : 0) + (inv.keys === undefined ? MARKER_CACHE_MS : 0);
    if (inv.endTime + lag > startTime) continue;
    // Without a bus, a load on one instance racing an explicit write on another may store its
    // older value after the write (the cache-aside race; with a bus the loader's instance
    // deletes it again, but only once the message arrives): that value is not held against the
    // other instance's write.
    if (o.kind === 'load' && o.instance !== inv.instance) continue;
    const producedBefore = o.kind === 'set' ? o.endStep < inv.startStep : o.startStep < inv.startStep;
    if (producedBefore) {
      m.violations.push(`${what}: returned ${value as string} (${o.kind} on #${o.instance}, steps ${o.startStep}..${o.endStep}) after an invalidation on #${inv.instance} (steps ${inv.startStep}..${inv.endStep})`);
      return;
    }
  }
}

function touch(m: Model, mk: string, t: Touch): void {
  let list = m.touches.get(mk);
  if (list === undefined) m.touches.set(mk, (list = []));
  list.push(t);
}

function newValue(m: Model, o: Omit<Origin, 'endStep'>): string {
  const v = `v${++m.nextValue}`;
  m.origins.set(v, { ...o, endStep: Number.MAX_SAFE_INTEGER });
  return v;
}

function makeLoader(m: Model, r: Real, instance: number, view: number, kind: LoaderKind, tags: readonly string[]): (key: string) => unknown {
  return (key: string) => {
    const mk = modelKey(view, key);
    const v = newValue(m, { key: mk, kind: 'load', instance, startStep: ++m.step, tags });
    touch(m, mk, { instance, startStep: m.step, endStep: Number.MAX_SAFE_INTEGER, value: v, failed: false, explicit: false });
    switch (kind) {
      case 'sync':
        return v;
      case 'undefined':
        return r.s.schedule(Promise.resolve(undefined), 'loader');
      case 'ok':
        return r.s.schedule(Promise.resolve(v), 'loader');
      case 'fail':
        // Rejected only once released (a rejected promise waiting in the scheduler would be unhandled).
        return r.s.schedule(Promise.resolve(), 'loader').then(() => {
          throw new Error('loader failed');
        });
      case 'hang':
        m.hung++;
        return new Promise(() => {});
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Commands

// Biased towards one instance, the root view and one key, so operations collide often.
const inst = fc.constantFrom(0, 0, 0, 1, 2);
const view = fc.constantFrom(0, 0, 0, 1, 2, 3);
const key = fc.constantFrom(KEYS[0], KEYS[0], KEYS[0], ...KEYS);
const keys = fc.uniqueArray(key, { minLength: 1, maxLength: 2 });
const tags = fc.subarray(TAGS);
/** Short (expires within a few ticks) or long (stays fresh in L2 while L1s come and go). */
const ttl = fc.constantFrom(100, 5000);
const loaderKind = fc.constantFrom<LoaderKind>('ok', 'ok', 'fail', 'hang', 'sync', 'undefined');

function readCmd(label: string, args: fc.Arbitrary<[number, number, string[], LoaderKind | undefined, boolean]>): fc.Arbitrary<Cmd> {
  return args.map(([i, v, ks, kind, many]) => ({
    check: () => true,
    toString: () => `${label}(#${i}, [${VIEWS[v].join('/')}], ${ks.join(',')}${kind === undefined ? '' : `, ${kind}`})`,
    run: async (m: Model, r: Real) => {
      const c = r.view(i, v);
      start(m, `${label} #${i} ${ks}`, async (startStep) => {
        const startTime = r.clock.now();
        const failures0 = l2Failures(r, i);
        const calls = kind === undefined ? [] : ks.map((k) => ({ instance: i, mk: modelKey(v, k), startStep, endStep: Number.MAX_SAFE_INTEGER }));
        m.loadCalls.push(...calls);
        const what = `${label}(#${i}, [${VIEWS[v].join('/')}], ${ks.join(',')}) from step ${startStep}`;
        let got: unknown[];
        try {
          if (kind === undefined) got = many ? await c.getMany(ks) : [await c.get(ks[0])];
          else if (many) {
            const load = makeLoader(m, r, i, v, kind, []);
            got = await c.getOrSetMany(ks, (missing) => {
              const vals = missing.map((k) => load(k));
              if (kind === 'sync') return vals as string[];
              if (kind === 'hang') return new Promise<string[]>(() => {});
              return Promise.all(vals) as Promise<string[]>;
            });
          } else got = [await c.getOrSet(ks[0], makeLoader(m, r, i, v, kind, []) as () => string)];
        } catch (e) {
          if (kind === undefined) m.violations.push(`${what}: a read rejected: ${String(e)}`);
          return; // loads may fail (LoaderError, CacheTimeoutError)
        } finally {
          const endStep = ++m.step;
          for (const c of calls) c.endStep = endStep;
        }
        const l2Failed = l2Failures(r, i) !== failures0;
        ks.forEach((k, j) => checkRead(m, r, what, i, modelKey(v, k), got[j], startStep, startTime, l2Failed, kind !== undefined));
      });
    },
  }));
}

function writeCmd(label: 'set' | 'setMany' | 'delete', args: fc.Arbitrary<[number, number, string[], string[], number]>): fc.Arbitrary<Cmd> {
  return args.map(([i, v, ks0, tg, ttlMs]) => {
    const ks = label === 'set' ? ks0.slice(0, 1) : ks0;
    return {
    check: () => true,
    toString: () => `${label}(#${i}, [${VIEWS[v].join('/')}], ${ks.join(',')}, tags ${tg.join(',')})`,
    run: async (m: Model, r: Real) => {
      const c = r.view(i, v);
      start(m, `${label} #${i} ${ks}`, async (startStep) => {
        const mks = ks.map((k) => modelKey(v, k));
        const vals = label === 'delete' ? ks.map(() => null) : mks.map((mk) => newValue(m, { key: mk, kind: 'set', instance: i, startStep, tags: tg }));
        const entries: Touch[] = mks.map((_mk, j) => ({ instance: i, startStep, endStep: Number.MAX_SAFE_INTEGER, value: vals[j], failed: false, explicit: true }));
        mks.forEach((mk, j) => touch(m, mk, entries[j]));
        let failed = false;
        try {
          if (label === 'delete') await c.deleteMany(ks);
          else if (label === 'set') await c.set(ks[0], vals[0]!, { tags: tg, ttlMs });
          else await c.setMany(
              ks.map((k, j) => [k, vals[j]!]),
              { tags: tg, ttlMs },
            );
        } catch {
          failed = true; // CacheWriteError: an L2 fault
        }
        const endStep = ++m.step;
        for (const e of entries) {
          e.endStep = endStep;
          e.failed = failed;
        }
        for (const val of vals) if (val !== null) m.origins.get(val)!.endStep = endStep;
        if (!failed) m.invalidations.push({ instance: i, keys: new Set(mks), startStep, endStep, endTime: r.clock.now() });
      });
    },
    };
  });
}

export function commandArbitraries(): fc.Arbitrary<Cmd>[] {
  const none = fc.constant(undefined);
  return [
    readCmd('get', fc.tuple(inst, view, keys.map((k) => k.slice(0, 1)), none, fc.constant(false))),
    readCmd('getMany', fc.tuple(inst, view, keys, none, fc.constant(true))),
    readCmd('getOrSet', fc.tuple(inst, view, keys.map((k) => k.slice(0, 1)), loaderKind, fc.constant(false))),
    readCmd('getOrSetMany', fc.tuple(inst, view, keys, loaderKind, fc.constant(true))),
    writeCmd('set', fc.tuple(inst, view, keys.map((k) => k.slice(0, 1)), tags, ttl)),
    writeCmd('setMany', fc.tuple(inst, view, keys, tags, ttl)),
    writeCmd('delete', fc.tuple(inst, view, keys, fc.constant([]), ttl)),
    // Two writes of one instance in the same turn (program order on one connection).
    fc
      .tuple(fc.constantFrom<'set' | 'setMany' | 'delete'>('set', 'setMany', 'delete'), fc.constantFrom<'set' | 'setMany' | 'delete'>('set', 'setMany', 'delete'), inst, view, ttl)
      .chain(([a, b, i, v, t]) =>
        fc.tuple(writeCmd(a, fc.constant([i, v, ['x'], [], t])), writeCmd(b, fc.constant([i, v, ['x', 'b:x'], [], t]))).map(([ca, cb]) => ({
          check: () => true,
          toString: () => `burst(${ca.toString()}; ${cb.toString()})`,
          run: async (m: Model, r: Real) => {
            void ca.run(m, r);
            void cb.run(m, r);
          },
        })),
      ),
    fc.tuple(inst, view).map(([i, v]) => ({
      check: () => true,
      toString: () => `clear(#${i}, [${VIEWS[v].join('/')}])`,
      run: async (m: Model, r: Real) => {
        start(m, `clear #${i}`, async (startStep) => {
          try {
            await r.view(i, v).clear();
          } catch {
            return;
          }
          m.invalidations.push({ instance: i, clear: VIEWS[v], startStep, endStep: ++m.step, endTime: r.clock.now() });
        });
      },
    })),
    fc.tuple(inst, fc.constantFrom(...TAGS)).map(([i, t]) => ({
      check: () => true,
      toString: () => `deleteByTag(#${i}, ${t})`,
      run: async (m: Model, r: Real) => {
        start(m, `deleteByTag #${i}`, async (startStep) => {
          try {
            await r.caches[i].deleteByTag(t);
          } catch {
            return;
          }
          m.invalidations.push({ instance: i, tag: t, startStep, endStep: ++m.step, endTime: r.clock.now() });
        });
      },
    })),
    // Let the scheduler release some pending replies/loader results (in an order it picks).
    fc.integer({ min: 1, max: 6 }).map((n) => ({
      check: () => true,
      toString: () => `release(${n})`,
      run: async (_m: Model, r: Real) => {
        for (let j = 0; j < n && r.s.count() > 0; j++) await r.s.waitOne();
        await r.l2.settle();
      },
    })),
    fc.integer({ min: 1, max: 120 }).map((ms) => ({
      check: () => true,
      toString: () => `tick(${ms})`,
      run: async (_m: Model, r: Real) => {
        r.clock.advance(ms);
        await r.l2.settle();
      },
    })),
    fc.integer({ min: 1, max: 3 }).map((n) => ({
      check: () => true,
      toString: () => `faults(${n})`,
      run: async (m: Model, r: Real) => {
        m.faults += n;
        r.chaos.failNext(n);
      },
    })),
  ];
}

/**
 * Releases everything and moves time until every operation has settled and the caches have
 * nothing in flight but hung loads (background refreshes and loads past their callers'
 * timeouts finish too), or gives up.
 */
export async function drain(m: Model, r: Real): Promise<void> {
  const busy = (): boolean => r.caches.reduce((n, c) => n + c.stats().tracked.inflight, 0) > m.hung;
  for (let round = 0; round < 3000; round++) {
    if (r.s.count() > 0) await r.s.waitAll();
    else if (m.ops.every((o) => o.settled) && !busy()) break;
    else r.clock.advance(10);
    await r.l2.settle();
  }
}

/** The end-of-run invariants (after {@link drain}). */
export async function finalChecks(m: Model, r: Real, readRaw: (l2key: string) => Promise<Buffer | null>): Promise<void> {
  const pending = m.ops.filter((o) => !o.settled).map((o) => o.name);
  if (pending.length > 0) m.violations.push(`operations never settled: ${pending.join('; ')}`);
  if (r.unhandled.length > 0) m.violations.push(`unhandled rejections: ${r.unhandled.map(String).join('; ')}`);
  for (const [i, c] of r.caches.entries()) {
    const t = c.stats().tracked;
    if (t.flights !== 0) m.violations.push(`#${i}: ${t.flights} flights left`);
    if (t.loads > m.hung) m.violations.push(`#${i}: ${t.loads} loads left (${m.hung} hung)`);
    if (m.hung === 0 && (t.keyEpochs !== 0 || t.inflight !== 0)) m.violations.push(`#${i}: ${t.inflight} reads/loads and ${t.keyEpochs} key epochs left after the run`);
    if (t.keyEpochs > 10_000 || t.markers > 4096 + VIEWS.length + 1) m.violations.push(`#${i}: tables over their bounds: ${JSON.stringify(t)}`);
  }
  // L2 holds the last explicit write of a key in program order: the last one started, when
  // what overlapped it were earlier writes of the same instance (one connection: one order),
  // no load or other instance touched the key meanwhile, no marker covers it and no fault was
  // injected.
  if (m.faults > 0) return;
  for (const [mk, list] of m.touches) {
    const last = list[list.length - 1];
    if (!last.explicit || last.failed) continue;
    if (list.some((t) => t !== last && t.endStep > last.startStep && (!t.explicit || t.instance !== last.instance))) continue;
    if (m.invalidations.some((inv) => inv.keys === undefined && inv.endStep > last.startStep)) continue;
    const [viewPath, k] = [mk.slice(0, mk.indexOf('|')), mk.slice(mk.indexOf('|') + 1)];
    const raw = await readRaw(l2Key(viewPath === '' ? [] : viewPath.split('/'), k));
    const got = raw === null ? null : (decodeEntry(raw, jsonSerializer)?.value ?? null);
    if (got !== last.value) m.violations.push(`L2 has ${String(got)} for ${mk}, the last write (steps ${last.startStep}..${last.endStep}) was ${String(last.value)}`);
  }
}
