/**
 * Bucket layout changes inside an open histogram chunk (Prometheus' forward and backward inserts).
 *
 * A chunk writes its spans once, so every sample in it must have exactly those buckets. When a
 * new sample brings buckets the chunk lacks, the chunk is recoded with those buckets inserted as
 * empty into every earlier sample ("forward" inserts). When the sample lacks buckets the chunk has,
 * they are inserted as empty into the sample ("backward" inserts) — allowed for a counter only if
 * they were empty in the chunk's last sample, else it is a counter reset. Gauges may do both freely.
 *
 * Not per-sample work: appenders call these only when a sample's spans differ from the chunk's.
 */
import type { Span } from '../../model/histogram/index.js';

/** `num` empty buckets with indexes bucketIdx, bucketIdx+1, … go before the pos'th present bucket. */
export interface Insert {
  pos: number;
  num: number;
  bucketIdx: number;
}

export interface Expansion {
  /** Inserts that make the chunk's buckets cover the sample's. */
  forward: Insert[];
  /** Inserts that make the sample's buckets cover the chunk's. */
  backward: Insert[];
  /** The union of both layouts as spans. */
  merged: Span[];
}

export function sameSpans(a: readonly Span[], b: readonly Span[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].offset !== b[i].offset || a[i].length !== b[i].length) return false;
  }
  return true;
}

/** The absolute indexes of the buckets spans describe, in order. */
export function bucketIndexes(spans: readonly Span[]): number[] {
  const out: number[] = [];
  let idx = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let j = 0; j < s.length; j++) out.push(idx++);
  }
  return out;
}

/** Canonical spans of sorted bucket indexes: the first offset is the first index, gaps make spans. */
export function spansOf(indexes: readonly number[]): Span[] {
  const spans: Span[] = [];
  let last = 0;
  for (let i = 0; i < indexes.length; i++) {
    const b = indexes[i];
    if (spans.length > 0 && b === last + 1) spans[spans.length - 1].length++;
    else spans.push({ offset: spans.length === 0 ? b : b - last - 1, length: 1 });
    last = b;
  }
  return spans;
}

function union(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out.push(a[i++]);
    else if (i >= a.length || b[j] < a[i]) out.push(b[j++]);
    else {
      out.push(a[i++]);
      j++;
    }
  }
  return out;
}

/** The inserts that expand `from` (a subset of `merged`, both sorted) to `merged`. */
function insertsFor(from: readonly number[], merged: readonly number[]): Insert[] {
  const inserts: Insert[] = [];
  let pos = 0;
  let cur: Insert | undefined;
  for (const idx of merged) {
    if (pos < from.length && from[pos] === idx) {
      pos++;
      cur = undefined;
    } else if (cur !== undefined && cur.pos === pos && cur.bucketIdx + cur.num === idx) {
      cur.num++;
    } else {
      cur = { pos, num: 1, bucketIdx: idx };
      inserts.push(cur);
    }
  }
  return inserts;
}

/** Both ways at once, for gauges: anything goes. */
export function expandBothWays(a: readonly Span[], b: readonly Span[]): Expansion {
  const ai = bucketIndexes(a);
  const bi = bucketIndexes(b);
  const merged = union(ai, bi);
  return { forward: insertsFor(ai, merged), backward: insertsFor(bi, merged), merged: spansOf(merged) };
}

/**
 * For counters: the expansion, or undefined when the sample is a counter reset (a bucket fell, or
 * a bucket the sample lacks was not empty). `deltas` says the bucket arrays hold deltas between
 * consecutive buckets (integer histograms) rather than counts.
 */
export function expandCounter(
  a: readonly Span[],
  b: readonly Span[],
  aBuckets: readonly number[],
  bBuckets: readonly number[],
  deltas: boolean,
): Expansion | undefined {
  const ai = bucketIndexes(a);
  const bi = bucketIndexes(b);
  let i = 0;
  let j = 0;
  let aCount = 0;
  let bCount = 0;
  while (i < ai.length) {
    aCount = deltas ? aCount + aBuckets[i] : aBuckets[i];
    while (j < bi.length && bi[j] < ai[i]) {
      bCount = deltas ? bCount + bBuckets[j] : bBuckets[j];
      j++;
    }
    if (j < bi.length && bi[j] === ai[i]) {
      bCount = deltas ? bCount + bBuckets[j] : bBuckets[j];
      j++;
      if (aCount > bCount) return undefined;
    } else if (aCount !== 0) {
      return undefined;
    }
    i++;
  }
  const merged = union(ai, bi);
  return { forward: insertsFor(ai, merged), backward: insertsFor(bi, merged), merged: spansOf(merged) };
}

/**
 * A copy of bucket values with the inserted buckets added empty. With `deltas`, the first inserted
 * bucket of a run takes the delta back to zero and the bucket after the run the delta up again.
 */
export function insertBuckets(values: readonly number[], inserts: readonly Insert[], deltas: boolean): number[] {
  const out: number[] = [];
  let v = 0; // the last original bucket's count
  let ii = 0;
  for (let i = 0; i <= values.length; i++) {
    let inserted = false;
    while (ii < inserts.length && inserts[ii].pos === i) {
      for (let k = 0; k < inserts[ii].num; k++) {
        out.push(deltas && !inserted ? -v : 0);
        inserted = true;
      }
      ii++;
    }
    if (i === values.length) break;
    const d = values[i];
    out.push(deltas && inserted ? d + v : d);
    if (deltas) v += d;
  }
  if (ii < inserts.length) throw new Error('BUG: bucket insert past the end of the buckets');
  return out;
}
