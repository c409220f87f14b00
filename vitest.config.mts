import { defineConfig } from 'vitest/config';

// The same suite runs once per engine: RINGCACHE_BACKEND=native makes a missing or stale
// native build a hard error (so a broken build can't silently test the fallback twice), and
// RINGCACHE_HYBRID=0 keeps short keys on the C++ core too (the default sends them to the TS
// engine, which is faster for them; test/unit/hybrid.test.ts covers that dispatch).
const shared = {
  include: ['test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'native', env: { RINGCACHE_BACKEND: 'native', RINGCACHE_HYBRID: '0' } } },
      { test: { ...shared, name: 'js', env: { RINGCACHE_BACKEND: 'js' } } },
    ],
  },
});
