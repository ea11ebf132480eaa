/**
 * What the two histogram chunk appenders share: the result type and the decision Prometheus makes
 * for each sample (append as is, insert buckets, recode, or cut a new chunk, and which header the new
 * chunk gets). The encodings themselves are in histogram.ts and float-histogram.ts.
 */
import type { FloatHistogram, Histogram, Span } from '../../model/histogram/index.js';
import { CounterResetHint, isCustomBucketsSchema } from '../../model/histogram/index.js';
import { isStaleNaN } from './float-bits.js';
import type { HistogramChunkBase } from './histogram-base.js';
import { CounterResetHeader } from './histogram-layout.js';
import { type Expansion, type Insert, expandBothWays, expandCounter, insertBuckets, sameSpans } from './histogram-inserts.js';

/** Why a new chunk was cut. */
export type CutReason =
  /** The sample is a counter reset (its hint says so, or a count fell). */
  | 'counter-reset'
  /** Schema, zero threshold or custom bounds changed, or the previous sample was a staleness marker. */
  | 'layout'
  /** A gauge histogram after counter ones or the other way round. */
  | 'kind';

/**
 * The outcome of appending one sample to a histogram chunk:
 * - appended: the sample is in the chunk (no allocation on this path).
 * - recoded: `chunk` holds every sample of the old chunk, recoded with new buckets, and this one;
 *   it replaces the old chunk, which must no longer be used.
 * - cut: the old chunk is complete as it is; `chunk` is a new one holding just this sample, its
 *   header saying how it follows the old one.
 */
export type HistogramAppendResult<C> =
  | { readonly status: 'appended' }
  | { readonly status: 'recoded'; readonly chunk: C }
  | { readonly status: 'cut'; readonly chunk: C; readonly reason: CutReason };

export const Appended = Object.freeze({ status: 'appended' as const });

type AnyHistogram = Histogram | FloatHistogram;

/** The appender's view of its open chunk. */
export type ChunkState = Pick<
  HistogramChunkBase<AnyHistogram>,
  | 'header'
  | 'numSamples'
  | 'schema'
  | 'zeroThreshold'
  | 'positiveSpans'
  | 'negativeSpans'
  | 'customValues'
  | 'lastCount'
  | 'lastZeroCount'
  | 'lastSumIsStale'
  | 'lastPositive'
  | 'lastNegative'
>;

export type Expand = Extract<Decision, { kind: 'expand' }>;

export type Decision =
  | { kind: 'append' }
  | { kind: 'cut'; header: CounterResetHeader; reason: CutReason }
  | {
      kind: 'expand';
      /** Spans the sample is appended with (and the chunk recoded to when forward inserts exist). */
      positiveSpans: Span[];
      negativeSpans: Span[];
      forwardPositive: Insert[];
      forwardNegative: Insert[];
      backwardPositive: Insert[];
      backwardNegative: Insert[];
    };

const Append: Decision = Object.freeze({ kind: 'append' as const });

function cut(header: CounterResetHeader, reason: CutReason): Decision {
  return { kind: 'cut', header, reason };
}

/**
 * Prometheus' appendable()/appendableGauge() for a non-empty chunk. `float` selects the float
 * histogram's header rules, which differ in one place: a non-reset cut of a float chunk leaves the
 * header unknown where an integer chunk's says "not a reset" after a gauge chunk.
 */
export function decide(c: ChunkState, h: AnyHistogram, deltas: boolean): Decision {
  if (h.counterResetHint === CounterResetHint.Gauge) return decideGauge(c, h);
  if (c.header === CounterResetHeader.Gauge) {
    return cut(deltas ? CounterResetHeader.NotCounterReset : CounterResetHeader.Unknown, 'kind');
  }
  if (h.counterResetHint === CounterResetHint.CounterReset) return cut(CounterResetHeader.CounterReset, 'counter-reset');
  if (isStaleNaN(h.sum)) return Append;
  if (c.lastSumIsStale) return cut(CounterResetHeader.Unknown, 'layout');
  if (h.count < c.lastCount) return cut(CounterResetHeader.CounterReset, 'counter-reset');
  if (h.schema !== c.schema || h.zeroThreshold !== c.zeroThreshold) return cut(CounterResetHeader.Unknown, 'layout');
  if (isCustomBucketsSchema(h.schema) && !sameBounds(h.customValues, c.customValues)) {
    return cut(CounterResetHeader.CounterReset, 'counter-reset');
  }
  if (h.zeroCount < c.lastZeroCount) return cut(CounterResetHeader.CounterReset, 'counter-reset');
  const pSame = sameSpans(c.positiveSpans, h.positiveSpans);
  const nSame = sameSpans(c.negativeSpans, h.negativeSpans);
  if (pSame && nSame) {
    // The common case: same buckets, so only whether any fell matters.
    if (fell(c.lastPositive(), h.positiveBuckets, deltas) || fell(c.lastNegative(), h.negativeBuckets, deltas)) {
      return cut(CounterResetHeader.CounterReset, 'counter-reset');
    }
    return Append;
  }
  const p = expandCounter(c.positiveSpans, h.positiveSpans, c.lastPositive(), h.positiveBuckets, deltas);
  const n = p && expandCounter(c.negativeSpans, h.negativeSpans, c.lastNegative(), h.negativeBuckets, deltas);
  if (p === undefined || n === undefined) return cut(CounterResetHeader.CounterReset, 'counter-reset');
  return expansion(c, h, p, n, false);
}

