// Protobuf varint writes for the hand-written encoders, exact up to 2^53 (sizes: tsdb/encoding).
import { uvarintSize } from '../tsdb/encoding/index.js';

/** Bytes of a length-delimited field with a one-byte tag and a body of `len` bytes. */
export function lengthDelimitedLen(len: number): number {
  return 1 + uvarintSize(len) + len;
}

/** Writes `x` (a non-negative integer) at `at`; returns the position after it. */
export function writeVarint(out: Buffer, at: number, x: number): number {
  while (x >= 128) {
    out[at++] = (x % 128) | 0x80;
    x = Math.floor(x / 128);
  }
  out[at++] = x;
  return at;
}
