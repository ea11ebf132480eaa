export { limitsConfig } from './limits.js';
export type { Limits } from './limits.js';
export { Overrides, resolveOverrides } from './overrides.js';
export type { TenantOverrides } from './overrides.js';
export { discardedSamplesCounter } from './discarded.js';
