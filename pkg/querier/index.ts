export { apiConfig, querierConfig } from './config.js';
export type { ApiConfig, QuerierConfig } from './config.js';
export { IngestersQueryable, ingestersExemplars, ingestersMetadata } from './ingesters-queryable.js';
export type { SeriesExemplarsEntry } from './ingesters-queryable.js';
export { timeSplitQueryable, type TimeSplitOptions } from './time-split-queryable.js';
export type { IngestersQueryableDeps, MetricMetadataEntry } from './ingesters-queryable.js';
export {
  BlocksConsistencyError,
  BlocksStoreQueryable,
  type BlocksStoreQueryableDeps,
} from './blocks-store-queryable.js';
export { OriginalTenantLabel, federatedQueryable } from './tenant-federation.js';
export { limitedQueryable } from './limited-queryable.js';
export { QueryMetrics } from './query-metrics.js';
