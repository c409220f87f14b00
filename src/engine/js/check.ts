/**
 * Cheap argument re-checks for the JS engine. The public layer (`src/validate.ts`) gives the
 * friendly messages; these make bad input throw the same classes, codes and (nearly) the same
 * messages as the native binding (`native/binding`), checked in the same order, so the two
 * engines fail alike: `TypeError` `ERR_INVALID_ARG_TYPE` for a wrong type or a detached
 * view, `RangeError` `ERR_OUT_OF_RANGE` for a bad value or length.
 */
import { types } from 'node:util';

type View = Uint8Array | Uint16Array | Uint32Array | Int32Array;
type MaybeDetachable = ArrayBufferLike & { readonly detached?: boolean };

/** `name`, or `name[index]` for an element of an argument (built only when throwing). */
function argName(name: string, index: number): string {
  return index < 0 ? name : `${name}[${index}]`;
}

/** A TypeError with the binding's code for a wrong type or a detached view. */
export function typeError(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
}

/** A RangeError with the binding's code for a bad value or length. */
export function rangeError(message: string): RangeError {
  return Object.assign(new RangeError(message), { code: 'ERR_OUT_OF_RANGE' });
}

/** What the native binding calls a received value in `must be X (received Y)`. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (ArrayBuffer.isView(value)) return types.isDataView(value) ? 'DataView' : value.constructor.name;
  if (Array.isArray(value)) return 'Array';
  return types.isArrayBuffer(value) ? 'ArrayBuffer' : 'object';
}

function mustBe(name: string, index: number, expected: string, value: unknown): TypeError {
  return typeError(`${argName(name, index)} must be ${expected} (received ${describe(value)})`);
}

/**
 * A detached buffer's views have length 0, so only empty views come here. Node 20 has no
 * `ArrayBuffer.prototype.detached`; there, a detached buffer is one a zero-length view cannot
 * be constructed over (the only allocation, and only for empty keys).
 */
