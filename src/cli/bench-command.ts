/**
 * `ringcache bench`: runs the tinybench suites (native vs TS engine vs the peers users would
 * pick) and prints ops/s and ratios. Suites that need Redis run only when given a server.
 */
import { checkWritableFile, emitJson, type Io } from './io';
import { library } from './library';
import { UsageError } from './usage-error';

export const BENCH_HELP = `Usage: ringcache bench [--suite NAME]... [--keys N] [--time MS] [--rounds N] [--json FILE]
                       [--redis URL] [--cluster HOST:PORT]

Runs the benchmark suites in one process, on the same keys, and prints a table with ops/s,
ns/op and the ratio to each group's baseline (the peer library users would otherwise pick):
medians over rounds (task order rotated per round, GC between tasks) with min–max; groups
whose ratios move by more than 20 % across rounds are marked ⚠. Progress goes to stderr.

Suites:
  hash     md5Uint32 and murmur3: native engine, TS engine, node:crypto, murmurhash
  slot     keySlot, keySlots and packed keySlots vs cluster-key-slot
  ring     HashRing get/getMany vs the hashring package (uncached, hot keys, batches)
  store    RingStore over Redis nodes vs plain ioredis (Redis: --redis)
  cluster  ClusterStore mget/mset vs ioredis Cluster (Redis Cluster: --cluster, and --redis
           for the single-node reference)
  cache    TieredCache vs bentocache, cacheable, lru-cache, ioredis (Redis: --redis)
  http     HttpCache routes vs bare node:http and Express + bentocache, over loopback HTTP
           with autocannon, each server in its own process (Redis: --redis)

Options:
  --suite NAME   run only this suite (repeatable); default: every suite that needs no Redis,
                 plus those whose server is given
  --keys N       keys per key set (default 1000, at most 1000000)
  --time MS      time per task and round in ms (default 300)
  --rounds N     rounds per group (default 5)
  --json FILE    also write all rows as JSON to FILE ('-' for stdout instead of the table)
  --redis URL    a Redis to run the store/cache suites against, e.g. redis://127.0.0.1:6379
  --cluster H:P  a Redis Cluster node to run the cluster store suite against
  -h, --help     this help

The bench modules are dev tooling, run from a source checkout (npm ci && npx ringcache bench):
the peer libraries are devDependencies of ringcache, so the published package leaves the suites
out. A Redis suite asked for with --suite but given no server starts its own on free loopback ports.`;

export const SUITES = ['hash', 'slot', 'ring', 'store', 'cluster', 'cache', 'http'] as const;
export type Suite = (typeof SUITES)[number];

export interface BenchFlags {
  suite: string[];
  keys?: string;
  time?: string;
  rounds?: string;
  json?: string;
  redis?: string;
  cluster?: string;
}

/** Keys per key set at most: each suite holds a few key sets in memory (about 100 MB at this bound). */
export const MAX_BENCH_KEYS = 1_000_000;

function positiveInt(value: string | undefined, name: string, def: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`bench: --${name} must be a positive integer, got '${value}'`);
  if (n > max) throw new UsageError(`bench: --${name} must be an integer in 1..${max}, got '${value}'`);
  return n;
}

type Runner = (opts: { keys: number; time: number; rounds: number; onProgress: (m: string) => void; redis?: string; cluster?: string }) => Promise<
  import('../../bench/lib').BenchRow[]
>;

/* eslint-disable @typescript-eslint/no-require-imports */
/** Loads a suite's runner lazily (bench modules pull in peers that only dev installs have). */
async function runnerFor(suite: Suite): Promise<Runner | string> {
  switch (suite) {
    case 'hash':
      return (require('../../bench/hash.bench') as typeof import('../../bench/hash.bench')).runHashBench;
    case 'slot':
      return (require('../../bench/hash.bench') as typeof import('../../bench/hash.bench')).runSlotBench;
    case 'ring':
      try {
        return (require('../../bench/ring.bench') as { runRingBench: Runner }).runRingBench;
      } catch (err) {
        return `ring suite unavailable: ${(err as Error).message.split('\n')[0]}`;
      }
    case 'store':
      return (require('../../bench/store.bench') as { runStoreBench: Runner }).runStoreBench;
    case 'cluster':
      return (require('../../bench/cluster.bench') as { runClusterBench: Runner }).runClusterBench;
    case 'cache':
      return (require('../../bench/cache.bench') as { runCacheBench: Runner }).runCacheBench;
    case 'http':
      return (require('../../bench/http.bench') as { runHttpBench: Runner }).runHttpBench;
  }
}

