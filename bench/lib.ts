/**
 * Shared bench plumbing: every group is run in rounds (task order rotated each round, a full
 * GC before each task), each task's ns/op is the median of its rounds with min–max, and each
 * ratio is the median of the per-round ratios to a baseline measured in the same round, with
 * min–max; a group whose ratios move by more than {@link UNSTABLE_SPREAD} is flagged.
 */
import { execFileSync } from 'node:child_process';
import { cpus as cpuList } from 'node:os';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export interface BenchRow {
  /** Suite and group, e.g. `hash` / `keySlot 11 B`. */
  suite: string;
  group: string;
  /** What was measured, e.g. `ringcache (native)`. */
  name: string;
  /** From the median ns/op. */
  opsPerSec: number;
  /** Median over the rounds of the per-round ns per operation (ops = keys for batches). */
  nsPerOp: number;
  /** Fastest and slowest round. */
  nsMin: number;
  nsMax: number;
  /** Speed relative to the group's baseline (`> 1` = faster than it): median of the per-round ratios. */
  ratio: number;
  /** Smallest and largest per-round ratio. */
  ratioMin: number;
  ratioMax: number;
  /** Name of the group's baseline task. */
  baseline: string;
  /** Rounds measured. */
  rounds: number;
  /** `cpu`: this process's CPU time per op (CPU-bound suites); `wall`: elapsed time (round trips). */
  clock: BenchClock;
  /** Set on every row of a group where some task's ratio moved by more than {@link UNSTABLE_SPREAD} across rounds. */
  unstable: boolean;
}

/** Pause after each GC between tasks, ms (a quick run: shorter, its figures are rough anyway). */
const SETTLE_MS = 25;
const QUICK_SETTLE_MS = 5;

/** A group is flagged when some ratio's (max − min) / median exceeds this. */
export const UNSTABLE_SPREAD = 0.2;

export interface BenchOptions {
  /** Milliseconds per task and round. @default 300 */
  time?: number;
  /** Rounds per group (at least 1; the published runs use 5). @default 5 */
  rounds?: number;
  /**
   * How the CPU-bound suites (hash, slot, ring, cache L1) time their tasks; the round-trip
   * groups always use wall time. @default 'cpu'
   */
  clock?: BenchClock;
  /** Keys per generated key set. @default 1000 */
  keys?: number;
  /** Progress callback (the CLI prints to stderr). */
  onProgress?: (message: string) => void;
  /**
   * A short run (`ringcache bench --quick`): a shorter pause after the GC between tasks, and
   * suites shrink what `time`, `rounds` and `keys` do not set — the ring's distinct keys and
   * its churn ring, the http suite's load phases and its minimum of 3 rounds. @default false
   */
  quick?: boolean;
}

export interface BenchTask {
  name: string;
  /** Runs `opsPerCall` operations. */
  fn: () => unknown;
  /** Operations per call of `fn` (keys per batch). */
  opsPerCall: number;
}

type Tinybench = typeof import('tinybench', { with: { 'resolution-mode': 'import' } });

let tinybench: Promise<Tinybench> | undefined;
/** tinybench is ESM-only; load it with a real dynamic import from this CommonJS build. */
function loadTinybench(): Promise<Tinybench> {
  tinybench ??= import('tinybench');
  return tinybench;
}

