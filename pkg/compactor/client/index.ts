export { BlockRefusedError, BlockUploadClient, blockMetaWithFiles, type BlockUploadClientConfig, type UploadOutcome } from './block-upload-client.js';
export { backfill, findBlockDirs, type BackfillSummary } from './backfill.js';
