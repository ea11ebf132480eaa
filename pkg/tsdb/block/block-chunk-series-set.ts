import type { Labels } from '../../model/labels/index.js';
import type { ChunkIterator, ChunkMeta, ChunkSeries, ChunkSeriesSet } from '../../storage/index.js';
import type { SegmentReader } from '../chunks/index.js';
import type { IndexReader, Postings } from '../index/index.js';

/** Series read per batch: one coalesced index read and one chunk read per batch. */
const BATCH = 256;

/** One series of a block with the chunks overlapping the query range, already read. */
export class BlockChunkSeries implements ChunkSeries {
  readonly labels: Labels;
  /** `[minT, maxT]` pairs. */
  readonly times: Float64Array;
  readonly encodings: Uint8Array;
  readonly data: Uint8Array[];

  constructor(labels: Labels, times: Float64Array, encodings: Uint8Array, data: Uint8Array[]) {
    this.labels = labels;
    this.times = times;
    this.encodings = encodings;
    this.data = data;
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
    if (s === undefined || this.#i + 1 >= s.data.length) return false;
    const i = ++this.#i;
    const m = this.#meta;
    m.minT = s.times[2 * i];
    m.maxT = s.times[2 * i + 1];
    m.encoding = s.encodings[i];
    m.bytes = s.data[i];
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
  #postings: Postings | undefined;
  #pos: number;
  #batch: BlockChunkSeries[];
  #bi: number;
  #err: Error | undefined;

  /** `select` gives the refs of the series to return, sorted; called once, on the first next(). */
  constructor(index: IndexReader, segments: SegmentReader, mint: number, maxt: number, select: () => Promise<Postings>) {
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
    const kept: { labels: Labels; times: number[] }[] = [];
    for (const s of series) {
      const times: number[] = [];
      for (let i = 0; i < s.chunks.length; i += 3) {
        if (s.chunks[i + 1] < this.#mint || s.chunks[i] > this.#maxt) continue;
        times.push(s.chunks[i], s.chunks[i + 1]);
        chunkRefs.push(s.chunks[i + 2]);
      }
      if (times.length > 0) kept.push({ labels: s.labels, times });
    }
    const chunks = await this.#segments.readChunks(chunkRefs);
    this.#batch = [];
    this.#bi = -1;
    let k = 0;
    for (const s of kept) {
      const n = s.times.length / 2;
      const enc = new Uint8Array(n);
      const data: Uint8Array[] = new Array(n);
      for (let i = 0; i < n; i++, k++) {
        enc[i] = chunks[k].encoding;
        data[i] = chunks[k].data;
      }
      this.#batch.push(new BlockChunkSeries(s.labels, Float64Array.from(s.times), enc, data));
    }
    this.#bi = -1;
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
