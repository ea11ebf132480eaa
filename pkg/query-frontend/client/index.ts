export { FrontendWorker } from './frontend-worker.js';
export type { FrontendWorkerDeps } from './frontend-worker.js';
