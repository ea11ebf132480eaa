/**
 * Estimates from one native histogram (Prometheus promql/quantile.go and the histogram_*
 * functions): quantile, fraction between two values, variance. Values inside a standard
 * exponential bucket are interpolated exponentially, inside the zero bucket and custom buckets
 * linearly.
 */
import type { Bucket, FloatHistogram } from '../model/histogram/index.js';
import { allBuckets, isCustomBucketsSchema } from '../model/histogram/index.js';
import type { Reporter } from './value.js';
import type { KahanSum } from './stats-math.js';
import { kahanAdd } from './stats-math.js';

/** Which sides of h hold buckets: the zero bucket's bound toward an empty side becomes 0. */
function clampZeroBucket(h: FloatHistogram, b: Bucket): Bucket {
  if (!(b.lower < 0 && b.upper > 0)) return b;
  const neg = h.negativeBuckets.length > 0;
  const pos = h.positiveBuckets.length > 0;
  if (!neg && pos) return { ...b, lower: 0 };
  if (!pos && neg) return { ...b, upper: 0 };
  return b;
}

export function nativeQuantile(q: number, h: FloatHistogram, name: string, report: Reporter): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (h.count === 0 || Number.isNaN(q)) return NaN;
  const custom = isCustomBucketsSchema(h.schema);
  // From the nearer end: the sum being NaN means NaN observations sit in no bucket, so count up.
  const forward = Number.isNaN(h.sum) || q < 0.5;
  const buckets = allBuckets(h);
  if (!forward) buckets.reverse();
  let rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let i = 0;
  // Without populated buckets (all observations NaN) the search ends on an empty [0, 0] bucket.
  let bucket: Bucket = { lower: 0, upper: 0, lowerInclusive: true, upperInclusive: true, count: 0, index: 0 };
  for (; i < buckets.length; i++) {
    bucket = buckets[i];
    if (bucket.count === 0) continue;
    count += bucket.count;
    if (count >= rank) break;
  }
  if (!custom) bucket = clampZeroBucket(h, bucket);
  else if (bucket.lower === -Infinity) {
    if (bucket.upper <= 0) return bucket.upper;
    bucket = { ...bucket, lower: 0 };
  } else if (bucket.upper === Infinity) return bucket.lower;
  if (count > h.count) count = h.count;
  if (count < rank) {
    if (Number.isNaN(h.sum)) {
      report.info(`input to histogram_quantile has NaN observations, result is NaN for metric name ${JSON.stringify(name)}`);
      return NaN;
    }
    return bucket.upper;
  }
  rank = forward ? rank - (count - bucket.count) : count - rank;
  if (Number.isNaN(h.sum)) {
    for (i++; i < buckets.length; i++) count += buckets[i].count;
    if (count < h.count) report.info(`input to histogram_quantile has NaN observations, result is skewed higher for metric name ${JSON.stringify(name)}`);
  }
  const fraction = rank / bucket.count;
  if (custom || (bucket.lower <= 0 && bucket.upper >= 0)) return bucket.lower + (bucket.upper - bucket.lower) * fraction;
  const logLower = Math.log2(Math.abs(bucket.lower));
  const logUpper = Math.log2(Math.abs(bucket.upper));
  if (bucket.lower > 0) return 2 ** (logLower + (logUpper - logLower) * fraction);
  return -(2 ** (logUpper + (logLower - logUpper) * (1 - fraction)));
}

export function nativeFraction(lower: number, upper: number, h: FloatHistogram, name: string, report: Reporter): number {
  if (h.count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  const custom = isCustomBucketsSchema(h.schema);
  const buckets = allBuckets(h);
  let count = 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let i = 0;
  for (; i < buckets.length; i++) {
    let b = buckets[i];
    count += b.count;
    const zero = b.lower <= 0 && b.upper >= 0;
    if (zero) b = clampZeroBucket(h, b);
    const at = (v: number): number => {
      if (custom || zero) return rank + (b.count * (v - b.lower)) / (b.upper - b.lower);
      const logLower = Math.log2(Math.abs(b.lower));
      const logUpper = Math.log2(Math.abs(b.upper));
      const logV = Math.log2(Math.abs(v));
      const f = v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper);
      return rank + b.count * f;
    };
    if (!lowerSet && b.lower >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && b.lower >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && b.lower < lower && b.upper > lower) {
      lowerRank = at(lower);
      lowerSet = true;
    }
    if (!upperSet && b.lower < upper && b.upper > upper) {
      upperRank = at(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += b.count;
  }
  if (Number.isNaN(h.sum)) {
    for (i++; i < buckets.length; i++) count += buckets[i].count;
    if (count < h.count) {
      report.info(`input to histogram_fraction has NaN observations, which are excluded from all fractions for metric name ${JSON.stringify(name)}`);
    }
  } else count = h.count;
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / h.count;
}

/**
 * The variance of the observations, each bucket's taken at its middle: arithmetic for custom
 * buckets, 0 in the zero bucket, geometric in exponential buckets.
 */
export function nativeVariance(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  const custom = isCustomBucketsSchema(h.schema);
  const k: KahanSum = { sum: 0, c: 0 };
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    let v: number;
    if (custom) v = (b.upper + b.lower) / 2;
    else if (b.lower <= 0 && b.upper >= 0) v = 0;
    else {
      v = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) v = -v;
    }
    const d = v - mean;
    kahanAdd(k, b.count * d * d);
  }
  return (k.sum + k.c) / h.count;
}
