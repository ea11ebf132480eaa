import type { FloatHistogram, Histogram, Span } from './histogram.js';

/**
 * Whether two histograms of the same kind are the same sample (Prometheus' Equals): every field but
 * the counter reset hint, floats compared with Object.is (NaN equals NaN), as a repeated sample must
 * be to be a no-op.
 */
export function identicalHistograms(a: Histogram | FloatHistogram, b: Histogram | FloatHistogram): boolean {
  return a.schema === b.schema && Object.is(a.zeroThreshold, b.zeroThreshold)
    && Object.is(a.zeroCount, b.zeroCount) && Object.is(a.count, b.count) && Object.is(a.sum, b.sum)
    && spansEqual(a.positiveSpans, b.positiveSpans) && spansEqual(a.negativeSpans, b.negativeSpans)
    && numbersEqual(a.positiveBuckets, b.positiveBuckets) && numbersEqual(a.negativeBuckets, b.negativeBuckets)
    && numbersEqual(a.customValues, b.customValues);
}

function spansEqual(a: readonly Span[], b: readonly Span[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].offset !== b[i].offset || a[i].length !== b[i].length) return false;
  return true;
}

function numbersEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
