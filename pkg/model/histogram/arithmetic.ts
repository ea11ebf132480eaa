/**
 * Arithmetic on float histograms (Prometheus FloatHistogram Add/Sub/Mul/Div/DetectReset/
 * ReduceResolution), as free functions returning new objects: inputs are never modified.
 * Results are compact: no empty buckets, spans as long as possible (Prometheus' Compact(0)).
 */
import type { Indexed } from './buckets.js';
import { bucketBound, indexed, reduceIndexed, sparse } from './buckets.js';
import type { FloatHistogram } from './histogram.js';
import { CounterResetHint, copyFloatHistogram, isCustomBucketsSchema } from './histogram.js';
import { reduceResolution } from './reduce.js';

/** Why two histograms cannot be combined (texts as Prometheus' errors). */
export class HistogramError extends Error {
  /** 'schema': exponential and custom buckets mixed; 'bounds': different custom bounds. */
  readonly kind: 'schema' | 'bounds';
  constructor(kind: 'schema' | 'bounds') {
    super(
      kind === 'schema'
        ? 'cannot apply this operation on histograms with a mix of exponential and custom bucket schemas'
        : 'cannot apply this operation on custom buckets histograms with different custom bounds',
    );
    this.name = 'HistogramError';
    this.kind = kind;
  }
}

/** Empty buckets dropped and adjacent spans joined. */
export function compact(h: FloatHistogram): FloatHistogram {
  const p = sparse(indexed(h.positiveSpans, h.positiveBuckets));
  const n = sparse(indexed(h.negativeSpans, h.negativeBuckets));
  return { ...h, positiveSpans: p.spans, positiveBuckets: p.buckets, negativeSpans: n.spans, negativeBuckets: n.buckets };
}

export function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws unless a and b can be added: both exponential, or custom with the same bounds. */
export function checkCompatible(a: FloatHistogram, b: FloatHistogram): void {
  const ca = isCustomBucketsSchema(a.schema);
  if (ca !== isCustomBucketsSchema(b.schema)) throw new HistogramError('schema');
  if (ca && !sameBounds(a.customValues, b.customValues)) throw new HistogramError('bounds');
}

/** Every count (not the schema or layout) multiplied by f. */
export function scale(h: FloatHistogram, f: number): FloatHistogram {
  const out = copyFloatHistogram(h);
  out.zeroCount *= f;
  out.count *= f;
  out.sum *= f;
  for (let i = 0; i < out.positiveBuckets.length; i++) out.positiveBuckets[i] *= f;
  for (let i = 0; i < out.negativeBuckets.length; i++) out.negativeBuckets[i] *= f;
  return out;
}

/** Every count divided by d; division by zero drops the buckets, as Prometheus does. */
export function divide(h: FloatHistogram, d: number): FloatHistogram {
  const out = copyFloatHistogram(h);
  out.zeroCount /= d;
  out.count /= d;
  out.sum /= d;
  if (d === 0) {
    out.positiveSpans = [];
    out.negativeSpans = [];
    out.positiveBuckets = [];
    out.negativeBuckets = [];
    return out;
  }
  for (let i = 0; i < out.positiveBuckets.length; i++) out.positiveBuckets[i] /= d;
  for (let i = 0; i < out.negativeBuckets.length; i++) out.negativeBuckets[i] /= d;
  return out;
}

/** The counter-reset hint of a sum: gauge wins, then unknown; reset with not-reset is unknown. */
function combinedHint(a: CounterResetHint, b: CounterResetHint): CounterResetHint {
  if (a === b) return a;
  if (a === CounterResetHint.Gauge || b === CounterResetHint.Gauge) return CounterResetHint.Gauge;
  return CounterResetHint.Unknown;
}

/** a + b (schema reduced to the lower of the two, zero buckets merged to the wider). */
export function add(a: FloatHistogram, b: FloatHistogram): FloatHistogram {
  return combine(a, b, 1);
}

