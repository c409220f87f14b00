/**
 * One ioredis connection per node, for the stores of this folder: how a node is named, how its
 * client is created, and the defaults that decide how a failure shows.
 *
 * A node is given as
 * - a URL (`redis://[:password@]host:port[/db]`, `rediss://…`) or `'host:port'`;
 * - ioredis `RedisOptions`: `{ host, port, … }`, or a Sentinel-managed master
 *   `{ sentinels: [{ host, port }, …], name: 'mymaster' }` (ioredis asks the sentinels where
 *   the master is, and asks again after every lost connection);
 * - an ioredis `Redis` you created: used as is and never closed by the store.
 *
 * Two sets of defaults, for clients the store creates (your own options win):
 *
 * - **Plain nodes fail fast** (twemproxy-like): a command waiting for a lost connection
 *   fails at the first reconnect attempt that fails (`maxRetriesPerRequest: 0`), reconnects are
 *   tried every 100 ms … 1 s, and a node that sends nothing for `timeoutMs` while commands are
 *   pending is dropped (`socketTimeout`, one timer per connection rather than per command). A
 *   ring store then counts the failure and, after `ejectAfter` of them, routes around the node.
 * - **Sentinel-backed nodes ride out a failover**: a kill -9 failover with
 *   `down-after-milliseconds 1000` takes ~2.3 s, during which every reconnect attempt is
 *   refused by the dead master the sentinels still name. ioredis 6's default backoff
 *   (50·2^(n−1) ms + jitter, up to 5 s) can leave the client waiting up to ~1.7 s after the
 *   promotion (stalls of 3.4–3.9 s measured against 2.3 s here), and a fixed 100 ms retry with
 *   the default 20 `maxRetriesPerRequest` flushes queued commands after ~2.1 s, before the
 *   failover ends (errors measured). Here the client asks the sentinels again every ≤ 200 ms
 *   (50, 100, 150, 200, 200 … ms: stall measured 2.3–2.5 s, i.e. the failover plus ≤ 200 ms);
 *   a command waits up to `failoverTimeoutMs` however that time is spent — refused
 *   reconnects, sentinels all unreachable (which ioredis would retry forever), a hung master —
 *   then fails (ioredis `commandTimeout`: a timer per command, on Sentinel-backed nodes only);
 *   and a `READONLY` reply (the master was demoted under a live connection) reconnects and
 *   resends the command.
 */
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { MissingDependencyError } from '../errors';
import { checkInteger, describe } from '../validate';

/** A node: a URL or `'host:port'`, ioredis options (standalone or Sentinel), or a `Redis`. */
export type NodeSpec = string | RedisOptions | Redis;

/** How the clients a store creates connect and fail. */
export interface ConnectionOptions {
  /**
   * Plain nodes: a connection that receives nothing for this long while commands are pending
   * is closed and its commands fail (ioredis `socketTimeout`); also the connect timeout.
   * @default 1000
   */
  timeoutMs?: number;
  /**
   * Sentinel-backed nodes: how long a command may wait — for the promoted replica during a
   * failover, for unreachable sentinels, on a hung master — before it fails. Must exceed the
   * failover time (`down-after-milliseconds` + ~1.3 s).
   * @default 10000
   */
  failoverTimeoutMs?: number;
  /**
   * Longest pause between two reconnect attempts of a plain node (100 ms, 200 ms, … up to it).
   * Sentinel-backed nodes use 50, 100, 150, then 200 ms.
   * @default 1000
   */
  reconnectMaxDelayMs?: number;
  /** Any other ioredis options for every client the store creates (a node's own options win). */
  redisOptions?: RedisOptions;
}

/** The default {@link ConnectionOptions}. */
export const DEFAULT_CONNECTION_OPTIONS: Readonly<Required<Omit<ConnectionOptions, 'redisOptions'>>> = Object.freeze({
  timeoutMs: 1000,
  failoverTimeoutMs: 10_000,
  reconnectMaxDelayMs: 1000,
});

/** Reconnect pause cap for Sentinel-backed nodes: how late, at worst, a promoted master is found. */
const SENTINEL_MAX_DELAY_MS = 200;

