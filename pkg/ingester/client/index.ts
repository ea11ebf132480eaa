export { IngesterConn, ingesterClientFactory, type CallLimits } from './client.js';
export { ingesterClientConfig, type IngesterClientConfig } from './config.js';
