/**
 * A read load over a fixed data set, for replica-read tests: every key has one right value
 * (written before the load and replicated), so any other answer — null included — is wrong,
 * whichever node served it. Half the reads are GETs, half MGETs of 5 keys.
 */
import type { KeyValueStore } from '../../src/stores/store';
import { commandCalls } from './command-stats';
import { redisCall, sleep } from './redis-server';

export interface ReadTally {
  reads: number;
  errors: unknown[];
  wrong: string[];
  /** Longest single read, ms. */
  maxLatencyMs: number;
  /** Completion times (ms since epoch). */
  completions: number[];
}

export const valueOf = (key: string): string => `value-of-${key}`;

/** `n` keys under `tag`. */
export function dataKeys(tag: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${tag}:${i}`);
}

/** Writes every key's value through `store`, then waits until each replica port serves them all. */
export async function seed(store: KeyValueStore, keys: readonly string[], replicaPorts: readonly number[], timeoutMs = 10_000): Promise<void> {
  await store.mset(keys.map((k) => [k, valueOf(k)] as const));
  const deadline = Date.now() + timeoutMs;
  for (const port of replicaPorts) {
    for (;;) {
      const vals = (await redisCall(port, 'MGET', ...keys)) as (string | null)[];
      if (vals.every((v, i) => v === valueOf(keys[i]))) break;
      if (Date.now() > deadline) throw new Error(`replica ${port} did not receive the data set`);
      await sleep(10);
    }
  }
}

/** `workers` loops of GET / MGET over `keys` on `store` until `stop()`, checking every value. */
export function readLoad(store: KeyValueStore, keys: readonly string[], workers: number): { stop(): Promise<ReadTally>; tally: ReadTally } {
  const t: ReadTally = { reads: 0, errors: [], wrong: [], maxLatencyMs: 0, completions: [] };
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i++) {
      const start = Date.now();
      try {
        if (i % 2 === 0) {
          const k = keys[(i * 7 + w * 13) % keys.length];
          const v = await store.get(k);
          if (v !== valueOf(k)) t.wrong.push(`${k}: ${String(v)}`);
        } else {
          const ks = Array.from({ length: 5 }, (_, j) => keys[(i * 5 + j * 31 + w) % keys.length]);
          const vs = await store.mget(ks);
          ks.forEach((k, j) => {
            if (vs[j] !== valueOf(k)) t.wrong.push(`${k}: ${String(vs[j])}`);
          });
        }
        t.reads++;
      } catch (err) {
        t.errors.push(err);
        await sleep(5);
      } finally {
        const end = Date.now();
        t.completions.push(end);
        t.maxLatencyMs = Math.max(t.maxLatencyMs, end - start);
      }
    }
  });
  return {
    tally: t,
    async stop() {
      running = false;
      await Promise.all(loops);
      return t;
    },
  };
}

/** GET + MGET calls each server executed since `before` (its own INFO commandstats). */
export async function readCalls(ports: readonly number[], before?: Map<number, Record<string, number>>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const p of ports) {
    const now = await commandCalls(p);
    const b = before?.get(p) ?? {};
    out.set(p, (now.get ?? 0) - (b.get ?? 0) + (now.mget ?? 0) - (b.mget ?? 0));
  }
  return out;
}

/** A commandstats snapshot of every port, for {@link readCalls}. */
export async function snapshot(ports: readonly number[]): Promise<Map<number, Record<string, number>>> {
  return new Map(await Promise.all(ports.map(async (p) => [p, await commandCalls(p)] as const)));
}

/** Polls `cond` every 25 ms (liveness, not speed: the deadline only ends a hung test). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
