import { float, int, section } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';

/**
 * Per-tenant limits: the `limits` section holds the defaults, the runtime config's `overrides`
 * replace any of them per tenant. Names, flags and defaults are Cortex's. Each limit says which
 * component enforces it; docs/configuration.md lists them.
 */
export const limitsConfig = section({
  ingestionRate: float({ flag: 'distributor.ingestion-rate-limit', default: 25000, min: 0, help: 'Per-tenant ingestion rate limit in samples per second (distributor).' }),
  ingestionBurstSize: int({ flag: 'distributor.ingestion-burst-size', default: 50000, min: 0, help: 'Per-tenant allowed ingestion burst size, in samples (distributor).' }),
  maxLabelNameLength: int({ flag: 'validation.max-length-label-name', default: 1024, min: 1, help: 'Maximum length accepted for label names (distributor).' }),
  maxLabelValueLength: int({ flag: 'validation.max-length-label-value', default: 2048, min: 1, help: 'Maximum length accepted for label values (distributor).' }),
  maxLabelNamesPerSeries: int({ flag: 'validation.max-label-names-per-series', default: 30, min: 1, help: 'Maximum number of label names per series (distributor).' }),
  maxSeriesPerUser: int({ flag: 'ingester.max-series-per-user', default: 5_000_000, min: 0, help: 'The maximum number of active series per tenant, per ingester. 0 to disable (ingester).' }),
  maxSeriesPerMetric: int({ flag: 'ingester.max-series-per-metric', default: 50_000, min: 0, help: 'The maximum number of active series per metric name, per ingester. 0 to disable (ingester).' }),
  maxGlobalSeriesPerUser: int({ flag: 'ingester.max-global-series-per-user', default: 0, min: 0, help: 'The maximum number of active series per tenant across the cluster, spread over the ingesters by the replication factor. 0 to disable (ingester).' }),
  maxGlobalSeriesPerMetric: int({ flag: 'ingester.max-global-series-per-metric', default: 0, min: 0, help: 'The maximum number of active series per metric name across the cluster. 0 to disable (ingester).' }),
  maxMetadataPerUser: int({ flag: 'ingester.max-metadata-per-user', default: 8000, min: 0, help: 'The maximum number of metric metadata entries per tenant, per ingester. 0 to disable (ingester).' }),
  maxFetchedSeriesPerQuery: int({ flag: 'querier.max-fetched-series-per-query', default: 0, min: 0, help: 'The maximum number of series a single query may fetch from each ingester (and store-gateway). 0 to disable.' }),
  ingestionTenantShardSize: int({ flag: 'distributor.ingestion-tenant-shard-size', default: 0, min: 0, help: 'The tenant\'s shard size for shuffle sharding of writes across ingesters. 0 disables shuffle sharding (distributor, ring).' }),
});
export type Limits = ConfigOf<typeof limitsConfig>;
