/**
 * Structural checks of a native histogram (the rules of Prometheus' Histogram.Validate): a
 * histogram that fails them cannot be stored or queried meaningfully, so it is refused where it
 * enters (the distributor) and again before the head takes it.
 */
import type { FloatHistogram, Histogram, Span } from './histogram.js';
import { CustomBucketsSchema, MaxSchema, MinSchema } from './histogram.js';

/**
 * What is wrong with `h`, as a short sentence, or undefined when it is valid. `isFloat` says
 * whether the bucket arrays hold absolute counts (FloatHistogram) or deltas (Histogram).
 */
export function histogramProblem(h: Histogram | FloatHistogram, isFloat: boolean): string | undefined {
  const custom = h.schema === CustomBucketsSchema;
  if (!custom && (h.schema < MinSchema || h.schema > MaxSchema)) {
    return `schema ${h.schema} is out of range (${MinSchema}..${MaxSchema}, or ${CustomBucketsSchema} for custom buckets)`;
  }
  if (custom) {
    if (h.negativeSpans.length > 0 || h.negativeBuckets.length > 0) return 'a custom-buckets histogram has negative buckets';
    const cv = h.customValues;
    for (let i = 0; i < cv.length; i++) {
      if (Number.isNaN(cv[i]) || cv[i] === Infinity) return `custom bound ${i} is ${cv[i]} (the +Inf bound is implicit)`;
      if (i > 0 && cv[i] <= cv[i - 1]) return `custom bounds are not increasing at index ${i} (${cv[i - 1]} then ${cv[i]})`;
    }
  } else if (h.customValues.length > 0) {
    return `schema ${h.schema} has custom bounds (only schema ${CustomBucketsSchema} may)`;
  }
  const neg = sideProblem('negative', h.negativeSpans, h.negativeBuckets, isFloat, false);
  if (neg !== undefined) return neg;
  const pos = sideProblem('positive', h.positiveSpans, h.positiveBuckets, isFloat, custom);
  if (pos !== undefined) return pos;
  if (custom && lastIndex(h.positiveSpans) > h.customValues.length) {
    return `bucket index ${lastIndex(h.positiveSpans)} is beyond the ${h.customValues.length} custom bounds (+Inf is index ${h.customValues.length})`;
  }
  if (!(h.zeroCount >= 0)) return `zero bucket count ${h.zeroCount} is negative`;
  if (!(h.zeroThreshold >= 0)) return `zero threshold ${h.zeroThreshold} is negative`;
  const total = h.zeroCount + sumCounts(h.negativeBuckets, isFloat) + sumCounts(h.positiveBuckets, isFloat);
  if (!isFloat && !Number.isNaN(h.sum) && h.count !== total) {
    return `count ${h.count} is not the sum of the bucket counts (${total})`;
  }
  // Float counts are not checked against their buckets: rounding makes such checks fail on valid
  // histograms (Prometheus' FloatHistogram.Validate skips it too).
  if (!isFloat && h.count < total) return `count ${h.count} is less than the sum of the bucket counts (${total})`;
  return undefined;
}

function sideProblem(side: string, spans: readonly Span[], buckets: readonly number[], isFloat: boolean, custom: boolean): string | undefined {
  let n = 0;
  for (let i = 0; i < spans.length; i++) {
    // The first span's offset is the start index (any integer for standard schemas); later
    // offsets are gaps and cannot be negative.
    if ((i > 0 || custom) && spans[i].offset < 0) return `${side} span ${i} has a negative offset ${spans[i].offset}`;
    n += spans[i].length;
  }
  if (n !== buckets.length) return `${side} spans cover ${n} buckets but ${buckets.length} bucket counts are given`;
  let c = 0;
  for (let i = 0; i < buckets.length; i++) {
    c = isFloat ? buckets[i] : c + buckets[i];
    if (!(c >= 0)) return `${side} bucket ${i} has a negative count ${c}`;
  }
  return undefined;
}

function sumCounts(buckets: readonly number[], isFloat: boolean): number {
  let sum = 0;
  let c = 0;
  for (let i = 0; i < buckets.length; i++) {
    c = isFloat ? buckets[i] : c + buckets[i];
    sum += c;
  }
  return sum;
}

/** The index of the last bucket the spans cover (-Infinity when none). */
function lastIndex(spans: readonly Span[]): number {
  let idx = 0;
  let last = -Infinity;
  for (let i = 0; i < spans.length; i++) {
    idx += spans[i].offset;
    if (spans[i].length > 0) last = idx + spans[i].length - 1;
    idx += spans[i].length;
  }
  return last;
}
