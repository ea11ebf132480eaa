// The worker thread of BlockValidationWorkers: verifies one downloaded block per task.
import { Registry } from 'prom-client';
import { verifyBlock, type BlockMeta } from '../tsdb/block/index.js';
import { serveTasks } from '../workers/index.js';

export interface ValidateBlockArgs {
  dir: string;
  meta: BlockMeta;
  verifyChunks: boolean;
}

serveTasks(async (task, signal) => {
  const { dir, meta, verifyChunks } = task.args as ValidateBlockArgs;
  return verifyBlock(dir, meta, { verifyChunks, signal });
}, new Registry());
