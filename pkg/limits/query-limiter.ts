// One query's budget (Cortex util/limiter.QueryLimiter): what it fetched from ingesters and
// store-gateways and what it holds in memory, checked against the tenant's per-query limits as the
// data arrives. The querier keeps one per query across every component it asks; each component
// keeps one per call with the limits the querier sent, so that it stops streaming early too.
// Plain data in, no registry: it runs wherever the query runs (main thread or a worker).
import { formatDuration } from '../flagext/index.js';

/**
 * A tenant's per-query limits (0 disables each), a plain object: the tenant's `Limits` is one, and
 * a worker thread can receive it with each request. Durations in milliseconds.
 */
export interface QueryLimits {
  maxFetchedSeriesPerQuery: number;
  maxFetchedChunksPerQuery: number;
  maxFetchedChunkBytesPerQuery: number;
  maxFetchedDataBytesPerQuery: number;
  maxEstimatedMemoryConsumptionPerQuery: number;
  maxQueryLength: number;
  maxQueryLookback: number;
  maxLabelNamesLimit: number;
  maxLabelValuesLimit: number;
  /** The cardinality endpoints' (Mimir's names); a federated read never passes their tenant check. */
  cardinalityAnalysisEnabled: boolean;
  cardinalityAnalysisMaxResults: number;
  labelNamesAndValuesResultsMaxSizeBytes: number;
  labelValuesMaxCardinalityLabelNamesPerRequest: number;
  activeSeriesResultsMaxSizeBytes: number;
  /**
   * Whether the tenant's series delete requests are applied to its reads. Only tenants allowed to
   * make them pay for reading them (a listing of the tenant's tombstones per query).
   */
  seriesDeletionEnabled: boolean;
}

export const noQueryLimits: QueryLimits = {
  maxFetchedSeriesPerQuery: 0,
  maxFetchedChunksPerQuery: 0,
  maxFetchedChunkBytesPerQuery: 0,
  maxFetchedDataBytesPerQuery: 0,
  maxEstimatedMemoryConsumptionPerQuery: 0,
  maxQueryLength: 0,
  maxQueryLookback: 0,
  maxLabelNamesLimit: 0,
  maxLabelValuesLimit: 0,
  cardinalityAnalysisEnabled: true,
  cardinalityAnalysisMaxResults: 0,
  labelNamesAndValuesResultsMaxSizeBytes: 0,
  labelValuesMaxCardinalityLabelNamesPerRequest: 0,
  activeSeriesResultsMaxSizeBytes: 0,
  seriesDeletionEnabled: true,
};

const queryLimitKeys = Object.keys(noQueryLimits) as (keyof QueryLimits)[];
type NumericLimit = { [K in keyof QueryLimits]: QueryLimits[K] extends number ? K : never }[keyof QueryLimits];
const numericLimits = queryLimitKeys.filter((k): k is NumericLimit => typeof noQueryLimits[k] === 'number');

/**
 * Only the query limits of `l` (a tenant's whole Limits, say): what a query worker gets with every
 * task, where every other field of a tenant's limits would be serialized and copied too.
 */
export function onlyQueryLimits(l: QueryLimits): QueryLimits {
  const out = { ...noQueryLimits } as Record<keyof QueryLimits, number | boolean>;
  for (const k of queryLimitKeys) out[k] = l[k];
  return out as unknown as QueryLimits;
}

/** The query limits of a read naming several tenants: the smallest positive value of each (as Cortex). */
export function federatedQueryLimits(each: readonly QueryLimits[]): QueryLimits {
  const out = { ...noQueryLimits };
  for (const key of numericLimits) {
    for (const l of each) if (l[key] > 0 && (out[key] === 0 || l[key] < out[key])) out[key] = l[key];
  }
  out.cardinalityAnalysisEnabled = each.every((l) => l.cardinalityAnalysisEnabled);
  out.seriesDeletionEnabled = each.some((l) => l.seriesDeletionEnabled);
  return out;
}

