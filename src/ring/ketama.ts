/**
 * Ketama continuum points, bit-exact with three C implementations:
 *
 * - `'libmemcached'`: libmemcached 1.1.x with `MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED`
 *   (libmemcached/hosts.cc `update_continuum`, the weighted branch).
 * - `'twemproxy'`: nutcracker 0.5.0 with `distribution: ketama` (src/hashkit/nc_ketama.c
 *   `ketama_update`; server names from src/nc_conf.c `conf_add_server`).
 * - `'libketama'`: last.fm's libketama (libketama/ketama.c `ketama_create_continuum`).
 *
 * All three place each server at 4 points per MD5 digest of `"<name>-<i>"` (i = 0, 1, …): the
 * digest's four little-endian uint32 words, bytes 0-3, 4-7, 8-11, 12-15, in that order. Keys are
 * hashed with `md5Uint32` (little-endian word of digest bytes 0-3) and go to the first
 * point `>= hash` in the ascending continuum, wrapping to the first point past the end (all
 * three use this rule; libketama's odd-looking binary search in `ketama_get_server` returns the
 * same lower bound, including for equal points). One exception, see {@link ketamaKeyHash}:
 * twemproxy looks an empty key up with hash 0 instead of its MD5.
 *
 * Ties (two points with the same value, from different servers; different names tie only on a
 * 32-bit MD5 word collision, about 1 in 2^32 per pair of points): libmemcached sorts by
 * (value, server index), so the lowest server index wins. twemproxy and libketama compare the
 * value only and call `qsort`, which is not stable by contract; glibc ≤ 2.36 and ≥ 2.39 sort
 * with a stable merge sort there (generation order wins), glibc 2.37/2.38 with an unstable
 * introsort. twemproxy generates points in its own server order, not the config's: it sorts the
 * pool's servers by name, shorter first, then bytewise (nc_conf.c `conf_validate_server` →
 * `conf_server_name_cmp` → nc_string.c `string_compare`), so there the server whose name sorts
 * first wins a tie. {@link ketamaPoints} emits points in each implementation's generation
 * order, so a stable sort by value reproduces all three (on those glibc builds; the fixtures
 * include a real tie, made with scripts/ketama-ref/ties.mjs).
 *
 * Not covered: libmemcached's unweighted `MEMCACHED_BEHAVIOR_KETAMA` (100 points per server, one
 * per digest, until a server with weight > 1 is added), its `KETAMA_SPY` names, `SORT_HOSTS`,
 * namespaces; twemproxy's `hash_tag` and `auto_eject_hosts` (ejected servers leave the ring).
 *
 * Verified (test/compat/ketama.test.ts) against fixtures from the real libmemcached 1.1.4 and
 * a real nutcracker 0.5.0 (Debian packages; scripts/gen-ketama-fixtures.mjs,
 * scripts/gen-twemproxy-fixtures.mjs). Debian has no libketama: its fixtures come from its rules
 * compiled in C (scripts/ketama-ref/libketama-ref.c), confirmed by the real libmemcached where
 * the two coincide, and were checked once by hand against libketama itself built from source.
 *
 * Only point *generation* lives here; sorting and lookup are the ring's job.
 */
import { engine as defaultEngine, type Engine, type Key } from '../engine';
import { checkInteger, describe } from '../validate';

/** Which C implementation's continuum to reproduce. */
export type KetamaMode = 'libmemcached' | 'twemproxy' | 'libketama';

/** One server as the C implementations see it. */
export interface KetamaServer {
  /** Host name or address exactly as configured (it is hashed as text, never resolved). */
  host: string;
  /**
   * TCP port. libmemcached maps `0` to 11211 (`memcached_server_add_with_weight`); twemproxy
   * needs 1..65535.
   */
  port: number;
  /**
   * Integer weight (libketama calls it memory), at most 2^32 - 1 (twemproxy: 2^31 - 1, an int,
   * and their sum a uint32). `0` is weight 1 for libmemcached (its default) and a RangeError for
   * twemproxy (nutcracker refuses the config: "has a zero weight") and libketama (`ketama_roll`
   * fails on a server line with memory 0).
   */
  weight: number;
  /**
   * twemproxy: the optional `name` of `host:port:weight name`, which then names the points
   * instead of the address. libketama: the address token of its server file, used verbatim
   * (default `host:port`; libketama itself only handles tokens of up to 21 bytes, its
   * `addr[22]`, we hash any length). Ignored by libmemcached, which has no server names.
   */
  name?: string;
}

/** The default memcached port: libmemcached and twemproxy leave it out of point names. */
export const MEMCACHED_DEFAULT_PORT = 11211;

const MODES: readonly KetamaMode[] = ['libmemcached', 'twemproxy', 'libketama'];

/** twemproxy formats `"%.*s-%u"` into a 273-byte buffer (KETAMA_MAX_HOSTLEN) and hashes at most 272 bytes. */
const TWEMPROXY_MAX_NAME_BYTES = 272;

