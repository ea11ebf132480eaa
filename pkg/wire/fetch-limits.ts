import type { FetchLimits } from '../generated/myelin/limits.js';
import type { StoredSeries } from '../generated/myelin/storegateway.js';
import { noQueryLimits, type QueryLimiter, type QueryLimits, type SeriesIdentity } from '../limits/index.js';

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
 * sends, the querier as it receives). `id` is the series' identity; by default its `Labels.key`,
 * built from the wire labels only if the series limit needs it.
 */
export function countStoredSeries(limiter: QueryLimiter, s: StoredSeries, id: SeriesIdentity = { get key() { return storedSeriesKey(s); } }): void {
  let labelBytes = 0;
  for (const l of s.labels) labelBytes += l.name.length + l.value.length;
  let chunkBytes = 0;
  for (const c of s.chunks) chunkBytes += c.data.length;
  limiter.addFetchedSeries(id, s.chunks.length, chunkBytes, labelBytes);
}

/** The `Labels.key` of a series' wire labels (names and values joined by NUL). */
function storedSeriesKey(s: StoredSeries): string {
  return s.labels.map((l) => `${l.name}\u0000${l.value}`).join('\u0000');
}