/** Why a query was refused: the `reason` label of myelin_querier_queries_rejected_total (Mimir's values). */
export const LimitReason = {
  MaxFetchedSeries: 'max-fetched-series-per-query',
  MaxFetchedChunks: 'max-fetched-chunks-per-query',
  MaxFetchedChunkBytes: 'max-fetched-chunk-bytes-per-query',
  MaxFetchedDataBytes: 'max-fetched-data-bytes-per-query',
  MaxEstimatedMemory: 'max-estimated-memory-consumption-per-query',
  MaxSamples: 'max-samples',
  MaxQueryLength: 'max-query-length',
} as const;
export type LimitReason = (typeof LimitReason)[keyof typeof LimitReason];

/** Cortex's and Mimir's messages, by reason (the value is the limit). */
const messages: Record<LimitReason, (limit: string | number) => string> = {
  [LimitReason.MaxFetchedSeries]: (n) => `the query hit the max number of series limit (limit: ${n} series)`,
  [LimitReason.MaxFetchedChunks]: (n) => `the query hit the max number of chunks limit (limit: ${n} chunks)`,
  [LimitReason.MaxFetchedChunkBytes]: (n) => `the query hit the aggregated chunks size limit (limit: ${n} bytes)`,
  [LimitReason.MaxFetchedDataBytes]: (n) => `the query hit the aggregated data size limit (limit: ${n} bytes)`,
  [LimitReason.MaxEstimatedMemory]: (n) => `the query exceeded the maximum allowed estimated amount of memory consumed by a single query (limit: ${n} bytes)`,
  // Prometheus' own text (promql.ErrTooManySamples), which Cortex passes through.
  [LimitReason.MaxSamples]: () => 'query processing would load too many samples into memory in query execution',
  [LimitReason.MaxQueryLength]: (n) => `the query time range exceeds the limit (${n})`,
};

/**
 * A query refused by a per-query limit (Cortex validation.LimitError): the HTTP API answers with
 * exactly this message, 422 (errorType "execution"), or 400 ("bad_data") when the request itself
 * asked for too much (a range query longer than max_query_length, as Cortex's query-frontend).
 */
export class QueryLimitError extends Error {
  readonly reason: LimitReason;
  readonly errorType: 'execution' | 'bad_data';

  constructor(reason: LimitReason, message: string, errorType: QueryLimitError['errorType'] = 'execution') {
    super(message);
    this.name = 'QueryLimitError';
    this.reason = reason;
    this.errorType = errorType;
  }

  static of(reason: LimitReason, limit: string | number): QueryLimitError {
    return new QueryLimitError(reason, messages[reason](limit));
  }

  /** The limit error a component answered with (its gRPC details), or undefined for any other text. */
  static fromMessage(message: string): QueryLimitError | undefined {
    for (const [reason, format] of Object.entries(messages) as [LimitReason, (l: string) => string][]) {
      const [head, tail = ''] = format('\u0000').split('\u0000');
      if (message.startsWith(head) && message.endsWith(tail)) return new QueryLimitError(reason, message);
    }
    return undefined;
  }
}

/** The error of a read whose time range (ms) is longer than max_query_length (Cortex's ErrQueryTooLong). */
export function queryLengthError(length: number, limit: number, errorType: QueryLimitError['errorType'] = 'execution'): QueryLimitError {
  const message = messages[LimitReason.MaxQueryLength](`query length: ${formatDuration(length)}, limit: ${formatDuration(limit)}`);
  return new QueryLimitError(LimitReason.MaxQueryLength, message, errorType);
}

/** Estimated bytes of one decoded sample held for evaluation (a float64 timestamp and value). */
export const BytesPerSample = 16;

/** A series' identity: `Labels` is one (its key is built on first use). */
export interface SeriesIdentity {
  readonly key: string;
}

/** What one query fetched and holds; counted whether or not a limit is set. */
export interface QueryStats {
  series: number;
  chunks: number;
  chunkBytes: number;
  dataBytes: number;
  /** Highest estimated memory held at once: fetched chunk bytes plus decoded samples held. */
  peakMemoryBytes: number;
  /** Samples the evaluation read (Prometheus' totalQueryableSamples); 0 for other requests. */
  samples: number;
}

