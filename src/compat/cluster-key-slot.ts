/**
 * `ringcache/cluster-key-slot`: a drop-in for the `cluster-key-slot` npm package (the one
 * ioredis uses), with the same call shapes and return conventions but Redis-exact slots.
 *
 * That package (1.1.1 and 1.1.2) restarts its tag search at a later `{` after an empty
 * tag and encodes lone surrogates differently from Node, so it disagrees with Redis on keys
 * such as `foo{}{bar}` (Redis 8363, the package 4015), `{}}` and strings with lone surrogates.
 *
 * ```js
 * const generate = require('ringcache/cluster-key-slot');
 * generate('foo{}{bar}');            // 8363, as CLUSTER KEYSLOT says
 * generate.generateMulti(['{u}a', '{u}b']); // the shared slot, or -1 when they differ
 * ```
 */
import { keySlot } from '../cluster/key-slot';
import type { Key } from '../engine';
import { checkKeys } from '../validate';

/** The Redis Cluster slot of `key` (0..16383). */
function generate(key: Key): number {
  return keySlot(key);
}

/** The slot shared by all `keys`, or `-1` when they do not all map to the same slot. */
function generateMulti(keys: readonly Key[]): number {
  checkKeys(keys);
  if (keys.length === 0) throw new RangeError('Expected at least one key for keys but received an empty array');
  const base = keySlot(keys[0]);
  for (let i = 1; i < keys.length; i++) if (keySlot(keys[i]) !== base) return -1;
  return base;
}

interface ClusterKeySlot {
  (key: Key): number;
  generate: (key: Key) => number;
  generateMulti: (keys: readonly Key[]) => number;
  default: ClusterKeySlot;
}

const calculate = generate as ClusterKeySlot;
calculate.generate = generate;
calculate.generateMulti = generateMulti;
calculate.default = calculate;

export = calculate;
