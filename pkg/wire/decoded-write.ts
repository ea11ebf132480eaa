// What the distributor needs of a decoded remote write request, whichever protocol version it
// came in: series as label byte ranges and sample, histogram and exemplar columns, and the 1.0
// bytes of accepted series for the ingesters (which speak remote write 1.0's WriteRequest).
import { stringEqualsUtf8 } from '../model/labels/index.js';
import type { HistogramSample } from './histogram-decoder.js';
import type { MetadataEntry } from './write-request-decoder.js';
import { rewriteSeriesLabels } from './write-request-encoder.js';

/** Byte ranges of any buffers: entry k is bufs[k][from[k], to[k]), a whole WriteRequest field. */
export interface WirePieces {
  bufs: Uint8Array[];
  from: number[];
  to: number[];
}

export interface DecodedWrite {
  /** The buffer the label byte ranges index into. */
  readonly buf: Buffer;
  readonly seriesCount: number;
  /** Labels of series i are [labelsStart[i], labelsStart[i + 1]). */
  readonly labelsStart: Uint32Array;
  /** Label l's name is buf[labelRanges[4l], labelRanges[4l+1]), its value the next two. */
  readonly labelRanges: Uint32Array;
  /** Samples of series i are t/v [samplesStart[i], samplesStart[i + 1]). */
  readonly samplesStart: Uint32Array;
  readonly t: Float64Array;
  readonly v: Float64Array;
  /** Native histogram samples per series; those of series i are hs[histogramsStart[i], histogramsStart[i + 1]). */
  readonly histograms: Uint32Array;
  readonly histogramsStart: Uint32Array;
  readonly hs: readonly HistogramSample[];
  /** Exemplars of series i are [exemplarsStart[i], exemplarsStart[i + 1]) of the exemplar columns. */
  readonly exemplarsStart: Uint32Array;
  readonly exemplarT: Float64Array;
  readonly exemplarV: Float64Array;
  /** Labels of exemplar e are [exemplarLabelsStart[e], exemplarLabelsStart[e + 1]) of exemplarLabelRanges (labelRanges' layout, into `buf`). */
  readonly exemplarLabelsStart: Uint32Array;
  readonly exemplarLabelRanges: Uint32Array;
  readonly exemplarCount: number;
  readonly metadata: readonly MetadataEntry[];
  readonly sampleCount: number;
  /** Series i's labels as flat name/value strings in `out` (cleared first; returned). */
  labelPairs(i: number, out: string[]): string[];
  /** Exemplar e's labels as flat name/value strings in `out` (cleared first; returned). */
  exemplarLabelPairs(e: number, out: string[]): string[];
  /** Series i as a remote write 1.0 `timeseries` field (tag and length included), without the exemplars `dropExemplars`. */
  v1Series(i: number, dropExemplars: readonly number[]): Buffer;
  /**
   * Remote write 1.0 `timeseries` fields of `series`, then `metadata` fields of `metadata`, in
   * that order, without the label `skip` ('' keeps every label). A series in `own` is sent as
   * those bytes (a 1.0 field the distributor rewrote, from v1Series) instead of its own.
   */
  v1Pieces(series: readonly number[], metadata: readonly number[], skip: string, own?: ReadonlyMap<number, Buffer>): WirePieces;
}

/**
 * Series i's 1.0 field src[from, to) re-encoded without the label `skip`, or undefined when the
 * series has no such label (or `skip` is '').
 */
export function withoutLabel(d: DecodedWrite, i: number, skip: string, src: Buffer, from: number, to: number): Buffer | undefined {
  if (skip === '') return undefined;
  const r = d.labelRanges;
  let l = d.labelsStart[i];
  const end = d.labelsStart[i + 1];
  while (l < end && !stringEqualsUtf8(skip, d.buf, r[4 * l], r[4 * l + 1])) l++;
  if (l === end) return undefined;
  const pairs = d.labelPairs(i, []);
  const names = pairs.filter((_, k) => k % 2 === 0);
  const values = pairs.filter((_, k) => k % 2 === 1);
  return rewriteSeriesLabels(src, from, to, names, values, 0, names.length, skip);
}
