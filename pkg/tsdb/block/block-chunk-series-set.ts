import type { Labels, QueryShard } from '../../model/labels/index.js';
import { inQueryShard, queryShardHash } from '../../model/labels/index.js';
import type { ChunkIterator, ChunkMeta, ChunkSeries, ChunkSeriesSet } from '../../storage/index.js';
import type { SegmentReader } from '../chunks/index.js';
import type { IndexReader, Postings } from '../index/index.js';
import { chunkSampleCount } from './chunk-sample-count.js';
import { deletionCoverage, dropDeleted } from './chunk-deletion.js';
import type { Tombstones } from './tombstones.js';

/** What reading a block needs: its index, chunk segments and tombstones. */
export interface BlockReaders {
  readonly index: IndexReader;
  readonly segments: SegmentReader;
  readonly tombstones: Tombstones;
}

/** Series read per batch: one coalesced index read and one chunk read per batch. */
const BATCH = 256;

/**
 * One series with its chunks in memory, column by column (the shape the head's
 * ChunksSampleIterator reads): a block series with the chunks overlapping the query range, or the
 * output of ChunkBuilder and compaction.
 */
export class BlockChunkSeries implements ChunkSeries {
  readonly labels: Labels;
  readonly minTs: number[];
  readonly maxTs: number[];
  readonly encodings: number[];
  readonly bytes: Uint8Array[];
  /** Samples per chunk, from each chunk's header. */
  readonly counts: number[];

  constructor(labels: Labels, minTs: number[], maxTs: number[], encodings: number[], bytes: Uint8Array[]) {
    this.labels = labels;
    this.minTs = minTs;
    this.maxTs = maxTs;
    this.encodings = encodings;
    this.bytes = bytes;
    this.counts = bytes.map(chunkSampleCount);
  }

  chunks(reuse?: ChunkIterator): ChunkIterator {
    const it = reuse instanceof ArrayChunkIterator ? reuse : new ArrayChunkIterator();
    return it.reset(this);
  }
}

class ArrayChunkIterator implements ChunkIterator {
  #s: BlockChunkSeries | undefined;
  #i: number;
  readonly #meta: ChunkMeta;

  constructor() {
    this.#s = undefined;
    this.#i = -1;
    this.#meta = { minT: 0, maxT: 0, encoding: 0, bytes: new Uint8Array(0) };
  }

  reset(s: BlockChunkSeries): this {
    this.#s = s;
    this.#i = -1;
    return this;
  }

  next(): boolean {
    const s = this.#s;
    if (s === undefined || this.#i + 1 >= s.bytes.length) return false;
    const i = ++this.#i;
    const m = this.#meta;
    m.minT = s.minTs[i];
    m.maxT = s.maxTs[i];
    m.encoding = s.encodings[i];
    m.bytes = s.bytes[i];
    return true;
  }

  at(): ChunkMeta {
    return this.#meta;
  }

  err(): Error | undefined {
    return undefined;
  }
}

/**
 * Lazily selects series of one block: postings on the first next(), then batches of series and
 * their chunks (only those overlapping [mint, maxt]) read with coalesced positioned reads.
 */
export class BlockChunkSeriesSet implements ChunkSeriesSet {
  readonly #index: IndexReader;
  readonly #segments: SegmentReader;
  readonly #mint: number;
  readonly #maxt: number;
  readonly #select: () => Promise<Postings>;
  readonly #stones: Tombstones;
  #postings: Postings | undefined;
  #pos: number;
  #batch: BlockChunkSeries[];
  #bi: number;
  #err: Error | undefined;

  /** Keeps only the series of this query shard, when set. */
  readonly #shard: QueryShard | undefined;
  readonly #labelsOnly: boolean;

  /**
   * `select` gives the refs of the series to return, sorted; called once, on the first next().
   * `labelsOnly`: the series that have chunks in [mint, maxt] (by their index entries), returned
   * without chunks, none of which is read.
   */
  constructor(r: BlockReaders, mint: number, maxt: number, select: () => Promise<Postings>, shard?: QueryShard, labelsOnly = false) {
    this.#shard = shard;
    this.#labelsOnly = labelsOnly;
    const { index, segments } = r;
    this.#stones = r.tombstones;
    this.#index = index;
    this.#segments = segments;
    this.#mint = mint;
    this.#maxt = maxt;
    this.#select = select;
    this.#postings = undefined;
    this.#pos = 0;
    this.#batch = [];
    this.#bi = -1;
    this.#err = undefined;
  }

