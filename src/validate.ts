/**
 * Argument validation for the public API. Messages follow `Expected X for Y but received Z`
 * and name the argument, so a bad call is fixed from the message alone.
 */
import { types } from 'node:util';
import type { Key } from './engine';

/** Short, safe description of a received value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `string of length ${value.length}` : `string '${value}'`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'symbol':
      return 'symbol';
    case 'function':
      return 'function';
    default: {
      const ctor = (value as { constructor?: { name?: unknown } }).constructor;
      const name = ctor && typeof ctor.name === 'string' ? ctor.name : 'object';
      return Array.isArray(value) ? `Array of length ${value.length}` : `${name}`;
    }
  }
}

/**
 * Whether a view's buffer is detached (transferred). Node 20 has no
 * `ArrayBuffer.prototype.detached`; a detached buffer has length 0 and refuses to be viewed,
 * so only empty views pay for the check.
 */
export function isDetached(v: ArrayBufferView): boolean {
  const buf = v.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buf.detached === 'boolean') return buf.detached;
  if (v.byteLength !== 0) return false;
  try {
    new Uint8Array(buf, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The element type of a typed array (`'Uint8Array'`, …) from its internal slot, whatever realm
 * made it (`%TypedArray%.prototype[Symbol.toStringTag]`); undefined for anything else, a
 * DataView included.
 */
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined;

/**
 * Whether `value` is a typed array of element type `ctor`, from this realm or another (a `vm`
 * context, some test runners): `instanceof` first, then `ArrayBuffer.isView` plus the element type.
 */
export function isTypedArray<T extends ArrayBufferView>(value: unknown, ctor: abstract new (...args: never[]) => T): value is T {
  return value instanceof ctor || (ArrayBuffer.isView(value) && typedArrayName.call(value) === ctor.name);
}

/** Whether `value` is bytes: a Uint8Array (Buffer included) from any realm. */
export function isBytes(value: unknown): value is Uint8Array {
  return isTypedArray(value, Uint8Array);
}

/** Throws unless `key` is a string or a live Uint8Array (Buffer included, any realm). */
export function checkKey(key: unknown, name = 'key'): asserts key is Key {
  if (typeof key === 'string') return;
  if (isBytes(key)) {
    if (isDetached(key)) throw new TypeError(`Expected a live Uint8Array for ${name} but received a detached one`);
    return;
  }
  throw new TypeError(`Expected string or Uint8Array for ${name} but received ${describe(key)}`);
}

/**
 * `keys` as a plain array of keys for an engine, else a TypeError naming it. Whatever
 * `Array.isArray` accepts is accepted: a Proxy-wrapped array (Vue/MobX reactive arrays) is
 * copied first — the native binding reads only real arrays, and the copy is what gets checked,
 * so a Proxy cannot answer differently later — and the engines never see one.
 */
export function keyList(keys: unknown, name = 'keys'): readonly Key[] {
  if (!Array.isArray(keys)) throw new TypeError(`Expected an array for ${name} but received ${describe(keys)}`);
  const list: unknown[] = types.isProxy(keys) ? Array.from(keys) : keys;
  for (let i = 0; i < list.length; i++) {
    const k: unknown = list[i];
    // Strings pass without a call; the element's name is only built for the error message.
    if (typeof k !== 'string') checkKey(k, `${name}[${i}]`);
  }
  return list as readonly Key[];
}

/** Throws unless `keys` is an array of keys (see {@link keyList}, which also gives the array to use). */
export function checkKeys(keys: unknown, name = 'keys'): asserts keys is readonly Key[] {
  keyList(keys, name);
}

/** Throws unless `value` is a typed array of `ctor`'s element type (any realm) and not detached. */
export function checkTypedArray<T extends ArrayBufferView>(
  value: unknown,
  ctor: abstract new (...args: never[]) => T,
  name: string,
): asserts value is T {
  if (!isTypedArray(value, ctor)) {
    throw new TypeError(`Expected ${ctor.name} for ${name} but received ${describe(value)}`);
  }
  if (isDetached(value as ArrayBufferView)) throw new TypeError(`Expected a live ${ctor.name} for ${name} but received a detached one`);
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`Expected an integer for ${name} but received ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`Expected an integer in ${min}..${max} for ${name} but received ${value}`);
  }
}

/** Throws unless `out` is undefined or an Array (the optional output array of batch lookups). */
export function checkOutArray(out: unknown): asserts out is unknown[] | undefined {
  if (out !== undefined && !Array.isArray(out)) throw new TypeError(`Expected an array for out but received ${describe(out)}`);
}

/**
 * Checks packed keys' arrays: key `i` is `data[offsets[i] … offsets[i + 1])`, so a batch of n
 * keys has n + 1 offsets and an empty `offsets` is a RangeError on every packed call. (The
 * engines check order and bounds before writing anything.) Returns the number of keys.
 */
export function checkPackedKeys(data: unknown, offsets: unknown): number {
  checkTypedArray(data, Uint8Array, 'data');
  checkTypedArray(offsets, Uint32Array, 'offsets');
  if (offsets.length === 0) {
    throw new RangeError('Expected at least one entry (keys + 1 offsets) for offsets but received an empty Uint32Array');
  }
  return offsets.length - 1;
}
