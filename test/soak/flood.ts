/**
 * Memory under a flood of distinct keys (`npm run soak -- flood [--keys 10000000]`): one
 * TieredCache (L1 only, maxEntries and maxBytes set) takes `set` and `getOrSet` of N distinct
 * keys with values of 0–32 bytes (first half: maxEntries binds), then 0–1024 (maxBytes binds). Every 1 % of the keys it checks the L1 bounds and the sizes
 * of the cache's internal tables, and samples RSS and heap; at the end it reports the RSS slope
 * over the second half (MB per million keys) — "levels off" is a slope near 0 there, where a
 * leak of even 10 bytes per key would show as ~10 MB per million.
 *
 * Exit status 1 when a bound was ever exceeded, an internal table did not drain, or RSS grew by
 * more than 32 MB over the second half (the allowance for allocator fragmentation and GC timing;
 * the L1 itself is bounded at 4 MB of values).
 */
import { TieredCache } from '../../src/cache/tiered-cache';
import { slope } from './samples';

export interface FloodResult {
  keys: number;
  maxEntriesSeen: number;
  maxBytesSeen: number;
  boundBreaches: number;
  samples: { keys: number; rssMB: number; heapMB: number; l1: number; l1Bytes: number }[];
  /** RSS slope over the second half, MB per million keys. */
  rssSlopeMBPerM: number;
  rssGrowthSecondHalfMB: number;
  tracked: Record<string, number>;
}

/** Small values (first half) hit maxEntries first; large ones (second half) hit maxBytes. */
export const FLOOD_L1 = Object.freeze({ maxEntries: 20_000, maxBytes: 4 * 2 ** 20 });

export async function flood(keys: number, onSample?: (s: FloodResult['samples'][number]) => void): Promise<FloodResult> {
  const cache = new TieredCache<{ i: number; pad: string }>({ l1: { ...FLOOD_L1 } });
  const pads = Array.from({ length: 1025 }, (_, n) => 'x'.repeat(n));
  const every = Math.max(1, Math.floor(keys / 100));
  const r: FloodResult = { keys, maxEntriesSeen: 0, maxBytesSeen: 0, boundBreaches: 0, samples: [], rssSlopeMBPerM: 0, rssGrowthSecondHalfMB: 0, tracked: {} };
  for (let i = 0; i < keys; i++) {
    const k = `flood:${i}`;
    const v = { i, pad: pads[i < keys / 2 ? i % 33 : i % 1025] };
    // Half the keys through the write path, half through the load path (single-flight, epochs).
    if (i & 1) await cache.set(k, v);
    else await cache.getOrSet(k, () => v);
    if (i % every === every - 1) {
      const st = cache.stats();
      r.maxEntriesSeen = Math.max(r.maxEntriesSeen, st.l1.size);
      r.maxBytesSeen = Math.max(r.maxBytesSeen, st.l1.bytes);
      if (st.l1.size > FLOOD_L1.maxEntries || st.l1.bytes > FLOOD_L1.maxBytes) r.boundBreaches++;
      (globalThis as { gc?: () => void }).gc?.(); // with --expose-gc: heap after a full GC, not GC timing
      const m = process.memoryUsage();
      const s = { keys: i + 1, rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20, l1: st.l1.size, l1Bytes: st.l1.bytes };
      r.samples.push(s);
      onSample?.(s);
    }
  }
  r.tracked = { ...cache.stats().tracked };
  await cache.close();
  const half = r.samples.slice(Math.floor(r.samples.length / 2));
  r.rssSlopeMBPerM = slope(half.map((s) => s.keys / 1e6), half.map((s) => s.rssMB));
  r.rssGrowthSecondHalfMB = half.length > 1 ? half[half.length - 1].rssMB - half[0].rssMB : 0;
  return r;
}

async function main(): Promise<number> {
  const i = process.argv.indexOf('--keys');
  const keys = i >= 0 ? Number(process.argv[i + 1]) : 10_000_000;
  if (!Number.isInteger(keys) || keys < 1000) throw new RangeError('--keys must be an integer ≥ 1000');
  const t0 = Date.now();
  const r = await flood(keys, (s) => {
    if (s.keys % Math.max(1, Math.floor(keys / 10)) < Math.max(1, Math.floor(keys / 100)))
      process.stdout.write(`flood: ${s.keys} keys, rss ${s.rssMB.toFixed(1)} MB, heap ${s.heapMB.toFixed(1)} MB, L1 ${s.l1} entries / ${(s.l1Bytes / 2 ** 20).toFixed(2)} MB\n`);
  });
  const drained = Object.values(r.tracked).every((n) => n === 0);
  const ok = r.boundBreaches === 0 && drained && r.rssGrowthSecondHalfMB <= 32;
  process.stdout.write(
    `flood: ${keys} keys in ${((Date.now() - t0) / 1000).toFixed(0)} s; L1 max ${r.maxEntriesSeen}/${FLOOD_L1.maxEntries} entries, ` +
      `${(r.maxBytesSeen / 2 ** 20).toFixed(2)}/${FLOOD_L1.maxBytes / 2 ** 20} MB, ${r.boundBreaches} bound breaches; internal tables at the end ${JSON.stringify(r.tracked)}; ` +
      `RSS second half ${r.rssGrowthSecondHalfMB.toFixed(1)} MB (slope ${r.rssSlopeMBPerM.toFixed(2)} MB per million keys) → ${ok ? 'ok' : 'FAIL'}\n`,
  );
  return ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (c) => process.exit(c),
    (err) => {
      process.stderr.write(`flood: ${(err as Error).stack}\n`);
      process.exit(2);
    },
  );
}
