export { BlocksCleaner, type BlocksCleanerDeps } from './blocks-cleaner.js';
export { Compactor, type CompactionPass, type CompactorDeps } from './compactor.js';
export { registerCompactorStatusPage } from './status-page.js';
export { compactorConfig, validateCompactorConfig, type CompactorConfig } from './config.js';
export { BLOCK_DELETION_MARK, markForDeletion, readDeletionMarks } from './deletion-mark.js';
export { INGESTER_ID_LABEL, coveredBlocks, planGroup } from './planner.js';
export { MetaCache } from './tenant-blocks.js';
