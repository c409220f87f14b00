/**
 * Reads on a plain ioredis `Redis` that skip its auto-pipeline when that cannot reorder them.
 *
 * With `enableAutoPipelining`, ioredis queues every command of a tick and sends the queue on a
 * later turn of the event loop (ioredis 6: `setImmediate`, after I/O). For a read that is
 * already a batch (one MGET of a `getMany`, or the MGET of the `get`s of one tick) that only
 * adds a turn of latency and a pipeline object: a lone MGET of 64 keys took ~15 % longer than
 * on a client without auto-pipelining here. So when nothing is queued (`autoPipelineQueueSize`
 * is 0) the read is sent at once with `sendCommand`, as ioredis sends it without
 * auto-pipelining (same key prefix, same error stack option). Order is kept: commands queued
 * earlier would make the queue non-empty (then the read joins the queue behind them), commands
 * of a pipeline already running were written before it, and later ones queue behind it.
 */
import type { Redis } from 'ioredis';
import { loadIoredis } from './connection';

/** A client's hot-path reads (see the file comment). */
export interface DirectReads {
  getBuffer(key: string): Promise<Buffer | null>;
  mgetBuffer(keys: string[]): Promise<(Buffer | null)[]>;
}

export function directReads(redis: Redis): DirectReads {
  const io = loadIoredis('TieredCache');
  // A client of another copy of ioredis than ours: its own methods only.
  if (!((redis as unknown) instanceof io.Redis)) {
    return { getBuffer: (k) => redis.getBuffer(k), mgetBuffer: (ks) => redis.mgetBuffer(ks) };
  }
  const { Command } = io;
  type Sendable = Parameters<Redis['sendCommand']>[0];
  const sendNow = (name: string, args: string[]): Promise<unknown> => {
    const o = redis.options;
    const cmd = new Command(name, args, { keyPrefix: o.keyPrefix, replyEncoding: null, errorStack: o.showFriendlyErrorStack === true ? new Error() : undefined });
    return redis.sendCommand(cmd as unknown as Sendable) as Promise<unknown>;
  };
  const queued = (): boolean => redis.options.enableAutoPipelining === true && redis.autoPipelineQueueSize > 0;
  return {
    getBuffer: (k) => (queued() ? redis.getBuffer(k) : (sendNow('get', [k]) as Promise<Buffer | null>)),
    mgetBuffer: (ks) => (queued() ? redis.mgetBuffer(ks) : (sendNow('mget', ks) as Promise<(Buffer | null)[]>)),
  };
}
