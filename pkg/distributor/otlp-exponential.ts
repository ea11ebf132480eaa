// OTLP exponential histograms as Prometheus native histograms. Both index buckets by powers of
// base = 2^(2^-scale), so the scale is the schema; but OTLP bucket i is (base^i, base^(i+1)] and
// Prometheus bucket i is (base^(i-1), base^i]: indexes shift by one. Prometheus knows schemas -4
// to 8: a finer OTLP scale is merged down to 8 (bucket i of scale s is bucket i >> 1 of s - 1).
import { Histogram_ResetHint, type BucketSpan, type Histogram } from '../generated/prometheus/types.js';
import type { ExponentialHistogramDataPoint, ExponentialHistogramDataPoint_Buckets } from '../generated/opentelemetry/proto/metrics/v1/metrics.js';

const maxSchema = 8;
const minSchema = -4;

/**
 * Data point `p` as a native histogram sample at `timestamp` (ms), or why it cannot be one.
 * `stale` makes it a staleness marker (OTLP's no-recorded-value flag).
 */
export function nativeHistogram(p: ExponentialHistogramDataPoint, timestamp: number, stale: number | undefined): Histogram | string {
  if (p.scale < minSchema) return `exponential histogram scale ${p.scale} is below the lowest native histogram schema ${minSchema}`;
  const schema = Math.min(p.scale, maxSchema);
  const pos = spansAndDeltas(p.positive, p.scale - schema);
  const neg = spansAndDeltas(p.negative, p.scale - schema);
  return {
    countInt: stale === undefined ? Number(p.count) : 0,
    countFloat: undefined,
    sum: stale ?? p.sum ?? 0,
    schema,
    zeroThreshold: p.zeroThreshold,
    zeroCountInt: stale === undefined ? Number(p.zeroCount) : 0,
    zeroCountFloat: undefined,
    negativeSpans: stale === undefined ? neg.spans : [],
    negativeDeltas: stale === undefined ? neg.deltas : [],
    negativeCounts: [],
    positiveSpans: stale === undefined ? pos.spans : [],
    positiveDeltas: stale === undefined ? pos.deltas : [],
    positiveCounts: [],
    resetHint: Histogram_ResetHint.UNKNOWN,
    timestamp,
    customValues: [],
  };
}

/**
 * The buckets as Prometheus spans and count deltas, merged `down` scales. Runs of up to two empty
 * buckets stay inside a span (cheaper than a new span, as Prometheus does); longer ones start one.
 */
function spansAndDeltas(b: ExponentialHistogramDataPoint_Buckets | undefined, down: number): { spans: BucketSpan[]; deltas: number[] } {
  const spans: BucketSpan[] = [];
  const deltas: number[] = [];
  if (b === undefined) return { spans, deltas };
  const counts: number[] = [];
  let first = 0;
  // Merge into the coarser buckets (indexes only grow, so merged ones arrive in order).
  for (let k = 0; k < b.bucketCounts.length; k++) {
    const c = Number(b.bucketCounts[k]);
    const idx = (b.offset + k) >> down;
    if (counts.length === 0) first = idx;
    if (idx - first < counts.length) counts[counts.length - 1] += c;
    else counts.push(c);
  }
  let prev = 0;
  let lastIdx = Number.NaN;
  for (let k = 0; k < counts.length; k++) {
    if (counts[k] === 0) continue;
    const idx = first + k + 1;
    const gap = idx - lastIdx - 1;
    if (Number.isNaN(lastIdx) || gap > 2) spans.push({ offset: Number.isNaN(lastIdx) ? idx : gap, length: 0 });
    else for (let z = 0; z < gap; z++) {
      deltas.push(-prev);
      prev = 0;
      spans[spans.length - 1].length++;
    }
    deltas.push(counts[k] - prev);
    prev = counts[k];
    spans[spans.length - 1].length++;
    lastIdx = idx;
  }
  return { spans, deltas };
}
