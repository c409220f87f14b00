/**
 * Shared bench plumbing: tinybench runs, rows with ns/op and ratios to a baseline measured in
 * the same run (never absolute timings in tests), and a plain-text table.
 */

export interface BenchRow {
  /** Suite and group, e.g. `hash` / `keySlot 11 B`. */
  suite: string;
  group: string;
  /** What was measured, e.g. `ringcache (native)`. */
  name: string;
  opsPerSec: number;
  nsPerOp: number;
  /** Speed relative to the group's baseline (`> 1` = faster than it). */
  ratio: number;
  /** Name of the group's baseline task. */
  baseline: string;
}

export interface BenchOptions {
  /** Milliseconds per task. @default 300 */
  time?: number;
  /** Keys per generated key set. @default 1000 */
  keys?: number;
  /** Progress callback (the CLI prints to stderr). */
  onProgress?: (message: string) => void;
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

/** Runs a group of tasks; the first task is the baseline unless `baseline` names one. */
export async function runGroup(
  suite: string,
  group: string,
  tasks: readonly BenchTask[],
  opts: BenchOptions = {},
  baseline = tasks[0]?.name,
): Promise<BenchRow[]> {
  const { Bench } = await loadTinybench();
  const time = opts.time ?? 300;
  opts.onProgress?.(`${suite}: ${group}`);
  const bench = new Bench({ time, warmupTime: Math.min(100, time / 3) });
  for (const t of tasks) bench.add(t.name, t.fn);
  await bench.run();
  const rows: BenchRow[] = [];
  for (const t of tasks) {
    const task = bench.getTask(t.name);
    const res = task?.result as { latency?: { mean?: number; p50?: number }; state?: string; error?: unknown } | undefined;
    // The mean, not the median: a peer that allocates per call pays for it in GC pauses, which
    // fall on a few samples; the median would hide them, the mean (= throughput) does not.
    const meanMs = res?.latency?.mean;
    if (!meanMs || !Number.isFinite(meanMs)) {
      throw new Error(`bench task '${t.name}' produced no result${res?.error ? `: ${String(res.error)}` : ''}`);
    }
    const nsPerOp = (meanMs * 1e6) / t.opsPerCall;
    rows.push({ suite, group, name: t.name, nsPerOp, opsPerSec: 1e9 / nsPerOp, ratio: 1, baseline: baseline ?? t.name });
  }
  const base = rows.find((r) => r.name === baseline) ?? rows[0];
  for (const r of rows) r.ratio = base.nsPerOp / r.nsPerOp;
  return rows;
}

function fmtOps(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

/** Plain-text (Markdown-compatible) table of rows grouped by suite/group. */
export function formatTable(rows: readonly BenchRow[]): string {
  const head = ['suite', 'group', 'task', 'ops/s', 'ns/op', 'vs baseline'];
  const body = rows.map((r) => [
    r.suite,
    r.group,
    r.name,
    fmtOps(r.opsPerSec),
    r.nsPerOp < 10 ? r.nsPerOp.toFixed(2) : r.nsPerOp.toFixed(1),
    r.name === r.baseline ? 'baseline' : `${r.ratio.toFixed(2)}×`,
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
 * A server helper from test/helpers, for suites that start their own Redis servers. It is
 * found relative to this file, which holds in the sources (vitest: a TS import) and in their
 * build (dist/bench → dist/test/helpers, compiled by build:ts but not shipped). In an installed
 * package it is absent: the error tells the user to pass a server (`flag`).
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
      throw new Error(
        `${suite} bench: cannot start its own servers here (${(err as Error).message.split('\n')[0]}); pass ${flag}`,
        { cause: err },
      );
    }
  }
}

/** `node dist/bench/NAME.bench.js [--time MS] [--keys N] [--redis URL] [--cluster H:P]`. */
export function runMain(run: (opts: BenchOptions & { redis?: string; cluster?: string }) => Promise<BenchRow[]>): void {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => (arg(name) === undefined ? undefined : Number(arg(name)));
  run({ time: num('time'), keys: num('keys'), redis: arg('redis'), cluster: arg('cluster'), onProgress: (m) => process.stderr.write(`${m}\n`) }).then(
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
