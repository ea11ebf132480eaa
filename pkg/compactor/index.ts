export { BlocksCleaner, type BlocksCleanerDeps } from './blocks-cleaner.js';
export { Compactor, type CompactionPass, type CompactorDeps } from './compactor.js';
export { registerCompactorStatusPage } from './status-page.js';
export { compactorConfig, validateCompactorConfig, type CompactorConfig } from './config.js';
export { BLOCK_DELETION_MARK, markForDeletion, readDeletionMarks } from './deletion-mark.js';
export { INGESTER_ID_LABEL, coveredBlocks, planGroup } from './planner.js';
export { BlockUploadError, BlockUploader, UPLOADING_META_FILENAME, type BlockUploadLimits, type BlockValidator, type UploadState } from './block-upload.js';
export { registerBlockUploadRoutes } from './block-upload-routes.js';
export { BlockValidationWorkers, blockUploadService } from './block-validation.js';
