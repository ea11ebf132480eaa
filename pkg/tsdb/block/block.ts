import { join } from 'node:path';
import type { ChunkQuerier, ChunkQueryable, ChunkSeriesSet, Querier, Queryable } from '../../storage/index.js';
import { SegmentReader } from '../chunks/index.js';
import { IndexReader } from '../index/index.js';
import { BlockChunkSeriesSet, type BlockReaders } from './block-chunk-series-set.js';
import { BlockChunkQuerier, BlockQuerier } from './block-querier.js';
import { readMeta, type BlockMeta } from './meta.js';
import { readTombstones, type Tombstones } from './tombstones.js';

/**
 * An open block directory (`meta.json`, `index`, `chunks/`, `tombstones`), queryable by samples and
 * by chunks. Holds file handles and the index header (symbols, sampled postings offsets) only.
 */
export class Block implements Queryable, ChunkQueryable, BlockReaders {
  readonly dir: string;
  readonly meta: BlockMeta;
  readonly index: IndexReader;
  readonly segments: SegmentReader;
  /** Deleted intervals per series ref; applied to every read. */
  readonly tombstones: Tombstones;

  private constructor(dir: string, meta: BlockMeta, index: IndexReader, segments: SegmentReader, tombstones: Tombstones) {
    this.dir = dir;
    this.meta = meta;
    this.index = index;
    this.segments = segments;
    this.tombstones = tombstones;
  }

  static async open(dir: string): Promise<Block> {
    try {
      const meta = await readMeta(dir);
      const stones = await readTombstones(dir);
      const index = await IndexReader.open(join(dir, 'index'));
      let segments: SegmentReader;
      try {
        segments = await SegmentReader.open(join(dir, 'chunks'));
      } catch (err) {
        await index.close();
        throw err;
      }
      return new Block(dir, meta, index, segments, stones);
    } catch (err) {
      throw new Error(`open block ${dir}`, { cause: err });
    }
  }

  /**
   * A block from readers opened elsewhere (the store-gateway reads the index and chunks from a
   * bucket); `dir` only names it in errors. The block owns the readers from now on.
   */
  static fromParts(dir: string, meta: BlockMeta, index: IndexReader, segments: SegmentReader, tombstones: Tombstones): Block {
    return new Block(dir, meta, index, segments, tombstones);
  }

  /** Samples with timestamps in [mint, maxt] (inclusive). */
  async querier(mint: number, maxt: number): Promise<Querier> {
    return new BlockQuerier(this, mint, maxt);
  }

  /** Chunks overlapping [mint, maxt], whole (not cut to the range). */
  async chunkQuerier(mint: number, maxt: number): Promise<ChunkQuerier> {
    return new BlockChunkQuerier(this, mint, maxt);
  }

  /** Every series of the block with all its chunks, in label order (the input of compaction). */
  allChunkSeries(): ChunkSeriesSet {
    return new BlockChunkSeriesSet(this, -Infinity, Infinity, () => this.index.allPostings());
  }

  /** Bytes on disk of the index and the chunk segments. */
  get size(): number {
    return this.index.size + this.segments.size;
  }

  async close(): Promise<void> {
    await Promise.all([this.index.close(), this.segments.close()]);
  }
}
