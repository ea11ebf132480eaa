import { bool, duration, float, int, mapping, oneOf, section, string, stringList } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';

/**
 * Per-tenant limits: the `limits` section holds the defaults, the runtime config's `overrides`
 * replace any of them per tenant. Names, flags and defaults are Cortex's. Each limit says which
 * component enforces it; docs/configuration.md lists them.
 */
export const limitsConfig = section({
  ingestionRate: float({ flag: 'distributor.ingestion-rate-limit', default: 25000, min: 0, help: 'Per-tenant ingestion rate limit in samples per second (distributor).' }),
  ingestionBurstSize: int({ flag: 'distributor.ingestion-burst-size', default: 50000, min: 0, help: 'Per-tenant allowed ingestion burst size, in samples (distributor).' }),
  ingestionRateStrategy: oneOf(['local', 'global'], {
    flag: 'distributor.ingestion-rate-limit-strategy',
    default: 'local',
    help: 'How the ingestion rate limit applies: local (each distributor allows the full rate) or global (the rate is split among the healthy distributors of the distributor ring) (distributor).',
  }),
  requestRate: float({ flag: 'distributor.request-rate-limit', default: 0, min: 0, help: 'Per-tenant push request rate limit in requests per second. 0 disables it (distributor).' }),
  requestBurstSize: int({ flag: 'distributor.request-burst-size', default: 0, min: 0, help: 'Per-tenant allowed push request burst size. 0 disables the request rate limit (distributor).' }),
  acceptHaSamples: bool({ flag: 'distributor.ha-tracker.enable-for-all-users', default: false, help: 'Deduplicate samples from HA Prometheus pairs for the tenant; needs -distributor.ha-tracker.enable (distributor).' }),
  haClusterLabel: string({ flag: 'distributor.ha-tracker.cluster', default: 'cluster', help: 'Label that names the HA cluster a sample comes from (distributor).' }),
  haReplicaLabel: string({ flag: 'distributor.ha-tracker.replica', default: '__replica__', help: 'Label that names the replica within an HA cluster; dropped before storing (distributor).' }),
  haMaxClusters: int({ flag: 'distributor.ha-tracker.max-clusters', default: 0, min: 0, help: 'Maximum number of HA clusters tracked for the tenant. 0 disables the limit (distributor).' }),
  enforceMetricName: bool({ flag: 'validation.enforce-metric-name', default: true, help: 'Reject series without a valid metric name (distributor).' }),
  enforceMetadataMetricName: bool({ flag: 'validation.enforce-metadata-metric-name', default: true, help: 'Reject metadata without a metric family name (distributor).' }),
  maxMetadataLength: int({ flag: 'validation.max-metadata-length', default: 1024, min: 1, help: 'Maximum length of a metadata metric name, help or unit (distributor).' }),
  rejectOldSamples: bool({ flag: 'validation.reject-old-samples', default: false, help: 'Reject samples older than -validation.reject-old-samples.max-age (distributor).' }),
  rejectOldSamplesMaxAge: duration({ flag: 'validation.reject-old-samples.max-age', default: '14d', help: 'Maximum age of accepted samples when -validation.reject-old-samples is true (distributor).' }),
  creationGracePeriod: duration({ flag: 'validation.create-grace-period', default: '10m', help: 'Reject samples with timestamps further than this in the future (distributor).' }),
  maxLabelNameLength: int({ flag: 'validation.max-length-label-name', default: 1024, min: 1, help: 'Maximum length accepted for label names (distributor).' }),
  maxLabelValueLength: int({ flag: 'validation.max-length-label-value', default: 2048, min: 1, help: 'Maximum length accepted for label values (distributor).' }),
  maxLabelNamesPerSeries: int({ flag: 'validation.max-label-names-per-series', default: 30, min: 1, help: 'Maximum number of label names per series (distributor).' }),
  enableNativeHistograms: bool({ flag: 'blocks-storage.tsdb.enable-native-histograms', default: true, help: 'Accept native histogram samples from the tenant. When false, a series carrying them is refused with a 400 naming it (distributor).' }),
  maxNativeHistogramBuckets: int({ flag: 'validation.max-native-histogram-buckets', default: 0, min: 0, help: 'Maximum number of buckets of a native histogram sample; one with more has its resolution reduced until it fits, and is refused when even the lowest resolution has more. 0 to disable (distributor).' }),
  maxSeriesPerUser: int({ flag: 'ingester.max-series-per-user', default: 5_000_000, min: 0, help: 'The maximum number of active series per tenant, per ingester. 0 to disable (ingester).' }),
  maxSeriesPerMetric: int({ flag: 'ingester.max-series-per-metric', default: 50_000, min: 0, help: 'The maximum number of active series per metric name, per ingester. 0 to disable (ingester).' }),
  maxGlobalSeriesPerUser: int({ flag: 'ingester.max-global-series-per-user', default: 0, min: 0, help: 'The maximum number of active series per tenant across the cluster, spread over the ingesters by the replication factor. 0 to disable (ingester).' }),
  maxGlobalSeriesPerMetric: int({ flag: 'ingester.max-global-series-per-metric', default: 0, min: 0, help: 'The maximum number of active series per metric name across the cluster. 0 to disable (ingester).' }),
  maxGlobalExemplarsPerUser: int({
    flag: 'ingester.max-global-exemplars-per-user',
    default: 0,
    min: 0,
    help: 'The maximum number of exemplars kept in memory per tenant across the cluster, spread over the ingesters by the replication factor: each ingester keeps the tenant\'s newest exemplars in a ring buffer of its share. 0 keeps no exemplars: they are dropped and counted in myelin_discarded_exemplars_total{reason="exemplars_disabled"} (ingester).',
  }),
  outOfOrderTimeWindow: duration({
    flag: 'ingester.out-of-order-time-window',
    default: 0,
    help: 'How far behind the newest sample of the tenant an ingester still takes samples that are out of order (older than their series\' last sample or than the head\'s in-order bound): they go to an out-of-order head with a write-behind log and are cut into blocks of their own that the compactor merges. Older ones are refused as too_old_sample. Native histograms are never taken out of order. 0 refuses out-of-order samples (out_of_order_sample, out_of_bounds) (ingester).',
  }),
  maxMetadataPerUser: int({ flag: 'ingester.max-metadata-per-user', default: 8000, min: 0, help: 'The maximum number of metric metadata entries per tenant, per ingester. 0 to disable (ingester).' }),
  maxFetchedSeriesPerQuery: int({ flag: 'querier.max-fetched-series-per-query', default: 0, min: 0, help: 'The maximum number of unique series a single query may fetch from ingesters and store-gateways together; each of them stops streaming once its own part passes it. 0 to disable (querier, ingester, store-gateway).' }),
  maxFetchedChunksPerQuery: int({ flag: 'querier.max-fetched-chunks-per-query', default: 2_000_000, min: 0, help: 'The maximum number of chunks a single query may fetch from ingesters and store-gateways together. 0 to disable (querier, ingester, store-gateway).' }),
  maxFetchedChunkBytesPerQuery: int({ flag: 'querier.max-fetched-chunk-bytes-per-query', default: 0, min: 0, help: 'The maximum size in bytes of the chunks a single query may fetch from ingesters and store-gateways together. 0 to disable (querier, ingester, store-gateway).' }),
  maxFetchedDataBytesPerQuery: int({ flag: 'querier.max-fetched-data-bytes-per-query', default: 0, min: 0, help: 'The maximum size in bytes of all data (series labels and chunks) a single query may fetch from ingesters and store-gateways together. 0 to disable (querier, ingester, store-gateway).' }),
  maxEstimatedMemoryConsumptionPerQuery: int({ flag: 'querier.max-estimated-memory-consumption-per-query', default: 0, min: 0, help: 'The maximum estimated memory a single query may hold, in bytes: the chunks it fetched plus 16 bytes per decoded sample held for evaluation. The query is refused as soon as the estimate passes it. 0 to disable (querier).' }),
  maxQueryLookback: duration({ flag: 'querier.max-query-lookback', default: 0, help: 'How far back queries, series and label lookups may read. The time range of a request reaching further back is cut to it (the request does not fail). 0 to disable (querier).' }),
  maxQueryLength: duration({ flag: 'store.max-query-length', default: 0, help: 'The longest time range a query may cover: end - start of a range query (400), and max - min of the data a selector reads (422). 0 to disable (querier).' }),
  maxLabelNamesLimit: int({ flag: 'querier.max-label-names-limit', default: 0, min: 0, help: 'The most names the label names endpoint returns; a larger or no `limit` parameter is lowered to it and the answer carries a warning when cut. 0 to disable (querier).' }),
  maxLabelValuesLimit: int({ flag: 'querier.max-label-values-limit', default: 0, min: 0, help: 'The most values the label values endpoint returns; a larger or no `limit` parameter is lowered to it and the answer carries a warning when cut. 0 to disable (querier).' }),
  otelMetricSuffixesEnabled: bool({ flag: 'distributor.otel-metric-suffixes-enabled', default: false, help: 'Append unit and type suffixes (`_seconds`, `_total`, `_ratio`...) to the names of metrics received over OTLP, as Prometheus does (distributor).' }),
  promoteOtelResourceAttributes: stringList({ flag: 'distributor.otel-promote-resource-attributes', default: [], help: 'OTLP resource attributes copied as labels onto every series of their resource (comma-separated); all other resource attributes go to target_info (distributor).' }),
  otelKeepIdentifyingResourceAttributes: bool({ flag: 'distributor.otel-keep-identifying-resource-attributes', default: false, help: 'Keep service.name, service.namespace and service.instance.id on target_info too, besides the job and instance labels made of them (distributor).' }),
  cardinalityAnalysisEnabled: bool({ flag: 'querier.cardinality-analysis-enabled', default: false, help: 'Answer the cardinality endpoints for the tenant: /api/v1/status/tsdb and /api/v1/cardinality/{label_names,label_values,active_series}; refused with 400 when false (querier).' }),
  cardinalityAnalysisMaxResults: int({ flag: 'querier.cardinality-analysis-max-results', default: 500, min: 1, help: 'The largest `limit` the cardinality endpoints accept: entries per list of /api/v1/status/tsdb and /api/v1/cardinality/label_names and label_values (querier).' }),
  labelNamesAndValuesResultsMaxSizeBytes: int({ flag: 'querier.label-names-and-values-results-max-size-bytes', default: 400 * 1024 * 1024, min: 0, help: 'The most bytes of label names and values an ingester gathers for /api/v1/cardinality/label_names; a larger answer is refused (422). 0 to disable (querier, ingester).' }),
  labelValuesMaxCardinalityLabelNamesPerRequest: int({ flag: 'querier.label-values-max-cardinality-label-names-per-request', default: 100, min: 1, help: 'The most label_names[] one /api/v1/cardinality/label_values request may name (querier).' }),
  activeSeriesResultsMaxSizeBytes: int({ flag: 'querier.active-series-results-max-size-bytes', default: 400 * 1024 * 1024, min: 0, help: 'The most bytes of series labels an ingester gathers for /api/v1/cardinality/active_series; a larger answer is refused (422). 0 to disable (querier, ingester).' }),
  seriesDeletionEnabled: bool({ flag: 'purger.series-deletion-enabled', default: false, help: 'Accept series delete requests from the tenant (POST <prefix>/api/v1/admin/tsdb/delete_series), refused with 400 when false (compactor, which serves the API); queriers hide what the tenant\'s requests cover only while true (one listing of its tombstones per query).' }),
  maxQueriersPerTenant: int({ flag: 'frontend.max-queriers-per-tenant', default: 0, min: 0, help: 'The most queriers that may run the tenant\'s queries (shuffle sharding of queriers); 0 or at least the number of queriers: all of them (query-frontend).' }),
  partialResponse: bool({ flag: 'querier.partial-response', default: false, help: 'Answer queries whose blocks no store-gateway can serve, or whose ingester replication set cannot be reached, with what could be read and a warning naming what is missing, when the request does not say (its partial_response parameter); false fails such queries (querier).' }),
  maxCacheFreshness: duration({ flag: 'frontend.max-cache-freshness', default: '1m', help: 'Results newer than this are never cached: the most recent data may still be arriving (query-frontend).' }),
  resultsCacheTtlForLabelsQuery: duration({ flag: 'query-frontend.results-cache-ttl-for-labels-query', default: 0, help: 'How long answers of label names, label values and series requests are kept in the results cache (needs -querier.cache-results); 0 does not cache them (query-frontend).' }),
  maxQueryParallelism: int({ flag: 'querier.max-query-parallelism', default: 14, min: 1, help: 'The most parts of one split query (and shard queries of one sharded query) run at once (query-frontend).' }),
  queryShardingTotalShards: int({ flag: 'query-frontend.query-sharding-total-shards', default: 16, min: 0, help: 'Shards a shardable aggregation is split into with -query-frontend.parallelize-shardable-queries; 0 or 1 does not shard the tenant\'s queries (query-frontend).' }),
  queryShardingMaxShardedQueries: int({ flag: 'query-frontend.query-sharding-max-sharded-queries', default: 128, min: 0, help: 'The most queries (shard queries and unsharded parts) one query may be rewritten into, over all the parts of a split range query (fewer shards are used to stay below it); 0: no bound (query-frontend).' }),
  ingestionTenantShardSize: int({ flag: 'distributor.ingestion-tenant-shard-size', default: 0, min: 0, help: 'The tenant\'s shard size for shuffle sharding of writes across ingesters. 0 disables shuffle sharding (distributor, ring).' }),
  rulerEvaluationDelay: duration({ flag: 'ruler.evaluation-delay-duration', default: 0, yaml: 'ruler_evaluation_delay_duration', help: 'Evaluate the tenant\'s rules this long in the past, so that samples still on their way are included; results are written with the delayed timestamp (ruler).' }),
  rulerMaxRulesPerRuleGroup: int({ flag: 'ruler.max-rules-per-rule-group', default: 0, min: 0, help: 'Maximum number of rules in one of the tenant\'s rule groups; a larger group is refused with a 400. 0 to disable (ruler).' }),
  rulerMaxRuleGroupsPerTenant: int({ flag: 'ruler.max-rule-groups-per-tenant', default: 0, min: 0, help: 'Maximum number of rule groups of the tenant; a new group past it is refused with a 400. 0 to disable (ruler).' }),
  rulerTenantShardSize: float({
    flag: 'ruler.tenant-shard-size', default: 0, min: 0,
    help: 'Cortex\'s shard size of the tenant with -ruler.sharding-strategy=shuffle-sharding, which Myelin does not support: ignored with a warning when set (ruler).',
    notice: (v) => (v === 0 ? undefined : 'ignored: the ruler has no shuffle-sharding (ruler.sharding_strategy: default)'),
  }),
  rulerAlertmanagerConfig: mapping<{ alertmanager_url?: string }>({
    default: {},
    help: 'The tenant\'s own Alertmanagers: `alertmanager_url` in the syntax of -ruler.alertmanager-url, used instead of it for this tenant\'s alerts (ruler; YAML and runtime overrides only).',
    validate: (raw) => {
      for (const [k, v] of Object.entries(raw)) {
        if (k !== 'alertmanager_url') throw new Error(`unknown key ${JSON.stringify(k)} (valid: alertmanager_url)`);
        if (typeof v !== 'string') throw new Error('alertmanager_url: expected a string of comma-separated URLs');
      }
      return raw as { alertmanager_url?: string };
    },
  }),
  compactorBlocksRetentionPeriod: duration({ flag: 'compactor.blocks-retention-period', default: 0, help: 'Delete the tenant\'s blocks whose data is entirely older than this (they are marked for deletion, then removed after -compactor.deletion-delay). 0 keeps blocks forever (compactor).' }),
  compactorBlockUploadEnabled: bool({ flag: 'compactor.block-upload-enabled', default: false, help: 'Accept blocks uploaded by the tenant through /api/v1/upload/block/ (myelin backfill, myelin sidecar) (compactor).' }),
  compactorBlockUploadValidationEnabled: bool({ flag: 'compactor.block-upload-validation-enabled', default: true, help: 'Validate the index and chunks of an uploaded block before it becomes visible (compactor).' }),
  compactorBlockUploadVerifyChunks: bool({ flag: 'compactor.block-upload-verify-chunks', default: true, help: 'With validation, decode every chunk of an uploaded block, not only its index (compactor).' }),
  compactorBlockUploadMaxBlockSizeBytes: int({ flag: 'compactor.block-upload-max-block-size-bytes', default: 0, min: 0, help: 'The largest block (index and chunks together, bytes) the tenant may upload. 0 for no limit (compactor).' }),
});
export type Limits = ConfigOf<typeof limitsConfig>;
