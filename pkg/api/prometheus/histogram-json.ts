// The way back from Prometheus' JSON form of a native histogram (histogramJson in encode.ts) to a
// FloatHistogram, for readers of the query API's answers that must compute with or store the
// histograms (the ruler writing a recording rule's result). The JSON keeps count, sum and the
// populated buckets with their bounds; the layout comes back from the bounds: a standard schema's
// bucket (b^(i-1), b^i] has b = 2^(2^-schema), custom bounds are the bounds themselves. Not in the
// JSON and so not restored: empty buckets (the same histogram for every PromQL operation), the
// zero threshold when the zero bucket is empty (0: no bucket's samples fall into it when added to
// another histogram), the schema when no bucket is populated (the finest, which never lowers
// another histogram's resolution when added), custom bounds of empty buckets (so two custom-bucket
// histograms read back may no longer add up), and the counter-reset hint (unknown).
import type { FloatHistogram } from '../../model/histogram/index.js';
import { CounterResetHint, CustomBucketsSchema, MaxSchema, MinSchema, sparse } from '../../model/histogram/index.js';

/** A histogram as the query API writes it: `{"count":"…","sum":"…","buckets":[[rule,"lower","upper","count"],…]}`. */
export interface HistogramJson {
  count: string;
  sum: string;
  buckets?: Array<[number, string, string, string]>;
}


/** A JSON histogram the query API could not have written. */
export class HistogramJsonError extends Error {
  constructor(message: string) {
    super(`native histogram in a query answer: ${message}`);
    this.name = 'HistogramJsonError';
  }
}

export function parseApiFloat(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  const v = Number(s);
  if (Number.isNaN(v) && s !== 'NaN') throw new HistogramJsonError(`"${s}" is not a number`);
  return v;
}

interface ParsedBucket {
  rule: number;
  lower: number;
  upper: number;
  count: number;
}

export function floatHistogramFromJson(j: HistogramJson): FloatHistogram {
  const buckets: ParsedBucket[] = (j.buckets ?? []).map(([rule, l, u, c]) => ({ rule, lower: parseApiFloat(l), upper: parseApiFloat(u), count: parseApiFloat(c) }));
  const h: FloatHistogram = {
    counterResetHint: CounterResetHint.Unknown,
    schema: MaxSchema,
    zeroThreshold: 0,
    zeroCount: 0,
    count: parseApiFloat(j.count),
    sum: parseApiFloat(j.sum),
    positiveSpans: [],
    negativeSpans: [],
    positiveBuckets: [],
    negativeBuckets: [],
    customValues: [],
  };
  // Custom bounds start at -Inf and end at +Inf (standard ones end at the largest float), may have
  // a (l, u] bucket at or below zero (a standard schema's positive buckets start above zero, its
  // negative ones are [l, u)), or fit no schema.
  const custom = buckets.some((b) => b.lower === -Infinity || b.upper === Infinity || (b.rule === 0 && b.lower <= 0));
  const schema = custom ? CustomBucketsSchema : standardSchema(buckets);
  if (schema === CustomBucketsSchema) return withCustomBuckets(h, buckets);
  h.schema = schema ?? MaxSchema;
  const pos = { idx: [] as number[], counts: [] as number[] };
  const neg = { idx: [] as number[], counts: [] as number[] };
  for (const b of buckets) {
    if (isZeroBucket(b)) {
      h.zeroThreshold = b.upper;
      h.zeroCount = b.count;
    } else if (b.lower >= 0) {
      pos.idx.push(bucketIndex(b.upper, b.lower, h.schema));
      pos.counts.push(b.count);
    } else {
      // Negative buckets come in descending order of their indexes.
      neg.idx.unshift(bucketIndex(-b.lower, -b.upper, h.schema));
      neg.counts.unshift(b.count);
    }
  }
  ({ spans: h.positiveSpans, buckets: h.positiveBuckets } = sparse(ascending(pos, 'positive')));
  ({ spans: h.negativeSpans, buckets: h.negativeBuckets } = sparse(ascending(neg, 'negative')));
  return h;
}

/** The zero bucket is [-t, t] (rule 3), the only bucket of a standard schema around 0. */
function isZeroBucket(b: ParsedBucket): boolean {
  return b.rule === 3 && b.lower === -b.upper;
}

/**
 * The standard schema whose buckets these are: the upper over the lower bound of a bucket is
 * 2^(2^-schema), and both bounds are whole powers of that. Undefined when no bucket tells (none, or
 * only the zero bucket); custom when the buckets fit no schema. The last bucket (its bound clipped to
 * the largest float) is not checked.
 */
function standardSchema(buckets: ParsedBucket[]): number | undefined {
  let schema: number | undefined;
  for (const b of buckets) {
    if (isZeroBucket(b)) continue;
    const [lo, hi] = b.lower >= 0 ? [b.lower, b.upper] : [-b.upper, -b.lower];
    if (!(lo > 0) || hi === Number.MAX_VALUE || !Number.isFinite(hi)) continue;
    schema ??= Math.round(-Math.log2(Math.log2(hi / lo))) || 0; // not -0
    if (schema < MinSchema || schema > MaxSchema) return CustomBucketsSchema;
    const [l, u] = [Math.log2(lo) * 2 ** schema, Math.log2(hi) * 2 ** schema];
    if (Math.abs(u - Math.round(u)) > 1e-6 || Math.abs(u - l - 1) > 1e-6) return CustomBucketsSchema;
  }
  return schema;
}

/** The index i of the bucket (lower, upper] in `schema`: upper = 2^(i / 2^schema). */
function bucketIndex(upper: number, lower: number, schema: number): number {
  // The largest bucket's upper bound is clipped to the largest float: take the index above its lower bound.
  if (upper === Number.MAX_VALUE) return Math.round(Math.log2(lower) * 2 ** schema) + 1;
  return Math.round(Math.log2(upper) * 2 ** schema);
}

function ascending(b: { idx: number[]; counts: number[] }, side: string): { idx: number[]; counts: number[] } {
  for (let i = 1; i < b.idx.length; i++) {
    if (b.idx[i] <= b.idx[i - 1]) throw new HistogramJsonError(`${side} buckets out of order or overlapping`);
  }
  return b;
}

/**
 * Custom bounds: every finite bound of a populated bucket becomes a bound, so each bucket
 * (lower, upper] is the one between two adjacent bounds (the first from -Inf, the last to +Inf).
 */
function withCustomBuckets(h: FloatHistogram, buckets: ParsedBucket[]): FloatHistogram {
  // Sorted and deduplicated by hand: a Set would turn a bound of -0 into 0.
  const bounds = buckets.flatMap((b) => [b.lower, b.upper]).filter(Number.isFinite).sort((a, b) => a - b).filter((v, i, a) => i === 0 || v !== a[i - 1]);
  const at = new Map(bounds.map((v, i) => [v, i]));
  const idx: number[] = [];
  const counts: number[] = [];
  for (const b of buckets) {
    idx.push(b.upper === Infinity ? bounds.length : (at.get(b.upper) as number));
    counts.push(b.count);
  }
  const s = sparse(ascending({ idx, counts }, 'custom'));
  return { ...h, schema: CustomBucketsSchema, zeroThreshold: 0, customValues: bounds, positiveSpans: s.spans, positiveBuckets: s.buckets };
}
