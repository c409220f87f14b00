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
 * Decodes the payload `buf[start…]` exactly as `deserialize(buf.subarray(start))` would (the
 * same value, or the same failure), without the view: a serializer's fast path for reading a
 * value straight out of an L2 reply.
 */
export type PayloadDecode = (buf: Buffer, start: number) => unknown;

/** Built-in byte serializers' payload decoders (internal: not part of the Serializer contract). */
const payloadDecoders = new WeakMap<Serializer, PayloadDecode>();

/** Registers `decode` as `serializer`'s payload decoder (see {@link PayloadDecode}). */
export function withPayloadDecode<S extends Serializer>(serializer: S, decode: PayloadDecode): S {
  payloadDecoders.set(serializer, decode);
  return serializer;
}

/** `serializer`'s payload decoder, if it has one. */
export function payloadDecodeOf(serializer: Serializer): PayloadDecode | undefined {
  return payloadDecoders.get(serializer);
}
