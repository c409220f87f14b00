/**
 * The TieredCache model-based test (see test/helpers/cache-model.ts) on the in-memory store:
 * many runs, fast. `npm run test:model -- --runs N` runs more (RINGCACHE_MODEL_RUNS);
 * RINGCACHE_MODEL_SEED replays one seed. The failing runs kept in test/model/seeds.json are
 * replayed every time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandArbitraries, drain, finalChecks, Model, modelStats, Real } from '../helpers/cache-model';
import { MemoryStore } from '../helpers/chaos-store';

const seeds = JSON.parse(readFileSync(join(__dirname, '../model/seeds.json'), 'utf8')) as Record<'memory' | 'redis', { seed: number; path: string; found: string }[]>;

const RUNS = Number(process.env.RINGCACHE_MODEL_RUNS ?? 300);
const SEED = process.env.RINGCACHE_MODEL_SEED === undefined ? undefined : Number(process.env.RINGCACHE_MODEL_SEED);
const PATH = process.env.RINGCACHE_MODEL_PATH;

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
}

const property = fc.asyncProperty(fc.scheduler(), fc.commands(commandArbitraries(), { maxCommands: 60, size: 'max' }), async (s, cmds) => {
  const mem = new MemoryStore();
  const real = new Real(s, { store: mem, settle });
  const model = new Model();
  try {
    await fc.asyncModelRun(() => ({ model, real }), cmds);
    await drain(model, real);
    await finalChecks(model, real, async (k) => mem.data.get(k)?.v ?? null);
  } finally {
    await real.dispose();
  }
  if (model.violations.length > 0) throw new Error(model.violations.join('\n'));
});

describe('TieredCache model (in-memory L2, scheduler-controlled interleavings)', () => {
  for (const r of seeds.memory) {
    it(`replays seed ${r.seed} (${r.found})`, async () => {
      await fc.assert(property, { seed: r.seed, path: r.path, endOnFailure: true });
    });
  }

  it(`${SEED === undefined ? RUNS : 1} random runs hold every invariant`, async () => {
    const started = Date.now();
    await fc.assert(property, { numRuns: SEED === undefined ? RUNS : 1, seed: SEED, path: PATH, endOnFailure: true });
    // Not a bound: the run count and time go to the log for the report.
    console.log(`cache model (memory): ${RUNS} runs in ${Date.now() - started} ms`, modelStats);
    expect(true).toBe(true);
  }, 600_000);
});
