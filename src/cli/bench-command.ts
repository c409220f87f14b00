/**
 * `ringcache bench`: runs the tinybench suites (native vs TS engine vs the peers users would
 * pick) and prints a headline (one ratio per suite), then every row with ops/s and ratios.
 * Suites that need Redis use the servers given, or start their own when redis-server is on
 * PATH; a suite that cannot run is skipped with its reason (bench-plan.ts).
 */
import { needsRedis, planBench, serverFlag, SUITES, type Suite } from './bench-plan';
import { checkWritableFile, emitJson, type Io } from './io';
import { library } from './library';
import { UsageError } from './usage-error';

export { SUITES, type Suite } from './bench-plan';

export const BENCH_HELP = `Usage: ringcache bench [--suite NAME]... [--quick] [--keys N] [--time MS] [--rounds N]
                       [--json FILE] [--redis URL] [--cluster HOST:PORT]

Runs the benchmark suites in one process, on the same keys. Prints a headline first — one line
per suite with the ratio it exists for (e.g. HashRing.get against the hashring package) — then
the full table: ops/s, ns/op and the ratio to each group's baseline (the peer library users
would otherwise pick): medians over rounds (task order rotated per round, GC between tasks)
with min–max; groups whose ratios move by more than 20 % across rounds are marked ⚠. Progress
and skipped suites go to stderr.

Suites:
  hash     md5Uint32 and murmur3: native engine, TS engine, node:crypto, murmurhash
  slot     keySlot, keySlots and packed keySlots vs cluster-key-slot
  ring     HashRing get/getMany vs the hashring package (uncached, hot keys, batches)
  store    RingStore over 4 Redis nodes vs plain ioredis
  cluster  ClusterStore mget/mset vs ioredis Cluster (a 3+3 Redis Cluster, and a standalone
           Redis for the single-node reference)
  cache    TieredCache vs bentocache, cacheable, lru-cache, ioredis (Redis as L2)
  http     HttpCache routes vs bare node:http and Express + bentocache, over loopback HTTP
           with autocannon, each server in its own process (Redis as L2)

The Redis suites (store, cluster, cache, http) run against --redis / --cluster when given;
otherwise, when redis-server is on PATH (and redis-cli, for the Cluster), they start their own
servers on free loopback ports, in temp dirs, and stop them by PID afterwards. A suite that
cannot run is skipped with its reason on stderr: that fails the command (exit 1) only for a
suite asked for with --suite.

Options:
  --suite NAME   run only this suite (repeatable); default: every suite that can run here
  --quick        a short run (about 30 s for every suite on 2 cores): 1 round of 30 ms per
                 task, fewer keys, short HTTP load phases; rough ratios
  --keys N       keys per key set (default 1000, 200 with --quick; at most 1000000)
  --time MS      time per task and round in ms (default 300; 30 with --quick)
  --rounds N     rounds per group (default 5; 1 with --quick)
  --json FILE    also write all rows as JSON to FILE ('-': the JSON alone on stdout, the
                 headline on stderr)
  --redis URL    a Redis for the store, cache and http suites (and the cluster suite's
                 single-node reference), e.g. redis://127.0.0.1:6379
  --cluster H:P  a Redis Cluster node for the cluster suite
  -h, --help     this help

The bench modules are dev tooling, run from a source checkout (npm ci && npx ringcache bench):
the peer libraries are devDependencies of ringcache, so the published package leaves the suites
out.`;

export interface BenchFlags {
  suite: string[];
  keys?: string;
  time?: string;
  rounds?: string;
  json?: string;
  redis?: string;
  cluster?: string;
  quick?: boolean;
}

/**
 * `--quick`: every default suite (servers started included) in about 30 s on 2 cores: 1 round of
 * 30 ms per task on key sets of 200 (the cluster suite's per-key round trips are most of its
 * time); the suites shrink the rest (`quick` in bench/lib.ts BenchOptions). --time, --rounds
 * and --keys override these.
 */
export const QUICK = { time: 30, rounds: 1, keys: 200 } as const;

/** Keys per key set at most: each suite holds a few key sets in memory (about 100 MB at this bound). */
export const MAX_BENCH_KEYS = 1_000_000;

function positiveInt(value: string | undefined, name: string, def: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`bench: --${name} must be a positive integer, got '${value}'`);
  if (n > max) throw new UsageError(`bench: --${name} must be an integer in 1..${max}, got '${value}'`);
  return n;
}

type Runner = (opts: { keys: number; time: number; rounds: number; quick: boolean; onProgress: (m: string) => void; redis?: string; cluster?: string }) => Promise<
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

