/**
 * Redis Cluster key slots (0..16383), Redis-exact: `CRC16(key) mod 16384`, where a hash tag —
 * the bytes between the first `{` and the first `}` after it — replaces the key when it is
 * non-empty. `{}` (an empty tag) means the whole key is hashed: `keySlot('foo{}{bar}')` is 8363.
 */
import { engine, utf8Length, writeUtf8, type Key } from '../engine';
import { checkKey, checkPackedKeys, checkTypedArray, describe, keyList } from '../validate';

/** Number of Redis Cluster hash slots. */
export const SLOT_COUNT = 16384;

/** The Redis Cluster slot of `key`. */
export function keySlot(key: Key): number {
  checkKey(key);
  return engine.keySlot(key);
}

function outFor(n: number, out: Uint16Array | undefined, name: string): Uint16Array {
  if (out === undefined) return new Uint16Array(n);
  checkTypedArray(out, Uint16Array, name);
  if (out.length < n) {
    throw new RangeError(`Expected a Uint16Array of length >= ${n} for ${name} but received length ${out.length}`);
  }
  return out;
}

/**
 * Slots of many keys in one call (one native crossing). Writes into `out` when given (its
 * length must be at least `keys.length`) and returns it; else returns a new `Uint16Array`.
 */
export function keySlots(keys: readonly Key[], out?: Uint16Array): Uint16Array {
  const list = keyList(keys);
  const res = outFor(list.length, out, 'out');
  engine.keySlots(list, res);
  return res;
}

/**
 * The fastest shape: byte keys packed into one `Uint8Array`, key `i` being
 * `data.subarray(offsets[i], offsets[i + 1])` (so `offsets.length` is the key count + 1).
 * Offsets must be non-decreasing and within `data` (the engine checks them all before
 * writing anything, and throws a RangeError naming `offsets`).
 */
export function keySlotsPacked(data: Uint8Array, offsets: Uint32Array, out?: Uint16Array): Uint16Array {
  const res = outFor(checkPackedKeys(data, offsets), out, 'out');
  engine.keySlotsPacked(data, offsets, res);
  return res;
}

/**
 * Packs keys for {@link keySlotsPacked} (and packed ring lookups): strings as UTF-8.
 */
export function packKeys(keys: readonly Key[]): { data: Uint8Array; offsets: Uint32Array } {
  const list = keyList(keys);
  // Two passes over the keys (byte lengths, then bytes straight into one array): no Buffer
  // per string key, which cost more than hashing the packed keys afterwards.
  const offsets = new Uint32Array(list.length + 1);
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    const k = list[i];
    total += typeof k === 'string' ? utf8Length(k) : k.length;
    if (total > 0xffffffff) throw new RangeError(`Expected at most 4 GiB of keys but received more (${describe(keys)})`);
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < list.length; i++) {
    const k = list[i];
    if (typeof k === 'string') writeUtf8(k, data, offsets[i]);
    else data.set(k, offsets[i]);
  }
  return { data, offsets };
}
