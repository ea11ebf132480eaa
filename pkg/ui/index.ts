export { queryPage } from './query-page.js';
export type { QueryPageOptions } from './query-page.js';
export { defaultAssetsDir, registerUiAssets, staticPath } from './assets.js';
