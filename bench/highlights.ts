/**
 * Which rows a user comes for: the README's highlights table (`npm run bench:publish`) and the
 * headline `ringcache bench` prints first (one line per suite) are both picked from
 * {@link HIGHLIGHTS}, so the two never disagree on what a suite's result is.
 */
import type { BenchRow } from './lib';

/** One highlight: a row of `group`/`task`, against the group's baseline or the `vs` task. */
export interface Highlight {
  what: string;
  suite: string;
  /** The group's name; a pattern where the name holds the key count (`--keys`). */
  group: string | RegExp;
  /** The default engine's row; ring rows name it `ringcache (native)` (see {@link findHighlight}). */
  task: string;
  /** Compare with this task of the same group (ratio of medians) instead of the baseline. */
  vs?: string;
  /** What the number is per. @default 'key' */
  per?: string;
  /** Describes the comparison. */
  against: string;
  /**
   * Set on the one row per suite that `ringcache bench` puts in its headline (a row compared
   * with its group's baseline, no `vs`): the label it prints, plain text, without a count that
   * `--keys` could change.
   */
  headline?: string;
}

/**
 * The README's highlights: ringcache's default engine (`ringcache …` / `ringcache (native)`),
 * the favourable rows and the unfavourable ones (long keys, non-ASCII, 4 nodes, raw MGET); one
 * per suite is the headline: the comparison the suite exists for.
 */
