import type { FetchLimits } from '../generated/myelin/limits.js';
import { noQueryLimits, type QueryLimits } from '../limits/index.js';

/** The fetch limits a querier sends with a read (proto/myelin/limits.proto). */
export function fetchLimitsToWire(l: QueryLimits): FetchLimits {
  return {
    maxSeries: l.maxFetchedSeriesPerQuery,
    maxChunks: l.maxFetchedChunksPerQuery,
    maxChunkBytes: l.maxFetchedChunkBytesPerQuery,
    maxDataBytes: l.maxFetchedDataBytesPerQuery,
  };
}

/** The limits a component applies to one read; none when the request carries none. */
export function fetchLimitsFromWire(w: FetchLimits | undefined): QueryLimits {
  if (w === undefined) return noQueryLimits;
  return {
    ...noQueryLimits,
    maxFetchedSeriesPerQuery: w.maxSeries,
    maxFetchedChunksPerQuery: w.maxChunks,
    maxFetchedChunkBytesPerQuery: w.maxChunkBytes,
    maxFetchedDataBytesPerQuery: w.maxDataBytes,
  };
}