/** a - b, under the same rules as add. */
export function sub(a: FloatHistogram, b: FloatHistogram): FloatHistogram {
  return combine(a, b, -1);
}

function combine(a: FloatHistogram, b: FloatHistogram, sign: 1 | -1): FloatHistogram {
  checkCompatible(a, b);
  const hint = sign === 1 ? combinedHint(a.counterResetHint, b.counterResetHint) : a.counterResetHint;
  if (isCustomBucketsSchema(a.schema)) {
    const p = sparse(merge(indexed(a.positiveSpans, a.positiveBuckets), indexed(b.positiveSpans, b.positiveBuckets), sign));
    return {
      ...copyFloatHistogram(a),
      counterResetHint: hint,
      count: a.count + sign * b.count,
      sum: a.sum + sign * b.sum,
      positiveSpans: p.spans,
      positiveBuckets: p.buckets,
    };
  }
  const schema = Math.min(a.schema, b.schema);
  const threshold = commonZeroThreshold(a, b);
  const za = inZeroBucket(a, schema, threshold);
  const zb = inZeroBucket(b, schema, threshold);
  const p = sparse(merge(za.positive, zb.positive, sign));
  const n = sparse(merge(za.negative, zb.negative, sign));
  return {
    counterResetHint: hint,
    schema,
    zeroThreshold: threshold,
    zeroCount: za.zeroCount + sign * zb.zeroCount,
    count: a.count + sign * b.count,
    sum: a.sum + sign * b.sum,
    positiveSpans: p.spans,
    negativeSpans: n.spans,
    positiveBuckets: p.buckets,
    negativeBuckets: n.buckets,
    customValues: [],
  };
}

function merge(a: Indexed, b: Indexed, sign: 1 | -1): Indexed {
  const idx: number[] = [];
  const counts: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.idx.length || j < b.idx.length) {
    if (j >= b.idx.length || (i < a.idx.length && a.idx[i] < b.idx[j])) {
      idx.push(a.idx[i]);
      counts.push(a.counts[i++]);
    } else if (i >= a.idx.length || b.idx[j] < a.idx[i]) {
      idx.push(b.idx[j]);
      counts.push(sign * b.counts[j++]);
    } else {
      idx.push(a.idx[i]);
      counts.push(a.counts[i++] + sign * b.counts[j++]);
    }
  }
  return { idx, counts };
}

/**
 * The narrowest zero threshold at least as wide as both histograms' that does not cut through a
 * populated bucket of either (Prometheus reconcileZeroBuckets).
 */
function commonZeroThreshold(a: FloatHistogram, b: FloatHistogram): number {
  let t = Math.max(a.zeroThreshold, b.zeroThreshold);
  for (;;) {
    const t2 = widenedThreshold(b, widenedThreshold(a, t));
    if (t2 === t) return t;
    t = t2;
  }
}

/** `t`, or the bound of a populated bucket of h that t falls inside, widened until neither holds. */
function widenedThreshold(h: FloatHistogram, t: number): number {
  if (t <= h.zeroThreshold) return t;
  const sides: Array<[Indexed]> = [[indexed(h.positiveSpans, h.positiveBuckets)], [indexed(h.negativeSpans, h.negativeBuckets)]];
  for (;;) {
    let moved = false;
    for (const [b] of sides) {
      for (let j = 0; j < b.idx.length; j++) {
        const lower = bucketBound(b.idx[j] - 1, h.schema, h.customValues);
        const upper = bucketBound(b.idx[j], h.schema, h.customValues);
        if (lower >= t) break;
        if (upper > t) {
          if (b.counts[j] !== 0) {
            t = upper;
            moved = true;
          }
          break;
        }
      }
    }
    if (!moved) return t;
  }
}

