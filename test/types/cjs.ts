/**
 * A CommonJS consumer of the packed ringcache (compiled by scripts/check-package.mjs with
 * moduleResolution node10 and node16): the default (require) and named exports of every subpath,
 * used with their real types. Under node10 the subpaths resolve only through "typesVersions".
 */
import ringcache = require('ringcache');
import { HashRing as RingClass, RingcacheError, keySlot, keySlots, type TieredCacheOptions } from 'ringcache';
import HashRing = require('ringcache/hashring');
import { type HashRingOptions } from 'ringcache/hashring';
import clusterKeySlot = require('ringcache/cluster-key-slot');
import { generate, generateMulti } from 'ringcache/cluster-key-slot';
import { HttpCache, HttpPurgeError, type RouteCacheOptions } from 'ringcache/http';

const slot: number = keySlot('user:{1001}:profile');
const slots: Uint16Array = keySlots(['a', 'b']);
const engine: 'native' | 'js' = ringcache.backend;
const direct: InstanceType<typeof RingClass> = new RingClass(['a:6379', 'b:6379']);
const options: TieredCacheOptions = { prefix: 'app:', l2: false };
const failed: boolean = new Error('x') instanceof RingcacheError;

const servers: HashRing.Servers = { '10.0.0.1:11211': 1, '10.0.0.2:11211': { vnodes: 40, weight: 2 } };
const ringOptions: HashRingOptions = { 'max cache size': 1000 };
const ring: HashRing = new HashRing(servers, 'md5', ringOptions);
const owner: string = ring.get('user:42');
const version: string = HashRing.version;

const same: boolean = clusterKeySlot('foo{}{bar}') === generate('foo{}{bar}') && clusterKeySlot.generate('x') === 0;
const multi: number = generateMulti(['{u}a', '{u}b']);

// A wrong type must fail the compile: this line is an error only if every subpath is really typed
// (were one of them `any`, the sum would be `any` and the directive unused, which is an error too).
// @ts-expect-error number is not assignable to string
const wrong: string = keySlot('a') + clusterKeySlot('b') + ring.getMany(['c']).length + HttpCache.length;

const route: RouteCacheOptions = { browserTtlMs: 1000, cdnTtlMs: 60_000 };
const purgeFailed: boolean = new Error('x') instanceof HttpPurgeError;

export { slot, slots, engine, direct, options, failed, owner, version, same, multi, wrong, route, purgeFailed };
