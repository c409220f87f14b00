/**
 * `ringcache/hashring`: a drop-in for the `hashring` package (3.2.0), same placement bit for
 * bit, same API; see `src/ring/hash-ring.ts` for what is kept, fixed and added.
 *
 * ```js
 * const HashRing = require('ringcache/hashring');   // was: require('hashring')
 * const ring = new HashRing({ '10.0.0.1:11211': 1, '10.0.0.2:11211': 2 });
 * ring.get('user:42');                               // the same server hashring picks
 * ring.getMany(['a', 'b', 'c']);                     // one engine call for the batch
 * ```
 *
 * The types are a superset of `@types/hashring` (namespace `HashRing.HashRingOptions`,
 * `HashRing.ServerConfig`, `HashRing.Servers`), with its wrong `points()` return type fixed.
 */
import {
  HashRing as Ring,
  type HashFunction as RingHashFunction,
  type HashRingOptions as RingOptions,
  type LookupCache,
  type RingNode as RingPoint,
  type ServerEntry,
  type ServersSpec,
} from './ring/hash-ring';

const HashRing = Ring;
type HashRing = Ring;

// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace HashRing {
  /** Constructor options (all optional). */
  type HashRingOptions = RingOptions;
  /** A server's weight and virtual nodes in an object spec. */
  interface ServerConfig {
    vnodes: number;
    weight: number;
    name?: string;
  }
  /** Servers: `'host:port'`, an array, or `{ 'host:port': weight | ServerConfig }`. */
  type Servers = ServersSpec;
  /** A parsed server (`ring.servers[i]`). */
  type Server = ServerEntry;
  /** A ring point (`ring.ring[i]`). */
  type Node = RingPoint;
  /** A custom hash function. */
  type HashFunction = RingHashFunction;
  /** `ring.cache`: hashring's lookup-cache interface (`get`, `set`, `del`, `reset`, `forEach`). */
  type Cache = LookupCache;
}

export = HashRing;
