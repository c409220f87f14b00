/**
 * The TieredCache model-based test (see test/helpers/cache-model.ts) on a real redis-server
 * (started here on a free port, stopped by PID): a RedisStore over ioredis with
 * `enableAutoPipelining` (the README's setup), the bus and the lease lock on, fewer runs than
 * the in-memory variant. RINGCACHE_MODEL_RUNS / _SEED / _PATH as there (`npm run test:model`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/routing/redis-store';
import { commandArbitraries, drain, finalChecks, Model, Real } from '../helpers/cache-model';
import { RedisServer, redisCall } from '../helpers/redis-server';

const seeds = JSON.parse(readFileSync(join(__dirname, '../model/seeds.json'), 'utf8')) as Record<'memory' | 'redis', { seed: number; path: string; found: string }[]>;
const RUNS = Number(process.env.RINGCACHE_MODEL_RUNS ?? 40);
const SEED = process.env.RINGCACHE_MODEL_SEED === undefined ? undefined : Number(process.env.RINGCACHE_MODEL_SEED);
const PATH = process.env.RINGCACHE_MODEL_PATH;

let server: RedisServer;
let client: Redis;
let raw: Redis;

/** Real I/O needs a macrotask, not only microtasks. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1));
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

beforeAll(async () => {
  server = await RedisServer.start();
  client = new Redis({ ...server.options, enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  raw = new Redis({ ...server.options, maxRetriesPerRequest: 2 });
  client.on('error', () => {});
  raw.on('error', () => {});
});

afterAll(async () => {
  client?.disconnect();
  raw?.disconnect();
  await server?.stop();
});

const property = fc.asyncProperty(fc.scheduler(), fc.commands(commandArbitraries(), { maxCommands: 40, size: 'max' }), async (s, cmds) => {
  await redisCall(server.port, 'FLUSHALL');
  const real = new Real(s, {
    store: new RedisStore(client),
    settle,
    options: { bus: { client }, lock: { client, waitMs: 200, pollMs: 10, leaseMs: 10_000 } },
  });
  const model = new Model();
  try {
    await real.ready();
    await fc.asyncModelRun(() => ({ model, real }), cmds);
    await drain(model, real);
    await finalChecks(model, real, (k) => raw.getBuffer(k));
  } finally {
    await real.dispose();
  }
  if (model.violations.length > 0) throw new Error(model.violations.join('\n'));
});

describe('TieredCache model (real Redis, bus and lock on, scheduler-controlled replies)', () => {
  for (const r of seeds.redis) {
    it(`replays seed ${r.seed} (${r.found})`, async () => {
      await fc.assert(property, { seed: r.seed, path: r.path, endOnFailure: true });
    }, 120_000);
  }

  it(`${SEED === undefined ? RUNS : 1} random runs hold every invariant`, async () => {
    const started = Date.now();
    await fc.assert(property, { numRuns: SEED === undefined ? RUNS : 1, seed: SEED, path: PATH, endOnFailure: true });
    console.log(`cache model (redis): ${SEED === undefined ? RUNS : 1} runs in ${Date.now() - started} ms`);
    expect(true).toBe(true);
  }, 600_000);
});
