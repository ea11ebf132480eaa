export {
  BUCKET_INDEX_FILENAME,
  BUCKET_INDEX_VERSION,
  BucketIndexCorruptedError,
  blocksInRange,
  parseBucketIndex,
  readBucketIndex,
  writeBucketIndex,
  type BucketIndex,
  type IndexBlock,
  type IndexDeletionMark,
} from './bucket-index.js';
export { DELETION_MARK_SUFFIX, MARKERS_DIR, deletionMarkName, updateBucketIndex, type UpdateResult } from './updater.js';
export { BucketIndexUpdater, listTenants, type BucketIndexUpdaterDeps } from './updater-service.js';
export { CachedBucketIndexReader } from './cached-reader.js';
export { TENANT_DELETION_MARK, readTenantDeletionMark, writeTenantDeletionMark, type TenantDeletionMark } from './tenant-deletion-mark.js';
