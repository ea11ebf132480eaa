import { ValueType } from '../../storage/index.js';
import { Encoding, XorChunk, XorIterator } from '../chunkenc/index.js';
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
 * Re-encodes an XOR chunk without the samples inside `intervals`, as Prometheus does when reading a
 * block with tombstones; undefined when nothing is left.
 */
export function dropDeleted(encoding: number, bytes: Uint8Array, intervals: readonly number[], what: string): RewrittenChunk | undefined {
  if (encoding !== Encoding.XOR) throw new Error(`${what}: deleting samples from chunk encoding ${encoding} is not supported`);
  const it = new XorIterator(bytes);
  const out = new XorChunk(bytes.length);
  let minT = 0;
  let maxT = 0;
  for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
    const t = it.atT();
    if (isDeleted(intervals, t)) continue;
    if (out.numSamples() === 0) minT = t;
    out.append(t, it.atV());
    maxT = t;
  }
  const err = it.err();
  if (err !== undefined) throw new Error(`${what}: decode chunk`, { cause: err });
  return out.numSamples() === 0 ? undefined : { minT, maxT, bytes: out.compact() };
}
