/**
 * MessagePack values for L2, on msgpackr (an optional peer dependency, loaded only when this
 * serializer is chosen). Standard MessagePack maps (msgpackr's record extension off), so the
 * bytes stay readable by any MessagePack decoder and by instances started at another time: the
 * record extension would tie each message to structures one process has seen.
 *
 * Against JSON: unpacking is ~1.4–1.9× cheaper per value than `JSON.parse` on small objects
 * (bench/cache.bench.ts has the `getMany` row), payloads are ~20 % smaller, and `Date`,
 * `undefined` inside objects, typed arrays and `Map`s (as objects) survive as msgpackr defines.
 */
import { MissingDependencyError } from '../errors';
import { withJoinedDecode, type Serializer } from './serializer';

/** What the serializer uses of msgpackr. */
interface MsgpackrModule {
  Packr: new (options: { useRecords: boolean; copyBuffers: boolean }) => {
    pack(value: unknown): Uint8Array;
    unpack(data: Uint8Array): unknown;
    unpackMultiple(data: Uint8Array, forEach: (value: unknown, start: number, end: number) => unknown): unknown;
  };
}

/** Loads msgpackr through `load` (Node's `require`; a test passes one that fails). */
export function loadMsgpackr(load: (id: string) => unknown = require): MsgpackrModule {
  try {
    // msgpackr is an optional peer dependency: only this serializer needs it.
    return load('msgpackr') as MsgpackrModule;
  } catch (err) {
    throw new MissingDependencyError(
      'msgpackSerializer() needs the optional peer dependency msgpackr (>= 1.10), which could not be loaded.\n' +
        'Possible solutions:\n- npm install msgpackr\n- or keep the default JSON serializer',
      { cause: err },
    );
  }
}

/**
 * A {@link Serializer} writing MessagePack with msgpackr. Throws `MissingDependencyError` when
 * msgpackr is not installed. Every instance of a fleet must use the same serializer: a JSON
 * entry read by this one (or the reverse) fails to decode and counts as a miss.
 *
 * @example new TieredCache({ l2: redis, serializer: msgpackSerializer() })
 */
export function msgpackSerializer(): Serializer {
  const { Packr } = loadMsgpackr();
  // copyBuffers: binary values inside a value are copies, never views of the reply (or of a
  // batch's joined bytes): a cached value must not pin, or change with, a socket chunk.
  const packr = new Packr({ useRecords: false, copyBuffers: true });
  const serializer: Serializer = Object.freeze({
    serialize(value: unknown): Uint8Array {
      return packr.pack(value);
    },
    deserialize(data: string | Buffer): unknown {
      return packr.unpack(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    },
  });
  // A batch's payloads decode in one unpackMultiple: msgpackr's per-call setup (with
  // msgpackr-extract, a native string pre-pass per call) is paid once per batch, not per value
  // (~0.8 µs a value less on 64 small objects here). MessagePack values are self-delimiting, so
  // the batch is used only when every value ends exactly where its payload ends.
  return withJoinedDecode(serializer, (joined, ends) => {
    const values = new Array<unknown>(ends.length);
    let n = 0;
    try {
      packr.unpackMultiple(joined, (value, _start, end) => {
        if (n >= ends.length || end !== ends[n]) {
          n = -1;
          return false;
        }
        values[n++] = value;
        return true;
      });
    } catch {
      return undefined;
    }
    return n === ends.length ? values : undefined;
  });
}
