/**
 * A ring change in two steps, so that a change that throws leaves the ring as it was:
 * {@link planHashring} / {@link planKetama} validate the new server list and compute every
 * point that changes — all that can throw (a bad port or weight, the points limit, a custom
 * hash function) happens there, and nothing of the ring is touched — then {@link applyPlan}
 * writes the points into the continuum, which cannot fail on input (only on running out of
 * memory).
 */
import type { Engine } from '../engine';
import { sortPoints, type Continuum, type PointList } from './continuum';
import { MAX_RING_POINTS, digestCounts, loopCount, pointBase, type PointHasher } from './hashring-points';
import { MEMCACHED_DEFAULT_PORT, generateKetamaPoints, type KetamaMode, type KetamaServer } from './ketama';
import type { ServerEntry } from './parse-servers';

/** The placement a hashring-mode ring was last built with, to change it by difference. */
export interface Built {
  /** Name each owner's digests were made from. */
  bases: string[];
  /** Digests each owner has. */
  counts: number[];
  /** Points per digest. */
  replicas: number;
}

/** A computed ring change; {@link applyPlan} makes it the ring. */
export type RingPlan =
  | { kind: 'generation'; hashes: Uint32Array; owners: Uint32Array; ownerCount: number }
  | {
      kind: 'update';
      /** Start from an empty continuum (first build, or replicas changed). */
      fresh: boolean;
      remap: Int32Array | undefined;
      removals: PointList;
      additions: PointList;
      ownerCount: number;
      built: Built;
    };

const EMPTY_LIST: PointList = { values: new Uint32Array(0), owners: new Uint32Array(0) };

/** Points for digests `from … to-1` of each owner, in generation order then sorted. */
function generate(
  hasher: PointHasher,
  bases: readonly string[],
  from: readonly number[],
  to: readonly number[],
  replicas: number,
): PointList {
  let total = 0;
  for (let p = 0; p < bases.length; p++) if (to[p] > from[p]) total += (to[p] - from[p]) * replicas;
  if (total === 0) return EMPTY_LIST;
  const values = new Uint32Array(total);
  const owners = new Uint32Array(total);
  let at = 0;
  for (let p = 0; p < bases.length; p++) {
    for (let i = from[p]; i < to[p]; i++) {
      hasher.points(`${bases[p]}-${i}`, replicas, values, at);
      owners.fill(p, at, at + replicas);
      at += replicas;
    }
  }
  return sortPoints(values, owners);
}

/** What a hashring-mode plan reads from the ring. */
export interface HashringPlacement {
  hasher: PointHasher;
  vnodes: Record<string, number | undefined>;
  vnode: number;
  replicas: number;
  defaultport: unknown;
  /** The last build, or undefined after a reset (then the plan starts from nothing). */
  built: Built | undefined;
}

/**
 * hashring placement of `servers`, as the difference from the last build: each server matched
 * to a previous owner hashed from the same name (duplicates in order) keeps its points up to
 * its old digest count, so only the points that change are hashed.
 */
export function planHashring(servers: readonly ServerEntry[], ring: HashringPlacement): RingPlan {
  const n = servers.length;
  const counts = digestCounts(servers, ring.vnodes, ring.vnode);
  const bases = servers.map((s) => pointBase(s, ring.defaultport));
  const replicas = loopCount(ring.replicas);
  let total = 0;
  for (const c of counts) total += c * replicas;
  if (total > MAX_RING_POINTS) {
    throw new RangeError(`Expected at most ${MAX_RING_POINTS} ring points but these servers, weights, vnodes and replicas make ${total}`);
  }
  const fresh = !ring.built || ring.built.replicas !== replicas;
  const last: Built = fresh ? { bases: [], counts: [], replicas } : ring.built!;
  const previous = new Map<string, number[]>();
  last.bases.forEach((b, q) => {
    const list = previous.get(b);
    if (list) list.push(q);
    else previous.set(b, [q]);
  });
  const remap = new Int32Array(last.bases.length).fill(-1);
  const had = new Array<number>(n);
  for (let p = 0; p < n; p++) {
    const q = previous.get(bases[p])?.shift();
    if (q === undefined) had[p] = 0;
    else {
      remap[q] = p;
      had[p] = last.counts[q];
    }
  }
  return {
    kind: 'update',
    fresh,
    remap: last.bases.length > 0 ? remap : undefined,
    additions: generate(ring.hasher, bases, had, counts, replicas),
    removals: generate(ring.hasher, bases, counts, had, replicas),
    ownerCount: n,
    built: { bases, counts, replicas },
  };
}

/** A server as the ketama implementations see it: no port (`'host'`, `'host:x'`) is 11211. */
export function ketamaServer(s: ServerEntry): KetamaServer {
  return { host: s.host, port: Number.isNaN(s.port) ? MEMCACHED_DEFAULT_PORT : s.port, weight: s.weight, name: s.name };
}

/** Messages name a server by its string, as the caller wrote it: `servers['10.0.0.1:112111']`. */
export function labelByString(servers: readonly ServerEntry[], name = 'servers'): (i: number) => string {
  return (i) => `${name}['${servers[i].string}']`;
}

/** The whole continuum of a ketama implementation for `servers` (validated first). */
export function planKetama(mode: KetamaMode, servers: readonly ServerEntry[], engine: Engine): RingPlan {
  const { hashes, owners } = generateKetamaPoints(mode, servers.map(ketamaServer), engine, labelByString(servers));
  return { kind: 'generation', hashes, owners, ownerCount: servers.length };
}

/** Makes `plan` the continuum; returns the hashring-mode build to diff the next change against. */
export function applyPlan(continuum: Continuum, plan: RingPlan, built: Built | undefined): Built | undefined {
  if (plan.kind === 'generation') {
    continuum.setFromGeneration(plan.hashes, plan.owners, plan.ownerCount);
    return built;
  }
  if (plan.fresh) continuum.clear();
  continuum.update(plan.remap, plan.removals, plan.additions, plan.ownerCount);
  return plan.built;
}
