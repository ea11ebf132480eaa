export { FrontendWorker } from './frontend-worker.js';
export type { FrontendWorkerDeps } from './frontend-worker.js';
export { answerFromWire, requestToWire } from './wire.js';
