// The query-frontend's config, with Cortex's sections, YAML keys, flags and (where the issue does
// not say otherwise) defaults: `frontend` (the queue), `query_range` (splitting, retries) and the
// querier's `frontend_worker`.
import { ConfigError, bool, bytes, duration, int, section, string } from '../flagext/index.js';
import { cacheConfig, validateRedisConfig } from '../cache/index.js';
import { clientTlsFields } from '../tls/index.js';
import type { ConfigOf } from '../flagext/index.js';

/** The `frontend` section. */
export const frontendConfig = section({
  maxOutstandingPerTenant: int({ flag: 'querier.max-outstanding-requests-per-tenant', default: 100, min: 1,
    help: 'Requests a tenant may have queued in one query-frontend; more are answered 429.' }),
  logQueriesLongerThan: duration({ flag: 'frontend.log-queries-longer-than', default: 0,
    help: 'Log queries that take longer than this (the slow query log, `msg="slow query detected"`). 0 disables it.' }),
  parallelizeShardableQueries: bool({ flag: 'query-frontend.parallelize-shardable-queries', default: false,
    help: 'Rewrite shardable aggregations (sum, count, min, max, avg, group, topk, bottomk) into shard queries, each over one shard of the series (per-tenant query_sharding_total_shards), run in parallel on queriers and merged by the frontend.' }),
  queryStatsEnabled: bool({ flag: 'frontend.query-stats-enabled', default: false,
    help: 'Log one line per request (`msg="query stats"`): tenant, query, status, wall and queue time, querier requests, cached parts, series, chunks and bytes fetched, answer size.' }),
});
export type FrontendConfig = ConfigOf<typeof frontendConfig>;

/** The `query_range` section. */
export const queryRangeConfig = section({
  splitQueriesByInterval: duration({ flag: 'querier.split-queries-by-interval', default: '24h',
    help: 'Split range queries by this interval (aligned to multiples of it, UTC days for 24h) and run the parts in parallel. 0 disables splitting.' }),
  alignQueriesWithStep: bool({ flag: 'querier.align-querier-with-step', default: false,
    help: 'Move the start and end of range queries to multiples of their step, so that dashboards reloaded a few seconds apart ask the same query.' }),
  maxRetries: int({ flag: 'querier.max-retries-per-request', default: 5, min: 0,
    help: 'Times a request (or one part of a split query) is sent again when its querier fails or goes away (5xx); 0 never retries.' }),
  cacheResults: bool({ flag: 'querier.cache-results', default: false,
    help: 'Cache the answers of range queries per tenant, query, step and split interval, and answer later queries from them plus what is new (needs -querier.split-queries-by-interval).' }),
  resultsCache: cacheConfig('frontend.results-cache.', 'query results', 100 << 20),
});
export type QueryRangeConfig = ConfigOf<typeof queryRangeConfig>;

/** Throws a ConfigError naming the key of a query_range setting that cannot work. */
export function validateQueryRangeConfig(cfg: QueryRangeConfig): void {
  // Cached answers are kept per split interval: without one, a moving dashboard window never hits.
  if (cfg.cacheResults && cfg.splitQueriesByInterval <= 0) {
    throw new ConfigError('query_range.cache_results', 'needs query_range.split_queries_by_interval (-querier.split-queries-by-interval) above 0');
  }
  if (cfg.cacheResults && cfg.resultsCache.backend === 'redis') validateRedisConfig(cfg.resultsCache.redis, 'query_range.results_cache');
}

/** The querier's `frontend_worker` section: where its queries come from. */
export const frontendWorkerConfig = section({
  frontendAddress: string({ flag: 'querier.frontend-address', default: '',
    help: 'host:port of the query-frontend\'s gRPC server the querier takes its queries from, opening -querier.max-concurrent streams to it. Empty: the querier serves its own HTTP API only (and, with -target=all, the in-process frontend).' }),
  dnsLookupPeriod: duration({ flag: 'querier.dns-lookup-period', default: '10s',
    help: 'How often the querier resolves -querier.frontend-address again: it serves every address the name resolves to (all query-frontends behind a headless Service).' }),
  id: string({ flag: 'querier.id', default: '', help: 'The querier\'s ID, for shuffle sharding of queriers (max_queriers_per_tenant); defaults to the hostname and gRPC port.' }),
  matchMaxConcurrent: bool({ flag: 'querier.worker-match-max-concurrent', default: true,
    help: 'Open as many streams to the query-frontend as -querier.max-concurrent allows queries (Myelin\'s default; Cortex\'s is false). False opens -querier.worker-parallelism streams.' }),
  parallelism: int({ flag: 'querier.worker-parallelism', default: 10, min: 1,
    help: 'Streams opened to the query-frontend when -querier.worker-match-max-concurrent is false.' }),
  grpcClientConfig: section({
    maxMsgSize: bytes({ flag: 'querier.frontend-client.grpc-max-send-msg-size', default: 100 << 20,
      help: 'Largest gRPC message between querier and query-frontend (a query answer) in both directions; the frontend\'s -server.grpc-max-recv-msg-size-bytes must allow it too.' }),
    backoffMaxPeriod: duration({ flag: 'querier.frontend-client.backoff-max-period', default: '10s', category: 'advanced',
      help: 'Longest wait between two attempts to open a stream to the query-frontend.' }),
    ...clientTlsFields('querier.frontend-client'),
  }),
});
export type FrontendWorkerConfig = ConfigOf<typeof frontendWorkerConfig>;
