import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Labels } from '../../model/labels/index.js';
import type { ChunkSeries, ChunkSeriesSet } from '../../storage/index.js';
import { ValueType } from '../../storage/index.js';
import { BlockChunkSeries, ChunkBuilder, OutOfOrderHint, mergeOverlappingChunks, writeBlock, type BlockMeta } from '../block/index.js';
import { XorIterator } from '../chunkenc/index.js';
import type { Head } from '../head.js';
import type { MemSeries } from '../mem-series.js';
import type { HeadCompactionOptions } from './head-compaction.js';

/**
 * Persists every out-of-order sample of the head as blocks, one per block range it touches, with
 * the `from-out-of-order` compaction hint (Prometheus DB.compactOOOHead). They overlap the in-order
 * blocks of the same ranges; the compactor merges them vertically. Then the persisted chunks leave
 * the head and the WBL segments that held them are deleted.
 *
 * Samples committed meanwhile stay in the head and in the WBL segments after the rotation. A crash
 * before the old segments are deleted replays samples that are also in a block: queries and the
 * compactor deduplicate them.
 */
export async function compactOooHead(head: Head, dir: string, opts: Pick<HeadCompactionOptions, 'blockRange' | 'ulids' | 'thanos'>): Promise<BlockMeta[]> {
  if (head.oooMinTime() > head.oooMaxTime()) return [];
  const wbl = head.wbl();
  const keepFrom = wbl === undefined ? 0 : await (await wbl).nextSegment();
  // A commit applies its samples in the microtasks that follow its WBL write: once this macrotask
  // runs, every commit that wrote to a segment before the rotation has its samples in the head.
  await nextMacrotask();
  const frozen = head.freezeOoo();
  const series = [...frozen.keys()].sort((a, b) => Labels.compare(a.labels, b.labels));
  const out: BlockMeta[] = [];
  for (const from of rangesWithSamples(frozen, opts.blockRange)) {
    const to = from + opts.blockRange;
    try {
      const meta = await writeBlock(dir, rangeSet(series, frozen, from, to), { ulids: opts.ulids, minTime: from, maxTime: to, thanos: opts.thanos, hints: [OutOfOrderHint] });
      if (meta !== undefined) out.push(meta);
    } catch (err) {
      throw new Error(`persist out-of-order samples of [${from}, ${to}) as a block in ${dir}`, { cause: err });
    }
  }
  await head.dropFrozenOoo(frozen, keepFrom);
  // Garbage-collects series left without samples (and checkpoints the WAL) without moving the bound.
  await head.truncate(head.minValidTime());
  return out;
}

/**
 * The starts of the block ranges that hold frozen samples, ascending: read from the samples, so a
 * wide window with sparse data costs what the data costs, not one pass per empty range.
 */
function rangesWithSamples(frozen: Map<MemSeries, number>, blockRange: number): number[] {
  const starts = new Set<number>();
  const it = new XorIterator();
  for (const [s, k] of frozen) {
    const chunks = (s.ooo as NonNullable<MemSeries['ooo']>).chunks;
    for (let i = 0; i < k; i++) {
      it.reset(chunks[i].bytes);
      while (it.next() !== ValueType.None) starts.add(Math.floor(it.atT() / blockRange) * blockRange);
    }
  }
  return [...starts].sort((a, b) => a - b);
}

/** The frozen out-of-order samples in [from, to) of each series (in label order), merged and re-encoded. */
function rangeSet(series: readonly MemSeries[], frozen: Map<MemSeries, number>, from: number, to: number): ChunkSeriesSet {
  let i = -1;
  let cur: ChunkSeries | undefined;
  return {
    next: async () => {
      while (++i < series.length) {
        cur = seriesInRange(series[i], frozen.get(series[i]) as number, from, to);
        if (cur !== undefined) return true;
      }
      return false;
    },
    at: () => cur as ChunkSeries,
    err: () => undefined,
    warnings: () => [],
  };
}

function seriesInRange(s: MemSeries, k: number, from: number, to: number): ChunkSeries | undefined {
  const chunks = (s.ooo as NonNullable<MemSeries['ooo']>).chunks.slice(0, k).filter((c) => c.maxT >= from && c.minT < to);
  if (chunks.length === 0) return undefined;
  // Out-of-order chunks are XOR (native histograms are never out of order), sorted within each.
  const merged = mergeOverlappingChunks([new BlockChunkSeries(s.labels, chunks.map((c) => c.minT), chunks.map((c) => c.maxT), chunks.map((c) => c.encoding), chunks.map((c) => c.bytes))]);
  const b = new ChunkBuilder();
  const it = new XorIterator();
  for (const bytes of merged.bytes) {
    it.reset(bytes);
    for (let vt = it.seek(from); vt !== ValueType.None && it.atT() < to; vt = it.next()) b.append(it.atT(), it.atV());
    const err = it.err();
    if (err !== undefined) throw new Error(`read out-of-order chunk of ${s.labels.toString()}`, { cause: err });
  }
  const built = b.finish(s.labels);
  return built.bytes.length === 0 ? undefined : built;
}