/** Whether the suites are here: they are in a source checkout, not in the published package. */
function suitesPresent(): boolean {
  try {
    require.resolve('../../bench/lib');
    return true;
  } catch {
    return false;
  }
}

export async function benchCommand(flags: BenchFlags, io: Io): Promise<number> {
  const keys = positiveInt(flags.keys, 'keys', 1000, MAX_BENCH_KEYS);
  const time = positiveInt(flags.time, 'time', 300);
  const rounds = positiveInt(flags.rounds, 'rounds', 5);
  // The rows are written after the whole run: refuse a file that cannot be written before it.
  if (flags.json && flags.json !== '-') checkWritableFile(flags.json, 'bench: --json');
  for (const s of flags.suite) {
    if (!(SUITES as readonly string[]).includes(s)) {
      throw new UsageError(`bench: unknown suite '${s}' (expected one of ${SUITES.join(', ')})`);
    }
  }
  if (!suitesPresent()) {
    io.err(
      'bench: the benchmark suites are not in the installed package (they run the peer libraries, which are ' +
        'devDependencies); run them from a source checkout of ringcache: npm ci && npx ringcache bench',
    );
    return 1;
  }
  // Which server each Redis suite needs; by default a Redis suite runs only when given one.
  const server: Partial<Record<Suite, 'redis' | 'cluster'>> = { store: 'redis', cluster: 'cluster', cache: 'redis', http: 'redis' };
  const given = (suite: Suite) => server[suite] === undefined || Boolean(flags[server[suite]!]);
  const chosen: Suite[] = flags.suite.length ? (flags.suite as Suite[]) : SUITES.filter(given);
  const skipped = SUITES.filter((s) => !chosen.includes(s));
  if (!flags.suite.length && skipped.length) {
    io.err(`bench: skipped ${skipped.join(', ')}: pass --redis redis://HOST:PORT and/or --cluster HOST:PORT to run them`);
  }
  io.err(`bench: engine in use: ${library().backend}; suites: ${chosen.join(', ')}; ${keys} keys, ${time} ms per task, ${rounds} rounds`);

  const all: import('../../bench/lib').BenchRow[] = [];
  let failed = false;
  for (const suite of chosen) {
    const runner = await runnerFor(suite);
    if (typeof runner === 'string') {
      io.err(`bench: ${runner}`);
      if (flags.suite.length) failed = true;
      continue;
    }
    const t0 = Date.now();
    try {
      const rows = await runner({ keys, time, rounds, onProgress: (m) => io.err(`  … ${m}`), redis: flags.redis, cluster: flags.cluster });
      io.err(`bench: ${suite} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      all.push(...rows);
    } catch (err) {
      if (!server[suite]) throw err;
      // A Redis suite that could not reach or start its servers: say how to enable it.
      io.err(`bench: ${suite} suite failed: ${(err as Error).message.split('\n')[0]}`);
      io.err(`bench: pass --${server[suite]} ${server[suite] === 'redis' ? 'redis://HOST:PORT' : 'HOST:PORT'} to run it against your server`);
      failed = true;
    }
  }
  if (flags.json === '-') emitJson(io, all);
  else {
    const { formatTable } = require('../../bench/lib') as typeof import('../../bench/lib');
    if (all.length) io.out(formatTable(all));
    if (flags.json) emitJson(io, all, flags.json);
  }
  return failed ? 1 : 0;
}
