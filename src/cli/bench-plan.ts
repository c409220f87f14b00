/**
 * Which `ringcache bench` suites can run here, and why the others cannot. The CPU suites (hash,
 * slot, ring) always can. The Redis suites run against the servers given (`--redis`,
 * `--cluster`) or start their own on free loopback ports, which needs `redis-server` on PATH
 * (and `redis-cli`, which creates a Cluster); the http suite also needs autocannon.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const SUITES = ['hash', 'slot', 'ring', 'store', 'cluster', 'cache', 'http'] as const;
export type Suite = (typeof SUITES)[number];

/** The Redis suites and the flag that points each at a server of its own. */
const FLAG: Partial<Record<Suite, string>> = { store: '--redis URL', cluster: '--cluster HOST:PORT', cache: '--redis URL', http: '--redis URL' };

/** Whether `suite` needs Redis (and so may start servers, or be skipped for want of them). */
export const needsRedis = (suite: Suite): boolean => FLAG[suite] !== undefined;

/** The flag that gives `suite` a server, e.g. `--redis URL`. */
export const serverFlag = (suite: Suite): string | undefined => FLAG[suite];

/**
 * The full path of the executable `name` in a directory of `path` (a `PATH` value), found as a
 * shell would find it but without running one; undefined when none is there.
 */
export function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here, or not executable: the next directory
    }
  }
  return undefined;
}

/** Suites left out of a run for one cause, e.g. `redis-server is not on PATH`. */
export interface Skip {
  suites: Suite[];
  /** Why, and what would make them run: `redis-server is not on PATH; install it or pass --redis URL`. */
  reason: string;
}

export interface BenchPlan {
  /** The suites to run, in {@link SUITES} order for a default run, as asked otherwise. */
  run: Suite[];
  skipped: Skip[];
  /** The binaries the Redis suites will start (for the test helpers, which start them). */
  bins: { redisServer?: string; redisCli?: string };
}

/**
 * Plans a run: `asked` (the `--suite` values; empty = every suite) minus those that cannot run
 * here, each with its cause. `env` gives `PATH`; `hasModule` tells whether an optional peer
 * (autocannon) is installed.
 */
export function planBench(
  asked: readonly Suite[],
  servers: { redis?: string; cluster?: string },
  env: NodeJS.ProcessEnv,
  hasModule: (name: string) => boolean,
): BenchPlan {
  const redisServer = findOnPath('redis-server', env.PATH);
  const redisCli = findOnPath('redis-cli', env.PATH);
  const noServer = 'redis-server is not on PATH';
  /** Why `suite` cannot run here, what to install, the flag that would let it; undefined: it can. */
  const missing = (suite: Suite): { cause: string; install: string; flag?: string } | undefined => {
    if (suite === 'cluster') {
      // Its own Cluster: redis-server nodes joined by `redis-cli --cluster create`; and a
      // standalone redis-server for the single-node reference.
      if (!servers.cluster && !redisServer) return { cause: noServer, install: 'install redis-server', flag: '--cluster HOST:PORT' };
      if (!servers.cluster && !redisCli) return { cause: 'redis-cli is not on PATH (it creates the Cluster)', install: 'install redis-cli', flag: '--cluster HOST:PORT' };
      if (!servers.redis && !redisServer) return { cause: noServer, install: 'install redis-server', flag: '--redis URL (the single-node reference)' };
      return undefined;
    }
    if (needsRedis(suite) && !servers.redis && !redisServer) return { cause: noServer, install: 'install redis-server', flag: serverFlag(suite) };
    if (suite === 'http' && !hasModule('autocannon')) return { cause: 'autocannon is not installed', install: 'run npm ci in the source checkout (a devDependency)' };
    return undefined;
  };
  const run: Suite[] = [];
  const causes = new Map<string, { suites: Suite[]; install: string; flags: Set<string> }>();
  for (const suite of new Set(asked.length ? asked : SUITES)) {
    const m = missing(suite);
    if (m === undefined) {
      run.push(suite);
      continue;
    }
    const c = causes.get(m.cause) ?? { suites: [], install: m.install, flags: new Set<string>() };
    c.suites.push(suite);
    if (m.flag) c.flags.add(m.flag);
    causes.set(m.cause, c);
  }
  const skipped = [...causes].map(([cause, c]): Skip => {
    const flags = [...c.flags];
    return { suites: c.suites, reason: `${cause}; ${c.install}${flags.length ? ` or pass ${flags.join(' / ')}` : ''}` };
  });
  return { run, skipped, bins: { redisServer, redisCli } };
}