const f32 = Math.fround;
/** `0.0000000001F` as libmemcached writes it: a float constant. */
const LIBMEMCACHED_EPSILON_F = f32(1e-10);

/**
 * MD5 digests (4 points each) a server gets. `weight` and `totalWeight` are the integer weights
 * (libmemcached's weight 0 already counted as 1); `serverCount` is the number of servers.
 *
 * - libmemcached computes in float: `pct = (float)w / (float)total`, then
 *   `floor((float)(pct * 160 / 4 * (float)n + 0.0000000001F))` — every step rounds to single
 *   precision and the `1e-10F` is far below float resolution, so it never lifts a value like
 *   39.999996 to 40. With equal weights this gives 39 digests (156 points) per server at
 *   n = 25, 47, 50, 55, 61, … but 40 at n = 7, 14, 28 (where hashring, in double precision,
 *   gives 39).
 * - twemproxy: the same float expression, except that its `0.0000000001` is a double constant:
 *   the float product is widened, 1e-10 added in double and the sum cast back to float before
 *   `floorf`, which again changes nothing for any product >= 1e-3.
 * - libketama: `floorf(pct * 40.0 * (float)n)` with a float `pct` but the double constant
 *   `40.0`, so the product is exact in double and rounded to float once, when it is passed to
 *   `floorf`. It keeps 40 at n = 25, 47, 50, … where libmemcached drops to 39 (61 and 122 give
 *   39 in both).
 */
export function ketamaDigestCount(mode: KetamaMode, weight: number, totalWeight: number, serverCount: number): number {
  const pct = f32(f32(weight) / f32(totalWeight));
  if (mode === 'libketama') return Math.floor(f32(pct * 40 * serverCount));
  // pct * 160 / 4 * (float)n, each operation in float (x86-64 SSE, no excess precision).
  const product = f32(f32(f32(pct * 160) / 4) * f32(serverCount));
  if (mode === 'libmemcached') return Math.floor(f32(product + LIBMEMCACHED_EPSILON_F));
  return Math.floor(f32(product + 1e-10));
}

/**
 * The text hashed for a server's points, before `-<i>`:
 * - libmemcached: `host` when the port is 11211, else `host:port`;
 * - twemproxy: the server's name when it has one, else `host` on port 11211, else `host:port`;
 * - libketama: its address token verbatim (`name`, default `host:port`, port always included).
 */
export function ketamaServerName(mode: KetamaMode, server: KetamaServer): string {
  if (mode === 'libketama') return server.name ?? `${server.host}:${server.port}`;
  if (mode === 'twemproxy' && server.name !== undefined) return server.name;
  const port = mode === 'libmemcached' && server.port === 0 ? MEMCACHED_DEFAULT_PORT : server.port;
  return port === MEMCACHED_DEFAULT_PORT ? server.host : `${server.host}:${port}`;
}

/**
 * The hash a key is looked up with: `md5Uint32` of its bytes, except that twemproxy
 * hashes an empty key to 0 without MD5 (src/nc_server.c `server_pool_hash`: `keylen == 0`
 * → 0), so it goes to the owner of the lowest point. (libmemcached and twemproxy also skip
 * hashing when there is one server; that changes nothing, every key goes to it.)
 */
export function ketamaKeyHash(mode: KetamaMode, key: Key): number {
  if (mode === 'twemproxy' && key.length === 0) return 0;
  return defaultEngine.md5Uint32(key);
}

function checkMode(mode: unknown): asserts mode is KetamaMode {
  if (!MODES.includes(mode as KetamaMode)) {
    throw new TypeError(`Expected 'libmemcached', 'twemproxy' or 'libketama' for mode but received ${describe(mode)}`);
  }
}

/** How a check names server `i` in its messages: `servers[i]` by default. */
export type ServerLabel = (i: number) => string;

const byIndex: ServerLabel = (i) => `servers[${i}]`;

function checkServer(mode: KetamaMode, server: unknown, name: string): asserts server is KetamaServer {
  if (server === null || typeof server !== 'object') {
    throw new TypeError(`Expected an object {host, port, weight} for ${name} but received ${describe(server)}`);
  }
  const s = server as Record<string, unknown>;
  if (typeof s.host !== 'string' || s.host === '') {
    throw new TypeError(`Expected a non-empty string for ${name}.host but received ${describe(s.host)}`);
  }
  checkInteger(s.port, `${name}.port`, mode === 'twemproxy' ? 1 : 0, 0xffff);
  // twemproxy parses the weight into an int (nc_atoi): 2^31 - 1 at most.
  checkInteger(s.weight, `${name}.weight`, mode === 'libmemcached' ? 0 : 1, mode === 'twemproxy' ? 0x7fffffff : 0xffffffff);
  if (s.name !== undefined && (typeof s.name !== 'string' || s.name === '')) {
    throw new TypeError(`Expected a non-empty string or undefined for ${name}.name but received ${describe(s.name)}`);
  }
}

