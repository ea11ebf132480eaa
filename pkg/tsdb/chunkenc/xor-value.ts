/**
 * One XOR-compressed float stream inside a histogram chunk (the sum of both histogram chunks, and
 * the count, zero count and every bucket of a float histogram chunk). Same bits as the values of
 * an XOR chunk (see xor.ts): '0' when unchanged, '10' + the bits inside the previous window, or
 * '11' + 5 bits leading zeros + 6 bits significant length + the bits.
 *
 * The state is a plain object per stream, allocated with the chunk's layout, never per sample.
 */
import type { BitReader, BitWriter } from './bstream.js';
import { f64, u32 } from './float-bits.js';

export interface XorValue {
  /** The previous value's bits. */
  hi: number;
  lo: number;
  /** Leading zeros of the current window; 0xff before the first window exists. */
  leading: number;
  trailing: number;
}

export function newXorValue(v: number): XorValue {
  f64[0] = v;
  return { hi: u32[1], lo: u32[0], leading: 0xff, trailing: 0 };
}

/** Restarts a stream at `v` (a chunk's first sample writes values in full). */
export function setXorValue(s: XorValue, v: number): void {
  f64[0] = v;
  s.hi = u32[1];
  s.lo = u32[0];
  s.leading = 0xff;
  s.trailing = 0;
}

export function xorValueOf(s: XorValue): number {
  u32[1] = s.hi;
  u32[0] = s.lo;
  return f64[0];
}

/** Writes a float's 64 bits verbatim. */
export function writeFloat(w: BitWriter, v: number): void {
  f64[0] = v;
  const lo = u32[0];
  w.writeBits(u32[1], 32);
  w.writeBits(lo, 32);
}

/** Reads 64 bits as a float; NaN-safe only through the bits, so callers keep hi/lo where it matters. */
export function readFloatInto(r: BitReader, s: XorValue): boolean {
  if (r.remaining() < 64) return false;
  s.hi = r.readBits(32);
  s.lo = r.readBits(32);
  return true;
}

export function writeXorValue(w: BitWriter, s: XorValue, v: number): void {
  f64[0] = v;
  const nlo = u32[0];
  const nhi = u32[1];
  const xlo = (nlo ^ s.lo) >>> 0;
  const xhi = (nhi ^ s.hi) >>> 0;
  s.lo = nlo;
  s.hi = nhi;
  if (xlo === 0 && xhi === 0) {
    w.writeBit(0);
    return;
  }
  w.writeBit(1);
  let leading = xhi !== 0 ? Math.clz32(xhi) : 32 + Math.clz32(xlo);
  const trailing = xlo !== 0 ? ctz32(xlo) : 32 + ctz32(xhi);
  if (leading >= 32) leading = 31;
  if (s.leading !== 0xff && leading >= s.leading && trailing >= s.trailing) {
    w.writeBit(0);
    writeShifted(w, xhi, xlo, s.trailing, 64 - s.leading - s.trailing);
    return;
  }
  s.leading = leading;
  s.trailing = trailing;
  w.writeBit(1);
  w.writeBits(leading, 5);
  const sigbits = 64 - leading - trailing;
  w.writeBits(sigbits & 0x3f, 6); // 64 is written as 0, which never occurs otherwise
  writeShifted(w, xhi, xlo, trailing, sigbits);
}

/** Reads the next XOR'd value into `s`; false when the stream ends inside it. */
export function readXorValue(r: BitReader, s: XorValue): boolean {
  const w = r.peek32();
  if (w >= 0) {
    // '0': unchanged.
    if (r.remaining() < 1) return false;
    r.skip(1);
    return true;
  }
  if ((w & 0x40000000) === 0) {
    r.skip(2); // '10': the bits inside the previous window
  } else {
    // '11': 5 bits of leading zeros, 6 of significant length (0 means 64), then the bits.
    s.leading = (w >>> 25) & 0x1f;
    let sig = (w >>> 19) & 0x3f;
    if (sig === 0) sig = 64;
    s.trailing = 64 - s.leading - sig;
    r.skip(13);
  }
  const n = 64 - s.leading - s.trailing;
  if (n < 0 || r.remaining() < n) return false;
  let lo = r.readBits64(n);
  let hi = r.hi;
  const shift = s.trailing;
  if (shift >= 32) {
    hi = lo << (shift - 32);
    lo = 0;
  } else if (shift > 0) {
    hi = (hi << shift) | (lo >>> (32 - shift));
    lo = lo << shift;
  }
  s.hi = (s.hi ^ hi) >>> 0;
  s.lo = (s.lo ^ lo) >>> 0;
  return true;
}

function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, n: number): void {
  if (shift >= 32) {
    lo = hi >>> (shift - 32);
    hi = 0;
  } else if (shift > 0) {
    lo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    hi = hi >>> shift;
  }
  w.writeBits64(hi, lo, n);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}