function isDetached(view: View): boolean {
  const buffer = view.buffer as MaybeDetachable;
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

function detached(name: string, index: number): TypeError {
  return typeError(`${argName(name, index)} is detached (its ArrayBuffer was transferred)`);
}

/** A typed-array kind: its constructor, a realm-independent test and its name for messages. */
interface ViewKind<T extends View> {
  readonly ctor: abstract new (...args: never[]) => T;
  readonly is: (value: unknown) => boolean;
  /** `a`/`an` + type name. */
  readonly label: string;
}

export const UINT8: ViewKind<Uint8Array> = { ctor: Uint8Array, is: types.isUint8Array, label: 'a Uint8Array' };
export const UINT16: ViewKind<Uint16Array> = { ctor: Uint16Array, is: types.isUint16Array, label: 'a Uint16Array' };
export const UINT32: ViewKind<Uint32Array> = { ctor: Uint32Array, is: types.isUint32Array, label: 'a Uint32Array' };
export const INT32: ViewKind<Int32Array> = { ctor: Int32Array, is: types.isInt32Array, label: 'an Int32Array' };

/**
 * `value` as a live view of `kind`, else TypeError. `instanceof` is the fast test; `kind.is`
 * accepts views from another realm (vm contexts), as the native binding does. `length`, not
 * `byteLength`: on Node 20 the latter is a ~15 ns call, the former is inlined.
 */
export function checkView<T extends View>(value: unknown, kind: ViewKind<T>, name: string): T {
  if (!(value instanceof kind.ctor) && !kind.is(value)) throw mustBe(name, -1, kind.label, value);
  const view = value as T;
  if (view.length === 0 && isDetached(view)) throw detached(name, -1);
  return view;
}

/** A non-string key (`name[index]` with `index >= 0`) as a live Uint8Array, else TypeError. */
export function checkKeyBytes(value: unknown, name: string, index = -1): Uint8Array {
  if (!(value instanceof Uint8Array) && !types.isUint8Array(value)) {
    throw mustBe(name, index, 'a string or Uint8Array', value);
  }
  const bytes = value as Uint8Array;
  if (bytes.length === 0 && isDetached(bytes)) throw detached(name, index);
  return bytes;
}

/** Throws RangeError unless `out` has room for `count` results. */
export function checkRoom(out: { readonly length: number }, count: number, name: string): void {
  if (out.length < count) throw rangeError(`${name} length must be at least ${count} (received ${out.length})`);
}

/**
 * RangeError `out must not overlap <name>` when `out[0..count)` (what a call writes) shares
 * memory with `input`, as the binding's CheckApart. The engines write at different times (the
 * binding per chunk of 256 keys, this engine per key or in a hash pass before a search pass),
 * so a write that a later read sees would make them disagree; refusing it keeps them equal.
 * Overlap is detected through the `ArrayBuffer` object: two distinct SharedArrayBuffer objects
 * over one block (a postMessage round trip) look apart here, while the binding compares addresses.
 */
export function checkApart(out: View, count: number, input: View, name: string, index = -1): void {
  if (count === 0 || out.buffer !== input.buffer) return;
  const begin = out.byteOffset;
  const end = begin + count * out.BYTES_PER_ELEMENT;
  const inputBegin = input.byteOffset;
  const inputEnd = inputBegin + input.byteLength;
  if (inputBegin === inputEnd || end <= inputBegin || inputEnd <= begin) return;
  throw rangeError(`out must not overlap ${argName(name, index)}`);
}

/** A key of a batch: a string, or a live Uint8Array apart from `out[0..count)`. */
export function checkBatchKey(value: unknown, index: number, out: View, count: number): string | Uint8Array {
  if (typeof value === 'string') return value;
  const bytes = checkKeyBytes(value, 'keys', index);
  checkApart(out, count, bytes, 'keys', index);
  return bytes;
}

/**
 * The RangeError for an offset that no longer passes {@link checkPacked} when the loop reads it:
 * only another thread writing a shared `offsets` can do that. Same text as the binding's.
 */
export function offsetsChanged(index: number, value: number, dataLength: number): RangeError {
  return rangeError(
    `offsets changed during the call (offsets[${index}] = ${value} is below offsets[${index - 1}] or past data.length ${dataLength})`,
  );
}

/** `value` as an array (its elements are checked where they are used), else TypeError. */
export function checkArray(value: unknown, name: string): readonly unknown[] {
  if (!Array.isArray(value)) throw mustBe(name, -1, 'an Array', value);
  return value;
}

/** `value` as a number, else TypeError. */
export function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw mustBe(name, -1, 'a number', value);
  return value;
}

/**
 * A finite number as uint32, as the binding's GetUint32: truncated, then mod 2^32 (what
 * `>>> 0` does); NaN and ±Infinity are a RangeError.
 */
export function checkUint32(value: unknown, name: string): number {
  const x = checkNumber(value, name);
  if (x - x !== 0) throw rangeError(`${name} must be a finite number`);
  return x >>> 0;
}

/**
 * Checks packed keys (`offsets` non-empty, non-decreasing, the last `<= data.length`) and
 * returns how many there are: `offsets.length - 1`. Empty offsets are a RangeError, as in
 * the native binding (a packed batch of n keys always has n + 1 offsets). This check gives bad
 * input its error before anything is written; the loops still read each offset once and check
 * it where they use it (a shared `offsets` may change after this check: {@link offsetsChanged}).
 */
export function checkPacked(data: Uint8Array, offsets: Uint32Array): number {
  const n = offsets.length;
  if (n === 0) throw rangeError('offsets must hold at least one entry (keys + 1 offsets)');
  for (let i = 1; i < n; i++) {
    if (offsets[i] < offsets[i - 1]) {
      throw rangeError(`offsets must be non-decreasing (offsets[${i}] < offsets[${i - 1}])`);
    }
  }
  if (offsets[n - 1] > data.length) {
    throw rangeError(`offsets must not pass data.length ${data.length} (last is ${offsets[n - 1]})`);
  }
  return n - 1;
}