/** h's buckets at `schema` with those inside the zero bucket of width `threshold` folded into it. */
function inZeroBucket(h: FloatHistogram, schema: number, threshold: number): { positive: Indexed; negative: Indexed; zeroCount: number } {
  let zeroCount = h.zeroCount;
  const fold = (b: Indexed): Indexed => {
    if (threshold === h.zeroThreshold) return b;
    const idx: number[] = [];
    const counts: number[] = [];
    for (let j = 0; j < b.idx.length; j++) {
      if (bucketBound(b.idx[j], h.schema, h.customValues) <= threshold) zeroCount += b.counts[j];
      else {
        idx.push(b.idx[j]);
        counts.push(b.counts[j]);
      }
    }
    return { idx, counts };
  };
  const positive = reduceIndexed(fold(indexed(h.positiveSpans, h.positiveBuckets)), h.schema, schema);
  const negative = reduceIndexed(fold(indexed(h.negativeSpans, h.negativeBuckets)), h.schema, schema);
  return { positive, negative, zeroCount };
}

/** h at the lower resolution `schema` (buckets merged); h itself when already there or with custom buckets. */
export function reduceFloatResolution(h: FloatHistogram, schema: number): FloatHistogram {
  if (isCustomBucketsSchema(h.schema) || schema >= h.schema) return h;
  return reduceResolution(copyFloatHistogram(h), schema, true);
}

/**
 * Whether `cur` follows `prev` only through a counter reset (Prometheus DetectReset): a count or
 * bucket went down, a populated bucket vanished, the resolution rose, the zero bucket narrowed,
 * or the custom bounds changed. The hints CounterReset/NotCounterReset decide on their own.
 */
export function detectReset(cur: FloatHistogram, prev: FloatHistogram): boolean {
  if (cur.counterResetHint === CounterResetHint.CounterReset) return true;
  if (cur.counterResetHint === CounterResetHint.NotCounterReset) return false;
  if (cur.count < prev.count) return true;
  const custom = isCustomBucketsSchema(cur.schema);
  if (custom !== isCustomBucketsSchema(prev.schema)) return true;
  if (custom && !sameBounds(cur.customValues, prev.customValues)) return true;
  if (cur.schema > prev.schema) return true;
  if (cur.zeroThreshold < prev.zeroThreshold) return true;
  if (!custom && widenedThreshold(prev, cur.zeroThreshold) !== cur.zeroThreshold) return true;
  const p = custom ? null : inZeroBucket(prev, cur.schema, cur.zeroThreshold);
  if (p !== null && cur.zeroCount < p.zeroCount) return true;
  const prevPos = p?.positive ?? indexed(prev.positiveSpans, prev.positiveBuckets);
  if (bucketsDropped(indexed(cur.positiveSpans, cur.positiveBuckets), prevPos)) return true;
  return p !== null && bucketsDropped(indexed(cur.negativeSpans, cur.negativeBuckets), p.negative);
}

/** Some bucket of prev is populated and lower (or absent) in cur. */
function bucketsDropped(cur: Indexed, prev: Indexed): boolean {
  let i = 0;
  for (let j = 0; j < prev.idx.length; j++) {
    if (prev.counts[j] === 0) continue;
    while (i < cur.idx.length && cur.idx[i] < prev.idx[j]) i++;
    if (i >= cur.idx.length || cur.idx[i] !== prev.idx[j] || cur.counts[i] < prev.counts[j]) return true;
  }
  return false;
}

/** Exact equality of two histograms (layout compared after compaction). */
export function equalHistograms(a: FloatHistogram, b: FloatHistogram): boolean {
  const ca = compact(a);
  const cb = compact(b);
  return (
    ca.schema === cb.schema &&
    ca.zeroThreshold === cb.zeroThreshold &&
    Object.is(ca.zeroCount, cb.zeroCount) &&
    Object.is(ca.count, cb.count) &&
    Object.is(ca.sum, cb.sum) &&
    sameBounds(ca.customValues, cb.customValues) &&
    JSON.stringify([ca.positiveSpans, ca.negativeSpans]) === JSON.stringify([cb.positiveSpans, cb.negativeSpans]) &&
    sameBits(ca.positiveBuckets, cb.positiveBuckets) &&
    sameBits(ca.negativeBuckets, cb.negativeBuckets)
  );
}

function sameBits(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
