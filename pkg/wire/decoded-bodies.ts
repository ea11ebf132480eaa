// Remote-write bodies this thread has decoded already, with their decoders. The distributor hands
// a request it accepted whole and unchanged to the ingesters as the very bytes it decoded; an
// ingester in the same thread gets those bytes (in-process gRPC calls the handler with the
// caller's bytes) and reads the distributor's columns instead of decoding the same bytes again.
// An ingester in another thread or process gets a copy, finds nothing here, and decodes it.
import type { WriteRequestDecoder } from './write-request-decoder.js';

interface Entry {
  byteOffset: number;
  byteLength: number;
  decoder: WriteRequestDecoder;
}

// Keyed by the memory, not the view: the gRPC layers wrap the caller's bytes in views of their own.
const decoded = new WeakMap<ArrayBufferLike, Entry>();

/** Says that `body` (the bytes it decoded last) is `decoder`'s, until forgetDecoded(body). */
export function rememberDecoded(body: Uint8Array, decoder: WriteRequestDecoder): void {
  decoded.set(body.buffer, { byteOffset: body.byteOffset, byteLength: body.byteLength, decoder });
}

/** Undoes rememberDecoded(body); an entry of other bytes of the same memory stays. */
export function forgetDecoded(body: Uint8Array): void {
  if (decoderOf(body) !== undefined) decoded.delete(body.buffer);
}

/** The decoder whose columns are exactly these bytes' decoding, if one was remembered and not forgotten. */
export function decoderOf(body: Uint8Array): WriteRequestDecoder | undefined {
  const e = decoded.get(body.buffer);
  return e !== undefined && e.byteOffset === body.byteOffset && e.byteLength === body.byteLength ? e.decoder : undefined;
}
