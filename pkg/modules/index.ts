export { ModuleManager } from './module-manager.js';
export type { InitFn } from './module-manager.js';
