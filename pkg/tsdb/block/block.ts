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
  /** Queriers handed out and not closed yet (Prometheus' pendingReaders). */
  #pending: number;
  #closing: boolean;
  /** Settles when the files are closed (never rejects); set by close(). */
  #filesClosed: Promise<void> | undefined;
  #markFilesClosed: (() => void) | undefined;
  #closeErr: unknown;

  private constructor(dir: string, meta: BlockMeta, index: IndexReader, segments: SegmentReader, tombstones: Tombstones) {
    this.dir = dir;
    this.meta = meta;
    this.index = index;
    this.segments = segments;
    this.tombstones = tombstones;
    this.#pending = 0;
    this.#closing = false;
    this.#filesClosed = undefined;
    this.#markFilesClosed = undefined;
    this.#closeErr = undefined;
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

  /** Samples with timestamps in [mint, maxt] (inclusive). Close it: the block's files stay open until then. */
  async querier(mint: number, maxt: number): Promise<Querier> {
    return new BlockQuerier(this, mint, maxt, this.#acquire());
  }

  /** Chunks overlapping [mint, maxt], whole (not cut to the range). Close it: the block's files stay open until then. */
  async chunkQuerier(mint: number, maxt: number): Promise<ChunkQuerier> {
    return new BlockChunkQuerier(this, mint, maxt, this.#acquire());
  }

  /** Counts an open reader; the returned function releases it (once). */
  #acquire(): () => void {
    if (this.#closing) throw new Error(`block ${this.meta.ulid} is closing`);
    this.#pending++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#pending === 0 && this.#closing) this.#closeFiles();
    };
  }

  /** Every series of the block with all its chunks, in label order (the input of compaction). */
  allChunkSeries(): ChunkSeriesSet {
    return new BlockChunkSeriesSet(this, -Infinity, Infinity, () => this.index.allPostings());
  }

  /** Bytes on disk of the index and the chunk segments. */
  get size(): number {
    return this.index.size + this.segments.size;
  }

  /**
   * Refuses new queriers and closes the files: now, or when the last open querier closes (as
   * Prometheus' pending readers). Unlike Prometheus it does not wait for those queriers, so a
   * querier someone forgot to close keeps files open but cannot hang the caller; `closed()` waits
   * for the files.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#filesClosed = new Promise<void>((resolve) => (this.#markFilesClosed = resolve));
    if (this.#pending === 0) {
      this.#closeFiles();
      await this.closed();
    }
  }

  /** Resolves once the files are closed (after close()); throws what closing them threw. */
  async closed(): Promise<void> {
    if (this.#filesClosed === undefined) throw new Error('BUG: Block.closed() before close()');
    await this.#filesClosed;
    if (this.#closeErr !== undefined) throw new Error(`close block ${this.dir}`, { cause: this.#closeErr });
  }

  #closeFiles(): void {
    void Promise.all([this.index.close(), this.segments.close()])
      .then(
        () => undefined,
        (err: unknown) => {
          this.#closeErr = err;
        },
      )
      .then(() => this.#markFilesClosed?.());
  }
}
