import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mergeChunkSeriesSets, type ChunkSeries, type ChunkSeriesSet } from '../../storage/index.js';
import { Block, TMP_FOR_DELETION_SUFFIX, UlidGenerator, removeTmpBlockDirs, type BlockChunkSeries, isUlid, mergeOverlappingChunks, readMeta, syncDir, writeBlock, type BlockMeta, type ThanosMeta } from '../block/index.js';
import { DEFAULT_BLOCK_RANGES, planCompaction } from './planner.js';

export interface CompactOptions {
  ulids: UlidGenerator;
  /** `thanos.source` recorded on compacted blocks that carry a thanos section. */
  source: string;
  segmentSize: number | undefined;
}

const defaults = (): CompactOptions => ({ ulids: new UlidGenerator(), source: 'compactor', segmentSize: undefined });

/**
 * Merges `blocks` (any time ranges, overlapping or not) into one new block under `parentDir` and
 * returns its meta (undefined if they hold no data). Series present in several blocks are
 * combined; identical samples of replicas are kept once. The parents are left in place.
 *
 * Blocks must belong to the same stream: equal `thanos.labels` (tenant, replica-free external
 * labels) and downsampling resolution, as Thanos' and Cortex' compactors group them.
 */
export async function compactBlocks(parentDir: string, blocks: readonly Block[], opts: Partial<CompactOptions> = {}): Promise<BlockMeta | undefined> {
  const o = { ...defaults(), ...opts };
  if (blocks.length === 0) throw new Error('BUG: compactBlocks called without blocks');
  const metas = blocks.map((b) => b.meta);
  const thanos = mergedThanosMeta(metas, o.source);
  const sets: ChunkSeriesSet[] = [];
  for (const b of blocks) sets.push(withoutOverlaps(b.allChunkSeries()));
  const sources = [...new Set(metas.flatMap((m) => m.compaction.sources))].sort();
  return writeBlock(parentDir, mergeChunkSeriesSets(sets, mergeOverlappingChunks), {
    ulids: o.ulids,
    level: Math.max(...metas.map((m) => m.compaction.level)) + 1,
    sources,
    parents: [...metas].sort((a, b) => a.minTime - b.minTime).map((m) => ({ ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime })),
    minTime: Math.min(...metas.map((m) => m.minTime)),
    maxTime: Math.max(...metas.map((m) => m.maxTime)),
    thanos,
    segmentSize: o.segmentSize,
  });
}

/** Merges the chunks of series that overlap within one block, so the output has none. */
function withoutOverlaps(set: ChunkSeriesSet): ChunkSeriesSet {
  return {
    next: () => set.next(),
    at: (): ChunkSeries => {
      const s = set.at() as BlockChunkSeries;
      for (let i = 1; i < s.minTs.length; i++) if (s.minTs[i] <= s.maxTs[i - 1]) return mergeOverlappingChunks([s]);
      return s;
    },
    err: () => set.err(),
    warnings: () => set.warnings(),
  };
}

function mergedThanosMeta(metas: readonly BlockMeta[], source: string): ThanosMeta | undefined {
  const key = (m: BlockMeta): string =>
    m.thanos === undefined
      ? ''
      : JSON.stringify([Object.entries(m.thanos.labels).sort(([a], [b]) => (a < b ? -1 : 1)), m.thanos.downsample.resolution]);
  const k = key(metas[0]);
  for (const m of metas) {
    if (key(m) !== k) {
      throw new Error(`blocks ${metas[0].ulid} and ${m.ulid} belong to different streams (thanos labels or resolution differ)`);
    }
  }
  const t = metas[0].thanos;
  if (t === undefined) return undefined;
  // File lists describe one block's files; they are recomputed by whoever uploads the new block.
  return { labels: { ...t.labels }, downsample: { resolution: t.downsample.resolution }, source };
}

/**
 * Compacts the blocks in `dir` until the planner finds nothing more to do: each round merges the
 * planned blocks into a new one, then deletes the parents (renamed out of the way first, so a crash
 * never leaves a half-deleted block that looks whole). Returns the metas of the blocks created.
 */
export async function compactDir(dir: string, ranges: readonly number[] = DEFAULT_BLOCK_RANGES, opts: Partial<CompactOptions> = {}): Promise<BlockMeta[]> {
  const created: BlockMeta[] = [];
  await removeTmpBlockDirs(dir);
  for (;;) {
    const metas: BlockMeta[] = [];
    for (const name of (await readdir(dir)).filter(isUlid)) metas.push(await readMeta(join(dir, name)));
    const plan = planCompaction(metas, ranges);
    if (plan.length === 0) return created;
    const blocks: Block[] = [];
    try {
      for (const m of plan) blocks.push(await Block.open(join(dir, m.ulid)));
      const meta = await compactBlocks(dir, blocks, opts);
      if (meta !== undefined) created.push(meta);
    } finally {
      await Promise.all(blocks.map((b) => b.close()));
    }
    for (const m of plan) {
      const doomed = join(dir, m.ulid + TMP_FOR_DELETION_SUFFIX);
      await rename(join(dir, m.ulid), doomed);
      await rm(doomed, { recursive: true, force: true });
    }
    await syncDir(dir);
  }
}
