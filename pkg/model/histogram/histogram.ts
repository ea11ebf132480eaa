/**
 * Native histograms (Prometheus model/histogram): the shared data model of the wire, the TSDB,
 * PromQL and the HTTP API. Plain objects and free functions, no classes, so a histogram crosses
 * a worker thread boundary (structured clone) unchanged.
 *
 * Buckets are sparse: `spans` say which bucket indexes are present, in runs, and the bucket
 * arrays hold one entry per present bucket. With a standard schema s (-4..8), bucket i of the
 * positive side covers (base^(i-1), base^i] where base = 2^(2^-s); the negative side mirrors it.
 * Schema -53 has custom bounds instead: `customValues` are the upper bounds, positive side only.
 */

/** What a sample says about a counter reset since the previous sample of its series. */
export const CounterResetHint = {
  /** Not known: readers must compare with the previous sample. */
  Unknown: 0,
  /** A counter reset happened. */
  CounterReset: 1,
  /** Known not to be a reset (e.g. a chunk cut without a reset). */
  NotCounterReset: 2,
  /** A gauge histogram: counts may go up and down, resets mean nothing. */
  Gauge: 3,
} as const;
export type CounterResetHint = (typeof CounterResetHint)[keyof typeof CounterResetHint];

export const MinSchema = -4;
export const MaxSchema = 8;
/** The schema of histograms with custom bucket bounds (Prometheus' "NHCB"). */
export const CustomBucketsSchema = -53;

/** `length` consecutive buckets starting `offset` indexes after the previous span's end. */
export interface Span {
  offset: number;
  length: number;
}

/** An integer histogram, as instrumented clients produce it: bucket counts are deltas. */
export interface Histogram {
  counterResetHint: CounterResetHint;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  sum: number;
  positiveSpans: Span[];
  negativeSpans: Span[];
  /** Delta of each present bucket's count from the previous present bucket's (the first from 0). */
  positiveBuckets: number[];
  negativeBuckets: number[];
  /** Upper bounds of the custom buckets; empty unless schema is CustomBucketsSchema. */
  customValues: number[];
}

/** A histogram with absolute float counts: what PromQL computes with. */
export interface FloatHistogram {
  counterResetHint: CounterResetHint;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  sum: number;
  positiveSpans: Span[];
  negativeSpans: Span[];
  /** The count of each present bucket. */
  positiveBuckets: number[];
  negativeBuckets: number[];
  customValues: number[];
}

export function isCustomBucketsSchema(schema: number): boolean {
  return schema === CustomBucketsSchema;
}

/** The float form of an integer histogram (deltas summed into absolute counts). */
export function toFloatHistogram(h: Histogram): FloatHistogram {
  return { ...copyFloatHistogram(h), positiveBuckets: absoluteCounts(h.positiveBuckets), negativeBuckets: absoluteCounts(h.negativeBuckets) };
}

/** A deep copy (the layout is shared by Histogram and FloatHistogram). */
export function copyFloatHistogram(h: FloatHistogram | Histogram): FloatHistogram {
  return {
    counterResetHint: h.counterResetHint,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount,
    count: h.count,
    sum: h.sum,
    positiveSpans: h.positiveSpans.map(copySpan),
    negativeSpans: h.negativeSpans.map(copySpan),
    positiveBuckets: h.positiveBuckets.slice(),
    negativeBuckets: h.negativeBuckets.slice(),
    customValues: h.customValues.slice(),
  };
}

function copySpan(s: Span): Span {
  return { offset: s.offset, length: s.length };
}

function absoluteCounts(deltas: readonly number[]): number[] {
  const out = new Array<number>(deltas.length);
  let c = 0;
  for (let i = 0; i < deltas.length; i++) out[i] = c += deltas[i];
  return out;
}

/** A histogram without observations. */
export function emptyFloatHistogram(schema = 0, customValues: readonly number[] = []): FloatHistogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    negativeSpans: [],
    positiveBuckets: [],
    negativeBuckets: [],
    customValues: customValues.slice(),
  };
}
