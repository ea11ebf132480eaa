export { Myelin } from './myelin.js';
export { myelinConfig } from './config.js';
export { myelinAliases } from './aliases.js';
export { basicFlags } from './basic-flags.js';
export type { MyelinConfig } from './config.js';
export { Module, moduleDeps } from './modules.js';
export type { ModuleName } from './modules.js';
export type { IndexLink } from './status.js';
export { version } from './build-info.js';
