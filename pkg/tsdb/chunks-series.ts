// A series read from chunks held in memory (the head's snapshot of a series, a block's series, the
// ingesters' merged replicas), clipped to a time range.
import type { Labels } from '../model/labels/index.js';
import type { FloatHistogram, Histogram } from '../model/histogram/index.js';
import type { SampleIterator, Series } from '../storage/index.js';
import { ValueType } from '../storage/index.js';
import { EncodedChunkIterator } from './chunkenc/index.js';

/** A series' chunks column by column: the head's snapshot of a series, or a block's BlockChunkSeries. */
export interface ChunkSnapshot {
  bytes: Uint8Array[];
  counts: number[];
  minTs: number[];
  maxTs: number[];
  /** Prometheus chunk encodings (XOR, histogram, float histogram). */
  encodings: number[];
}

/**
 * A series whose samples are read from its chunks in memory, clipped to [mint, maxt]: the head's
 * series, a block's, and the ingesters' merged replicas.
 */
export class ChunksSeries implements Series {
  readonly labels: Labels;
  readonly #chunks: ChunkSnapshot;
  readonly #mint: number;
  readonly #maxt: number;

  constructor(labels: Labels, chunks: ChunkSnapshot, mint: number, maxt: number) {
    this.labels = labels;
    this.#chunks = chunks;
    this.#mint = mint;
    this.#maxt = maxt;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    const it = reuse instanceof ChunksSampleIterator ? reuse : new ChunksSampleIterator();
    it.reset(this.#chunks, this.#mint, this.#maxt);
    return it;
  }
}

/** Samples of a chunk snapshot within [mint, maxt], of whatever encoding each chunk has. */
export class ChunksSampleIterator implements SampleIterator {
  readonly #it = new EncodedChunkIterator();
  #vt: ValueType = ValueType.None;
  #snap: ChunkSnapshot = { bytes: [], counts: [], minTs: [], maxTs: [], encodings: [] };
  #chunk = -1;
  #mint = 0;
  #maxt = 0;
  #t = 0;
  #started = false;
  #done = true;
  #err: Error | undefined = undefined;

  reset(snap: ChunkSnapshot, mint: number, maxt: number): void {
    this.#snap = snap;
    this.#mint = mint;
    this.#maxt = maxt;
    this.#chunk = -1;
    this.#started = false;
    this.#done = false;
    this.#err = undefined;
    this.#toChunk(this.#firstChunkFrom(0, mint));
  }

  /**
   * The first chunk from `i` on that ends at or after `t`, found from the chunks' times: chunks
   * wholly before it are never decoded (a chunk of a series spans up to hours, a window minutes).
   */
  #firstChunkFrom(i: number, t: number): number {
    const maxTs = this.#snap.maxTs;
    while (i < maxTs.length && maxTs[i] < t) i++;
    return i;
  }

  /** Starts decoding chunk `i`; done when there is none or it begins after maxt. */
  #toChunk(i: number): boolean {
    this.#chunk = i;
    if (i >= this.#snap.bytes.length || this.#snap.minTs[i] > this.#maxt) {
      this.#done = true;
      return false;
    }
    this.#it.reset(this.#snap.encodings[i], this.#snap.bytes[i], this.#snap.counts[i]);
    return true;
  }

  #nextChunk(): boolean {
    return this.#toChunk(this.#chunk + 1);
  }

  #accept(vt: ValueType): ValueType {
    const t = this.#it.atT();
    if (t > this.#maxt) {
      this.#done = true;
      return ValueType.None;
    }
    this.#t = t;
    this.#started = true;
    this.#vt = vt;
    return vt;
  }

  /** Whether the current chunk's iterator stopped on an error (kept, and the iteration ended). */
  #failed(): boolean {
    const err = this.#it.err();
    if (err === undefined) return false;
    this.#err = new Error(`read head chunk ${this.#chunk}`, { cause: err });
    this.#done = true;
    return true;
  }

  /** Moves to the next sample of the current or later chunks that is at or after `min`. */
  #advance(min: number): ValueType {
    while (!this.#done) {
      const vt = this.#it.seek(min);
      if (vt !== ValueType.None) return this.#accept(vt);
      if (this.#failed()) return ValueType.None;
      this.#nextChunk();
    }
    return ValueType.None;
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    if (!this.#started) return this.#advance(this.#mint);
    const vt = this.#it.next();
    if (vt !== ValueType.None) return this.#accept(vt);
    if (this.#failed()) return ValueType.None;
    if (!this.#nextChunk()) return ValueType.None;
    return this.#advance(this.#mint);
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    if (this.#started && this.#t >= t) return this.#vt;
    const min = Math.max(t, this.#mint);
    const i = this.#firstChunkFrom(this.#chunk, min);
    if (i !== this.#chunk && !this.#toChunk(i)) return ValueType.None;
    return this.#advance(min);
  }

  atT(): number {
    return this.#it.atT();
  }

  atV(): number {
    return this.#it.atV();
  }

  atHistogram(): Histogram {
    return this.#it.atHistogram();
  }

  atFloatHistogram(): FloatHistogram {
    return this.#it.atFloatHistogram();
  }

  err(): Error | undefined {
    return this.#err;
  }
}