export class QueryLimiter {
  readonly limits: QueryLimits;
  readonly #seen = new Set<string>();
  #distinctSeries = 0;
  #series = 0;
  #chunks = 0;
  #chunkBytes = 0;
  #dataBytes = 0;
  #memory = 0;
  #peakMemory = 0;
  #samples = 0;
  readonly #abort = new AbortController();
  /**
   * The request asked for a partial response (Thanos' `partial_response`): data a store could not
   * serve is left out with a warning instead of failing the request.
   */
  readonly partialResponse: boolean;

  constructor(limits: QueryLimits, opts: { partialResponse?: boolean } = {}) {
    this.limits = limits;
    this.partialResponse = opts.partialResponse ?? false;
  }

  /** Aborted, with the QueryLimitError as reason, once any limit was passed: cancel streams on it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Counts a series by its identity (`Labels.key`): the same series from several replicas or blocks
   * counts once, for the limit and for the query's stats (fetched_series_count).
   */
  addSeries(series: SeriesIdentity): void {
    this.#seen.add(series.key);
    this.#checkSeries();
  }

  /**
   * Counts a series the caller knows it has not counted before (one TSDB select yields each series
   * once) without its identity: an ingester's reads then build and keep no key per head series.
   */
  addDistinctSeries(): void {
    this.#distinctSeries++;
    this.#checkSeries();
  }

  /**
   * Counts one fetched series: its identity (undefined for a distinct series, as addDistinctSeries),
   * its chunks, and its label and chunk bytes as data bytes.
   */
  addFetchedSeries(series: SeriesIdentity | undefined, chunks: number, chunkBytes: number, labelBytes: number): void {
    if (series === undefined) this.addDistinctSeries();
    else this.addSeries(series);
    this.addChunks(chunks, chunkBytes);
    this.addDataBytes(labelBytes + chunkBytes);
  }

  /** Counts chunks fetched (every replica's copy: they are all held until merged). */
  addChunks(count: number, bytes: number): void {
    this.#chunks += count;
    this.#chunkBytes += bytes;
    const l = this.limits;
    if (l.maxFetchedChunksPerQuery > 0 && this.#chunks > l.maxFetchedChunksPerQuery) this.#fail(LimitReason.MaxFetchedChunks, l.maxFetchedChunksPerQuery);
    if (l.maxFetchedChunkBytesPerQuery > 0 && this.#chunkBytes > l.maxFetchedChunkBytesPerQuery) {
      this.#fail(LimitReason.MaxFetchedChunkBytes, l.maxFetchedChunkBytesPerQuery);
    }
    this.reserveMemory(bytes);
  }

  /** Counts the bytes of series fetched: labels and chunks. */
  addDataBytes(bytes: number): void {
    this.#dataBytes += bytes;
    const max = this.limits.maxFetchedDataBytesPerQuery;
    if (max > 0 && this.#dataBytes > max) this.#fail(LimitReason.MaxFetchedDataBytes, max);
  }

  /** Adds to the query's memory estimate; throws when it passes the per-query budget. */
  reserveMemory(bytes: number): void {
    this.#memory += bytes;
    if (this.#memory > this.#peakMemory) this.#peakMemory = this.#memory;
    const max = this.limits.maxEstimatedMemoryConsumptionPerQuery;
    if (max > 0 && this.#memory > max) this.#fail(LimitReason.MaxEstimatedMemory, max);
  }

  releaseMemory(bytes: number): void {
    this.#memory -= bytes;
  }

  /** Counts the samples the query's evaluation read, for its stats. */
  countSamples(n: number): void {
    this.#samples += n;
  }

  /** Throws the error a component reported, and cancels the query's other streams. */
  fail(err: QueryLimitError): never {
    if (!this.#abort.signal.aborted) this.#abort.abort(err);
    throw err;
  }

  stats(): QueryStats {
    return { series: this.#series, chunks: this.#chunks, chunkBytes: this.#chunkBytes, dataBytes: this.#dataBytes, peakMemoryBytes: this.#peakMemory, samples: this.#samples };
  }

  #checkSeries(): void {
    this.#series = this.#seen.size + this.#distinctSeries;
    const max = this.limits.maxFetchedSeriesPerQuery;
    if (max > 0 && this.#series > max) this.#fail(LimitReason.MaxFetchedSeries, max);
  }

  #fail(reason: LimitReason, limit: number): never {
    this.fail(QueryLimitError.of(reason, limit));
  }
}
