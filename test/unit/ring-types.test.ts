/**
 * The bundled types are a superset of @types/hashring: code written against it compiles
 * against `ringcache/hashring` unchanged (checked by `npm run typecheck`; the run below only
 * exercises the same calls). @types/hashring's surface is restated here from its index.d.ts
 * (DefinitelyTyped types/hashring), except `points()`, which it declares as returning an array
 * of records where hashring returns one record of arrays (fixed in ours).
 */
import { describe, expect, it } from 'vitest';
import HashRing from '../../src/hashring';

interface TypesOptions {
  'vnode count': number;
  'default port': number;
  compatibility: 'hash_ring' | 'ketama';
  replicas: number;
  'max cache size': number;
}
interface TypesServerConfig {
  vnodes: number;
  weight: number;
}
type TypesServers = string | ReadonlyArray<string> | Record<string, Partial<TypesServerConfig>>;
interface TypesHashRing {
  continuum(): this;
  get(key: string): string;
  range(key: string, size?: number, unique?: boolean): string[];
  swap(from: string, to: string): this;
  add(servers: TypesServers): this;
  remove(server: TypesServers): this;
  has(server: string): boolean;
  reset(): this;
  end(): this;
}

/** Every call shape @types/hashring allows. */
function asTypesUser(
  servers: TypesServers,
  algorithm: string | ((key: string) => string | Buffer) | undefined,
  options: Partial<TypesOptions>,
): TypesHashRing {
  const ring: TypesHashRing = new HashRing(servers, algorithm, options);
  const opts: HashRing.HashRingOptions = options;
  const config: Partial<HashRing.ServerConfig> = { vnodes: 1, weight: 2 } satisfies Partial<TypesServerConfig>;
  const spec: HashRing.Servers = servers;
  void opts;
  void config;
  void spec;
  const points: Record<string, number[]> = new HashRing(servers).points(servers);
  void points;
  return ring.add(servers).remove(servers).swap('a', 'b').continuum().reset().end();
}

describe('types: a superset of @types/hashring', () => {
  it('accepts every call shape of @types/hashring', () => {
    const ring = asTypesUser({ 'a:1': { weight: 2 }, 'b:1': { vnodes: 10 } }, 'md5', { compatibility: 'hash_ring', replicas: 3 });
    expect(ring.has('a:1')).toBe(false); // end() emptied it
    const fn = (key: string) => Buffer.from(key.padEnd(16, '-'));
    expect(typeof new HashRing(['x:1', 'y:1'], fn, { 'vnode count': 2 }).get('k')).toBe('string');
  });
});
