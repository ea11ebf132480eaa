export {
  BlocksConsistencyError,
  BlocksStoreQueryable,
  QueryLimitError,
  type BlocksStoreQueryableDeps,
  type QueryLimits,
} from './blocks-store-queryable.js';
