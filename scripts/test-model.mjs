#!/usr/bin/env node
// npm run test:model -- --runs N [--seed S [--path P]] [--redis]
// Runs the TieredCache model-based tests with more runs than `npm test` does (the tests read
// RINGCACHE_MODEL_RUNS / _SEED / _PATH). --redis: only the real-redis-server variant.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const env = { ...process.env };
const files = ['test/unit/cache-model.test.ts', 'test/integration/cache-model.test.ts'];
let only;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--runs') env.RINGCACHE_MODEL_RUNS = args[++i];
  else if (a === '--seed') env.RINGCACHE_MODEL_SEED = args[++i];
  else if (a === '--path') env.RINGCACHE_MODEL_PATH = args[++i];
  else if (a === '--redis') only = files[1];
  else if (a === '--memory') only = files[0];
  else {
    console.error(`test:model: unknown argument ${a} (use --runs N, --seed S, --path P, --redis, --memory)`);
    process.exit(2);
  }
}
if (env.RINGCACHE_MODEL_RUNS !== undefined && !(Number(env.RINGCACHE_MODEL_RUNS) >= 1)) {
  console.error(`test:model: --runs needs a positive number, got ${env.RINGCACHE_MODEL_RUNS}`);
  process.exit(2);
}
const r = spawnSync('npx', ['vitest', 'run', '--project', 'js', ...(only ? [only] : files)], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