let gcFn: (() => void) | undefined;
/** A full GC, so one task's garbage is not collected on the next task's time. */
export function collectGarbage(): void {
  if (gcFn === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
}

/** Median of a non-empty list. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * One task alone for `time` ms with tinybench: ns per operation from the mean iteration time.
 * The mean, not the median: a peer that allocates per call pays for it in GC pauses, which
 * fall on a few samples; the median would hide them, the mean (= throughput) does not.
 */
async function measure(task: BenchTask, time: number): Promise<number> {
  const { Bench } = await loadTinybench();
  // At least 4 timed calls (tinybench's default minimum is 64, which made a 0.4 s call such
  // as hashring's full rebuild run for 25 s per round), 2 warm-up calls.
  const bench = new Bench({ time, iterations: 4, warmupTime: Math.min(50, time / 4), warmupIterations: 2 });
  bench.add(task.name, task.fn);
  await bench.run();
  const res = bench.getTask(task.name)?.result as { latency?: { mean?: number }; error?: unknown } | undefined;
  const meanMs = res?.latency?.mean;
  if (!meanMs || !Number.isFinite(meanMs)) {
    throw new Error(`bench task '${task.name}' produced no result${res?.error ? `: ${String(res.error)}` : ''}`);
  }
  return (meanMs * 1e6) / task.opsPerCall;
}

/**
 * One task alone for `time` ms of wall time (at least 4 calls, after 2+ warm-up calls), timed
 * by this process's CPU time (user + system, all threads: GC included) per operation. For
 * CPU-bound code this is what a quiet machine's wall time would show, and on a shared machine
 * it leaves out the time other processes hold the core — the wall time does not.
 */
async function measureCpu(task: BenchTask, time: number): Promise<number> {
  const warmUntil = Date.now() + Math.min(50, time / 4);
  for (let calls = 0; calls < 2 || Date.now() < warmUntil; calls++) await task.fn();
  const deadline = Date.now() + time;
  const cpu0 = process.cpuUsage();
  let calls = 0;
  while (calls < 4 || Date.now() < deadline) {
    const r = task.fn();
    if (r instanceof Promise) await r;
    calls++;
  }
  const used = process.cpuUsage(cpu0);
  return ((used.user + used.system) * 1000) / (calls * task.opsPerCall);
}

/** A task's timing in one round: ns per operation. */
export type Measurer = (task: BenchTask, time: number) => Promise<number>;

/**
 * What a CPU suite's tasks are timed by: `'cpu'` (this process's CPU time, see
 * {@link measureCpu}) or `'wall'` (tinybench's mean iteration time).
 */
export type BenchClock = 'cpu' | 'wall';

/**
 * Runs a group in `opts.rounds` rounds: round r runs the tasks starting at task r (rotated
 * order, so each task runs early and late, next to different neighbours), with a full GC
 * before each task. `warmUp` adds that many unrecorded rounds first (a suite's first group:
 * otherwise its first task is measured on cold code). The baseline is the first task unless
 * `baseline` names one.
 */
export async function runGroup(
  suite: string,
  group: string,
  tasks: readonly BenchTask[],
  opts: BenchOptions & { warmUp?: number; measurer?: Measurer; clock?: BenchClock } = {},
  baseline = tasks[0]?.name,
): Promise<BenchRow[]> {
  const time = opts.time ?? 300;
  const rounds = Math.max(1, opts.rounds ?? 5);
  const warm = opts.warmUp ?? 0;
  const run = opts.measurer ?? (opts.clock === 'cpu' ? measureCpu : measure);
  opts.onProgress?.(`${suite}: ${group}${warm ? ' (after a warm-up round)' : ''}`);
  const samples = tasks.map((): number[] => []);
  for (let r = -warm; r < rounds; r++) {
    for (let j = 0; j < tasks.length; j++) {
      const i = (j + Math.max(r, 0)) % tasks.length;
      collectGarbage();
      // Let the collector's background threads (concurrent sweeping) finish before the clock
      // starts: the CPU clock counts every thread, and this garbage is not the next task's.
      await new Promise((resolve) => setTimeout(resolve, opts.quick ? QUICK_SETTLE_MS : SETTLE_MS));
      const ns = await run(tasks[i], time);
      if (r >= 0) samples[i].push(ns);
    }
  }
  return rowsFromSamples(suite, group, tasks.map((t) => t.name), samples, baseline, opts.clock ?? 'wall');
}

/** Rows from per-task per-round ns/op (`samples[task][round]`); ratios paired by round. */
export function rowsFromSamples(
  suite: string,
  group: string,
  names: readonly string[],
  samples: readonly number[][],
  baseline = names[0],
  clock: BenchClock = 'wall',
): BenchRow[] {
  const b = Math.max(0, names.indexOf(baseline));
  const rows = names.map((name, i): BenchRow => {
    const ns = samples[i];
    const ratios = ns.map((x, r) => samples[b][r] / x);
    const nsPerOp = median(ns);
    return {
      suite,
      group,
      name,
      nsPerOp,
      opsPerSec: 1e9 / nsPerOp,
      nsMin: Math.min(...ns),
      nsMax: Math.max(...ns),
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      baseline: names[b],
      rounds: ns.length,
      clock,
      unstable: false,
    };
  });
  const unstable = rows.some((r) => (r.ratioMax - r.ratioMin) / r.ratio > UNSTABLE_SPREAD);
  for (const r of rows) r.unstable = unstable;
  return rows;
}

/**
 * Where the OS allows (`taskset`, 2+ CPUs), pins the given server processes and this process
 * apart: this process (all its threads) on the last CPU, the servers on the others, so the
 * load generator and the servers do not take turns on one core. Returns what it did, for the
 * results page; a failure to pin is reported, never thrown.
 */
export function pinApart(serverPids: readonly number[]): string {
  // The machine's CPUs (not availableParallelism: that shrinks to 1 once this process is pinned).
  const cpus = cpuList().length;
  if (cpus < 2 || process.platform !== 'linux') return `not pinned (${cpus} CPU, ${process.platform})`;
  const self = String(cpus - 1);
  const others = cpus === 2 ? '0' : `0-${cpus - 2}`;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', self, String(process.pid)], { stdio: 'ignore' });
    for (const pid of serverPids) execFileSync('taskset', ['-a', '-p', '-c', others, String(pid)], { stdio: 'ignore' });
    return `bench process on CPU ${self}, ${serverPids.length} server(s) on CPU ${others} (taskset)`;
  } catch (err) {
    return `not pinned: ${(err as Error).message.split('\n')[0]}`;
  }
}

