/**
 * Positioned reads of one immutable object: a local file (FileReader), or, for a store-gateway, an
 * object in a bucket read by byte ranges. Block readers use nothing else, so either can back them.
 */
export interface RangeReader {
  /** Names the object in errors. */
  readonly path: string;
  readonly size: number;
  /** Exactly `[offset, offset+length)`; a range past the end is corruption. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Like `r.read` but clamps the range to the end of the object. */
export function readUpTo(r: RangeReader, offset: number, length: number): Promise<Uint8Array> {
  return r.read(offset, Math.max(0, Math.min(length, r.size - offset)));
}
