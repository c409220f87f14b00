/**
 * What the stores of this folder share around a command: argument checks, key/value
 * conversion for ioredis, and how an ioredis failure becomes a typed error.
 */
import type { Key } from '../engine';
import { CommandError, NodeUnavailableError, RingcacheError } from '../errors';
import { checkInteger, checkKey, describe, isBytes } from '../validate';
import type { StoreValue } from './store';

/** A key or value as ioredis sends it: strings as UTF-8, bytes as a Buffer view (no copy). */
export function toArg(k: Key | StoreValue): string | Buffer {
  if (typeof k === 'string' || Buffer.isBuffer(k)) return k;
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength);
}

export function checkValue(value: unknown, name: string): asserts value is StoreValue {
  if (typeof value === 'string' || isBytes(value)) return;
  throw new TypeError(`Expected string or Uint8Array for ${name} but received ${describe(value)}`);
}

export function checkTtl(ttlMs: unknown, name = 'ttlMs'): asserts ttlMs is number | undefined {
  if (ttlMs !== undefined) checkInteger(ttlMs, name, 1, Number.MAX_SAFE_INTEGER);
}

/** Throws unless `entries` is an array of `[key, value]` pairs. */
export function checkEntries(entries: unknown): asserts entries is readonly (readonly [Key, StoreValue])[] {
  if (!Array.isArray(entries)) throw new TypeError(`Expected an array of [key, value] for entries but received ${describe(entries)}`);
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (!Array.isArray(e) || e.length !== 2) throw new TypeError(`Expected a [key, value] pair for entries[${i}] but received ${describe(e)}`);
    checkKey(e[0], `entries[${i}][0]`);
    checkValue(e[1], `entries[${i}][1]`);
  }
}

// Replies that mean "this node cannot serve now" rather than "this command is wrong": a node
// loading its dataset, a replica that lost its master, a demoted master; and twemproxy's
// answer when the backend of the key is down (`-ERR ` + strerror: "ERR Connection refused").
const UNAVAILABLE_REPLY =
  /^(?:LOADING|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b|^ERR (?:Connection (?:refused|timed out|reset by peer)|No route to host|Network is unreachable|Host is (?:down|unreachable)|Broken pipe)$/;

/** True when `err` is a reply error of the command itself (retrying cannot fix it). */
function isCommandError(err: unknown, ReplyError: new (...args: unknown[]) => Error): boolean {
  return err instanceof ReplyError && !UNAVAILABLE_REPLY.test((err as Error).message);
}

/**
 * True when `err` (from a command on one connection) means the node cannot serve now —
 * connection lost or refused, a timeout, or a "not serving" reply (LOADING, MASTERDOWN, …) —
 * rather than a reply error of the command itself.
 */
export function isNodeFailure(err: unknown): boolean {
  const name = (err as Error)?.name;
  if (name === 'ReplyError') return UNAVAILABLE_REPLY.test((err as Error).message);
  return !(err instanceof RingcacheError);
}

/**
 * The typed error for an ioredis failure of `command` on `node` for `key`, and whether it
 * counts as a node failure (connection, timeout, node not serving) rather than a bad command.
 */
export function classify(
  err: unknown,
  ReplyError: new (...args: unknown[]) => Error,
  command: string,
  node: string,
  key: Key,
  connectionError?: Error,
): { error: RingcacheError; failure: boolean } {
  if (err instanceof RingcacheError) return { error: err, failure: false };
  const msg = (err as Error)?.message ?? String(err);
  if (isCommandError(err, ReplyError)) {
    return { error: new CommandError(`${command} failed on node ${node}: ${msg}`, { cause: err, key, node }), failure: false };
  }
  // A command that failed for want of a connection says why the connection failed.
  const why = connectionError === undefined || connectionError === err ? msg : `${msg}; last connection error: ${connectionError.message}`;
  return {
    error: new NodeUnavailableError(`${command} failed: node ${node} is unavailable (${why})`, { cause: err, key, node }),
    failure: true,
  };
}
