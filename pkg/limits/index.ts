export { limitsConfig } from './limits.js';
export type { Limits } from './limits.js';
export { Overrides, resolveOverrides } from './overrides.js';
export type { TenantOverrides } from './overrides.js';
export { discardedExemplarsCounter, discardedSamplesCounter } from './discarded.js';
export { BytesPerSample, LimitReason, QueryLimitError, QueryLimiter, federatedQueryLimits, noQueryLimits, onlyQueryLimits, queryLengthError } from './query-limiter.js';
export type { QueryLimits, QueryStats, SeriesIdentity } from './query-limiter.js';
