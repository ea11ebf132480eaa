import { ValueType } from '../../storage/index.js';
import {
  EncodedChunkIterator,
  Encoding,
  FloatHistogramChunk,
  HistogramChunk,
  XorChunk,
  counterResetHeaderOf,
  setCounterResetHeader,
} from '../chunkenc/index.js';
import { isDeleted } from './tombstones.js';

/** A chunk re-encoded without deleted samples. */
export interface RewrittenChunk {
  minT: number;
  maxT: number;
  bytes: Uint8Array;
}

/** How a chunk [minT, maxT] relates to deleted intervals (sorted, disjoint, inclusive pairs). */
export function deletionCoverage(intervals: readonly number[], minT: number, maxT: number): 'none' | 'all' | 'some' {
  for (let i = 0; i < intervals.length; i += 2) {
    const a = intervals[i];
    const b = intervals[i + 1];
    if (b < minT || a > maxT) continue;
    return a <= minT && b >= maxT ? 'all' : 'some';
  }
  return 'none';
}

/**
 * Re-encodes a chunk without the samples inside `intervals`, as Prometheus does when reading a
 * block with tombstones; undefined when nothing is left. A histogram chunk keeps its layout and
 * header: the samples left fit it as they are.
 */
export function dropDeleted(encoding: number, bytes: Uint8Array, intervals: readonly number[], what: string): RewrittenChunk | undefined {
  const it = new EncodedChunkIterator();
  it.reset(encoding, bytes);
  const out =
    encoding === Encoding.Histogram
      ? new HistogramChunk(bytes.length)
      : encoding === Encoding.FloatHistogram
        ? new FloatHistogramChunk(bytes.length)
        : new XorChunk(bytes.length);
  let minT = 0;
  let maxT = 0;
  for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
    const t = it.atT();
    if (isDeleted(intervals, t)) continue;
    if (out.numSamples() === 0) minT = t;
    if (out instanceof XorChunk) out.append(t, it.atV());
    else if (out instanceof HistogramChunk) out.encodeSample(t, it.atHistogram());
    else out.encodeSample(t, it.atFloatHistogram());
    maxT = t;
  }
  const err = it.err();
  if (err !== undefined) throw new Error(`${what}: decode chunk`, { cause: err });
  if (out.numSamples() === 0) return undefined;
  const data = out.compact();
  if (encoding !== Encoding.XOR) setCounterResetHeader(data, counterResetHeaderOf(bytes));
  return { minT, maxT, bytes: data };
}
