// Conversion of histogram samples to remote write's prometheus.Histogram message (ts-proto), for
// the paths that build requests rather than decode them: the distributor's re-encoding of a
// series whose histograms it reduced, clients in tests and benchmarks.
import type { Histogram as WireHistogram } from '../generated/prometheus/types.js';
import type { HistogramSample } from './histogram-decoder.js';

export function histogramToWire(s: HistogramSample): WireHistogram {
  const h = s.h ?? s.fh;
  if (h === undefined) throw new Error('BUG: a histogram sample with neither h nor fh');
  const isFloat = s.h === undefined;
  return {
    countInt: isFloat ? undefined : h.count,
    countFloat: isFloat ? h.count : undefined,
    sum: h.sum,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCountInt: isFloat ? undefined : h.zeroCount,
    zeroCountFloat: isFloat ? h.zeroCount : undefined,
    negativeSpans: h.negativeSpans.map((x) => ({ offset: x.offset, length: x.length })),
    negativeDeltas: isFloat ? [] : h.negativeBuckets.slice(),
    negativeCounts: isFloat ? h.negativeBuckets.slice() : [],
    positiveSpans: h.positiveSpans.map((x) => ({ offset: x.offset, length: x.length })),
    positiveDeltas: isFloat ? [] : h.positiveBuckets.slice(),
    positiveCounts: isFloat ? h.positiveBuckets.slice() : [],
    resetHint: h.counterResetHint,
    timestamp: s.t,
    customValues: h.customValues.slice(),
  };
}