/** What the stores use of the ioredis module. */
export interface Ioredis {
  Redis: new (...args: unknown[]) => Redis;
  ReplyError: new (...args: unknown[]) => Error;
  Cluster: new (nodes: ClusterNode[], options?: ClusterOptions) => Cluster;
  /** A command sent by hand; in a Cluster, `slot` routes it when set (ioredis computes it otherwise). */
  Command: new (name: string, args: unknown[], options?: { replyEncoding?: BufferEncoding | null; keyPrefix?: string; errorStack?: Error }) => { slot?: number | null };
}

let ioredisModule: Ioredis | undefined;

/** Loads the optional peer ioredis, or throws {@link MissingDependencyError} naming `who`. */
export function loadIoredis(who: string): Ioredis {
  if (ioredisModule === undefined) {
    try {
      // ioredis is an optional peer dependency: only the stores need it, so it is loaded here.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ioredisModule = require('ioredis') as Ioredis;
    } catch (err) {
      throw new MissingDependencyError(
        `${who} needs the optional peer dependency ioredis (>= 5), which could not be loaded.\n` +
          'Possible solutions:\n- npm install ioredis',
        { cause: err },
      );
    }
  }
  return ioredisModule;
}

/** Validated connection options with defaults filled in. */
export function connectionOptions(options: ConnectionOptions): Required<Omit<ConnectionOptions, 'redisOptions'>> & { redisOptions: RedisOptions } {
  const o = { ...DEFAULT_CONNECTION_OPTIONS, ...stripUndefined(options) };
  checkInteger(o.timeoutMs, 'options.timeoutMs', 1, 2 ** 31 - 1);
  checkInteger(o.failoverTimeoutMs, 'options.failoverTimeoutMs', 1, 2 ** 31 - 1);
  checkInteger(o.reconnectMaxDelayMs, 'options.reconnectMaxDelayMs', 1, 2 ** 31 - 1);
  const redisOptions = options.redisOptions ?? {};
  if (typeof redisOptions !== 'object' || redisOptions === null) {
    throw new TypeError(`Expected an object for options.redisOptions but received ${describe(redisOptions)}`);
  }
  return { ...o, redisOptions };
}

function isRedisInstance(x: unknown): x is Redis {
  const r = x as { sendCommand?: unknown; options?: unknown; isCluster?: unknown } | null;
  return typeof r === 'object' && r !== null && typeof r.sendCommand === 'function' && typeof r.options === 'object' && r.isCluster !== true;
}

function isSentinelOptions(o: RedisOptions): boolean {
  return Array.isArray(o.sentinels) && o.sentinels.length > 0;
}

/** `host:port` of a URL (`redis://…`) or of `'host:port'`; undefined if it is neither. */
function parseAddress(s: string): { url: boolean; host: string; port: number } | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return undefined;
    }
    return { url: true, host: u.hostname || 'localhost', port: u.port === '' ? 6379 : Number(u.port) };
  }
  const colon = s.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = Number(s.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { url: false, host: s.slice(0, colon), port };
}

/** A node's spec, checked: what kind it is and its default id. */
export interface ParsedNode {
  kind: 'url' | 'address' | 'options' | 'sentinel' | 'instance';
  /** `host:port`, the unix socket path, or the Sentinel master name. */
  defaultId: string;
  spec: NodeSpec;
}

/** Checks a node spec (TypeError naming `name` when it is not one) and names it. */
export function parseNode(spec: unknown, name: string): ParsedNode {
  if (typeof spec === 'string') {
    const a = parseAddress(spec);
    if (a === undefined) throw new TypeError(`Expected a redis:// URL or 'host:port' for ${name} but received ${describe(spec)}`);
    return { kind: a.url ? 'url' : 'address', defaultId: `${a.host}:${a.port}`, spec };
  }
  if (isRedisInstance(spec)) {
    const o = spec.options;
    const id = isSentinelOptions(o) ? String(o.name) : o.path ? o.path : `${o.host ?? 'localhost'}:${o.port ?? 6379}`;
    return { kind: 'instance', defaultId: id, spec };
  }
  if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) {
    const o = spec as RedisOptions;
    if (isSentinelOptions(o)) {
      if (typeof o.name !== 'string' || o.name === '') {
        throw new TypeError(`Expected the Sentinel master name (a non-empty string) for ${name}.name but received ${describe(o.name)}`);
      }
      return { kind: 'sentinel', defaultId: o.name, spec };
    }
    if (o.port !== undefined && (typeof o.port !== 'number' || !Number.isInteger(o.port))) {
      throw new TypeError(`Expected an integer for ${name}.port but received ${describe(o.port)}`);
    }
    const id = o.path ? o.path : `${o.host ?? 'localhost'}:${o.port ?? 6379}`;
    return { kind: 'options', defaultId: id, spec };
  }
  throw new TypeError(
    `Expected a redis:// URL, 'host:port', ioredis options or an ioredis Redis for ${name} but received ${describe(spec)}`,
  );
}

