/**
 * Placement analysis: how evenly a ring spreads keys over its servers, and how many keys move
 * (and where) when the ring changes — the numbers that show why `hash % n` breaks when a node
 * is added (about n/(n+1) of keys move) while a consistent-hash ring moves about 1/(n+1).
 */
import type { Key } from '../engine';
import { checkInteger, describe, keyList } from '../validate';

/** Keys to measure with: an array, or a number of generated keys (`'sample-0'`, `'sample-1'`, …). */
export type KeySample = readonly Key[] | number;

/**
 * Anything that places keys in batches: {@link HashRing}, {@link ModuloRing}. When it honours
 * `out` (writes the servers into it and returns it), a sample of any size is measured without
 * allocating per batch.
 */
export interface Placement {
  getMany(keys: readonly Key[], out?: string[]): (string | undefined)[];
}

/** One server's part of a sample. */
export interface ServerShare {
  server: string;
  /** Keys placed on it. */
  count: number;
  /** `count / keys`. */
  share: number;
  /** Its weight over the total weight (its fair share); equal shares when weights are unknown. */
  weightShare: number;
  /** `share / weightShare`: 1 is exactly its fair share. */
  load: number;
}

/** What {@link distribution} reports. */
export interface DistributionReport {
  /** Keys in the sample. */
  keys: number;
  /** Per server, in the order the servers were given. */
  servers: ServerShare[];
  /** Mean of `count`. */
  mean: number;
  /** Largest `load` over the mean `load` (1 = perfectly even for the weights). */
  maxOverMean: number;
  /** Coefficient of variation of `load` (population standard deviation over mean). */
  cv: number;
  /** Servers whose `load` is outside 1 ± `tolerance`. */
  outliers: string[];
  /** The tolerance used for `outliers`. @default 0.2 */
  tolerance: number;
}

/** One flow of moved keys. */
export interface Flow {
  from: string | undefined;
  to: string | undefined;
  count: number;
}

/** What {@link movement} reports. */
export interface MovementReport {
  keys: number;
  /** Keys whose server changed. */
  moved: number;
  /** `moved / keys`. */
  fraction: number;
  /** Moved keys by (old server, new server), largest first. */
  flows: Flow[];
  /** Moved keys by new server, largest first. */
  gained: { server: string | undefined; count: number }[];
  /** Moved keys by old server, largest first. */
  lost: { server: string | undefined; count: number }[];
}

const MAX_SAMPLE = 100_000_000;
/**
 * Keys placed per `getMany` call. A sample is measured chunk by chunk — generated keys into one
 * reused array, the servers into one reused `out` — so memory stays at a few MB whatever the
 * sample size (a 100M-key sample used to build 100M strings and exhaust the heap).
 */
export const SAMPLE_CHUNK = 65_536;

/**
 * Calls `each(keys)` for consecutive chunks of at most {@link SAMPLE_CHUNK} keys of `sample`
 * (generated into one reused array, or slices of the given array) and returns the sample size.
 */
function forEachChunk(sample: KeySample, each: (keys: readonly Key[]) => void, name = 'sample'): number {
  if (typeof sample === 'number') {
    checkInteger(sample, name, 1, MAX_SAMPLE);
    const chunk: string[] = [];
    for (let start = 0; start < sample; start += SAMPLE_CHUNK) {
      const n = Math.min(SAMPLE_CHUNK, sample - start);
      chunk.length = n;
      for (let i = 0; i < n; i++) chunk[i] = `sample-${start + i}`;
      each(chunk);
    }
    return sample;
  }
  if (!Array.isArray(sample)) {
    throw new TypeError(`Expected an array of keys or a number of keys for ${name} but received ${describe(sample)}`);
  }
  const keys = keyList(sample, name);
  for (let start = 0; start < keys.length; start += SAMPLE_CHUNK) each(keys.slice(start, start + SAMPLE_CHUNK));
  return keys.length;
}

