/**
 * Server specs → server entries, with the rules hashring 3.2.0 gets from `connection-parse`
 * (and its `vnodes` extension), so that weights, per-server vnodes, names and the order of the
 * servers — all of which change placement — come out exactly as there.
 *
 * Accepted specs (anything else throws a TypeError naming the argument):
 * - `'host:port'`: one server; `''`, `undefined`, `null` (hashring throws on `null`): none.
 * - `['a:1', 'b:2', { host: 'c', port: 3 }]`: servers in that order, weight 1.
 * - `{ 'a:1': 2, 'b:2': { weight: 3, vnodes: 50, name: 'cache-b' } }`: servers in
 *   `Object.keys` order (integer-like keys such as `'10'` come first, ascending — as in hashring).
 */
import { describe } from '../validate';

/** A server as hashring exposes it in `ring.servers`. */
export interface ServerEntry {
  /** The text before the first `:` (what `'default port'` names the points by). */
  host: string;
  /** `+` of the text between the first and second `:` (`NaN` when there is none). */
  port: number;
  /** The server as given (`'host:port'`): what `get` returns and what names its points. */
  string: string;
  /** Relative weight; a weight that is 0, NaN or missing becomes 1, as in hashring. */
  weight: number;
  /** Per-server virtual nodes; 0 or undefined means the ring's `'vnode count'`. */
  vnodes?: number;
  /** Point name for `compatibility: 'twemproxy'` (twemproxy's `host:port:weight name`). */
  name?: string;
}

/** Weight of one server: a number (or numeric string), or an object. */
export type ServerWeight =
  | number
  | string
  | {
      /** Relative weight. @default 1 */
      weight?: number | string;
      /** Virtual nodes: overrides the weight-based count when it differs from `'vnode count'`. */
      vnodes?: number | string;
      /** twemproxy server name (`compatibility: 'twemproxy'` only). */
      name?: string;
    };

/** A server object in an array spec: `{ host, port }` names the server `host:port`. */
export interface HostPort {
  host: string;
  port: number | string;
  /** Relative weight. @default 1 */
  weight?: number | string;
  vnodes?: number | string;
  name?: string;
}

/** Every way to name servers, as in hashring's constructor, `add` and `remove`. */
export type ServersSpec =
  | string
  | readonly (string | HostPort)[]
  | Readonly<Record<string, ServerWeight | null | undefined>>
  | null
  | undefined;

/** `obj[key] = value` that also stores a key named `'__proto__'` as an own property. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** `obj[key]` when it is an own property (never an inherited one such as `toString`). */
export function getOwn<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** The `vnodes` map hashring keeps beside `servers`: server string → its `vnodes`. */
export function vnodesMap(servers: readonly ServerEntry[]): Record<string, number | undefined> {
  const map: Record<string, number | undefined> = {};
  for (const s of servers) setOwn(map, s.string, s.vnodes);
  return map;
}

function checkWeightValue(value: unknown, name: string): void {
  const t = typeof value;
  if (t === 'symbol' || t === 'bigint' || t === 'function') {
    throw new TypeError(`Expected a weight (number, string or { weight, vnodes }) for ${name} but received ${describe(value)}`);
  }
}

/** A server from its `'host:port'` text and the value it maps to in an object spec. */
export function entryFromString(server: string, value: unknown, name: string): ServerEntry {
  checkWeightValue(value, name);
  const parts = server.split(':');
  const obj = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  // connection-parse: `(typeof value === 'object' ? +value.weight : +value) || 1` (null: weight 1,
  // where hashring throws).
  const weight = (obj ? +(obj.weight as number) : +(value as number)) || 1;
  // Its vnodes extension: `+value.vnodes || 0` for a non-array object holding `vnodes`, else 0.
  const vnodes = obj && !Array.isArray(obj) && 'vnodes' in obj ? +(obj.vnodes as number) || 0 : 0;
  const entry: ServerEntry = { host: parts[0], port: +parts[1], string: server, weight, vnodes };
  if (obj && typeof obj.name === 'string') entry.name = obj.name;
  return entry;
}

/**
 * A `{ host, port }` array element. hashring returns the caller's object itself with `string`
 * and `weight` set (and throws a TypeError when it has a truthy `weight`); we copy it and honour
 * the weight. Its `vnodes` is kept as given, uncoerced, as hashring's vnodes map holds it.
 */
function entryFromObject(server: unknown, name: string): ServerEntry {
  if (server === null || typeof server !== 'object' || Array.isArray(server)) {
    throw new TypeError(`Expected a 'host:port' string or a { host, port } object for ${name} but received ${describe(server)}`);
  }
  const s = server as HostPort;
  const entry = { ...s } as unknown as ServerEntry;
  entry.string = s.host + ':' + s.port;
  entry.weight = +(s.weight as number) || 1;
  return entry;
}

/**
 * Parses a servers spec (see the module comment). `name` is the argument name for messages.
 * The result is a fresh array of fresh entries.
 */
export function parseServers(spec: unknown, name = 'servers'): ServerEntry[] {
  if (spec === undefined || spec === null || spec === '' || spec === false || spec === 0) return [];
  if (typeof spec === 'string') return [entryFromString(spec, undefined, name)];
  if (Array.isArray(spec)) {
    return spec.map((s: unknown, i) =>
      typeof s === 'string' ? entryFromString(s, undefined, `${name}[${i}]`) : entryFromObject(s, `${name}[${i}]`),
    );
  }
  if (typeof spec === 'object') {
    const obj = spec as Record<string, unknown>;
    return Object.keys(obj).map((key) => entryFromString(key, obj[key], `${name}['${key}']`));
  }
  throw new TypeError(`Expected a string, an array or an object of servers for ${name} but received ${describe(spec)}`);
}

/**
 * What hashring's `add()` does to the server list: existing servers (a later duplicate replaces
 * the entry of an earlier one but keeps its place), then the new servers not already present,
 * all re-parsed from a `{ string: entry }` object — so the result is in `Object.keys` order and
 * every entry is rebuilt from its string (host and port re-read) and its weight/vnodes/name.
 */
export function mergeServers(current: readonly ServerEntry[], added: readonly ServerEntry[]): ServerEntry[] {
  const byString: Record<string, ServerEntry> = Object.create(null);
  for (const s of current) byString[s.string] = s;
  for (const s of added) if (!(s.string in byString)) byString[s.string] = s;
  return Object.keys(byString).map((key) => entryFromString(key, byString[key], 'servers'));
}
