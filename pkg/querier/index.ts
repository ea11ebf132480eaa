export { apiConfig, querierConfig } from './config.js';
export type { ApiConfig, QuerierConfig } from './config.js';
export { IngestersQueryable, ingestersMetadata } from './ingesters-queryable.js';
export { timeSplitQueryable, type TimeSplitOptions } from './time-split-queryable.js';
export type { IngestersQueryableDeps, MetricMetadataEntry } from './ingesters-queryable.js';
export {
  BlocksConsistencyError,
  BlocksStoreQueryable,
  QueryLimitError,
  type BlocksStoreQueryableDeps,
  type QueryLimits,
} from './blocks-store-queryable.js';
export { OriginalTenantLabel, federatedQueryable } from './tenant-federation.js';
