import type { FetchLimits } from '../generated/myelin/limits.js';
import type { StoredSeries } from '../generated/myelin/storegateway.js';
import { noQueryLimits, type QueryLimiter, type QueryLimits } from '../limits/index.js';

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

/**
 * Counts one series of a store-gateway Series answer against `limiter` (the store-gateway as it
 * sends, the querier as it receives). `key` is the series' `Labels.key`, built here when not given.
 */
export function countStoredSeries(limiter: QueryLimiter, s: StoredSeries, key?: string): void {
  let id = '';
  let labelBytes = 0;
  for (const l of s.labels) {
    if (key === undefined) id += id === '' ? `${l.name}\u0000${l.value}` : `\u0000${l.name}\u0000${l.value}`;
    labelBytes += l.name.length + l.value.length;
  }
  let chunkBytes = 0;
  for (const c of s.chunks) chunkBytes += c.data.length;
  limiter.addFetchedSeries(key ?? id, s.chunks.length, chunkBytes, labelBytes);
}
