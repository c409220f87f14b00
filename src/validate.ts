/**
 * Argument validation for the public API. Messages follow `Expected X for Y but received Z`
 * and name the argument, so a bad call is fixed from the message alone.
 */
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

/** Throws unless `key` is a string or a live Uint8Array (Buffer included). */
export function checkKey(key: unknown, name = 'key'): asserts key is Key {
  if (typeof key === 'string') return;
  if (key instanceof Uint8Array) {
    if (isDetached(key)) throw new TypeError(`Expected a live Uint8Array for ${name} but received a detached one`);
    return;
  }
  throw new TypeError(`Expected string or Uint8Array for ${name} but received ${describe(key)}`);
}

/** Throws unless `keys` is an array of keys. */
export function checkKeys(keys: unknown, name = 'keys'): asserts keys is readonly Key[] {
  if (!Array.isArray(keys)) throw new TypeError(`Expected an array for ${name} but received ${describe(keys)}`);
  for (let i = 0; i < keys.length; i++) {
    const k: unknown = keys[i];
    // Strings pass without a call; the element's name is only built for the error message.
    if (typeof k !== 'string') checkKey(k, `${name}[${i}]`);
  }
}

/** Throws unless `value` is an instance of `ctor` (exact typed-array kind) and not detached. */
export function checkTypedArray<T extends ArrayBufferView>(
  value: unknown,
  ctor: abstract new (...args: never[]) => T,
  name: string,
): asserts value is T {
  if (!(value instanceof ctor)) {
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
