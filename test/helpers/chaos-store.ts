/**
 * Test stores: {@link MemoryStore}, an in-process KeyValueStore with PX expiry, and
 * {@link ChaosStore}, a wrapper that injects failures, delays and held replies into any store
 * (like bentocache's chaos wrapper), to drive fail-safe, timeouts, the circuit breaker and the
 * in-flight-invalidation race deterministically.
 */
import type { Key } from '../../src/engine';
import type { KeyValueStore, StoreValue } from '../../src/stores/store';
import { redisCall } from './redis-server';

const keyString = (k: Key): string => (typeof k === 'string' ? k : Buffer.from(k).toString('latin1'));
const toBuf = (v: StoreValue): Buffer => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v));

/** An in-memory store honouring `ttlMs`. */
export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, { v: Buffer; until: number }>();

  #read(k: Key): Buffer | null {
    const e = this.data.get(keyString(k));
    if (e === undefined) return null;
    if (Date.now() >= e.until) {
      this.data.delete(keyString(k));
      return null;
    }
    return e.v;
  }

  async get(key: Key): Promise<string | null> {
    return this.#read(key)?.toString() ?? null;
  }
  async getBuffer(key: Key): Promise<Buffer | null> {
    return this.#read(key);
  }
  async set(key: Key, value: StoreValue, ttlMs?: number): Promise<void> {
    this.data.set(keyString(key), { v: toBuf(value), until: ttlMs === undefined ? Infinity : Date.now() + ttlMs });
  }
  async del(key: Key): Promise<number> {
    return this.data.delete(keyString(key)) ? 1 : 0;
  }
  async mget(keys: readonly Key[]): Promise<(string | null)[]> {
    return keys.map((k) => this.#read(k)?.toString() ?? null);
  }
  async mgetBuffer(keys: readonly Key[]): Promise<(Buffer | null)[]> {
    return keys.map((k) => this.#read(k));
  }
  async mset(entries: readonly (readonly [Key, StoreValue])[], ttlMs?: number): Promise<void> {
    for (const [k, v] of entries) await this.set(k, v, ttlMs);
  }
  async mdel(keys: readonly Key[]): Promise<number> {
    let n = 0;
    for (const k of keys) n += await this.del(k);
    return n;
  }
  async close(): Promise<void> {}
}

type Op = 'read' | 'write';
const READS = new Set(['get', 'getBuffer', 'mget', 'mgetBuffer']);

/** A KeyValueStore wrapper that fails, delays or holds calls on demand. */
export class ChaosStore implements KeyValueStore {
  readonly inner: KeyValueStore;
  /** Calls that reached the wrapper, by method. */
  readonly calls = new Map<string, number>();
  #throwing: Op[] = [];
  #failNext = 0;
  #failRate = 0;
  #delayMs = 0;
  #holds: { ops: Op[]; waiters: (() => void)[]; released: boolean; onHeld?: () => void } | undefined;

  constructor(inner: KeyValueStore) {
    this.inner = inner;
  }

  /** Every call of these kinds rejects until {@link neverThrow}. */
  alwaysThrow(ops: Op[] = ['read', 'write']): this {
    this.#throwing = ops;
    return this;
  }
  neverThrow(): this {
    this.#throwing = [];
    this.#failNext = 0;
    this.#failRate = 0;
    return this;
  }
  /** Each call rejects with probability `rate` (0 … 1). */
  randomFailures(rate: number): this {
    this.#failRate = rate;
    return this;
  }
  /** The next `n` calls reject. */
  failNext(n: number): this {
    this.#failNext = n;
    return this;
  }
  /** Every call answers `ms` later. */
  delay(ms: number): this {
    this.#delayMs = ms;
    return this;
  }
  /**
   * Reads (by default) run now but their replies are held until the returned function is
   * called: the value is the one from BEFORE anything written meanwhile. `onHeld` runs when the
   * first reply is being held.
   */
  hold(ops: Op[] = ['read'], onHeld?: () => void): () => void {
    const h = { ops, waiters: [] as (() => void)[], released: false, onHeld };
    this.#holds = h;
    return () => {
      h.released = true;
      if (this.#holds === h) this.#holds = undefined;
      for (const w of h.waiters.splice(0)) w();
    };
  }

  /** Replies held right now by {@link hold} (reads that reached the store and wait for release). */
  get heldReplies(): number {
    return this.#holds?.waiters.length ?? 0;
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  async #run<T>(method: string, fn: () => Promise<T>): Promise<T> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const op: Op = READS.has(method) ? 'read' : 'write';
    if (this.#failNext > 0) {
      this.#failNext--;
      throw new Error(`chaos: injected failure of ${method}`);
    }
    if (this.#throwing.includes(op)) throw new Error(`chaos: ${method} always throws`);
    if (this.#failRate > 0 && Math.random() < this.#failRate) throw new Error(`chaos: random failure of ${method}`);
    if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
    const result = await fn();
    const h = this.#holds;
    if (h !== undefined && !h.released && h.ops.includes(op)) {
      const wait = new Promise<void>((r) => h.waiters.push(r));
      if (h.waiters.length === 1) h.onHeld?.();
      await wait;
    }
    return result;
  }

  get(key: Key): Promise<string | null> {
    return this.#run('get', () => this.inner.get(key));
  }
  getBuffer(key: Key): Promise<Buffer | null> {
    return this.#run('getBuffer', () => this.inner.getBuffer(key));
  }
  set(key: Key, value: StoreValue, ttlMs?: number): Promise<void> {
    return this.#run('set', () => this.inner.set(key, value, ttlMs));
  }
  del(key: Key): Promise<number> {
    return this.#run('del', () => this.inner.del(key));
  }
  mget(keys: readonly Key[]): Promise<(string | null)[]> {
    return this.#run('mget', () => this.inner.mget(keys));
  }
  mgetBuffer(keys: readonly Key[]): Promise<(Buffer | null)[]> {
    return this.#run('mgetBuffer', () => this.inner.mgetBuffer(keys));
  }
  mset(entries: readonly (readonly [Key, StoreValue])[], ttlMs?: number): Promise<void> {
    return this.#run('mset', () => this.inner.mset(entries, ttlMs));
  }
  mdel(keys: readonly Key[]): Promise<number> {
    return this.#run('mdel', () => this.inner.mdel(keys));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** What a cache exposes that {@link killSubscriptions} and {@link afterBusMessage} use. */
interface BusObservable {
  once(event: 'bus:lost' | 'bus:restored', listener: () => void): unknown;
  stats(): { bus: { received: number } };
}

/**
 * `CLIENT KILL TYPE pubsub` on the server at `port` (every subscriber connection there drops,
 * as on a network blip); resolves with how many were killed and promises of `cache`'s
 * `bus:lost` and `bus:restored` events, registered before the kill.
 */
export async function killSubscriptions(
  port: number,
  cache: BusObservable,
): Promise<{ killed: number; lost: Promise<void>; restored: Promise<void> }> {
  const lost = new Promise<void>((r) => cache.once('bus:lost', r));
  const restored = new Promise<void>((r) => cache.once('bus:restored', r));
  const killed = Number(await redisCall(port, 'CLIENT', 'KILL', 'TYPE', 'pubsub'));
  return { killed, lost, restored };
}

/** Runs `write` (on another instance) and resolves once `cache` received `messages` more bus messages. */
export async function afterBusMessage(cache: BusObservable, write: () => Promise<unknown>, messages = 1, timeoutMs = 5000): Promise<void> {
  const r0 = cache.stats().bus.received;
  await write();
  const deadline = Date.now() + timeoutMs;
  while (cache.stats().bus.received < r0 + messages) {
    if (Date.now() > deadline) throw new Error(`no bus message within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Counts the calls of `target`'s `mgetBuffer` and `getBuffer` (an ioredis client or a store)
 * from now on, passing every call through unchanged: how a cache's L2 reads went out.
 */
/**
 * Counts the GET and MGET commands an ioredis client sends, whichever way they go (its methods,
 * its auto-pipeline, or `sendCommand`, as the cache's direct reads do).
 */
export function countCommands(redis: { sendCommand: (...args: never[]) => unknown }): { mget: number; get: number } {
  const calls = { mget: 0, get: 0 };
  const send = redis.sendCommand;
  redis.sendCommand = (...args: never[]) => {
    const name = (args[0] as { name?: string } | undefined)?.name;
    if (name === 'mget' || name === 'get') calls[name]++;
    return send.apply(redis, args);
  };
  return calls;
}

export function countReads(target: { mgetBuffer: (...args: never[]) => unknown; getBuffer: (...args: never[]) => unknown }): { mget: number; get: number } {
  const calls = { mget: 0, get: 0 };
  const mget = target.mgetBuffer;
  const get = target.getBuffer;
  target.mgetBuffer = (...args: never[]) => (calls.mget++, mget.apply(target, args));
  target.getBuffer = (...args: never[]) => (calls.get++, get.apply(target, args));
  return calls;
}
