import type { Labels } from '../../model/labels/index.js';
import type { ChunkSeries, ChunkSeriesSet } from '../../storage/index.js';
import { Encoding, XorChunk } from '../chunkenc/index.js';
import { BlockChunkSeries } from './block-chunk-series-set.js';

/** Samples per chunk when (re-)encoding, as Prometheus cuts head chunks. */
export const SAMPLES_PER_CHUNK = 120;

/**
 * Encodes one series' samples (strictly increasing timestamps) into XOR chunks of at most
 * `samplesPerChunk` samples, for compaction output and tests.
 */
export class ChunkBuilder {
  readonly samplesPerChunk: number;
  #minTs: number[];
  #maxTs: number[];
  #data: Uint8Array[];
  #cur: XorChunk | undefined;
  #curMin: number;
  #curMax: number;

  constructor(samplesPerChunk = SAMPLES_PER_CHUNK) {
    this.samplesPerChunk = samplesPerChunk;
    this.#minTs = [];
    this.#maxTs = [];
    this.#data = [];
    this.#cur = undefined;
    this.#curMin = 0;
    this.#curMax = 0;
  }

  append(t: number, v: number): void {
    if (this.#cur !== undefined && t <= this.#curMax) {
      throw new Error(`BUG: chunk builder got timestamp ${t} after ${this.#curMax}`);
    }
    if (this.#cur === undefined || this.#cur.numSamples() >= this.samplesPerChunk) {
      this.#cut();
      this.#cur = new XorChunk(64);
      this.#curMin = t;
    }
    this.#cur.append(t, v);
    this.#curMax = t;
  }

  #cut(): void {
    if (this.#cur === undefined) return;
    this.#minTs.push(this.#curMin);
    this.#maxTs.push(this.#curMax);
    this.#data.push(this.#cur.compact());
    this.#cur = undefined;
  }

  /** The series built so far; the builder is empty afterwards. */
  finish(labels: Labels): ChunkSeries {
    this.#cut();
    const encodings = this.#data.map(() => Encoding.XOR as number);
    const s = new BlockChunkSeries(labels, this.#minTs, this.#maxTs, encodings, this.#data);
    this.#minTs = [];
    this.#maxTs = [];
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
