import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** The query-frontend's metrics, with Cortex's names (`cortex_` → `myelin_`). */
export class FrontendMetrics {
  readonly queueLength: Gauge<'user'>;
  readonly queueDuration: Histogram;
  readonly discarded: Counter<'user'>;
  readonly connectedClients: Gauge;
  readonly retries: Histogram;
  readonly splitQueries: Counter;
  readonly shardingRewritesAttempted: Counter;
  readonly shardingRewritesSucceeded: Counter;
  readonly shardedQueries: Counter;
  readonly shardedQueriesPerQuery: Histogram;

  constructor(registry: Registry) {
    this.queueLength = new Gauge({ name: 'myelin_query_frontend_queue_length', help: 'Requests queued in the query-frontend, per tenant.', labelNames: ['user'], registers: [registry] });
    this.queueDuration = new Histogram({
      name: 'myelin_query_frontend_queue_duration_seconds',
      help: 'Time requests spent in the query-frontend queue before a querier took them.',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.discarded = new Counter({ name: 'myelin_query_frontend_discarded_requests_total', help: 'Requests answered 429 because the tenant\'s queue was full (-querier.max-outstanding-requests-per-tenant).', labelNames: ['user'], registers: [registry] });
    this.connectedClients = new Gauge({ name: 'myelin_query_frontend_connected_clients', help: 'Querier connections (in-process workers and gRPC streams) taking requests from this frontend.', registers: [registry] });
    this.retries = new Histogram({ name: 'myelin_query_frontend_retries', help: 'Attempts a request (or part of a split query) needed.', buckets: [1, 2, 3, 4, 5, 6, 8, 10], registers: [registry] });
    this.splitQueries = new Counter({ name: 'myelin_frontend_split_queries_total', help: 'Parts range queries were split into (by -querier.split-queries-by-interval).', registers: [registry] });
    // Query sharding, with Mimir's names.
    this.shardingRewritesAttempted = new Counter({ name: 'myelin_frontend_query_sharding_rewrites_attempted_total', help: 'Queries (and parts of split range queries) the frontend tried to rewrite into shards.', registers: [registry] });
    this.shardingRewritesSucceeded = new Counter({ name: 'myelin_frontend_query_sharding_rewrites_succeeded_total', help: 'Queries (and parts of split range queries) rewritten into shards.', registers: [registry] });
    this.shardedQueries = new Counter({ name: 'myelin_frontend_sharded_queries_total', help: 'Shard queries run for sharded queries.', registers: [registry] });
    this.shardedQueriesPerQuery = new Histogram({
      name: 'myelin_frontend_sharded_queries_per_query',
      help: 'Shard queries one sharded query (or part of a split range query) was rewritten into.',
      buckets: [2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    });
  }
}
