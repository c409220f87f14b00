/**
 * An ES module consumer of the packed ringcache (compiled by scripts/check-package.mjs with
 * module nodenext in a "type": "module" project, and with moduleResolution bundler): the default
 * and named exports of every subpath, used with their real types, through the "import" condition
 * (the .d.mts declarations of the dist/esm wrappers).
 */
import ringcache, { HashRing as RingClass, RingcacheError, keySlot, keySlots, type TieredCacheOptions } from 'ringcache';
import HashRing, { version } from 'ringcache/hashring';
import clusterKeySlot, { generate, generateMulti } from 'ringcache/cluster-key-slot';
import { HttpCache, HttpPurgeError, type RouteCacheOptions } from 'ringcache/http';

const slot: number = keySlot('user:{1001}:profile');
const slots: Uint16Array = ringcache.keySlots(['a', 'b']);
const sameFunction: boolean = ringcache.keySlots === keySlots;
const engine: 'native' | 'js' = ringcache.backend;
// The default export is module.exports, which has no `default` of its own.
const noNestedDefault: 'default' extends keyof typeof ringcache ? never : true = true;
const direct: RingClass = new ringcache.HashRing(['a:6379', 'b:6379']);
const options: TieredCacheOptions = { prefix: 'app:', l2: false };
const failed: boolean = new Error('x') instanceof RingcacheError;

const servers: HashRing.Servers = { '10.0.0.1:11211': 1, '10.0.0.2:11211': { vnodes: 40, weight: 2 } };
const ring: HashRing = new HashRing(servers, 'md5', { 'max cache size': 1000 });
const owner: string = ring.get('user:42');
const sameVersion: boolean = version === HashRing.version;

const same: boolean = clusterKeySlot('foo{}{bar}') === generate('foo{}{bar}') && clusterKeySlot.generate('x') === 0;
const multi: number = generateMulti(['{u}a', '{u}b']);

// A wrong type must fail the compile: this line is an error only if every subpath is really typed
// (were one of them `any`, the sum would be `any` and the directive unused, which is an error too).
// @ts-expect-error number is not assignable to string
const wrong: string = keySlot('a') + clusterKeySlot('b') + ring.getMany(['c']).length + version.length + HttpCache.length;

const route: RouteCacheOptions = { browserTtlMs: 1000, cdnTtlMs: 60_000 };
const purgeFailed: boolean = new Error('x') instanceof HttpPurgeError;

export { slot, slots, sameFunction, engine, noNestedDefault, direct, options, failed, owner, sameVersion, same, multi, wrong, route, purgeFailed };
