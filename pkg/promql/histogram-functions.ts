/**
 * histogram_quantile() and histogram_fraction() over classic `le` bucket series and native
 * histograms; the histogram_* functions that read one native histogram.
 */
import type { FloatHistogram } from '../model/histogram/index.js';
import { MetricName } from '../model/labels/index.js';
import type { Labels } from '../model/labels/index.js';
import { nativeFraction, nativeQuantile, nativeVariance } from './native-histogram-stats.js';
import { goFloat } from './range-functions.js';
import type { Reporter, Sample, Vector } from './value.js';
import { parseNumber } from './parser/index.js';

interface Bucket {
  upper: number;
  count: number;
}

interface Group {
  metric: Labels;
  buckets: Bucket[];
}

const le = new Set(['le']);

/** Per bucket series, parsed once per query: its upper bound (null if unusable) and group labels. */
export type BucketCache = Map<Labels, { upper: number | null; group: Labels }>;

/**
 * Groups bucket samples by their labels without `le`; warns about unusable `le` values. Native
 * histogram samples go to `natives`, except where classic buckets of the same series name and
 * labels exist at this step: then neither is evaluated (Prometheus' rule).
 */
function groupBuckets(v: Vector, report: Reporter, cache: BucketCache, natives: Sample[]): Group[] {
  const groups = new Map<string, Group>();
  natives.length = 0;
  for (const s of v) {
    if (s.h !== undefined) {
      natives.push(s);
      continue;
    }
    let c = cache.get(s.metric);
    if (c === undefined) {
      const raw = s.metric.get('le');
      c = { upper: raw === '' ? null : parseNumber(raw), group: s.metric.drop(le) };
      cache.set(s.metric, c);
    }
    const upper = c.upper;
    if (upper === null) {
      const raw = s.metric.get('le');
      report.warn(`bucket label "le" is missing or has a malformed value of ${JSON.stringify(raw)} for metric name ${JSON.stringify(s.metric.get(MetricName))}`);
      continue;
    }
    const metric = c.group;
    let g = groups.get(metric.key);
    if (g === undefined) {
      g = { metric, buckets: [] };
      groups.set(metric.key, g);
    }
    g.buckets.push({ upper, count: s.f });
  }
  if (natives.length > 0) {
    let kept = 0;
    for (const s of natives) {
      if (groups.has(s.metric.key)) {
        report.warn(`vector contains a mix of classic and native histograms for metric name ${JSON.stringify(s.metric.get(MetricName))}`);
        groups.delete(s.metric.key);
      } else natives[kept++] = s;
    }
    natives.length = kept;
  }
  return [...groups.values()];
}

/** The value `fn` reads from each native histogram sample (histogram_count and the like). */
export function mapHistograms(v: Vector, fn: (h: FloatHistogram) => number): Vector {
  const out: Vector = [];
  for (const s of v) if (s.h !== undefined) out.push({ metric: s.metric, t: s.t, f: fn(s.h), dropName: true });
  return out;
}

/** histogram_count, histogram_sum, histogram_avg, histogram_stddev, histogram_stdvar. */
export const histogramReaders: Record<string, (h: FloatHistogram) => number> = {
  histogram_count: (h) => h.count,
  histogram_sum: (h) => h.sum,
  histogram_avg: (h) => h.sum / h.count,
  histogram_stddev: (h) => Math.sqrt(nativeVariance(h)),
  histogram_stdvar: (h) => nativeVariance(h),
};

function prepare(buckets: Bucket[]): Bucket[] | null {
  buckets.sort((a, b) => a.upper - b.upper);
  if (buckets[buckets.length - 1].upper !== Infinity) return null;
  const out: Bucket[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last !== undefined && last.upper === b.upper) last.count += b.count;
    else out.push({ upper: b.upper, count: b.count });
  }
  return out;
}

const minNormal = 2.2250738585072014e-308;

function almostEqual(a: number, b: number, eps: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < eps * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}

/** Removes decreases between buckets; returns whether a real (not rounding) decrease was fixed. */
function ensureMonotonic(buckets: Bucket[]): boolean {
  let forced = false;
  let prev = buckets[0].count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i].count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, 1e-12)) {
      buckets[i].count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i].count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  return forced;
}

function bucketQuantile(q: number, input: Bucket[]): [number, boolean] {
  if (Number.isNaN(q)) return [NaN, false];
  if (q < 0) return [-Infinity, false];
  if (q > 1) return [Infinity, false];
  const buckets = prepare(input);
  if (buckets === null) return [NaN, false];
  const forced = ensureMonotonic(buckets);
  if (buckets.length < 2) return [NaN, forced];
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0) return [NaN, forced];
  let rank = q * observations;
  let b = 0;
  while (b < buckets.length - 1 && !(buckets[b].count >= rank)) b++;
  if (b === buckets.length - 1) return [buckets[buckets.length - 2].upper, forced];
  if (b === 0 && buckets[0].upper <= 0) return [buckets[0].upper, forced];
  let start = 0;
  const end = buckets[b].upper;
  let count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return [start + (end - start) * (rank / count), forced];
}

/** `atQ`, `atV`: report about the quantile argument and the bucket vector argument. */
export function histogramQuantile(q: number, v: Vector, atQ: Reporter, atV: Reporter, cache: BucketCache): Vector {
  if (Number.isNaN(q) || q < 0 || q > 1) atQ.warn(`quantile value should be between 0 and 1, got ${goFloat(q)}`);
  const out: Vector = [];
  const natives: Sample[] = [];
  const groups = groupBuckets(v, atV, cache, natives);
  for (const s of natives) {
    out.push({ metric: s.metric, t: 0, f: nativeQuantile(q, s.h as FloatHistogram, s.metric.get(MetricName), atQ), dropName: true });
  }
  for (const g of groups) {
    const [value, forced] = bucketQuantile(q, g.buckets);
    if (forced) {
      atV.info(
        `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${JSON.stringify(g.metric.get(MetricName))}`,
      );
    }
    out.push({ metric: g.metric, t: 0, f: value, dropName: true });
  }
  return out;
}

/** `atL`: report about the lower bound argument (NaN observations), `atV`: about the vector. */
export function histogramFraction(lower: number, upper: number, v: Vector, atL: Reporter, atV: Reporter, cache: BucketCache): Vector {
  const out: Vector = [];
  const natives: Sample[] = [];
  const groups = groupBuckets(v, atV, cache, natives);
  for (const s of natives) {
    out.push({ metric: s.metric, t: 0, f: nativeFraction(lower, upper, s.h as FloatHistogram, s.metric.get(MetricName), atL), dropName: true });
  }
  for (const g of groups) {
    out.push({ metric: g.metric, t: 0, f: bucketFraction(lower, upper, g.buckets), dropName: true });
  }
  return out;
}

function bucketFraction(lower: number, upper: number, input: Bucket[]): number {
  const buckets = prepare(input);
  if (buckets === null) return NaN;
  ensureMonotonic(buckets);
  const count = buckets[buckets.length - 1].count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    const lo = i > 0 ? buckets[i - 1].upper : -Infinity;
    const hi = b.upper;
    const interpolate = (x: number): number => {
      if (lo === -Infinity) return x === -Infinity ? rank : b.count;
      if (hi === Infinity) return x === Infinity ? b.count : rank;
      return rank + ((b.count - rank) * (x - lo)) / (hi - lo);
    };
    if (!lowerSet && lo >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lo >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lo < lower && hi > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lo < upper && hi > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}
