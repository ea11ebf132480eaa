export { QueryWorkers, workerCount } from './query-workers.js';
export type { QueryWorkersConfig, QueryWorkersDeps } from './query-workers.js';
export type { QueryWorkerData } from './messages.js';
export type { ReadPathConfig } from './read-path.js';