  async next(): Promise<boolean> {
    if (this.#err !== undefined) return false;
    try {
      if (this.#postings === undefined) this.#postings = await this.#select();
      while (++this.#bi >= this.#batch.length) {
        if (this.#pos >= this.#postings.length) return false;
        await this.#loadBatch(this.#postings);
      }
      return true;
    } catch (err) {
      this.#err = new Error(`select from block index ${this.#index.path}`, { cause: err });
      return false;
    }
  }

  async #loadBatch(postings: Postings): Promise<void> {
    const end = Math.min(postings.length, this.#pos + BATCH);
    const refs: number[] = [];
    for (let i = this.#pos; i < end; i++) refs.push(postings[i]);
    this.#pos = end;
    const series = await this.#index.series(refs);
    const chunkRefs: number[] = [];
    const kept: { labels: Labels; minTs: number[]; maxTs: number[]; deleted: readonly number[] | undefined }[] = [];
    const shard = this.#shard;
    for (const s of series) {
      if (shard !== undefined && !inQueryShard(queryShardHash(s.labels), shard)) continue;
      const minTs: number[] = [];
      const maxTs: number[] = [];
      const deleted = this.#stones.get(s.ref);
      for (let i = 0; i < s.chunks.length; i += 3) {
        if (s.chunks[i + 1] < this.#mint || s.chunks[i] > this.#maxt) continue;
        if (deleted !== undefined && deletionCoverage(deleted, s.chunks[i], s.chunks[i + 1]) === 'all') continue;
        minTs.push(s.chunks[i]);
        maxTs.push(s.chunks[i + 1]);
        chunkRefs.push(s.chunks[i + 2]);
      }
      if (minTs.length > 0) kept.push({ labels: s.labels, minTs, maxTs, deleted });
    }
    this.#batch = [];
    this.#bi = -1;
    if (this.#labelsOnly) {
      for (const s of kept) this.#batch.push(new BlockChunkSeries(s.labels, [], [], [], []));
      return;
    }
    const chunks = await this.#segments.readChunks(chunkRefs);
    let k = 0;
    for (const s of kept) {
      const n = s.minTs.length;
      const enc: number[] = new Array(n);
      const data: Uint8Array[] = new Array(n);
      for (let i = 0; i < n; i++, k++) {
        enc[i] = chunks[k].encoding;
        data[i] = chunks[k].data;
      }
      if (s.deleted !== undefined) {
        const left = withoutDeleted(s.labels, s.deleted, s.minTs, s.maxTs, enc, data);
        if (left !== undefined) this.#batch.push(left);
        continue;
      }
      this.#batch.push(new BlockChunkSeries(s.labels, s.minTs, s.maxTs, enc, data));
    }
  }

  at(): ChunkSeries {
    return this.#batch[this.#bi];
  }

  err(): Error | undefined {
    return this.#err;
  }

  warnings(): readonly string[] {
    return [];
  }
}

/** The series with deleted samples cut out of partly covered chunks; undefined when none is left. */
function withoutDeleted(
  labels: Labels,
  deleted: readonly number[],
  minTs: number[],
  maxTs: number[],
  enc: number[],
  data: Uint8Array[],
): BlockChunkSeries | undefined {
  const out = { minTs: [] as number[], maxTs: [] as number[], enc: [] as number[], data: [] as Uint8Array[] };
  for (let i = 0; i < data.length; i++) {
    if (deletionCoverage(deleted, minTs[i], maxTs[i]) === 'none') {
      out.minTs.push(minTs[i]);
      out.maxTs.push(maxTs[i]);
      out.enc.push(enc[i]);
      out.data.push(data[i]);
      continue;
    }
    const c = dropDeleted(enc[i], data[i], deleted, `series ${labels.toString()}`);
    if (c === undefined) continue;
    out.minTs.push(c.minT);
    out.maxTs.push(c.maxT);
    out.enc.push(enc[i]);
    out.data.push(c.bytes);
  }
  return out.data.length === 0 ? undefined : new BlockChunkSeries(labels, out.minTs, out.maxTs, out.enc, out.data);
}
