/**
 * What both histogram chunk encodings share: the 3-byte header and the layout written once, before
 * the first sample (Prometheus tsdb/chunkenc histogram_meta.go).
 *
 *   ┌───────────────────┬──────────────┬────────────────┬───────────────┬───────────┬───────────┬───────────────┐
 *   │ num samples u16BE │ flags 1 byte │ zero threshold │ schema varbit │ pos spans │ neg spans │ custom bounds │ samples…
 *   └───────────────────┴──────────────┴────────────────┴───────────────┴───────────┴───────────┴───────────────┘
 *
 * flags: the top two bits say how the chunk relates to the previous one of its series
 * (CounterResetHeader); the rest are zero.
 * zero threshold: one byte 0 for 0; one byte e + 243 for a power of two 0.5·2^e with
 * -242 <= e <= 11; else 0xff and the float's 64 bits.
 * spans: varbit_uint count, then per span varbit_uint length and varbit_int offset.
 * custom bounds (schema -53 only): varbit_uint count, then each bound b as varbit_uint(b·1000 + 1)
 * when b·1000 is a whole number in [0, 33554430], else a 0 bit and the float's 64 bits.
 */
import type { Span } from '../../model/histogram/index.js';
import { isCustomBucketsSchema } from '../../model/histogram/index.js';
import type { BitReader, BitWriter } from './bstream.js';
import { f64, u32 } from './float-bits.js';
import { putVarbitInt, putVarbitUint, readVarbitInt, readVarbitUint } from './varbit.js';
import { writeFloat } from './xor-value.js';

/** Header bytes: sample count and flags. */
export const HistogramHeaderBytes = 3;
/** The header caps a chunk at this many samples. */
export const HistogramMaxSamples = 0xffff;

/** The flags byte's top two bits. */
export const CounterResetHeader = {
  /** Nothing known about the previous chunk. */
  Unknown: 0b00000000,
  /** The first sample is a counter reset against the previous chunk's last. */
  CounterReset: 0b10000000,
  /** The chunk was cut without a counter reset. */
  NotCounterReset: 0b01000000,
  /** The chunk holds gauge histograms. */
  Gauge: 0b11000000,
} as const;
export type CounterResetHeader = (typeof CounterResetHeader)[keyof typeof CounterResetHeader];

const CounterResetMask = 0b11000000;

export function counterResetHeaderOf(bytes: Uint8Array): CounterResetHeader {
  return (bytes.length < HistogramHeaderBytes ? 0 : bytes[2] & CounterResetMask) as CounterResetHeader;
}

export function setCounterResetHeader(bytes: Uint8Array, h: CounterResetHeader): void {
  bytes[2] = (bytes[2] & ~CounterResetMask) | h;
}

/** Number of samples recorded in a histogram chunk's header (either encoding). */
export function histogramNumSamples(bytes: Uint8Array): number {
  return bytes.length < HistogramHeaderBytes ? 0 : (bytes[0] << 8) | bytes[1];
}

export interface HistogramLayout {
  schema: number;
  zeroThreshold: number;
  positiveSpans: Span[];
  negativeSpans: Span[];
  customValues: number[];
}

export function writeLayout(w: BitWriter, l: HistogramLayout): void {
  writeZeroThreshold(w, l.zeroThreshold);
  putVarbitInt(w, l.schema);
  writeSpans(w, l.positiveSpans);
  writeSpans(w, l.negativeSpans);
  if (isCustomBucketsSchema(l.schema)) {
    putVarbitUint(w, l.customValues.length);
    for (const b of l.customValues) writeCustomBound(w, b);
  }
}

/** Reads a layout; a string says what was truncated or invalid. */
export function readLayout(r: BitReader): HistogramLayout | string {
  const zeroThreshold = readZeroThreshold(r);
  if (zeroThreshold === undefined) return 'truncated zero threshold';
  const schema = readVarbitInt(r);
  if (Number.isNaN(schema)) return 'truncated schema';
  if (!isCustomBucketsSchema(schema) && (schema < -4 || schema > 8)) return `unknown schema ${schema}`;
  const positiveSpans = readSpans(r);
  if (positiveSpans === undefined) return 'truncated positive spans';
  const negativeSpans = readSpans(r);
  if (negativeSpans === undefined) return 'truncated negative spans';
  const customValues: number[] = [];
  if (isCustomBucketsSchema(schema)) {
    const n = readVarbitUint(r);
    if (Number.isNaN(n) || n > r.remaining()) return 'truncated custom bounds';
    for (let i = 0; i < n; i++) {
      const b = readCustomBound(r);
      if (b === undefined) return 'truncated custom bounds';
      customValues.push(b);
    }
  }
  return { schema, zeroThreshold, positiveSpans, negativeSpans, customValues };
}

function writeSpans(w: BitWriter, spans: readonly Span[]): void {
  putVarbitUint(w, spans.length);
  for (const s of spans) {
    putVarbitUint(w, s.length);
    putVarbitInt(w, s.offset);
  }
}

function readSpans(r: BitReader): Span[] | undefined {
  const n = readVarbitUint(r);
  // Each span takes at least two bits: more than that is garbage, not a reason to allocate.
  if (Number.isNaN(n) || n * 2 > r.remaining()) return undefined;
  const spans: Span[] = [];
  for (let i = 0; i < n; i++) {
    const length = readVarbitUint(r);
    const offset = readVarbitInt(r);
    if (Number.isNaN(length) || Number.isNaN(offset)) return undefined;
    spans.push({ offset, length });
  }
  return spans;
}

function writeZeroThreshold(w: BitWriter, v: number): void {
  if (v === 0) {
    w.writeByte(0);
    return;
  }
  const e = powerOfTwoExponent(v);
  if (e === undefined || e < -242 || e > 11) {
    w.writeByte(0xff);
    writeFloat(w, v);
    return;
  }
  w.writeByte(e + 243);
}

/** e such that v = 0.5·2^e exactly (v a positive normal power of two), else undefined. */
function powerOfTwoExponent(v: number): number | undefined {
  f64[0] = v;
  const hi = u32[1];
  if (u32[0] !== 0 || (hi & 0xfffff) !== 0 || hi >>> 31 !== 0) return undefined;
  const biased = hi >>> 20;
  if (biased === 0 || biased === 0x7ff) return undefined;
  return biased - 1022;
}

function readZeroThreshold(r: BitReader): number | undefined {
  if (r.remaining() < 8) return undefined;
  const b = r.readByte();
  if (b === 0) return 0;
  if (b !== 0xff) return 0.5 * 2 ** (b - 243);
  if (r.remaining() < 64) return undefined;
  u32[1] = r.readBits(32);
  u32[0] = r.readBits(32);
  return f64[0];
}

function writeCustomBound(w: BitWriter, b: number): void {
  const scaled = b * 1000;
  if (scaled >= 0 && scaled <= 33554430 && Math.round(scaled) / 1000 === b) {
    putVarbitUint(w, Math.round(scaled) + 1);
    return;
  }
  w.writeBit(0);
  writeFloat(w, b);
}

function readCustomBound(r: BitReader): number | undefined {
  const v = readVarbitUint(r);
  if (Number.isNaN(v)) return undefined;
  if (v !== 0) return (v - 1) / 1000;
  if (r.remaining() < 64) return undefined;
  u32[1] = r.readBits(32);
  u32[0] = r.readBits(32);
  return f64[0];
}

/** Number of buckets the spans describe. */
export function countBuckets(spans: readonly Span[]): number {
  let n = 0;
  for (const s of spans) n += s.length;
  return n;
}
