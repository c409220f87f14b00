/**
 * Resource samples of the workers (one per second: heap, RSS, active handles by type, L1 size)
 * reduced to what the memory check reports: per worker, the least-squares slope of each series
 * over the second half of the run (the first half includes warm-up: L1 filling, connections
 * opening), per minute, and the first and last values.
 */
import { existsSync, readFileSync } from 'node:fs';

interface Sample {
  t: number;
  heapUsed: number;
  rss: number;
  resources: Record<string, number>;
  l1: number;
}

/** Slope of y over t (ms), per minute, least squares. */
export function slopePerMinute(ts: readonly number[], ys: readonly number[]): number {
  return slope(ts, ys) * 60_000;
}

/** Least-squares slope of y over x (0 for fewer than 2 points). */
export function slope(ts: readonly number[], ys: readonly number[]): number {
  const n = ts.length;
  if (n < 2) return 0;
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (ts[i] - mt) * (ys[i] - my);
    den += (ts[i] - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface SeriesSummary {
  first: number;
  last: number;
  max: number;
  slopePerMin: number;
}

function series(samples: Sample[], f: (s: Sample) => number): SeriesSummary {
  const half = samples.slice(Math.floor(samples.length / 2));
  const ys = samples.map(f);
  return { first: ys[0] ?? 0, last: ys[ys.length - 1] ?? 0, max: Math.max(0, ...ys), slopePerMin: Math.round(slopePerMinute(half.map((s) => s.t), half.map(f)) * 100) / 100 };
}

export interface WorkerResources {
  samples: number;
  series: Record<string, SeriesSummary>;
}

export function summarizeSamples(files: readonly string[]): Record<string, WorkerResources> {
  const out: Record<string, WorkerResources> = {};
  files.forEach((file, i) => {
    if (!existsSync(file)) return;
    const samples = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample);
    out[`w${i}`] = {
      samples: samples.length,
      series: {
      heapMB: series(samples, (s) => s.heapUsed / 2 ** 20),
      rssMB: series(samples, (s) => s.rss / 2 ** 20),
      timers: series(samples, (s) => s.resources.Timeout ?? 0),
      sockets: series(samples, (s) => s.resources.TCPSocketWrap ?? 0),
      handles: series(samples, (s) => Object.values(s.resources).reduce((a, b) => a + b, 0)),
      l1Entries: series(samples, (s) => s.l1),
      },
    };
  });
  return out;
}
