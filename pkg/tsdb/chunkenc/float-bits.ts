import { endianness } from 'node:os';

/**
 * Shared scratch memory to move float64 values to and from their IEEE 754 bits without allocating.
 * Write `f64[0]`, read `u32[0]` (low half) and `u32[1]` (high half), or the other way round.
 * Single-threaded use only: never hold values across a call that may use the scratch too.
 */
export const f64 = new Float64Array(1);
export const u32 = new Uint32Array(f64.buffer);

if (endianness() !== 'LE') throw new Error('BUG: float bit scratch assumes a little-endian host');

/** Prometheus' staleness marker: a NaN with the bit pattern 0x7ff0000000000002. */
export const StaleNaNHi = 0x7ff00000;
export const StaleNaNLo = 0x00000002;

/** The staleness marker as a number (keep it out of plain double arrays, which may canonicalise NaN). */
export const StaleNaN: number = (() => {
  u32[1] = StaleNaNHi;
  u32[0] = StaleNaNLo;
  return f64[0];
})();

/** Whether `v` carries exactly the staleness marker bits. */
export function isStaleNaN(v: number): boolean {
  f64[0] = v;
  return u32[1] === StaleNaNHi && u32[0] === StaleNaNLo;
}

/** Whether two floats have identical bits (distinguishes -0 from 0 and NaN payloads). */
export function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  const lo = u32[0];
  const hi = u32[1];
  f64[0] = b;
  return u32[0] === lo && u32[1] === hi;
}
