export { IngesterConn, ingesterClientFactory, type CallLimits } from './client.js';
export { ingesterClientConfig, validateIngesterClientConfig, type IngesterClientConfig } from './config.js';
export { writtenFromTrailers, writtenTrailers, type WrittenCounts } from './written.js';