/** ioredis options for a node the store creates, from the store's defaults. */
function defaultsFor(sentinel: boolean, o: ReturnType<typeof connectionOptions>): RedisOptions {
  if (sentinel) {
    return {
      retryStrategy: (times: number) => Math.min(times * 50, SENTINEL_MAX_DELAY_MS),
      // Bounded by time, not by a count of reconnects: a count misses the time spent inside
      // one attempt (ioredis retries unreachable sentinels within an attempt, forever), and
      // ioredis ends a client for good if that retry is turned off.
      maxRetriesPerRequest: null,
      commandTimeout: o.failoverTimeoutMs,
      connectTimeout: Math.max(o.timeoutMs, 1000),
      // The master was demoted while we were connected (manual failover, old master back):
      // reconnect (the sentinels name the new one) and resend the command.
      reconnectOnError: (err: Error) => (/^READONLY\b/.test(err.message) ? 2 : false),
    };
  }
  const max = o.reconnectMaxDelayMs;
  return {
    retryStrategy: (times: number) => Math.min(times * 100, max),
    maxRetriesPerRequest: 0,
    connectTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
  };
}

/**
 * The ioredis options the stores give the clients they create — for clients you create
 * yourself (a pub/sub or lock connection beside a store) that should fail, or ride out a
 * failover, the same way: `new Redis({ ...clientOptions('sentinel'), sentinels, name })`.
 */
export function clientOptions(kind: 'plain' | 'sentinel', options: ConnectionOptions = {}): RedisOptions {
  if (kind !== 'plain' && kind !== 'sentinel') throw new TypeError(`Expected 'plain' or 'sentinel' for kind but received ${describe(kind)}`);
  return defaultsFor(kind === 'sentinel', connectionOptions(options));
}

/** The client for a node: the given `Redis`, or a new one (owned by the store). */
export function createClient(node: ParsedNode, o: ReturnType<typeof connectionOptions>, extra: RedisOptions = {}): { client: Redis; owned: boolean } {
  if (node.kind === 'instance') return { client: node.spec as Redis, owned: false };
  const io = loadIoredis('This store');
  const sentinel = node.kind === 'sentinel';
  const base = { ...defaultsFor(sentinel, o), ...extra, ...o.redisOptions };
  let client: Redis;
  if (node.kind === 'url') client = new io.Redis(node.spec as string, base);
  else if (node.kind === 'address') {
    const a = parseAddress(node.spec as string)!;
    client = new io.Redis({ ...base, host: a.host, port: a.port });
  } else client = new io.Redis({ ...base, ...(node.spec as RedisOptions) });
  // ioredis prints unhandled 'error' events; the stores report failures per operation, naming
  // the last connection error (a refused TLS certificate, an ACL refusal, …) so it isn't lost.
  client.on('error', (err: Error) => lastConnectionErrors.set(client, err));
  client.on('ready', () => lastConnectionErrors.delete(client));
  return { client, owned: true };
}

const lastConnectionErrors = new WeakMap<Redis, Error>();

/** The error that last broke or refused `client`'s connection, while it is not ready again. */
export function lastConnectionError(client: Redis): Error | undefined {
  return lastConnectionErrors.get(client);
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

/** A connection whose socket can be corked: an ioredis `Redis`, or a node of a `Cluster`. */
export interface CorkableConnection {
  status: string;
  stream?: { cork(): void; uncork(): void; writable?: boolean };
}

/**
 * Runs `send` (which must only issue commands, synchronously) with the sockets of the ready
 * `connections` corked, so each one gets the commands issued to it in one write.
 */
export function withCorked(connections: Iterable<CorkableConnection>, send: () => void): void {
  const streams: { uncork(): void }[] = [];
  for (const c of connections) {
    const s = c.stream;
    if (c.status === 'ready' && s !== undefined && s.writable !== false) {
      s.cork();
      streams.push(s);
    }
  }
  try {
    send();
  } finally {
    for (const s of streams) s.uncork();
  }
}