function fmtOps(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

const fmtNs = (ns: number): string => (ns < 10 ? ns.toFixed(2) : ns < 1e5 ? ns.toFixed(1) : ns.toExponential(2));

/**
 * Plain-text (Markdown-compatible) table of rows grouped by suite/group: the clock (`cpu` or
 * `wall`, see {@link BenchClock}), median ns/op with
 * min–max over the rounds, ratio (median of per-round ratios) with min–max, ⚠ on groups
 * whose ratios moved by more than {@link UNSTABLE_SPREAD}.
 */
export function formatTable(rows: readonly BenchRow[]): string {
  const head = ['suite', 'group', 'task', 'clock', 'ops/s', 'ns/op (median)', 'ns/op min–max', 'vs baseline', 'ratio min–max'];
  const body = rows.map((r) => [
    r.suite,
    r.unstable ? `${r.group} ⚠` : r.group,
    r.name,
    r.clock,
    fmtOps(r.opsPerSec),
    fmtNs(r.nsPerOp),
    `${fmtNs(r.nsMin)}–${fmtNs(r.nsMax)}`,
    r.name === r.baseline ? 'baseline' : `${r.ratio.toFixed(2)}×`,
    r.name === r.baseline ? '' : `${r.ratioMin.toFixed(2)}–${r.ratioMax.toFixed(2)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Deterministic PRNG (mulberry32) so every run benches the same keys. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-';

/** `count` distinct ASCII keys whose lengths are uniform in [minLen, maxLen]. */
export function makeKeys(count: number, minLen: number, maxLen: number, seed = 1): string[] {
  const rnd = prng(seed);
  const seen = new Set<string>();
  while (seen.size < count) {
    const len = minLen + Math.floor(rnd() * (maxLen - minLen + 1));
    let s = '';
    for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    seen.add(s);
  }
  return [...seen];
}

const WORDS = ['ключ', 'пользователь', 'корзина', 'товар', 'сессия', 'キー', 'ユーザー', 'clé', 'größe', 'κλειδί'];

/**
 * `count` distinct short non-ASCII keys shaped like `ключ:123` / `ユーザー:42` (a word of 2- or
 * 3-byte UTF-8 characters, a colon, a number): 4–13 chars, 6–19 bytes.
 */
export function makeUnicodeKeys(count: number, seed = 1): string[] {
  const rnd = prng(seed);
  const seen = new Set<string>();
  while (seen.size < count) {
    const w = WORDS[Math.floor(rnd() * WORDS.length)];
    seen.add(`${w.length > 6 ? w.slice(0, 6) : w}:${Math.floor(rnd() * 1e6)}`);
  }
  return [...seen];
}

/**
 * `count` distinct keys with a Redis Cluster hash tag, `{user:1234}:cart:ab12` (16–24 B):
 * keySlot hashes the tag only, the ring the whole key.
 */
export function makeTaggedKeys(count: number, seed = 1): string[] {
  const rnd = prng(seed);
  const seen = new Set<string>();
  while (seen.size < count) {
    const id = Math.floor(rnd() * 1e5);
    const part = ['cart', 'profile', 'feed', 'prefs'][Math.floor(rnd() * 4)];
    seen.add(`{user:${id}}:${part}:${Math.floor(rnd() * 0xffff).toString(16)}`);
  }
  return [...seen];
}

/**
 * The key sets of the CPU suites: 11 B ASCII (the favourable case for a JS hash), 40–100 B
 * ASCII, short non-ASCII (`ключ:123`) and `{tag}` keys. `seed` varies the keys per suite.
 */
export function standardKeySets(count: number, seed: number): [string, string[]][] {
  return [
    ['11 B', makeKeys(count, 11, 11, seed + 11)],
    ['40–100 B', makeKeys(count, 40, 100, seed + 40)],
    ['non-ASCII (ключ:123)', makeUnicodeKeys(count, seed + 7)],
    ['{tag} 16–24 B', makeTaggedKeys(count, seed + 13)],
  ];
}

/** Loads an optional peer (a devDependency) or returns undefined when it is not installed. */
export function optionalRequire<T>(name: string): T | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch {
    return undefined;
  }
}

/**
 * A loop compiled for one task alone that calls `target[method](key, ...args)` for each key.
 * Closures made from one function literal share V8's type feedback, so a shared
 * `for (…) f(keys[i])` goes megamorphic across tasks (and across the peers compared in a group)
 * and benches the call site instead of the code; `new Function` gives each task its own.
 * Returns a checksum so the calls can't be optimised away.
 */
export function methodLoop(target: object, method: string, args: readonly (number | string)[] = []): (keys: readonly unknown[]) => number {
  if (!/^[A-Za-z_$][\w$]*$/.test(method)) throw new Error(`bad method name ${method}`);
  const extra = args.map((a) => `, ${JSON.stringify(a)}`).join('');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(
    't',
    `return function loop(keys) {
      let acc = 0;
      for (let i = 0; i < keys.length; i++) {
        const r = t.${method}(keys[i]${extra});
        acc = (acc + (typeof r === 'number' ? r : r == null ? 0 : 1)) | 0;
      }
      return acc;
    };`,
  ) as (t: object) => (keys: readonly unknown[]) => number;
  return make(target);
}

/**
 * A suite could not set up what it measures (its servers did not start, a helper is missing):
 * nothing was measured, and `ringcache bench` reports the suite as skipped with this message.
 */
export class BenchSetupError extends Error {
  override name = 'BenchSetupError';
  readonly code = 'ERR_BENCH_SETUP';
}

/**
 * Runs a suite's setup step (`what`, e.g. `start 4 redis-servers`); a failure becomes a
 * {@link BenchSetupError} naming the suite, the step and the flag that points it at a server.
 */
export async function setupStep<T>(suite: string, what: string, flag: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof BenchSetupError) throw err;
    throw new BenchSetupError(`${suite} bench: could not ${what} (${(err as Error).message.split('\n')[0]}); pass ${flag}`, { cause: err });
  }
}

/**
 * A server helper from test/helpers, for suites that start their own Redis servers. It is
 * found relative to this file, which holds in the sources (vitest: a TS import) and in their
 * build (dist/bench → dist/test/helpers, compiled by build:ts but not shipped). In an installed
 * package it is absent: the {@link BenchSetupError} tells the user to pass a server (`flag`).
 */
export async function serverHelper<T>(name: 'redis-server' | 'redis-cluster', suite: string, flag: string): Promise<T> {
  const path = `../test/helpers/${name}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path) as T;
  } catch {
    try {
      return (await import(path)) as T;
    } catch (err) {
      throw new BenchSetupError(
        `${suite} bench: cannot start its own servers here (${(err as Error).message.split('\n')[0]}); pass ${flag}`,
        { cause: err },
      );
    }
  }
}

/** `node dist/bench/NAME.bench.js [--time MS] [--rounds N] [--keys N] [--redis URL] [--cluster H:P]`. */
export function runMain(run: (opts: BenchOptions & { redis?: string; cluster?: string }) => Promise<BenchRow[]>): void {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => (arg(name) === undefined ? undefined : Number(arg(name)));
  run({ time: num('time'), rounds: num('rounds'), keys: num('keys'), redis: arg('redis'), cluster: arg('cluster'), onProgress: (m) => process.stderr.write(`${m}\n`) }).then(
    (rows) => {
      console.log(formatTable(rows));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