export const HIGHLIGHTS: readonly Highlight[] = [
  { headline: 'md5Uint32, 11 B keys', what: '`md5Uint32`, 11 B keys', suite: 'hash', group: 'md5Uint32 11 B', task: 'ringcache md5Uint32', against: "node:crypto `crypto.hash('md5')` (one-shot)" },
  { what: '`md5Uint32`, 40–100 B keys', suite: 'hash', group: 'md5Uint32 40–100 B', task: 'ringcache md5Uint32', against: "`crypto.hash('md5')`" },
  { what: '`md5Uint32`, non-ASCII keys (`ключ:123`)', suite: 'hash', group: 'md5Uint32 non-ASCII (ключ:123)', task: 'ringcache md5Uint32', against: "`crypto.hash('md5')`" },
  { what: '`murmur3`, 11 B keys', suite: 'hash', group: 'murmur3 11 B', task: 'ringcache murmur3', against: '`murmurhash` v3' },
  { what: '`murmur3`, non-ASCII keys', suite: 'hash', group: 'murmur3 non-ASCII (ключ:123)', task: 'ringcache murmur3', against: '`murmurhash` v3' },
  { headline: 'keySlot, 11 B keys', what: '`keySlot`, 11 B keys', suite: 'slot', group: 'keySlot 11 B', task: 'ringcache keySlot', against: '`cluster-key-slot`' },
  { what: '`keySlot`, 40–100 B keys', suite: 'slot', group: 'keySlot 40–100 B', task: 'ringcache keySlot', against: '`cluster-key-slot`' },
  { what: '`keySlot`, non-ASCII keys (`ключ:123`)', suite: 'slot', group: 'keySlot non-ASCII (ключ:123)', task: 'ringcache keySlot', against: '`cluster-key-slot`' },
  { what: '`keySlot`, `{tag}` keys', suite: 'slot', group: 'keySlot {tag} 16–24 B', task: 'ringcache keySlot', against: '`cluster-key-slot`' },
  { what: '`packKeys` + `keySlotsPacked`, 11 B keys', suite: 'slot', group: 'keySlots batch 11 B', task: 'ringcache packKeys + keySlotsPacked', against: '`cluster-key-slot` in a loop' },
  { what: '`keySlotsPacked` alone (packed input only), 11 B', suite: 'slot', group: 'keySlots batch 11 B', task: 'ringcache keySlotsPacked (packed input only: packKeys not timed)', against: '`cluster-key-slot` in a loop' },
  { headline: 'HashRing.get, 10 servers, 11 B keys', what: '`HashRing.get`, uncached, 10 servers, 11 B', suite: 'ring', group: 'get uncached, 10 servers, 11 B keys, md5', task: 'ringcache (native) get', against: '`hashring` 3.2.0 `get`' },
  { what: '`HashRing.get`, uncached, 10 servers, 40–100 B', suite: 'ring', group: 'get uncached, 10 servers, 40-100 B keys, md5', task: 'ringcache (native) get', against: '`hashring` `get`' },
  { what: '`HashRing.get`, uncached, non-ASCII keys', suite: 'ring', group: 'get uncached, 10 servers, non-ASCII (ключ:123) keys, md5', task: 'ringcache (native) get', against: '`hashring` `get`' },
  { what: '`HashRing.get`, hot keys (both caches hit)', suite: 'ring', group: 'get hot keys (1000), 10 servers, 11 B keys, md5', task: 'ringcache (native) get', against: "`hashring`'s cached path" },
  { what: '`HashRing.getMany`, 1000 keys, 11 B', suite: 'ring', group: 'getMany 1000 keys, 10 servers, 11 B keys, md5', task: 'ringcache (native) getMany', against: '`hashring` `get` loop' },
  { what: 'murmur3 ring, `packKeys` + `getManyPacked`, 11 B', suite: 'ring', group: 'getManyPacked 1000 string keys of 11 B, 10 servers, murmur3', task: 'ringcache (native) murmur3 packKeys + getManyPacked, reused out', against: '`hashring` `get` loop (md5)' },
  { what: 'add or remove a server, 1000 servers', suite: 'ring', group: 'add or remove 1 server, 1000 servers (per add or per remove)', task: 'ringcache (native) add then remove', per: 'add or remove', against: '`hashring` (rebuilds the ring)' },
  { what: '`RingStore.get`, 1 in flight, 4 nodes', suite: 'store', group: 'GET, 1 in flight', task: 'RingStore get (4 nodes)', per: 'GET', against: 'ioredis `get` (auto-pipelining)' },
  { headline: 'RingStore.get over 4 nodes, 100 in flight', what: '`RingStore.get`, 100 in flight, 4 nodes', suite: 'store', group: 'GET, 100 in flight', task: 'RingStore get (4 nodes)', per: 'GET', against: 'ioredis `get` (auto-pipelining), one node' },
  { what: '`RingStore.mget`, 1000 keys over 4 nodes', suite: 'store', group: '1000 keys, 4 nodes', task: 'RingStore mget (1 MGET per node, 4 nodes)', against: 'one raw `MGET` of the 1000 keys on one node' },
  { headline: 'ClusterStore.mget over all slots', what: '`ClusterStore.mget`, 1000 keys over all slots', suite: 'cluster', group: /^mget \d+ keys over all slots$/, task: 'ClusterStore.mget (cross-slot scripts, Redis ≥ 7)', against: 'ioredis `Cluster` + `enableAutoPipelining`' },
  { what: '`ClusterStore.mget`, 1000 keys (vs hand-grouped)', suite: 'cluster', group: /^mget \d+ keys over all slots$/, task: 'ClusterStore.mget (cross-slot scripts, Redis ≥ 7)', vs: 'ioredis: hand-grouped GET pipeline per master', against: 'a GET pipeline per master, grouped by hand' },
  { what: '`ClusterStore.mget` (3 masters)', suite: 'cluster', group: 'vs a single node', task: 'ClusterStore.mget (3 masters, cross-slot scripts)', against: 'one `MGET` of 1000 keys on one node' },
  { headline: 'TieredCache.get, L1 hit', what: '`TieredCache.get`, L1 hit', suite: 'cache', group: 'L1 hit, async get', task: 'ringcache TieredCache.get (L1)', per: 'get', against: 'bentocache, memory driver, `serialize: false`' },
  { what: '`TieredCache.peek` (sync), L1 hit', suite: 'cache', group: 'L1 hit, sync', task: 'ringcache TieredCache.peek', per: 'get', against: 'raw lru-cache `get`' },
  { what: '`TieredCache.get`, L2 hit, 64 in flight', suite: 'cache', group: 'L2 hit, 64 in flight', task: 'ringcache TieredCache.get (L2)', per: 'get', against: 'DataLoader → one `MGET` + `JSON.parse`' },
  { what: '`TieredCache.get`, L2 hit, 64 in flight (vs raw MGET)', suite: 'cache', group: 'L2 hit, 64 in flight', task: 'ringcache TieredCache.get (L2)', vs: 'one raw MGET of the 64 keys, no parse', per: 'get', against: 'one raw `MGET` of the 64 keys (no parsing; a client without auto-pipelining)' },
  { what: '`TieredCache.get`, L2 hit, gets spread across ticks', suite: 'cache', group: 'L2 hit, 64 workers, gets spread across ticks', task: 'ringcache TieredCache.get (L2)', per: 'get', against: 'DataLoader → `MGET` + `JSON.parse`' },
  { what: '`TieredCache.getMany`, 64 keys', suite: 'cache', group: 'getMany, 64 keys', task: 'ringcache TieredCache.getMany (L2)', against: 'one raw `MGET` (no parsing; a client without auto-pipelining)' },
  { what: '`TieredCache.getMany`, 64 keys (vs the JSON floor)', suite: 'cache', group: 'getMany, 64 keys', task: 'ringcache TieredCache.getMany (L2)', vs: 'ioredis mget + JSON.parse (reference)', against: 'one raw `MGET` + `JSON.parse` per value' },
  { what: '`TieredCache.getMany`, 64 keys, `msgpackSerializer()`', suite: 'cache', group: 'getMany, 64 keys', task: 'ringcache TieredCache.getMany (L2, msgpackSerializer)', against: 'one raw `MGET` (no parsing; a client without auto-pipelining)' },
  { what: '`TieredCache.getMany`, 64 keys, `msgpackSerializer()` (vs an auto-pipelined MGET)', suite: 'cache', group: 'getMany, 64 keys', task: 'ringcache TieredCache.getMany (L2, msgpackSerializer)', vs: 'ioredis mget on an auto-pipelining client (one raw MGET, no parse)', against: 'one raw `MGET` on a client with `enableAutoPipelining` (as the cache\'s own)' },
  { what: '`TieredCache.getMany`, 64 keys, `msgpackSerializer()` (vs its floor)', suite: 'cache', group: 'getMany, 64 keys, MessagePack vs its floor', task: 'ringcache TieredCache.getMany (L2, msgpackSerializer)', against: 'raw `MGET` of the same bytes + msgpackr `unpack` of each value from one reused buffer' },
  { what: 'the MessagePack floor itself (raw `MGET` + msgpackr decoding)', suite: 'cache', group: 'getMany, 64 keys, MessagePack vs its floor', task: 'ioredis mgetBuffer + msgpackr unpack of each value from one reused buffer (floor)', vs: 'ioredis mget (one raw MGET, no parse)', against: 'one raw `MGET` (no decoding)' },
  { what: 'HTTP cached route, `HttpCache.node` (server CPU per request)', suite: 'http', group: 'GET, cached route (50 connections)', task: 'ringcache HttpCache.node, cached 200', per: 'request', against: 'bare `node:http` `res.end(buffer)`' },
  { what: 'HTTP cached route, `HttpCache.node`, vs sending the same response', suite: 'http', group: 'GET, cached route vs sending the same response', task: 'ringcache HttpCache.node, cached 200', per: 'request', against: 'bare `node:http` sending the same headers and body (`writeHead` + `end`)' },
  { what: 'HTTP 304, `HttpCache.node`', suite: 'http', group: 'GET, cached route (50 connections)', task: 'ringcache HttpCache.node, 304', per: 'request', against: 'bare `node:http` `res.end(buffer)`' },
  { headline: 'HttpCache.node cached route (server CPU per request)', what: 'HTTP cached route, `HttpCache.node`, vs Express + bentocache', suite: 'http', group: 'GET, vs Express + bentocache', task: 'ringcache HttpCache.node, cached 200', per: 'request', against: 'Express + bentocache (memory + Redis), `res.json`' },
  { what: 'HTTP cached route, `HttpCache.express`, vs Express + bentocache', suite: 'http', group: 'GET, vs Express + bentocache', task: 'ringcache HttpCache.express, cached 200', per: 'request', against: 'Express + bentocache (memory + Redis), `res.json`' },
  { what: 'the Express floor (a route sending the cached response, nothing else)', suite: 'http', group: 'GET, vs Express + bentocache', task: 'Express 5, the cached response as is (floor of an Express route)', per: 'request', against: 'Express + bentocache (memory + Redis), `res.json`' },
  { what: 'HTTP cached route, `HttpCache.express`, vs the Express floor', suite: 'http', group: 'GET, Express route vs the Express floor', task: 'ringcache HttpCache.express, cached 200', per: 'request', against: 'Express 5 route sending the same response, nothing else' },
];

