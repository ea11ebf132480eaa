/** Samples in a chunk: XOR and histogram chunks all start with a big-endian uint16 count. */
export function chunkSampleCount(bytes: Uint8Array): number {
  return bytes.length < 2 ? 0 : (bytes[0] << 8) | bytes[1];
}