/** Whether a module resolves from here: an optional peer such as autocannon, or the bench suites (in a source checkout, not in the published package). */
function hasModule(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

export async function benchCommand(flags: BenchFlags, io: Io): Promise<number> {
  const quick = Boolean(flags.quick);
  const keys = positiveInt(flags.keys, 'keys', quick ? QUICK.keys : 1000, MAX_BENCH_KEYS);
  const time = positiveInt(flags.time, 'time', quick ? QUICK.time : 300);
  const rounds = positiveInt(flags.rounds, 'rounds', quick ? QUICK.rounds : 5);
  // The rows are written after the whole run: refuse a file that cannot be written before it.
  if (flags.json && flags.json !== '-') checkWritableFile(flags.json, 'bench: --json');
  for (const s of flags.suite) {
    if (!(SUITES as readonly string[]).includes(s)) {
      throw new UsageError(`bench: unknown suite '${s}' (expected one of ${SUITES.join(', ')})`);
    }
  }
  if (!hasModule('../../bench/lib')) {
    io.err(
      'bench: the benchmark suites are not in the installed package (they run the peer libraries, which are ' +
        'devDependencies); run them from a source checkout of ringcache: npm ci && npx ringcache bench',
    );
    return 1;
  }
  const explicit = flags.suite.length > 0;
  const plan = planBench(flags.suite as Suite[], { redis: flags.redis, cluster: flags.cluster }, process.env, hasModule);
  // A suite asked for by name that cannot run fails the command; one left out of a default run does not.
  let failed = explicit && plan.skipped.length > 0;
  for (const skip of plan.skipped) io.err(`bench: ${skip.suites.join(', ')} skipped: ${skip.reason}`);
  // The test helpers start what the Redis suites need: the binaries found on PATH.
  if (plan.bins.redisServer) process.env.REDIS_SERVER_BIN ||= plan.bins.redisServer;
  if (plan.bins.redisCli) process.env.REDIS_CLI_BIN ||= plan.bins.redisCli;
  const own = plan.run.filter((s) => needsRedis(s) && !(s === 'cluster' ? flags.cluster && flags.redis : flags.redis));
  io.err(
    `bench: engine in use: ${library().backend}; suites: ${plan.run.join(', ') || 'none'}; ${keys} keys, ${time} ms per task, ${rounds} round${rounds === 1 ? '' : 's'}` +
      `${quick ? ' (--quick: rough figures)' : ''}${own.length ? `; ${own.join(', ')} ${own.length === 1 ? 'starts its' : 'start their'} own servers on free loopback ports` : ''}`,
  );

  const all: import('../../bench/lib').BenchRow[] = [];
  for (const suite of plan.run) {
    const runner = await runnerFor(suite);
    if (typeof runner === 'string') {
      io.err(`bench: ${suite} skipped: ${runner}`);
      if (explicit) failed = true;
      continue;
    }
    const t0 = Date.now();
    try {
      const rows = await runner({ keys, time, rounds, quick, onProgress: (m) => io.err(`  … ${m}`), redis: flags.redis, cluster: flags.cluster });
      io.err(`bench: ${suite} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      all.push(...rows);
    } catch (err) {
      if (!needsRedis(suite)) throw err;
      const message = (err as Error).message.split('\n')[0].replace(`${suite} bench: `, '');
      // Servers that did not start (BenchSetupError): the suite could not run; no row of it is reported.
      if ((err as { code?: unknown }).code === 'ERR_BENCH_SETUP') {
        io.err(`bench: ${suite} skipped: ${message}`);
        if (explicit) failed = true;
        continue;
      }
      // A Redis suite that failed against its servers: say how to point it at another one.
      io.err(`bench: ${suite} suite failed: ${message}`);
      io.err(`bench: pass ${serverFlag(suite)!.replace(' URL', ' redis://HOST:PORT')} to run it against your server`);
      failed = true;
    }
  }
  // The headline: one line per suite with the ratio it exists for (bench/highlights.ts).
  const { headlineLines } = require('../../bench/highlights') as typeof import('../../bench/highlights');
  const headline = all.length ? headlineLines(all).join('\n') : '';
  if (flags.json === '-') {
    // stdout carries the JSON alone; the headline goes with the progress, to stderr.
    if (headline) io.err(headline);
    emitJson(io, all);
  } else {
    const { formatTable } = require('../../bench/lib') as typeof import('../../bench/lib');
    if (all.length) io.out(`${headline}\n\n${formatTable(all)}`);
    if (flags.json) emitJson(io, all, flags.json);
  }
  return failed ? 1 : 0;
}
