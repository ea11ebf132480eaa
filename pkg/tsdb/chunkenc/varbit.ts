/**
 * Prometheus' variable bit-width integers (tsdb/chunkenc varbit), used by the histogram chunks for
 * timestamps, counts, bucket deltas and the layout. A prefix of 0 to 8 one-bits ended by a zero
 * (no zero after eight ones) picks the payload width:
 *
 *   prefix      0   10  110  1110  11110  111110  1111110  11111110  11111111
 *   payload     0    3    6     9     12      18       25        56        64 bits
 *
 * Signed values use two's complement in the payload, with the asymmetric range
 * [-(2^(n-1) - 1), 2^(n-1)] for n payload bits (a payload above 2^(n-1) is negative). Unsigned
 * values use the same prefixes with [0, 2^n - 1]. Values are JS numbers: exact up to 2^53.
 */
import type { BitReader, BitWriter } from './bstream.js';

const TwoPow32 = 4294967296;

/** Payload widths by prefix length (number of leading one-bits). */
const Widths = [0, 3, 6, 9, 12, 18, 25, 56, 64];

/**
 * Writes prefix and payload; up to 25 payload bits the two go out in one writeBits call (prefix
 * of `ones` one-bits and a zero, at most 8 + 25 = 32 bits), the common case for bucket deltas.
 */
function writePrefixed(w: BitWriter, v: number, ones: number): void {
  if (ones === 0) {
    w.writeBit(0);
    return;
  }
  const width = Widths[ones];
  if (width <= 25) {
    const prefix = ((1 << ones) - 1) << 1; // ones then a zero: ones + 1 bits
    w.writeBits(((prefix << width) | (v & ((1 << width) - 1))) >>> 0, ones + 1 + width);
    return;
  }
  w.writeBits(ones === 7 ? 0xfe : 0xff, 8);
  const hi = Math.floor(v / TwoPow32);
  w.writeBits64(hi >>> 0, (v - hi * TwoPow32) >>> 0, width);
}

/** Writes a signed integer (|v| <= 2^53). */
export function putVarbitInt(w: BitWriter, v: number): void {
  let ones: number;
  if (v === 0) ones = 0;
  else if (v >= -3 && v <= 4) ones = 1;
  else if (v >= -31 && v <= 32) ones = 2;
  else if (v >= -255 && v <= 256) ones = 3;
  else if (v >= -2047 && v <= 2048) ones = 4;
  else if (v >= -131071 && v <= 131072) ones = 5;
  else if (v >= -16777215 && v <= 16777216) ones = 6;
  else if (v >= -(2 ** 55) && v <= 2 ** 55) ones = 7;
  else ones = 8;
  writePrefixed(w, v, ones);
}

/** Writes a non-negative integer (v <= 2^53). */
export function putVarbitUint(w: BitWriter, v: number): void {
  let ones: number;
  if (v === 0) ones = 0;
  else if (v <= 7) ones = 1;
  else if (v <= 63) ones = 2;
  else if (v <= 511) ones = 3;
  else if (v <= 4095) ones = 4;
  else if (v <= 262143) ones = 5;
  else if (v <= 33554431) ones = 6;
  else if (v < 2 ** 56) ones = 7;
  else ones = 8;
  writePrefixed(w, v, ones);
}

/** Reads the prefix; returns the payload width, or -1 past the end of the stream. */
function readWidth(r: BitReader): number {
  let ones = 0;
  while (ones < 8) {
    const bit = r.readBit();
    if (bit < 0) return -1;
    if (bit === 0) break;
    ones++;
  }
  return Widths[ones];
}

/**
 * Reads a signed integer; returns NaN when the stream ends inside it (callers turn that into a
 * truncated-chunk error).
 */
export function readVarbitInt(r: BitReader): number {
  const width = readWidth(r);
  if (width <= 0) return width === 0 ? 0 : NaN;
  if (r.remaining() < width) return NaN;
  if (width <= 25) {
    const bits = r.readBits(width);
    return bits > 2 ** (width - 1) ? bits - 2 ** width : bits;
  }
  const lo = r.readBits64(width);
  const hi = r.hi;
  if (width === 64) return (hi | 0) * TwoPow32 + lo;
  // 56 bits: hi holds the top 24; above 2^55 the value is negative (fold the sign into hi first,
  // so that no intermediate exceeds 2^53).
  if (hi > 0x800000 || (hi === 0x800000 && lo > 0)) return (hi - 0x1000000) * TwoPow32 + lo;
  return hi * TwoPow32 + lo;
}

/** Reads an unsigned integer; NaN when the stream ends inside it. */
export function readVarbitUint(r: BitReader): number {
  const width = readWidth(r);
  if (width <= 0) return width === 0 ? 0 : NaN;
  if (r.remaining() < width) return NaN;
  if (width <= 25) return r.readBits(width);
  const lo = r.readBits64(width);
  return r.hi * TwoPow32 + lo;
}
