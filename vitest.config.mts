import { configDefaults, defineConfig } from 'vitest/config';

// The suite runs under the three engine configurations a process can have:
// - `hybrid`: the default every user gets when the native build loads (RINGCACHE_BACKEND and
//   RINGCACHE_HYBRID unset): short keys on the TS engine, long keys and batches on the C++ core.
//   test/unit/engine-configs.test.ts fails if the native core did not load here, so a broken build
//   cannot pass as a second `js` run. Files whose subject does not depend on the engine run in this
//   project only: DEFAULT_ONLY below (the other two projects do not even load them).
// - `native`: RINGCACHE_HYBRID=0 keeps every call on the C++ core, and RINGCACHE_BACKEND=native makes
//   a missing or stale build a hard error.
// - `js`: the pure TypeScript engine.
// Subjects above the hashing (the cache and HTTP tiers, the CLI's argument and output handling,
// README type checks), and those driven by timing or faults (chaos, failover, replica lag, soak
// checker, install): whatever the engine, they run the same code. The engines themselves, the
// ring, slots, routing stores and compatibility fixtures run in all three projects.
const DEFAULT_ONLY = [
  'test/integration/cache*.test.ts',
  'test/integration/cli*.test.ts',
  'test/integration/http-*.test.ts',
  'test/integration/readme-*.test.ts',
  'test/integration/install.test.ts',
  'test/integration/tls.test.ts',
  'test/integration/replica-*.test.ts',
  'test/integration/*-replica-ack.test.ts',
  'test/integration/*-chaos.test.ts',
  'test/integration/ring-store-bench.test.ts',
  'test/integration/sentinel-failover.test.ts',
  'test/unit/cache*.test.ts',
  'test/unit/http.test.ts',
  'test/unit/bench-plan.test.ts',
  'test/unit/msgpack-serializer.test.ts',
  'test/unit/readme-types.test.ts',
  'test/unit/freshness-oracle.test.ts',
  'test/unit/soak-checker.test.ts',
  'test/unit/replica-lag-guard.test.ts',
  'test/unit/layering.test.ts',
  'test/unit/prebuild-script.test.ts',
  'test/unit/test-helpers-hermetic.test.ts',
];
const engineOnly = { exclude: [...configDefaults.exclude, ...DEFAULT_ONLY] };

const shared = {
  include: ['test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    // vitest's default is one worker on a 2-core machine (cores - 1), which runs every file in
    // turn; most files wait on the servers they start, so two workers take half the time. Tests
    // are hermetic (own servers, own ports, own temp dirs), so files may run side by side.
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: 'hybrid', env: { RINGCACHE_TEST_PROJECT: 'hybrid' } } },
      { test: { ...shared, name: 'native', ...engineOnly, env: { RINGCACHE_TEST_PROJECT: 'native', RINGCACHE_BACKEND: 'native', RINGCACHE_HYBRID: '0' } } },
      { test: { ...shared, name: 'js', ...engineOnly, env: { RINGCACHE_TEST_PROJECT: 'js', RINGCACHE_BACKEND: 'js' } } },
    ],
  },
});
