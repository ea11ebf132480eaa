// Per-tenant figures of what queries fetched and which limits refused them (Cortex's
// cortex_query_fetched_*_total and Mimir's cortex_querier_queries_rejected_total, myelin_ prefix).
import type { Counter, Registry } from 'prom-client';
import { sharedCounter } from '../kv/index.js';
import { QueryLimitError, type QueryStats } from '../limits/index.js';
import { CardinalityError } from '../api/prometheus/index.js';
import { InvalidQueryShardError } from './query-shard-queryable.js';

export class QueryMetrics {
  readonly #rejected: Counter<'reason' | 'user'>;
  readonly #series: Counter<'user'>;
  readonly #chunks: Counter<'user'>;
  readonly #chunkBytes: Counter<'user'>;
  readonly #dataBytes: Counter<'user'>;
  readonly #cardinalityRejected: Counter<'reason' | 'user'>;

  constructor(reg: Registry) {
    const perUser = (name: string, help: string) => sharedCounter(reg, { name, help, labelNames: ['user'] });
    this.#rejected = sharedCounter(reg, {
      name: 'myelin_querier_queries_rejected_total',
      help: 'Queries refused by a per-query limit (or a bad __query_shard__ matcher: invalid-query-shard), by reason and tenant.',
      labelNames: ['reason', 'user'],
    });
    this.#cardinalityRejected = sharedCounter(reg, {
      name: 'myelin_querier_cardinality_requests_rejected_total',
      help: 'Cardinality requests (/api/v1/status/tsdb, /api/v1/cardinality/*) refused, by reason (disabled, bad_request, response_too_large) and tenant.',
      labelNames: ['reason', 'user'],
    });
    this.#series = perUser('myelin_query_fetched_series_total', 'Unique series fetched by queries from ingesters and store-gateways, by tenant.');
    this.#chunks = perUser('myelin_query_fetched_chunks_total', 'Chunks fetched by queries from ingesters and store-gateways, by tenant.');
    this.#chunkBytes = perUser('myelin_query_fetched_chunks_bytes_total', 'Bytes of chunks fetched by queries, by tenant.');
    this.#dataBytes = perUser('myelin_query_fetched_data_bytes_total', 'Bytes of series labels and chunks fetched by queries, by tenant.');
  }

  /** Records one request: what it fetched, and the limit that refused it, if one did. */
  observe(tenant: string, stats: QueryStats, err: unknown): void {
    if (err instanceof QueryLimitError) this.#rejected.inc({ reason: err.reason, user: tenant });
    if (err instanceof InvalidQueryShardError) this.#rejected.inc({ reason: 'invalid-query-shard', user: tenant });
    if (err instanceof CardinalityError) this.#cardinalityRejected.inc({ reason: err.reason, user: tenant });
    if (stats.series > 0) this.#series.inc({ user: tenant }, stats.series);
    if (stats.chunks > 0) this.#chunks.inc({ user: tenant }, stats.chunks);
    if (stats.chunkBytes > 0) this.#chunkBytes.inc({ user: tenant }, stats.chunkBytes);
    if (stats.dataBytes > 0) this.#dataBytes.inc({ user: tenant }, stats.dataBytes);
  }
}
