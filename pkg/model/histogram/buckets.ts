/**
 * Bucket layout of native histograms: bounds per schema (standard -4..8 and custom -53), bucket
 * iteration with bounds, and the sparse (spans + counts) ⇄ indexed (index, count pairs) forms the
 * arithmetic works on.
 */
import type { FloatHistogram, Span } from './histogram.js';
import { isCustomBucketsSchema } from './histogram.js';

/** One bucket with its bounds. `index` is its bucket index in the histogram's schema. */
export interface Bucket {
  lower: number;
  upper: number;
  /** Standard buckets are (lower, upper] on the positive side, [lower, upper) on the negative. */
  lowerInclusive: boolean;
  upperInclusive: boolean;
  count: number;
  index: number;
}

/** Buckets as parallel arrays of ascending indexes and their counts. */
export interface Indexed {
  idx: number[];
  counts: number[];
}

/** The upper bound of bucket `idx` (Prometheus getBound); custom bounds past the end are ±Inf. */
export function bucketBound(idx: number, schema: number, customValues: readonly number[]): number {
  if (isCustomBucketsSchema(schema)) {
    if (idx >= customValues.length) return Infinity;
    if (idx < 0) return -Infinity;
    return customValues[idx];
  }
  if (schema < 0) {
    const exp = idx * 2 ** -schema;
    // The last finite bucket's bound would overflow to +Inf: it ends at the largest float instead.
    return exp === 1024 ? Number.MAX_VALUE : 2 ** exp;
  }
  const perPower = 2 ** schema;
  const whole = Math.floor(idx / perPower);
  const frac = idx - whole * perPower;
  if (frac === 0 && whole === 1024) return Number.MAX_VALUE;
  const b = 2 ** whole * 2 ** (frac / perPower);
  return b === Infinity && whole <= 1024 ? Number.MAX_VALUE : b;
}

/** Present buckets of one side, from spans and their counts. */
export function indexed(spans: readonly Span[], counts: readonly number[]): Indexed {
  const idx: number[] = [];
  const out: number[] = [];
  let i = 0;
  let k = 0;
  for (const s of spans) {
    i += s.offset;
    for (let j = 0; j < s.length; j++) {
      idx.push(i++);
      out.push(counts[k++]);
    }
  }
  return { idx, counts: out };
}

/** Spans and counts of the non-empty buckets (Prometheus' Compact(0) form). */
export function sparse(b: Indexed): { spans: Span[]; buckets: number[] } {
  const spans: Span[] = [];
  const buckets: number[] = [];
  let next = 0;
  for (let j = 0; j < b.idx.length; j++) {
    if (b.counts[j] === 0) continue;
    const i = b.idx[j];
    const last = spans[spans.length - 1];
    if (last !== undefined && i === next) last.length++;
    else spans.push({ offset: spans.length === 0 ? i : i - next, length: 1 });
    buckets.push(b.counts[j]);
    next = i + 1;
  }
  return { spans, buckets };
}

/** Merges buckets into the lower resolution `to` (bucket i of schema s holds 2i-1 and 2i of s+1). */
export function reduceIndexed(b: Indexed, from: number, to: number): Indexed {
  if (from <= to) return b;
  const idx: number[] = [];
  const counts: number[] = [];
  const shift = from - to;
  for (let j = 0; j < b.idx.length; j++) {
    const t = Math.floor((b.idx[j] - 1) / 2 ** shift) + 1;
    if (idx.length > 0 && idx[idx.length - 1] === t) counts[counts.length - 1] += b.counts[j];
    else {
      idx.push(t);
      counts.push(b.counts[j]);
    }
  }
  return { idx, counts };
}

/** Positive buckets in ascending order of their bounds. */
export function positiveBuckets(h: FloatHistogram): Bucket[] {
  const b = indexed(h.positiveSpans, h.positiveBuckets);
  const custom = isCustomBucketsSchema(h.schema);
  return b.idx.map((i, j) => ({
    lower: bucketBound(i - 1, h.schema, h.customValues),
    upper: bucketBound(i, h.schema, h.customValues),
    lowerInclusive: custom && i === 0,
    upperInclusive: true,
    count: b.counts[j],
    index: i,
  }));
}

/** Negative buckets in ascending order of their absolute bounds (so descending values). */
export function negativeBuckets(h: FloatHistogram): Bucket[] {
  const b = indexed(h.negativeSpans, h.negativeBuckets);
  return b.idx.map((i, j) => ({
    lower: -bucketBound(i, h.schema, h.customValues),
    upper: -bucketBound(i - 1, h.schema, h.customValues),
    lowerInclusive: true,
    upperInclusive: false,
    count: b.counts[j],
    index: i,
  }));
}

/** The zero bucket, [-threshold, threshold]; none for custom-bucket histograms. */
export function zeroBucket(h: FloatHistogram): Bucket | null {
  if (isCustomBucketsSchema(h.schema)) return null;
  return { lower: -h.zeroThreshold, upper: h.zeroThreshold, lowerInclusive: true, upperInclusive: true, count: h.zeroCount, index: 0 };
}

/**
 * Every bucket in ascending order of value: negative ones, the zero bucket (when it has a width
 * or a count), positive ones (Prometheus' AllBucketIterator).
 */
export function allBuckets(h: FloatHistogram): Bucket[] {
  const out = negativeBuckets(h).reverse();
  const z = zeroBucket(h);
  if (z !== null && (z.count !== 0 || z.upper !== 0)) out.push(z);
  for (const b of positiveBuckets(h)) out.push(b);
  return out;
}
