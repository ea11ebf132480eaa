export { Block } from './block.js';
export { BlockChunkSeries, BlockChunkSeriesSet, type BlockReaders } from './block-chunk-series-set.js';
export { BlockChunkQuerier, BlockQuerier } from './block-querier.js';
export { chunkSampleCount } from './chunk-sample-count.js';
export { mergeOverlappingChunks } from './chunk-merge.js';
export {
  TMP_FOR_CREATION_SUFFIX,
  TMP_FOR_DELETION_SUFFIX,
  removeTmpBlockDirs,
  OutOfOrderHint, defaultBlockWriterOptions, writeBlock, type BlockWriterOptions } from './block-writer.js';
export { ChunkBuilder, SAMPLES_PER_CHUNK, chunkSeriesFromSamples, listChunkSeriesSet } from './chunk-builder.js';
export {
  META_FILENAME,
  TENANT_EXTERNAL_LABEL,
  blockTenant,
  readMeta,
  validateMeta,
  writeMeta,
  type BlockCompaction,
  type BlockDesc,
  type BlockMeta,
  type BlockStats,
  type ThanosMeta,
} from './meta.js';
export { blockPostingsForMatchers } from './postings-for-matchers.js';
export { UlidGenerator, encodeUlid, isUlid, ulidTime } from './ulid.js';
export { syncDir } from './fsync.js';
export { TOMBSTONES_FILENAME, decodeTombstones, isDeleted, mergeIntervals, readTombstones, writeTombstones, type Tombstones } from './tombstones.js';
export { InvalidBlockError, messageChain, verifyBlock, type VerifiedBlockStats, type VerifyBlockOptions } from './verify-block.js';
export { deletionCoverage, dropDeleted, type RewrittenChunk } from './chunk-deletion.js';
