/**
 * The library modules the commands use, loaded on first use instead of at startup. Loading
 * them chooses the engine, which throws on a bad `RINGCACHE_BACKEND` (or, with `native`, on a
 * native core that cannot load): here that happens inside the command's error handling — a
 * message, no stack trace — and `--help` never needs the library at all.
 */
import { CommandFailure } from './usage-error';

/* eslint-disable @typescript-eslint/no-require-imports */
function load() {
  return {
    ...(require('../engine') as typeof import('../engine')),
    ...(require('../cluster/key-slot') as typeof import('../cluster/key-slot')),
    ...(require('../ring/hash-ring') as typeof import('../ring/hash-ring')),
    ...(require('../ring/modulo-ring') as typeof import('../ring/modulo-ring')),
    ...(require('../ring/distribution') as typeof import('../ring/distribution')),
    ...(require('../ring/parse-servers') as typeof import('../ring/parse-servers')),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

let loaded: ReturnType<typeof load> | undefined;

/**
 * The library, loaded once. A bad value (TypeError/RangeError, e.g. `RINGCACHE_BACKEND=Native`)
 * stays a usage error; any other load failure becomes a {@link CommandFailure} (message only).
 */
export function library(): ReturnType<typeof load> {
  if (loaded) return loaded;
  try {
    loaded = load();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw err;
    throw new CommandFailure((err as Error)?.message ?? String(err), { cause: err });
  }
  return loaded;
}