/**
 * Server indices in the order the implementation generates their points: as given, except
 * twemproxy's (name byte length, then bytes), where equal names are a config error.
 */
function generationOrder(mode: KetamaMode, names: readonly string[], label: ServerLabel): number[] {
  const order = names.map((_, i) => i);
  if (mode !== 'twemproxy') return order;
  const bytes = names.map((n) => Buffer.from(n));
  order.sort((a, b) => bytes[a].length - bytes[b].length || Buffer.compare(bytes[a], bytes[b]));
  for (let k = 1; k < order.length; k++) {
    const [a, b] = [order[k - 1], order[k]];
    if (bytes[a].equals(bytes[b])) {
      throw new RangeError(
        `Expected distinct twemproxy server names but ${label(Math.min(a, b))} and ${label(Math.max(a, b))} are both named '${names[a]}'`,
      );
    }
  }
  return order;
}

/**
 * Checks everything {@link ketamaPoints} refuses — each server, the weight sum, twemproxy's
 * distinct names — without hashing, and returns the servers' point names and generation
 * order. `label` names server `i` in messages (HashRing names servers by their string).
 */
export function checkKetamaServers(
  mode: KetamaMode,
  servers: readonly KetamaServer[],
  label: ServerLabel = byIndex,
): { names: string[]; order: number[] } {
  checkMode(mode);
  if (!Array.isArray(servers)) {
    throw new TypeError(`Expected an array for servers but received ${describe(servers)}`);
  }
  for (let i = 0; i < servers.length; i++) checkServer(mode, servers[i], label(i));
  // libmemcached and libketama sum into 64-bit integers (exact in a double below 2^53);
  // twemproxy into a uint32_t total_weight, which would wrap and overflow its continuum.
  if (mode === 'twemproxy') {
    const total = servers.reduce((a, s) => a + s.weight, 0);
    if (total > 0xffffffff) {
      throw new RangeError(`Expected servers[].weight to sum to at most 4294967295 for twemproxy but received ${total}`);
    }
  }
  const names = servers.map((s) => ketamaServerName(mode, s));
  return { names, order: generationOrder(mode, names, label) };
}

/** `"<name>-<i>"`, cut to 272 UTF-8 bytes for twemproxy as its snprintf does. */
function pointKey(mode: KetamaMode, name: string, i: number): string | Uint8Array {
  const key = `${name}-${i}`;
  if (mode !== 'twemproxy' || key.length * 3 <= TWEMPROXY_MAX_NAME_BYTES) return key;
  const bytes = Buffer.from(key);
  return bytes.length <= TWEMPROXY_MAX_NAME_BYTES ? key : bytes.subarray(0, TWEMPROXY_MAX_NAME_BYTES);
}

/**
 * Points in generation order; owners[i] indexes `servers`. Lookups hash keys with md5Uint32
 * (see {@link ketamaKeyHash} for twemproxy's empty key).
 *
 * Generation order is the implementation's server order (`servers` order; for twemproxy,
 * sorted by name as nutcracker does), then digest `i = 0, 1, …`, then the digest's four words:
 * sorting stably by hash gives the continuum of the C implementation, ties included.
 * Throws TypeError/RangeError naming the bad argument; for twemproxy also when two servers
 * have the same name (nutcracker refuses such a pool).
 */
export function ketamaPoints(
  mode: KetamaMode,
  servers: readonly KetamaServer[],
): { hashes: Uint32Array; owners: Uint32Array } {
  return generateKetamaPoints(mode, servers, defaultEngine);
}

/** {@link ketamaPoints} hashed with `engine` (a ring's own engine). */
export function generateKetamaPoints(
  mode: KetamaMode,
  servers: readonly KetamaServer[],
  engine: Engine,
  label?: ServerLabel,
): { hashes: Uint32Array; owners: Uint32Array } {
  const { names, order } = checkKetamaServers(mode, servers, label);
  if (servers.length === 0) return { hashes: new Uint32Array(0), owners: new Uint32Array(0) };
  // libmemcached stores weight 0 as 1 (`weight ? weight : 1` when the server is added).
  const weights = servers.map((s) => (s.weight === 0 ? 1 : s.weight));
  const total = weights.reduce((a, b) => a + b, 0);
  const digests = weights.map((w) => ketamaDigestCount(mode, w, total, servers.length));
  const size = digests.reduce((a, b) => a + b, 0) * 4;
  const hashes = new Uint32Array(size);
  const owners = new Uint32Array(size);
  const digest = new Uint8Array(16);
  const words = new DataView(digest.buffer);
  let p = 0;
  for (const s of order) {
    const name = names[s];
    for (let i = 0; i < digests[s]; i++) {
      engine.md5(pointKey(mode, name, i), digest);
      for (let w = 0; w < 4; w++) {
        hashes[p] = words.getUint32(w * 4, true);
        owners[p++] = s;
      }
    }
  }
  return { hashes, owners };
}
