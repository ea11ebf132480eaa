import type { Labels } from '../../model/labels/index.js';
import type { FloatHistogram, Histogram } from '../../model/histogram/index.js';
import type { ChunkSeries, ChunkSeriesSet, SampleIterator } from '../../storage/index.js';
import { ValueType } from '../../storage/index.js';
import { Encoding, FloatHistogramChunk, type HistogramChunkBase, HistogramChunk, XorChunk } from '../chunkenc/index.js';
import { BlockChunkSeries } from './block-chunk-series-set.js';

/** Samples per chunk when (re-)encoding, as Prometheus cuts head chunks. */
export const SAMPLES_PER_CHUNK = 120;

/** The open chunk: histogram chunks are held by their shared base (the encoding follows from the class). */
type AnyChunk = XorChunk | HistogramChunkBase<Histogram> | HistogramChunkBase<FloatHistogram>;

/**
 * Encodes one series' samples (strictly increasing timestamps; floats, histograms or float
 * histograms, mixed as they come) into chunks of at most `samplesPerChunk` samples, for compaction
 * output and tests. Histogram chunks are also cut, or recoded with more buckets, where Prometheus'
 * appender rules say so (counter reset, schema change, new buckets).
 */
export class ChunkBuilder {
  readonly samplesPerChunk: number;
  #minTs: number[];
  #maxTs: number[];
  #encodings: number[];
  #data: Uint8Array[];
  #cur: AnyChunk | undefined;
  #curMin: number;
  #curMax: number;

  constructor(samplesPerChunk = SAMPLES_PER_CHUNK) {
    this.samplesPerChunk = samplesPerChunk;
    this.#minTs = [];
    this.#maxTs = [];
    this.#encodings = [];
    this.#data = [];
    this.#cur = undefined;
    this.#curMin = 0;
    this.#curMax = 0;
  }

  append(t: number, v: number): void {
    this.#check(t);
    let cur = this.#cur;
    if (!(cur instanceof XorChunk) || cur.numSamples() >= this.samplesPerChunk) {
      this.#cut();
      this.#cur = cur = new XorChunk(64);
      this.#curMin = t;
    }
    cur.append(t, v);
    this.#curMax = t;
  }

  appendHistogram(t: number, h: Histogram): void {
    this.#appendTo(t, h, HistogramChunk);
  }

  appendFloatHistogram(t: number, h: FloatHistogram): void {
    this.#appendTo(t, h, FloatHistogramChunk);
  }

  /** Into the open chunk if it has this encoding and room, else a new one after it. */
  #appendTo<H extends Histogram | FloatHistogram>(t: number, h: H, Kind: new () => HistogramChunkBase<H>): void {
    this.#check(t);
    const cur: unknown = this.#cur;
    const prev = cur instanceof Kind ? cur : undefined;
    if (prev === undefined || prev.numSamples() >= this.samplesPerChunk) {
      this.#cut();
      const c = new Kind();
      c.append(t, h, prev);
      this.#start(c as unknown as AnyChunk, t);
      return;
    }
    const r = prev.append(t, h);
    if (r.status === 'cut') {
      this.#cut();
      this.#start(r.chunk as unknown as AnyChunk, t);
      return;
    }
    if (r.status === 'recoded') this.#cur = r.chunk as unknown as AnyChunk;
    this.#curMax = t;
  }

  /** Appends an iterator's current sample, of the value type its next()/seek() returned. */
  appendFrom(it: SampleIterator, vt: ValueType): void {
    if (vt === ValueType.Float) this.append(it.atT(), it.atV());
    else if (vt === ValueType.Histogram) this.appendHistogram(it.atT(), it.atHistogram());
    else if (vt === ValueType.FloatHistogram) this.appendFloatHistogram(it.atT(), it.atFloatHistogram());
    else throw new Error(`BUG: chunk builder got value type ${vt}`);
  }

  #check(t: number): void {
    if (this.#cur !== undefined && t <= this.#curMax) {
      throw new Error(`BUG: chunk builder got timestamp ${t} after ${this.#curMax}`);
    }
  }

  #start(c: AnyChunk, t: number): void {
    this.#cur = c;
    this.#curMin = t;
    this.#curMax = t;
  }

  #cut(): void {
    const cur = this.#cur;
    if (cur === undefined) return;
    this.#minTs.push(this.#curMin);
    this.#maxTs.push(this.#curMax);
    this.#encodings.push(cur instanceof XorChunk ? Encoding.XOR : cur instanceof HistogramChunk ? Encoding.Histogram : Encoding.FloatHistogram);
    this.#data.push(cur.compact());
    this.#cur = undefined;
  }

  /** The series built so far; the builder is empty afterwards. */
  finish(labels: Labels): BlockChunkSeries {
    this.#cut();
    const s = new BlockChunkSeries(labels, this.#minTs, this.#maxTs, this.#encodings, this.#data);
    this.#minTs = [];
    this.#maxTs = [];
    this.#encodings = [];
    this.#data = [];
    return s;
  }
}

/** A fixed list of chunk series as a ChunkSeriesSet (in the order given). */
export function listChunkSeriesSet(list: readonly ChunkSeries[]): ChunkSeriesSet {
  let i = -1;
  return {
    next: async () => ++i < list.length,
    at: () => list[i],
    err: () => undefined,
    warnings: () => [],
  };
}

/** Builds a chunk series from parallel time and value arrays. */
export function chunkSeriesFromSamples(labels: Labels, ts: ArrayLike<number>, vs: ArrayLike<number>, samplesPerChunk?: number): ChunkSeries {
  const b = new ChunkBuilder(samplesPerChunk);
  for (let i = 0; i < ts.length; i++) b.append(ts[i], vs[i]);
  return b.finish(labels);
}
