import type { ApiAnswer } from '../api/prometheus/index.js';

/** What one client request cost, summed over its parts and attempts: the query stats log line. */
export class RequestStats {
  /** Time its requests waited in the queue (ms). */
  queueMs = 0;
  /** Requests sent to queriers (parts, gaps, retries). */
  querierRequests = 0;
  /** Parts looked up in the results cache, those it helped answer, and those it answered alone. */
  cacheLookups = 0;
  cacheUsed = 0;
  cachedParts = 0;
  series = 0;
  chunks = 0;
  chunkBytes = 0;
  dataBytes = 0;
  /** Samples the queriers' evaluations read (Prometheus' totalQueryableSamples). */
  samples = 0;

  /** Counts a querier's answer. */
  add(a: ApiAnswer): void {
    this.querierRequests++;
    if (a.stats === undefined) return;
    this.series += a.stats.series;
    this.chunks += a.stats.chunks;
    this.chunkBytes += a.stats.chunkBytes;
    this.dataBytes += a.stats.dataBytes;
    this.samples += a.stats.samples;
  }

  /** Whether the results cache answered: every part (hit), none (miss), some or part of some (partial); absent when not looked up. */
  resultsCache(): 'hit' | 'miss' | 'partial' | undefined {
    if (this.cacheLookups === 0) return undefined;
    if (this.cachedParts === this.cacheLookups) return 'hit';
    return this.cacheUsed === 0 ? 'miss' : 'partial';
  }

  /** Log fields (Cortex's query stats names where it has them). */
  fields(): Record<string, number | string | undefined> {
    return {
      queue_seconds: this.queueMs / 1000, querier_requests: this.querierRequests, cached_parts: this.cachedParts, results_cache: this.resultsCache(),
      fetched_series_count: this.series, fetched_chunks_count: this.chunks, fetched_chunk_bytes: this.chunkBytes, fetched_data_bytes: this.dataBytes,
      samples_processed: this.samples,
    };
  }
}
