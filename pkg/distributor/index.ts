export { distributorConfig, validateDistributorConfig, type DistributorConfig } from './config.js';
export { DiscardReason, ValidationError } from './discard.js';
export { Distributor, type DistributorDeps, type WriteProtocol } from './distributor.js';
export { HaTracker, ReplicasNotMatchError, type ElectedReplica, type ReplicaDesc } from './ha-tracker.js';
export { type TenantOf } from './http.js';
export { answerFor, RateLimitedError, type PushAnswer, type Written } from './push-error.js';
export { seriesToken } from './shard-token.js';
export { translateMetrics, type OtlpSettings, type Translated } from './otlp-translate.js';
