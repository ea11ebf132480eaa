/**
 * Go-compatible varints (encoding/binary) over JS numbers. Values are exact up to 2^53, which covers
 * millisecond timestamps, file offsets and chunk references; larger inputs are a caller bug.
 */

/** Bytes `uvarint(v)` takes. */
export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Zigzag-maps a signed integer to an unsigned one, as Go's PutVarint does; exact for |v| <= 2^52. */
export function zigzag(v: number): number {
  return v < 0 ? -2 * v - 1 : 2 * v;
}

export function unzigzag(u: number): number {
  return u % 2 === 1 ? -(u + 1) / 2 : u / 2;
}
