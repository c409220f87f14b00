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
import { withPayloadDecode, type Serializer } from './serializer';

/** What the serializer uses of msgpackr. */
interface MsgpackrModule {
  Packr: new (options: { useRecords: boolean; copyBuffers: boolean }) => {
    pack(value: unknown): Uint8Array;
    /** `end`: decode `data[0…end)`, which must hold exactly one value. */
    unpack(data: Uint8Array, end?: number): unknown;
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
  // copyBuffers: binary values inside a value are copies, never views of the reply (or of the
  // reused buffer below): a cached value must not pin, or change with, a socket chunk.
  const packr = new Packr({ useRecords: false, copyBuffers: true });
  const serializer: Serializer = Object.freeze({
    serialize(value: unknown): Uint8Array {
      return packr.pack(value);
    },
    deserialize(data: string | Buffer): unknown {
      return packr.unpack(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    },
  });
  // The fast path for L2 replies: each payload is copied to the start of one reused buffer and
  // decoded from there. msgpackr keeps a DataView on every source buffer it sees (a fresh reply
  // Buffer costs one each, and a new hidden class), and caches map keys only for sources that
  // end before byte 180: decoding 64 small objects this way costs ~17 µs here, against ~22 µs
  // for one unpackMultiple over the payloads laid end to end and ~36 µs for one unpack per
  // reply. What stays valid with a reused buffer:
  // - bytes past a payload's end are left from earlier ones: msgpackr throws for a value that
  //   reads past `end`, as at the end of a buffer (test: "the bytes an earlier, longer payload
  //   left behind never complete a truncated one");
  // - binary values are copies (copyBuffers above), never views of the buffer;
  // - a decode from inside a decode (an extension reading a cache value) overwrites the buffer,
  //   and msgpackr resumes the outer one from the copy of its source it takes on re-entry;
  // - an extension registered with msgpackr must not keep the bytes it is given (as with
  //   msgpackr's own advice to reuse source buffers).
  const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  return withPayloadDecode(serializer, (buf, start) => {
    const n = buf.length - start;
    if (n > SCRATCH_BYTES) return packr.unpack(buf.subarray(start));
    // ~60 ns for 45 bytes either way; the loop skips Buffer#copy's argument checks.
    if (n <= 64) for (let k = 0; k < n; k++) scratch[k] = buf[start + k];
    else buf.copy(scratch, 0, start);
    return packr.unpack(scratch, n);
  });
}

/** Largest payload decoded from the reused buffer (see msgpackSerializer). */
const SCRATCH_BYTES = 8192;
