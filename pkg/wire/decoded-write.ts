// What the distributor needs of a decoded remote write request, whichever protocol version it
// came in: series as label byte ranges and sample columns, and the 1.0 bytes of accepted series
// for the ingesters (which speak remote write 1.0's WriteRequest).
import type { MetadataEntry } from './write-request-decoder.js';

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
  /** Exemplars and native histogram samples per series. */
  readonly exemplars: Uint32Array;
  readonly histograms: Uint32Array;
  readonly metadata: readonly MetadataEntry[];
  readonly sampleCount: number;
  /** Series i's labels as flat name/value strings in `out` (cleared first; returned). */
  labelPairs(i: number, out: string[]): string[];
  /**
   * Remote write 1.0 `timeseries` fields of `series`, then `metadata` fields of `metadata`, in
   * that order, without the label `skip` ('' keeps every label).
   */
  v1Pieces(series: readonly number[], metadata: readonly number[], skip: string): WirePieces;
}