/** The rows of a highlight in `rows`: its task, and the row it is compared with (the `vs` task or the baseline). */
export function findHighlight(rows: readonly BenchRow[], h: Highlight): { row: BenchRow; base: BenchRow | undefined; vs: boolean } | undefined {
  const inGroup = (r: BenchRow): boolean => r.suite === h.suite && (typeof h.group === 'string' ? r.group === h.group : h.group.test(r.group));
  // Without the native core the ring suite's default engine is the TS one, named so.
  const names = [h.task, h.task.replace('ringcache (native)', 'ringcache (TS)')];
  const row = names.map((n) => rows.find((r) => inGroup(r) && r.name === n)).find((r) => r !== undefined);
  if (!row) return undefined;
  const other = (name: string): BenchRow | undefined => rows.find((r) => r.suite === row.suite && r.group === row.group && r.name === name);
  if (h.vs === undefined) return { row, base: other(row.baseline), vs: false };
  const vs = other(h.vs);
  return vs ? { row, base: vs, vs: true } : undefined;
}

/**
 * The headline: one line per suite in `rows` (in their order) with its {@link Highlight.headline}
 * row's ratio to the group's baseline as the table shows it (median of the per-round ratios,
 * slowest–fastest round, ⚠ when unstable), e.g.
 * `ring   HashRing.get, 10 servers, 11 B keys: 15.80× faster than hashring get (12.77–17.39 over 5 rounds)`.
 */
export function headlineLines(rows: readonly BenchRow[]): string[] {
  const suites = [...new Set(rows.map((r) => r.suite))];
  const width = Math.max(...suites.map((s) => s.length)) + 2;
  return suites.map((suite) => {
    const h = HIGHLIGHTS.find((x) => x.suite === suite && x.headline !== undefined);
    const row = h && findHighlight(rows, h)?.row;
    if (!h || !row) return `${suite.padEnd(width)}${h?.headline ?? 'no headline row'}: not measured in this run`;
    const how = row.ratio >= 1 ? 'faster than' : 'the speed of';
    const spread = row.rounds > 1 ? ` (${row.ratioMin.toFixed(2)}–${row.ratioMax.toFixed(2)} over ${row.rounds} rounds)` : '';
    return `${suite.padEnd(width)}${h.headline}: ${row.ratio.toFixed(2)}× ${how} ${row.baseline}${spread}${row.unstable ? ' ⚠' : ''}`;
  });
}
