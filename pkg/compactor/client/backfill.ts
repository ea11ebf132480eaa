// `myelin backfill`: uploads existing Prometheus blocks through the block upload API, one after the
// other, after checking each locally (index, chunks, meta.json stats) so that a broken block is
// named with its reason before anything is sent.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { META_FILENAME, isUlid, messageChain, readMeta, verifyBlock } from '../../tsdb/block/index.js';
import { BlockRefusedError, BlockUploadClient, type BlockUploadClientConfig } from './block-upload-client.js';

export interface BackfillSummary {
  uploaded: string[];
  existing: string[];
  /** Block (or directory) → why it was refused or failed. */
  refused: Map<string, string>;
  bytes: number;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/**
 * The block directories named by `dirs`: a directory with a meta.json is a block; any other is a
 * Prometheus data directory whose ULID-named subdirectories with a meta.json are its blocks.
 */
export async function findBlockDirs(dirs: readonly string[]): Promise<{ blocks: string[]; problems: Map<string, string> }> {
  const blocks: string[] = [];
  const problems = new Map<string, string>();
  for (const dir of dirs) {
    if (await isFile(join(dir, META_FILENAME))) {
      blocks.push(dir);
      continue;
    }
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      problems.set(dir, `cannot read the directory: ${(err as Error).message}`);
      continue;
    }
    const found = [];
    for (const n of names) if (isUlid(n) && (await isFile(join(dir, n, META_FILENAME)))) found.push(join(dir, n));
    if (found.length === 0) problems.set(dir, 'neither a block (no meta.json) nor a data directory holding blocks');
    blocks.push(...found);
  }
  return { blocks, problems };
}

export async function backfill(dirs: readonly string[], cfg: BlockUploadClientConfig, out: (line: string) => void): Promise<BackfillSummary> {
  const { blocks, problems } = await findBlockDirs(dirs);
  const summary: BackfillSummary = { uploaded: [], existing: [], refused: new Map(problems), bytes: 0 };
  for (const [dir, why] of problems) out(`skipping ${dir}: ${why}`);
  const client = new BlockUploadClient(cfg);
  for (const [i, dir] of blocks.entries()) {
    const at = `[${i + 1}/${blocks.length}] ${dir}`;
    try {
      const meta = await readMeta(dir);
      const stats = await verifyBlock(dir, meta, { verifyChunks: true });
      out(`${at}: block ${meta.ulid} ${new Date(meta.minTime).toISOString()} to ${new Date(meta.maxTime).toISOString()}, ${stats.series} series, ${stats.samples} samples: uploading`);
      const started = performance.now();
      const res = await client.upload(dir, (path, bytes) => out(`${at}: sent ${path} (${bytes} bytes)`));
      if (res.result === 'exists') {
        summary.existing.push(res.block);
        out(`${at}: block ${res.block} is already in Myelin`);
      } else {
        summary.uploaded.push(res.block);
        summary.bytes += res.bytes;
        out(`${at}: block ${res.block} uploaded and validated (${res.bytes} bytes in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    } catch (err) {
      const reason = err instanceof BlockRefusedError ? err.reason : messageChain(err);
      summary.refused.set(dir, reason);
      out(`${at}: refused: ${reason}`);
    }
  }
  out(`summary: ${summary.uploaded.length} uploaded (${summary.bytes} bytes), ${summary.existing.length} already present, ${summary.refused.size} refused or failed`);
  for (const [dir, why] of summary.refused) out(`  ${dir}: ${why}`);
  return summary;
}
