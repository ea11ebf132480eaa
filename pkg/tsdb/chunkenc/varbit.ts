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

function signedWidth(v: number): number {
  if (v === 0) return 0;
  if (v >= -3 && v <= 4) return 3;
  if (v >= -31 && v <= 32) return 6;
  if (v >= -255 && v <= 256) return 9;
  if (v >= -2047 && v <= 2048) return 12;
  if (v >= -131071 && v <= 131072) return 18;
  if (v >= -16777215 && v <= 16777216) return 25;
  if (v >= -(2 ** 55) && v <= 2 ** 55) return 56;
  return 64;
}

function unsignedWidth(v: number): number {
  if (v === 0) return 0;
  if (v <= 7) return 3;
  if (v <= 63) return 6;
  if (v <= 511) return 9;
  if (v <= 4095) return 12;
  if (v <= 262143) return 18;
  if (v <= 33554431) return 25;
  if (v < 2 ** 56) return 56;
  return 64;
}

function writePrefixed(w: BitWriter, v: number, width: number): void {
  if (width === 0) {
    w.writeBit(0);
    return;
  }
  const ones = Widths.indexOf(width);
  // `ones` one-bits, then a terminating zero unless all eight are ones.
  if (ones < 8) w.writeBits(((1 << ones) - 1) << 1, ones + 1);
  else w.writeBits(0xff, 8);
  if (width <= 25) {
    w.writeBits(v & ((1 << width) - 1), width);
  } else {
    const hi = Math.floor(v / TwoPow32);
    w.writeBits64(hi >>> 0, (v - hi * TwoPow32) >>> 0, width);
  }
}

/** Writes a signed integer (|v| <= 2^53). */
export function putVarbitInt(w: BitWriter, v: number): void {
  writePrefixed(w, v, signedWidth(v));
}

/** Writes a non-negative integer (v <= 2^53). */
export function putVarbitUint(w: BitWriter, v: number): void {
  writePrefixed(w, v, unsignedWidth(v));
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