function checkPlacement(ring: unknown, name: string): asserts ring is Placement {
  if (ring === null || typeof ring !== 'object' || typeof (ring as Placement).getMany !== 'function') {
    throw new TypeError(`Expected a ring (with getMany) for ${name} but received ${describe(ring)}`);
  }
}

/**
 * Spread of `sample` over `ring`'s servers. `weights` (server → weight) gives each server's
 * fair share and lists servers that got no key; without it every server seen gets an equal share.
 */
export function distribution(
  ring: Placement,
  sample: KeySample = 100_000,
  weights?: ReadonlyMap<string, number>,
  tolerance = 0.2,
): DistributionReport {
  checkPlacement(ring, 'ring');
  const counts = new Map<string, number>();
  if (weights) for (const server of weights.keys()) counts.set(server, 0);
  const out: string[] = [];
  const total = forEachChunk(sample, (keys) => {
    for (const server of ring.getMany(keys, out)) {
      if (server !== undefined) counts.set(server, (counts.get(server) ?? 0) + 1);
    }
  });
  let totalWeight = 0;
  if (weights) for (const w of weights.values()) totalWeight += w > 0 ? w : 0;
  const servers: ServerShare[] = [];
  for (const [server, count] of counts) {
    const w = weights?.get(server) ?? 1;
    const weightShare = weights && totalWeight > 0 ? (w > 0 ? w : 0) / totalWeight : 1 / counts.size;
    const share = total > 0 ? count / total : 0;
    servers.push({ server, count, share, weightShare, load: weightShare > 0 ? share / weightShare : 0 });
  }
  const m = servers.length;
  let sum = 0;
  let max = 0;
  for (const s of servers) {
    sum += s.load;
    if (s.load > max) max = s.load;
  }
  const meanLoad = m > 0 ? sum / m : 0;
  let sq = 0;
  for (const s of servers) sq += (s.load - meanLoad) ** 2;
  return {
    keys: total,
    servers,
    mean: m > 0 ? total / m : 0,
    maxOverMean: meanLoad > 0 ? max / meanLoad : 0,
    cv: meanLoad > 0 ? Math.sqrt(sq / m) / meanLoad : 0,
    outliers: servers.filter((s) => Math.abs(s.load - 1) > tolerance).map((s) => s.server),
    tolerance,
  };
}

function tally<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function largestFirst<T extends { count: number }>(items: T[]): T[] {
  return items.sort((a, b) => b.count - a.count);
}

/**
 * Keys of `sample` that `toRing` places on another server than `fromRing` does, and where
 * they went. Works across ring kinds (e.g. a {@link HashRing} against a {@link ModuloRing}).
 */
export function movement(fromRing: Placement, toRing: Placement, sample: KeySample = 100_000): MovementReport {
  checkPlacement(fromRing, 'fromRing');
  checkPlacement(toRing, 'toRing');
  const flows = new Map<string | undefined, Map<string | undefined, number>>();
  const gained = new Map<string | undefined, number>();
  const lost = new Map<string | undefined, number>();
  let moved = 0;
  const outBefore: string[] = [];
  const outAfter: string[] = [];
  const total = forEachChunk(sample, (keys) => {
    const before = fromRing.getMany(keys, outBefore);
    const after = toRing.getMany(keys, outAfter);
    for (let i = 0; i < keys.length; i++) {
      const a = before[i];
      const b = after[i];
      if (a === b) continue;
      moved++;
      let row = flows.get(a);
      if (!row) flows.set(a, (row = new Map()));
      tally(row, b);
      tally(gained, b);
      tally(lost, a);
    }
  });
  const flowList: Flow[] = [];
  for (const [from, row] of flows) for (const [to, count] of row) flowList.push({ from, to, count });
  return {
    keys: total,
    moved,
    fraction: total > 0 ? moved / total : 0,
    flows: largestFirst(flowList),
    gained: largestFirst([...gained].map(([server, count]) => ({ server, count }))),
    lost: largestFirst([...lost].map(([server, count]) => ({ server, count }))),
  };
}
