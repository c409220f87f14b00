/**
 * One soak worker (a child process of the coordinator): its own TieredCache with a bus and a
 * lease lock over the profile's L2, a connection to the database of record, and a few async
 * loops running mixed operations until the duration ends or the coordinator says stop. Every
 * operation is logged (see history.ts); resource samples go to a second file.
 *
 * Writes: each key has one owner worker (index of the key mod workers), which serializes its
 * writes of that key, so the order in which writers reach the cache is the database's order and
 * a stale value can only come from the cache, never from two writers racing each other.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { ClusterStore } from '../../src/stores/cluster-store';
import { RingStore } from '../../src/stores/ring-store';
import { TieredCache } from '../../src/cache/tiered-cache';
import type { KeyValueStore } from '../../src/stores/store';
import type { OpKind, OpRecord } from './history';
import { prng } from '../../bench/lib';
import { now } from './clock';
import { SOAK_CACHE, SOAK_KEYS, SOAK_NAMESPACES, type WorkerConfig } from './config';

type Value = { v: number };


const cfg = JSON.parse(process.argv[2]) as WorkerConfig;
const rnd = prng(cfg.seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const LOOPS = 4;

function makeStore(): KeyValueStore {
  if (cfg.profile === 'cluster') {
    return new ClusterStore(cfg.clusterNodes!, { clusterOptions: { natMap: cfg.natMap }, replicaAck: cfg.replicaAck ? { replicas: 1, timeoutMs: 1000 } : undefined });
  }
  // The Sentinel group is the ring's one node with a replica: replica acknowledgement applies to it.
  return new RingStore([...cfg.ringNodes!, { node: { ...cfg.sentinel! }, id: 'sentinel-group', replicaAck: cfg.replicaAck ? { replicas: 1, timeoutMs: 1000 } : false }]);
}

const store = makeStore();
const coord = cfg.profile === 'ring' ? new Redis({ host: '127.0.0.1', port: cfg.coordPort!, lazyConnect: false }) : undefined;
const cache = new TieredCache<Value>({
  name: cfg.name,
  l2: store,
  ttlMs: SOAK_CACHE.ttlMs,
  graceMs: SOAK_CACHE.graceMs,
  l2TimeoutMs: SOAK_CACHE.l2TimeoutMs,
  l1: { ...SOAK_CACHE.l1 },
  bus: cfg.sabotage === 'no-bus' ? false : { degradedL1TtlMs: SOAK_CACHE.degradedL1TtlMs, ...(coord ? { client: coord } : {}) },
  lock: { leaseMs: SOAK_CACHE.lockLeaseMs, waitMs: SOAK_CACHE.lockWaitMs, ...(coord ? { client: coord } : {}) },
});
const views = new Map(SOAK_NAMESPACES.map((ns) => [ns, cache.namespace<Value>(ns)]));
const db = new Redis({ host: '127.0.0.1', port: cfg.dbPort });

// stale:served events by internal key (`@ns@key`), with their times.
const staleAt = new Map<string, number[]>();
cache.on('stale:served', (p) => {
  const k = String(p.key);
  let l = staleAt.get(k);
  if (l === undefined) staleAt.set(k, (l = []));
  l.push(now());
  if (l.length > 50) l.shift();
});
const internal = (k: string): string => {
  const [ns, key] = k.split('/');
  return `@${ns}@${key}`;
};
const staleServed = (keys: string[], start: number, end: number): string[] =>
  keys.filter((k) => (staleAt.get(internal(k)) ?? []).some((t) => t >= start && t <= end));

let buffer: string[] = [];
const flush = (): void => {
  if (buffer.length === 0) return;
  appendFileSync(cfg.logFile, buffer.join(''));
  buffer = [];
};
const log = (r: OpRecord): void => {
  buffer.push(JSON.stringify(r) + '\n');
  if (buffer.length >= 500) flush();
};

const allKeys: string[] = [];
for (const ns of SOAK_NAMESPACES) for (let i = 0; i < SOAK_KEYS; i++) allKeys.push(`${ns}/k${i}`);
const owned = allKeys.filter((_, i) => i % cfg.workers === cfg.index);
const tagOf = (k: string): string => `t${Number(k.split('/k')[1]) % 4}`;
const viewOf = (k: string): TieredCache<Value> => views.get(k.split('/')[0] as 'a')!;
const bare = (k: string): string => k.split('/')[1];

async function load(k: string): Promise<Value> {
  const v = await db.get(`db:${k}`);
  return { v: v === null ? 0 : Number(v) };
}

async function read(op: OpKind, keys: string[]): Promise<void> {
  const ns = keys[0].split('/')[0];
  const view = viewOf(keys[0]);
  const ks = keys.map(bare);
  const start = now();
  const rec: OpRecord = { t: 'op', p: cfg.name, op, keys, start, end: 0, ok: true };
  try {
    let vals: (Value | undefined)[];
    if (op === 'getOrSet') vals = [await view.getOrSet(ks[0], () => load(keys[0]), { tags: [tagOf(keys[0])] })];
    else if (op === 'get') vals = [await view.get(ks[0])];
    else if (op === 'getMany') vals = await view.getMany(ks);
    else
      vals = await view.getOrSetMany(ks, async (missing) => Promise.all(missing.map((m) => load(`${ns}/${m}`))), {
        // getOrSetMany takes one tag list for the batch: tag every key's tag.
        tags: [...new Set(keys.map(tagOf))],
      });
    rec.got = vals.map((x) => (x === undefined ? null : x.v));
  } catch (err) {
    rec.ok = false;
    rec.err = `${(err as Error).name}: ${(err as Error).message}`;
  }
  rec.end = now();
  const ss = staleServed(keys, start, rec.end);
  if (ss.length > 0) rec.staleServed = ss;
  log(rec);
}

const writing = new Map<string, Promise<void>>();
async function write(k: string): Promise<void> {
  const prev = writing.get(k);
  if (prev !== undefined) return; // the loop picks another op; writes of one key never overlap
  const r = rnd();
  const op: OpKind = r < 0.55 ? 'write-set' : r < 0.8 ? 'write-delete' : r < 0.97 ? 'write-tag' : 'write-clear';
  const p = (async () => {
    const view = viewOf(k);
    const rec: OpRecord = { t: 'op', p: cfg.name, op, keys: [k], start: now(), end: 0, ok: true };
    try {
      rec.wrote = await db.incr(`db:${k}`);
      if (op === 'write-set') await view.set(bare(k), { v: rec.wrote }, { tags: [tagOf(k)] });
      else if (op === 'write-delete') await view.delete(bare(k));
      else if (op === 'write-tag') await view.deleteByTag(tagOf(k));
      else await view.clear();
    } catch (err) {
      rec.ok = false;
      rec.err = `${(err as Error).name}: ${(err as Error).message}`;
    }
    rec.end = now();
    log(rec);
  })();
  writing.set(k, p);
  try {
    await p;
  } finally {
    writing.delete(k);
  }
}

let stopping = false;
process.on('message', (m) => {
  if (m === 'stop') stopping = true;
});
process.on('disconnect', () => {
  stopping = true;
});

async function loop(): Promise<void> {
  const deadline = now() + cfg.durationMs;
  while (!stopping && now() < deadline) {
    const r = rnd();
    const ns = pick(SOAK_NAMESPACES);
    const sample = (n: number): string[] => {
      const s = new Set<string>();
      while (s.size < n) s.add(`${ns}/k${Math.floor(rnd() * SOAK_KEYS)}`);
      return [...s];
    };
    if (r < 0.4) await read('getOrSet', sample(1));
    else if (r < 0.5) await read('get', sample(1));
    else if (r < 0.6) await read('getMany', sample(3));
    else if (r < 0.7) await read('getOrSetMany', sample(3));
    else await write(pick(owned));
    // A short pause keeps 4 workers × 4 loops from saturating a shared 2-core machine.
    await new Promise((res) => setTimeout(res, 2 + Math.floor(rnd() * 6)));
  }
}

/** Resource samples (heap, RSS, active handles by type, the cache's listeners), one per second. */
function sample(): void {
  const m = process.memoryUsage();
  const res: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) res[r] = (res[r] ?? 0) + 1;
  const s = { t: now(), heapUsed: m.heapUsed, rss: m.rss, resources: res, l1: cache.stats().l1.size, l1Bytes: cache.stats().l1.bytes };
  appendFileSync(cfg.sampleFile, JSON.stringify(s) + '\n');
}

async function main(): Promise<void> {
  writeFileSync(cfg.logFile, '');
  writeFileSync(cfg.sampleFile, '');
  await cache.ready().catch(() => {});
  const sampler = setInterval(sample, 1000);
  const flusher = setInterval(flush, 1000);
  process.send?.('started');
  await Promise.all(Array.from({ length: LOOPS }, loop));
  clearInterval(sampler);
  clearInterval(flusher);
  flush();
  await cache.close().catch(() => {});
  await store.close().catch(() => {});
  db.disconnect();
  coord?.disconnect();
  process.send?.('done');
  process.exit(0);
}

main().catch((err) => {
  flush();
  process.stderr.write(`worker ${cfg.name} crashed: ${(err as Error).stack}\n`);
  process.exit(2);
});
