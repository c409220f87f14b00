/**
 * What a real redis-server executed, from its own `INFO commandstats`: counts that do not depend
 * on how the client batched, pipelined or retried (the server saw one MGET, or it did not).
 */
import { redisInfo } from './redis-server';

/** Calls per command (lower-case name, e.g. `mget`, `get`, `set`) since the last reset. */
export async function commandCalls(port: number): Promise<Record<string, number>> {
  const info = await redisInfo(port, 'commandstats');
  const out: Record<string, number> = {};
  for (const [k, v] of info) {
    const m = /^cmdstat_(.+)$/.exec(k);
    const calls = /(?:^|,)calls=(\d+)/.exec(v);
    if (m && calls) out[m[1]] = Number(calls[1]);
  }
  return out;
}

/** The calls of `commands` since `before` (a {@link commandCalls} result), 0 for none. */
export async function callsSince(port: number, before: Record<string, number>, commands: readonly string[]): Promise<Record<string, number>> {
  const now = await commandCalls(port);
  return Object.fromEntries(commands.map((c) => [c, (now[c] ?? 0) - (before[c] ?? 0)]));
}
