/**
 * The store bench (bench/store.bench.ts) run from source: it starts 4 redis-servers with the
 * test helpers (free loopback ports, stopped by PID when it ends), so this is also how to run
 * it with real timings:
 *
 *   RINGCACHE_STORE_BENCH_TIME=300 npx vitest run --project hybrid test/integration/ring-store-bench.test.ts
 *
 * Default (hybrid) project only. With the default 15 ms per task it is a smoke test: the bench
 * runs and its rows have the shape the CLI prints. Timings and ratios are printed, never
 * asserted: speed is measured by `npx ringcache bench --suite store` (README, "Benchmarks"), not
 * by a test on a shared 2-core machine.
 */
import { describe, expect, it } from 'vitest';
import { runStoreBench } from '../../bench/store.bench';
import { formatTable } from '../../bench/lib';
import { notDefaultProject } from '../helpers/project';

const time = Number(process.env.RINGCACHE_STORE_BENCH_TIME ?? 15);

// Default project only: the engines' routing is benched by the ring suite.
describe.skipIf(notDefaultProject)('store bench (default project only)', () => {
  it('produces rows for every group, each with a timing and a ratio to its baseline', async () => {
    const progress: string[] = [];
    const rows = await runStoreBench({ time, onProgress: (m) => progress.push(m) });
    console.log(`store bench (${time} ms per task, medians of 5 rounds):\n${formatTable(rows)}`);
    expect(new Set(rows.map((r) => r.group))).toEqual(
      new Set([
        'GET, 1 in flight',
        'GET, 100 in flight',
        'client CPU per GET, 100 in flight',
        'get over a stub client (no I/O), 100 in flight',
        'routing step alone, per key',
        '1000 keys, 4 nodes',
      ]),
    );
    for (const r of rows) {
      expect(r).toMatchObject({ suite: 'store' });
      expect(r.nsPerOp).toBeGreaterThan(0);
      expect(Number.isFinite(r.ratio)).toBe(true);
    }
    const mget = rows.find((r) => r.name === 'RingStore mget (1 MGET per node, 4 nodes)')!;
    const perKey = rows.find((r) => r.name === 'RingStore get × 1000 (concurrent, 4 nodes)')!;
    expect(mget.baseline).toBe('ioredis mget, 1 node (one raw MGET)');
    expect(mget.rounds).toBe(5);
    expect(perKey.rounds).toBe(5); // speed itself is bench/'s business, not a test's
    expect(progress.length).toBeGreaterThan(0);
  });
});