function decideGauge(c: ChunkState, h: AnyHistogram): Decision {
  if (c.header !== CounterResetHeader.Gauge) return cut(CounterResetHeader.Gauge, 'kind');
  if (isStaleNaN(h.sum)) return Append;
  if (c.lastSumIsStale) return cut(CounterResetHeader.Gauge, 'layout');
  if (h.schema !== c.schema || h.zeroThreshold !== c.zeroThreshold) return cut(CounterResetHeader.Gauge, 'layout');
  if (isCustomBucketsSchema(h.schema) && !sameBounds(h.customValues, c.customValues)) {
    return cut(CounterResetHeader.Gauge, 'layout');
  }
  if (sameSpans(c.positiveSpans, h.positiveSpans) && sameSpans(c.negativeSpans, h.negativeSpans)) return Append;
  return expansion(c, h, expandBothWays(c.positiveSpans, h.positiveSpans), expandBothWays(c.negativeSpans, h.negativeSpans), true);
}

/** Which spans the sample takes, as Prometheus picks them (the layout bits depend on it). */
function expansion(c: ChunkState, h: AnyHistogram, p: Expansion, n: Expansion, gauge: boolean): Decision {
  const anyForward = p.forward.length + n.forward.length > 0;
  const anyBackward = p.backward.length + n.backward.length > 0;
  let positiveSpans = h.positiveSpans;
  let negativeSpans = h.negativeSpans;
  if (anyBackward) {
    if (!anyForward && !gauge) {
      positiveSpans = c.positiveSpans.map(copySpan);
      negativeSpans = c.negativeSpans.map(copySpan);
    } else {
      positiveSpans = p.merged;
      negativeSpans = n.merged;
    }
  }
  if (!anyForward && !anyBackward) return Append;
  return {
    kind: 'expand',
    positiveSpans,
    negativeSpans,
    forwardPositive: p.forward,
    forwardNegative: n.forward,
    backwardPositive: p.backward,
    backwardNegative: n.backward,
  };
}

/** The header a chunk's first sample gets, given the chunk before it (if the caller has it). */
export function firstHeader(h: AnyHistogram, prev: ChunkState | undefined, deltas: boolean): CounterResetHeader {
  if (h.counterResetHint === CounterResetHint.Gauge) return CounterResetHeader.Gauge;
  if (h.counterResetHint === CounterResetHint.CounterReset) return CounterResetHeader.CounterReset;
  if (prev === undefined || prev.numSamples() === 0) return CounterResetHeader.Unknown;
  const d = decide(prev, h, deltas);
  if (d.kind !== 'cut') return CounterResetHeader.NotCounterReset;
  if (deltas) return d.header;
  return d.header === CounterResetHeader.CounterReset ? CounterResetHeader.CounterReset : CounterResetHeader.NotCounterReset;
}

function fell(last: readonly number[], next: readonly number[], deltas: boolean): boolean {
  let a = 0;
  let b = 0;
  for (let i = 0; i < last.length; i++) {
    if (deltas) {
      a += last[i];
      b += next[i];
    } else {
      a = last[i];
      b = next[i];
    }
    if (a > b) return true;
  }
  return false;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function copySpan(s: Span): Span {
  return { offset: s.offset, length: s.length };
}

/** The sample to append after backward inserts: `h` itself when none, else a widened copy. */
export function withBackwardInserts<H extends Histogram | FloatHistogram>(
  h: H,
  d: Expand,
  deltas: boolean,
): H {
  if (d.backwardPositive.length + d.backwardNegative.length === 0) return h;
  return {
    ...h,
    positiveSpans: d.positiveSpans,
    negativeSpans: d.negativeSpans,
    positiveBuckets: insertBuckets(h.positiveBuckets, d.backwardPositive, deltas),
    negativeBuckets: insertBuckets(h.negativeBuckets, d.backwardNegative, deltas),
  };
}
