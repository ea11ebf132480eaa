import { join } from 'node:path';
import type { ChunkQuerier, ChunkQueryable, ChunkSeriesSet, Querier, Queryable } from '../../storage/index.js';
import { SegmentReader } from '../chunks/index.js';
import { IndexReader } from '../index/index.js';
import { BlockChunkSeriesSet } from './block-chunk-series-set.js';
import { BlockChunkQuerier, BlockQuerier } from './block-querier.js';
import { readMeta, type BlockMeta } from './meta.js';
import { countTombstones } from './tombstones.js';

/**
 * An open block directory (`meta.json`, `index`, `chunks/`, `tombstones`), queryable by samples and
 * by chunks. Holds file handles and the index header (symbols, sampled postings offsets) only.
 */
export class Block implements Queryable, ChunkQueryable {
  readonly dir: string;
  readonly meta: BlockMeta;
  readonly index: IndexReader;
  readonly segments: SegmentReader;

  private constructor(dir: string, meta: BlockMeta, index: IndexReader, segments: SegmentReader) {
    this.dir = dir;
    this.meta = meta;
    this.index = index;
    this.segments = segments;
  }

  static async open(dir: string): Promise<Block> {
    try {
      const meta = await readMeta(dir);
      const stones = await countTombstones(dir);
      if (stones > 0) throw new Error(`${stones} series have tombstones; deletions are not supported yet`);
      const index = await IndexReader.open(join(dir, 'index'));
      let segments: SegmentReader;
      try {
        segments = await SegmentReader.open(join(dir, 'chunks'));
      } catch (err) {
        await index.close();
        throw err;
      }
      return new Block(dir, meta, index, segments);
    } catch (err) {
      throw new Error(`open block ${dir}`, { cause: err });
    }
  }

  /** Samples with timestamps in [mint, maxt] (inclusive). */
  async querier(mint: number, maxt: number): Promise<Querier> {
    return new BlockQuerier(this.index, this.segments, mint, maxt);
  }

  /** Chunks overlapping [mint, maxt], whole (not cut to the range). */
  async chunkQuerier(mint: number, maxt: number): Promise<ChunkQuerier> {
    return new BlockChunkQuerier(this.index, this.segments, mint, maxt);
  }

  /** Every series of the block with all its chunks, in label order (the input of compaction). */
  allChunkSeries(): ChunkSeriesSet {
    return new BlockChunkSeriesSet(this.index, this.segments, -Infinity, Infinity, () => this.index.allPostings());
  }

  /** Bytes on disk of the index and the chunk segments. */
  get size(): number {
    return this.index.size + this.segments.size;
  }

  async close(): Promise<void> {
    await Promise.all([this.index.close(), this.segments.close()]);
  }
}
