export { createLogger, jsonLineToLogfmt } from './logger.js';
export type { LogFormat, LogLevel, Logger } from './logger.js';
