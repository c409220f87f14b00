import { defineConfig } from 'vitest/config';

// The suite runs under the three engine configurations a process can have:
// - `hybrid`: the default every user gets when the native build loads (RINGCACHE_BACKEND and
//   RINGCACHE_HYBRID unset): short keys on the TS engine, long keys and batches on the C++ core.
//   test/unit/engine-configs.test.ts fails if the native core did not load here, so a broken build
//   cannot pass as a second `js` run. Files whose subject does not depend on the engine (timing-driven
//   chaos, failover, install) run in this project only (test/helpers/project.ts).
// - `native`: RINGCACHE_HYBRID=0 keeps every call on the C++ core, and RINGCACHE_BACKEND=native makes
//   a missing or stale build a hard error.
// - `js`: the pure TypeScript engine.
const shared = {
  include: ['test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'hybrid', env: { RINGCACHE_TEST_PROJECT: 'hybrid' } } },
      { test: { ...shared, name: 'native', env: { RINGCACHE_TEST_PROJECT: 'native', RINGCACHE_BACKEND: 'native', RINGCACHE_HYBRID: '0' } } },
      { test: { ...shared, name: 'js', env: { RINGCACHE_TEST_PROJECT: 'js', RINGCACHE_BACKEND: 'js' } } },
    ],
  },
});
