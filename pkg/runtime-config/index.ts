export { runtimeConfigConfig } from './config.js';
export type { RuntimeConfigConfig } from './config.js';
export { RuntimeConfigManager, parseRuntimeConfig } from './manager.js';
export type { MultiKvRuntime, RuntimeConfigDeps, RuntimeValues } from './manager.js';
