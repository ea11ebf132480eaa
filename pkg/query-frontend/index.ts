export { frontendConfig, frontendWorkerConfig, queryRangeConfig, validateQueryRangeConfig } from './config.js';
export type { FrontendConfig, FrontendWorkerConfig, QueryRangeConfig } from './config.js';
export { Frontend, QuerierGoneError } from './frontend.js';
export type { FrontendDeps, FrontendLimits, QuerierRun } from './frontend.js';
export { frontendGrpcService } from './grpc-service.js';
export { FrontendService } from '../generated/myelin/frontend.js';
export { RequestQueue, TooManyRequestsError, shuffleShard } from './request-queue.js';
export { MergePool } from './merge-pool.js';
export { openResultsCache } from './results-cache.js';
