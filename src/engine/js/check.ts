/**
 * Cheap argument re-checks for the JS engine. The public layer (`src/validate.ts`) gives the
 * friendly messages; these only guarantee that bad input throws `TypeError`/`RangeError`
 * (as the native binding does) instead of hashing garbage. Messages name the argument.
 */
import { types } from 'node:util';

type MaybeDetachable = ArrayBufferLike & { readonly detached?: boolean };
type View = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/** A typed-array kind: its constructor, a realm-independent test and its name for messages. */
interface ViewKind<T extends View> {
  readonly ctor: abstract new (...args: never[]) => T;
  readonly is: (value: unknown) => boolean;
  /** Type name for messages. */
  readonly type: string;
  /** `a`/`an` + type. */
  readonly label: string;
}

export const UINT8: ViewKind<Uint8Array> = { ctor: Uint8Array, is: types.isUint8Array, type: 'Uint8Array', label: 'a Uint8Array' };
export const UINT16: ViewKind<Uint16Array> = { ctor: Uint16Array, is: types.isUint16Array, type: 'Uint16Array', label: 'a Uint16Array' };
export const UINT32: ViewKind<Uint32Array> = { ctor: Uint32Array, is: types.isUint32Array, type: 'Uint32Array', label: 'a Uint32Array' };
export const INT32: ViewKind<Int32Array> = { ctor: Int32Array, is: types.isInt32Array, type: 'Int32Array', label: 'an Int32Array' };

function isDetached(view: View): boolean {
  return (view.buffer as MaybeDetachable).detached === true;
}

/**
 * `value` as a live view of `kind`, else TypeError. `instanceof` is the fast test; `kind.is`
 * accepts views from another realm (vm contexts), as the native binding does. A detached
 * buffer's views report length 0, so only empty views pay for the look at `.buffer`
 * (`ArrayBuffer.prototype.detached` is Node >= 20; older Nodes skip the check). `length`,
 * not `byteLength`: on Node 20 the latter is a ~15 ns call, the former is inlined.
 */
export function checkView<T extends View>(value: unknown, kind: ViewKind<T>, name: string): T {
  if (!(value instanceof kind.ctor) && !kind.is(value)) throw new TypeError(`${name} must be ${kind.label}`);
  const view = value as T;
  if (view.length === 0 && isDetached(view)) {
    throw new TypeError(`${name} must not be a detached ${kind.type}`);
  }
  return view;
}

/**
 * A non-string key as a live Uint8Array (Buffers included), else TypeError. With `index >= 0`
 * the message names `name[index]` (built only when throwing: batch loops stay concat-free).
 */
export function checkKeyBytes(value: unknown, name: string, index = -1): Uint8Array {
  if (value instanceof Uint8Array || types.isUint8Array(value)) {
    const bytes = value as Uint8Array;
    if (bytes.length !== 0 || !isDetached(bytes)) return bytes;
  }
  const what = index < 0 ? name : `${name}[${index}]`;
  if (value instanceof Uint8Array || types.isUint8Array(value)) {
    throw new TypeError(`${what} must not be a detached Uint8Array`);
  }
  throw new TypeError(`${what} must be a string or Uint8Array`);
}

/** Throws RangeError unless `out` has room for `count` results. */
export function checkRoom(out: { readonly length: number }, count: number, name: string): void {
  if (out.length < count) throw new RangeError(`${name} must have length >= ${count} (received ${out.length})`);
}

/** `value` as an array (its elements are checked where they are used), else TypeError. */
export function checkArray(value: unknown, name: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array`);
  return value;
}

/** `value` as a number (callers convert with `>>> 0`, as napi_get_value_uint32 does), else TypeError. */
export function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  return value;
}

/**
 * Checks packed keys (`offsets` non-decreasing, each `<= data.length`) and returns how many
 * there are: `offsets.length - 1`, or 0 for empty offsets.
 */
export function checkPacked(data: Uint8Array, offsets: Uint32Array): number {
  const len = data.length;
  let prev = 0;
  for (let i = 0; i < offsets.length; i++) {
    const o = offsets[i];
    if (o < prev || o > len) {
      throw new RangeError(`offsets must be non-decreasing and <= data.length (${len}); offsets[${i}] is ${o}`);
    }
    prev = o;
  }
  return offsets.length === 0 ? 0 : offsets.length - 1;
}
