/**
 * A {@link KeyValueStore} over one plain ioredis `Redis` (standalone, Sentinel-backed or a
 * proxy), used when such a client is given as the L2 and no RedisStore wraps it. The client's
 * own options apply (enable `enableAutoPipelining` for concurrent reads); the adapter never
 * closes it.
 */
import type { Redis } from 'ioredis';
import type { Key } from '../engine';
import { CommandError } from '../errors';
import type { KeyValueStore, StoreValue } from '../routing/store';

function wrap(op: string, key: Key | undefined): (err: unknown) => never {
  return (err) => {
    throw new CommandError(`${op} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err, key });
  };
}

function arg(v: Key | StoreValue): string | Buffer {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export class IoredisStore implements KeyValueStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /** The wrapped client. */
  get redis(): Redis {
    return this.#redis;
  }

  get(key: Key): Promise<string | null> {
    return this.#redis.get(arg(key)).catch(wrap('GET', key));
  }

  getBuffer(key: Key): Promise<Buffer | null> {
    return this.#redis.getBuffer(arg(key)).catch(wrap('GET', key));
  }

  async set(key: Key, value: StoreValue, ttlMs?: number): Promise<void> {
    const p = ttlMs === undefined ? this.#redis.set(arg(key), arg(value)) : this.#redis.set(arg(key), arg(value), 'PX', ttlMs);
    await p.catch(wrap('SET', key));
  }

  del(key: Key): Promise<number> {
    return this.#redis.del(arg(key)).catch(wrap('DEL', key));
  }

  async mget(keys: readonly Key[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return this.#redis.mget(keys.map(arg)).catch(wrap('MGET', keys[0]));
  }

  async mgetBuffer(keys: readonly Key[]): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return [];
    return this.#redis.mgetBuffer(keys.map(arg)).catch(wrap('MGET', keys[0]));
  }

  async mset(entries: readonly (readonly [Key, StoreValue])[], ttlMs?: number): Promise<void> {
    if (entries.length === 0) return;
    if (ttlMs === undefined) {
      const args: (string | Buffer)[] = [];
      for (const [k, v] of entries) args.push(arg(k), arg(v));
      await this.#redis.mset(args).catch(wrap('MSET', entries[0][0]));
      return;
    }
    // MSET has no TTL: SET … PX per key in one pipeline (one write, one round trip).
    const pipe = this.#redis.pipeline();
    for (const [k, v] of entries) pipe.set(arg(k), arg(v), 'PX', ttlMs);
    const res = await pipe.exec().catch(wrap('SET', entries[0][0]));
    for (const [err] of res ?? []) if (err) wrap('SET', entries[0][0])(err);
  }

  async mdel(keys: readonly Key[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.#redis.del(keys.map(arg)).catch(wrap('DEL', keys[0]));
  }

  /** Nothing to close: the client belongs to the caller. */
  async close(): Promise<void> {}
}
