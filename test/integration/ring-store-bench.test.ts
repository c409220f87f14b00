/**
 * The store bench (bench/store.bench.ts) run from source: it starts 4 redis-servers with the
 * test helpers (free loopback ports, stopped by PID when it ends), so this is also how to run
 * it with real timings:
 *
 *   RINGCACHE_STORE_BENCH_TIME=300 npx vitest run --project native test/integration/ring-store-bench.test.ts
 *
 * Native project only. With the default 15 ms per task it is a smoke test: the rows have the
 * shape the CLI prints, and batching wins by a margin no machine load can erase (one MGET per
 * node against 1000 GETs). Timings are printed, never asserted against a fixed number.
 */
import { describe, expect, it } from 'vitest';
import { runStoreBench } from '../../bench/store.bench';
import { formatTable } from '../../bench/lib';

const time = Number(process.env.RINGCACHE_STORE_BENCH_TIME ?? 15);

// Native project only (RINGCACHE_BACKEND=js skips it): timings, not correctness; the engines'
// routing is benched by the ring suite.
describe.skipIf(process.env.RINGCACHE_BACKEND === 'js')('store bench (native project only)', () => {
  it('produces rows for every group; RingStore mget beats per-key GET', async () => {
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
    expect(mget.nsPerOp * 1.5).toBeLessThan(perKey.nsPerOp);
    expect(progress.length).toBeGreaterThan(0);
  });
});
