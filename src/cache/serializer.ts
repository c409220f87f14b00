/**
 * How cached values become L2 bytes and back. Buffers and Uint8Arrays never reach a serializer:
 * the envelope stores them raw and reads them back as Buffers.
 */

/** A value codec for L2. `serialize` may return text or bytes; `deserialize` gets back the same kind. */
export interface Serializer {
  /** Text or bytes for `value` (never a Buffer/Uint8Array value: those are stored raw). */
  serialize(value: unknown): string | Uint8Array;
  /** The value from what `serialize` returned (a string for text, a Buffer for bytes). */
  deserialize(data: string | Buffer): unknown;
}

/**
 * JSON. `null`, `0`, `false` and `''` round-trip as themselves. `undefined` is never serialized
 * (it means "no value"); what `JSON.stringify` drops or changes (functions, `Date` → string,
 * `Map` → `{}`) is changed the same way here: plug a richer serializer (v8, superjson) if needed.
 */
export const jsonSerializer: Serializer = Object.freeze({
  serialize(value: unknown): string {
    return JSON.stringify(value);
  },
  deserialize(data: string | Buffer): unknown {
    return JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  },
});

/**
 * Decodes the payloads of a batch laid end to end in `joined` (payload `i` ends at byte
 * `ends[i]`): one value per payload, or undefined when they cannot be decoded together (then
 * each is decoded on its own with `deserialize`, so a bad entry fails alone). Answers exactly
 * as `deserialize` of each payload would, or not at all.
 */
export type JoinedDecode = (joined: Buffer, ends: readonly number[]) => unknown[] | undefined;

/** Built-in byte serializers' batch decoders (internal: not part of the Serializer contract). */
const joinedDecoders = new WeakMap<Serializer, JoinedDecode>();

/** Registers `decode` as `serializer`'s batch decoder (see {@link JoinedDecode}). */
export function withJoinedDecode<S extends Serializer>(serializer: S, decode: JoinedDecode): S {
  joinedDecoders.set(serializer, decode);
  return serializer;
}

/** `serializer`'s batch decoder, if it has one. */
export function joinedDecodeOf(serializer: Serializer): JoinedDecode | undefined {
  return joinedDecoders.get(serializer);
}
