/**
 * Which engine configuration this test file runs under (vitest.config.mts sets
 * RINGCACHE_TEST_PROJECT per project): `hybrid` is the default users get, `native` forces every call
 * onto the C++ core (RINGCACHE_HYBRID=0), `js` is the pure TypeScript engine.
 */
export type TestProject = 'hybrid' | 'native' | 'js';

function current(): TestProject {
  const p = process.env.RINGCACHE_TEST_PROJECT;
  if (p === 'hybrid' || p === 'native' || p === 'js') return p;
  // Run outside the config (e.g. a bare `vitest` in another setup): infer from the variables.
  if (process.env.RINGCACHE_BACKEND === 'js') return 'js';
  return process.env.RINGCACHE_HYBRID === '0' ? 'native' : 'hybrid';
}

export const project: TestProject = current();

/**
 * True outside the `hybrid` project. For files whose subject does not depend on the engine
 * (timing-driven chaos, failover, cache logic over real servers, install): they run once, under
 * the configuration users run, instead of once per engine on a 2-core CI machine.
 */
export const notDefaultProject: boolean = project !== 'hybrid';
