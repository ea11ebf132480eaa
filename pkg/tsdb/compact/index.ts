export { mergeOverlappingChunks } from '../block/index.js';
export { compactBlocks, compactDir, type CompactOptions } from './compactor.js';
export { DEFAULT_BLOCK_RANGES, firstOverlappingRun, planCompaction, splitByRange } from './planner.js';
export { compactHead, headCompactable, type HeadCompactionOptions } from './head-compaction.js';
export { compactOooHead } from './ooo-compaction.js';
