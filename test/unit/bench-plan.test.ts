/**
 * `ringcache bench`'s choices without running a suite: which suites can run here and why not
 * the others (src/cli/bench-plan.ts), and the headline line per suite (bench/highlights.ts).
 * Engine-independent: `hybrid` project only.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headlineLines } from '../../bench/highlights';
import { rowsFromSamples } from '../../bench/lib';
import { findOnPath, planBench } from '../../src/cli/bench-plan';
import { notDefaultProject } from '../helpers/project';

let dir = '';

/** A directory holding fake executables `names` (mode 755, never run). */
function binDir(name: string, names: string[]): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const n of names) {
    writeFileSync(join(d, n), '#!/bin/sh\nexit 1\n');
    chmodSync(join(d, n), 0o755);
  }
  return d;
}

let none = '';
let both = '';
let serverOnly = '';
const withAutocannon = () => true;

describe.skipIf(notDefaultProject)('planBench: every suite that can run here, a reason for the others', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ringcache-bench-plan-'));
    none = binDir('none', ['node']);
    both = binDir('both', ['redis-server', 'redis-cli']);
    serverOnly = binDir('server-only', ['redis-server']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('findOnPath finds an executable file, not a plain file or a directory of that name', () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'redis-server'), 'not executable');
    mkdirSync(join(plain, 'redis-cli'));
    expect(findOnPath('redis-server', [plain, '', both].join(delimiter))).toBe(join(both, 'redis-server'));
    expect(findOnPath('redis-cli', [plain, none].join(delimiter))).toBeUndefined();
    expect(findOnPath('redis-server', undefined)).toBeUndefined();
  });

  it('redis-server and redis-cli on PATH: every suite, in order, the binaries for the helpers', () => {
    const p = planBench([], {}, { PATH: both }, withAutocannon);
    expect(p.run).toEqual(['hash', 'slot', 'ring', 'store', 'cluster', 'cache', 'http']);
    expect(p.skipped).toEqual([]);
    expect(p.bins).toEqual({ redisServer: join(both, 'redis-server'), redisCli: join(both, 'redis-cli') });
  });

  it('no redis-server: the CPU suites run, the Redis suites are skipped for one reason', () => {
    const p = planBench([], {}, { PATH: none }, withAutocannon);
    expect(p.run).toEqual(['hash', 'slot', 'ring']);
    expect(p.skipped).toEqual([
      { suites: ['store', 'cluster', 'cache', 'http'], reason: 'redis-server is not on PATH; install redis-server or pass --redis URL / --cluster HOST:PORT' },
    ]);
  });

  it('servers given: they are used, and only what is still missing is reported', () => {
    // --redis alone, no redis-server: store, cache, http use it; the cluster suite cannot start its Cluster.
    const redis = planBench([], { redis: 'redis://127.0.0.1:1' }, { PATH: none }, withAutocannon);
    expect(redis.run).toEqual(['hash', 'slot', 'ring', 'store', 'cache', 'http']);
    expect(redis.skipped).toEqual([{ suites: ['cluster'], reason: 'redis-server is not on PATH; install redis-server or pass --cluster HOST:PORT' }]);
    // --cluster alone: the single-node reference still needs a standalone Redis.
    const cluster = planBench(['cluster'], { cluster: '127.0.0.1:1' }, { PATH: none }, withAutocannon);
    expect(cluster.run).toEqual([]);
    expect(cluster.skipped[0].reason).toBe('redis-server is not on PATH; install redis-server or pass --redis URL (the single-node reference)');
    expect(planBench(['cluster'], { cluster: '127.0.0.1:1', redis: 'redis://127.0.0.1:2' }, { PATH: none }, withAutocannon).run).toEqual(['cluster']);
  });

  it('redis-server without redis-cli: the cluster suite alone is skipped, naming redis-cli', () => {
    const p = planBench([], {}, { PATH: serverOnly }, withAutocannon);
    expect(p.run).toEqual(['hash', 'slot', 'ring', 'store', 'cache', 'http']);
    expect(p.skipped).toEqual([{ suites: ['cluster'], reason: 'redis-cli is not on PATH (it creates the Cluster); install redis-cli or pass --cluster HOST:PORT' }]);
  });

  it('autocannon missing: http is skipped with its own reason; --suite keeps its order, once each', () => {
    const p = planBench(['http', 'ring', 'store', 'ring'], {}, { PATH: both }, (name) => name !== 'autocannon');
    expect(p.run).toEqual(['ring', 'store']);
    expect(p.skipped).toEqual([{ suites: ['http'], reason: 'autocannon is not installed; run npm ci in the source checkout (a devDependency)' }]);
  });
});

describe.skipIf(notDefaultProject)('headlineLines: one line per suite, the ratio as the table has it', () => {
  it('picks each suite’s headline row, says faster or the speed of, gives the spread and ⚠', () => {
    const rows = [
      // hash: ringcache at 100 ns against 800 ns, two rounds.
      ...rowsFromSamples('hash', 'md5Uint32 11 B', ["node:crypto hash('md5') (one-shot)", 'ringcache md5Uint32'], [[800, 800], [100, 100]], undefined, 'cpu'),
      // store: slower than the baseline, and unstable.
      ...rowsFromSamples('store', 'GET, 100 in flight', ['ioredis get (enableAutoPipelining)', 'RingStore get (4 nodes)'], [[10, 10], [20, 40]]),
      // ring without the native core: the TS engine's row is the default engine's.
      ...rowsFromSamples('ring', 'get uncached, 10 servers, 11 B keys, md5', ['hashring get', 'ringcache (TS) get'], [[300], [100]]),
      // cluster at another key count than the README's 1000.
      ...rowsFromSamples('cluster', 'mget 200 keys over all slots', ['ioredis Cluster + enableAutoPipelining: per-key GET', 'ClusterStore.mget (cross-slot scripts, Redis ≥ 7)'], [[50], [10]]),
      // cache ran, but not its headline group.
      ...rowsFromSamples('cache', 'L1 hit, sync', ['lru-cache get', 'ringcache TieredCache.peek'], [[1], [2]]),
    ];
    expect(headlineLines(rows)).toEqual([
      "hash     md5Uint32, 11 B keys: 8.00× faster than node:crypto hash('md5') (one-shot) (8.00–8.00 over 2 rounds)",
      'store    RingStore.get over 4 nodes, 100 in flight: 0.38× the speed of ioredis get (enableAutoPipelining) (0.25–0.50 over 2 rounds) ⚠',
      'ring     HashRing.get, 10 servers, 11 B keys: 3.00× faster than hashring get',
      'cluster  ClusterStore.mget over all slots: 5.00× faster than ioredis Cluster + enableAutoPipelining: per-key GET',
      'cache    TieredCache.get, L1 hit: not measured in this run',
    ]);
  });
});
