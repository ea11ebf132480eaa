/**
 * Lowering a histogram's resolution (Prometheus' ReduceResolution): at schema s-1 every bucket is
 * the union of two neighbouring buckets of schema s, so counts are merged without losing any
 * observation. Used to keep a histogram under a bucket limit.
 */
import type { FloatHistogram, Histogram, Span } from './histogram.js';
import { CustomBucketsSchema } from './histogram.js';

/** Buckets in use (the length of both bucket arrays). */
export function bucketCount(h: Histogram | FloatHistogram): number {
  return h.positiveBuckets.length + h.negativeBuckets.length;
}

/**
 * A copy of `h` at the lower standard schema `target` (target < h.schema). `isFloat` says whether
 * bucket arrays are absolute counts (FloatHistogram) or deltas (Histogram); the result is of the
 * same kind. Custom-bucket histograms have no lower resolution: the caller must not ask.
 */
export function reduceResolution<H extends Histogram | FloatHistogram>(h: H, target: number, isFloat: boolean): H {
  if (h.schema === CustomBucketsSchema || target >= h.schema) throw new Error(`BUG: cannot reduce schema ${h.schema} to ${target}`);
  const pos = reduceSide(h.positiveSpans, h.positiveBuckets, h.schema - target, isFloat);
  const neg = reduceSide(h.negativeSpans, h.negativeBuckets, h.schema - target, isFloat);
  return {
    ...h,
    schema: target,
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
    customValues: [],
  };
}

/** Merges the buckets of one side `shift` schemas down. */
function reduceSide(spans: readonly Span[], buckets: readonly number[], shift: number, isFloat: boolean): { spans: Span[]; buckets: number[] } {
  const outSpans: Span[] = [];
  const counts: number[] = [];
  let idx = 0;
  let b = 0;
  let abs = 0;
  let lastTarget = 0;
  for (let s = 0; s < spans.length; s++) {
    idx += spans[s].offset;
    for (let k = 0; k < spans[s].length; k++, idx++, b++) {
      abs = isFloat ? buckets[b] : abs + buckets[b];
      // Bucket i covers (base^(i-1), base^i]; at the lower schema it falls in ceil(i / 2^shift).
      const target = Math.floor((idx - 1) / 2 ** shift) + 1;
      if (counts.length > 0 && target === lastTarget) {
        counts[counts.length - 1] += abs;
        continue;
      }
      const gap = counts.length === 0 ? target : target - lastTarget - 1;
      if (outSpans.length > 0 && gap === 0) outSpans[outSpans.length - 1].length++;
      else outSpans.push({ offset: gap, length: 1 });
      counts.push(abs);
      lastTarget = target;
    }
  }
  if (isFloat) return { spans: outSpans, buckets: counts };
  const deltas = new Array<number>(counts.length);
  let prev = 0;
  for (let i = 0; i < counts.length; i++) {
    deltas[i] = counts[i] - prev;
    prev = counts[i];
  }
  return { spans: outSpans, buckets: deltas };
}
