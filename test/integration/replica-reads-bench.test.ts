/**
 * The replica-read bench (bench/replica-reads.bench.ts) run from source: it starts a Sentinel
 * setup (2 replicas) and a 3 + 3 cluster with the test helpers (free loopback ports, stopped by
 * PID). With real timings:
 *
 *   RINGCACHE_REPLICA_BENCH_TIME=300 npx vitest run --project hybrid test/integration/replica-reads-bench.test.ts
 *
 * Default (hybrid) project only. Timings are printed, never asserted; the master command
 * counts (from the servers' own commandstats) are the feature: with replica reads on, ≥ 60 % of
 * reads are off the masters.
 */
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../bench/lib';
import { runReplicaReadsBench } from '../../bench/replica-reads.bench';
import { notDefaultProject } from '../helpers/project';

const time = Number(process.env.RINGCACHE_REPLICA_BENCH_TIME ?? 15);

describe.skipIf(notDefaultProject)('replica-read bench (default project only)', () => {
  it("rows for both suites; 'slave' takes ≥ 60 % of reads off the masters, 'master' none", async () => {
    const rows = await runReplicaReadsBench({ time, rounds: 2 });
    console.log(`replica-read bench (${time} ms per task):\n${formatTable(rows)}`);
    for (const suite of ['store', 'cluster']) {
      const share = rows.filter((r) => r.suite === suite && r.group.startsWith('master commands per read'));
      expect(share.map((r) => /^scaleReads '(\w+)'/.exec(r.name)?.[1])).toEqual(['master', 'slave', 'all']);
      const perRead = share.map((r) => Number(/: ([\d.]+) master cmds\/read/.exec(r.name)?.[1]));
      expect(perRead[0]).toBeGreaterThanOrEqual(1);
      expect(perRead[1]).toBeLessThanOrEqual(0.4);
      const speed = rows.filter((r) => r.suite === suite && r.group === 'replica reads: GET, 100 in flight');
      expect(speed).toHaveLength(3);
      for (const r of [...share, ...speed]) expect(r.nsPerOp).toBeGreaterThan(0);
    }
  });
});
