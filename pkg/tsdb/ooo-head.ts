import { Encoding, XorChunk } from './chunkenc/index.js';
import type { CompletedChunk } from './mem-series.js';

/**
 * One series' out-of-order samples (Prometheus' OOO head chunks, ooo_head.go): samples go into an
 * open buffer kept sorted by time; when it holds `capMax` samples it is encoded as an XOR chunk
 * and a new buffer starts. Chunks are each sorted but may overlap each other and the series'
 * in-order chunks: readers and the OOO compaction merge them.
 */
export class OooSeries {
  /** Encoded chunks, oldest cut first. */
  readonly chunks: CompletedChunk[] = [];
  #ts: Float64Array;
  /** Values as a typed array: plain arrays may canonicalise NaN payloads (stale markers). */
  #vs: Float64Array;
  #n = 0;
  minT = Infinity;
  maxT = -Infinity;

  constructor(capMax: number) {
    this.#ts = new Float64Array(capMax);
    this.#vs = new Float64Array(capMax);
  }

  /** Samples in the open buffer. */
  get open(): number {
    return this.#n;
  }

  /**
   * Inserts a sample in time order. Returns 'duplicate' (nothing stored, as Prometheus'
   * OOOChunk.Insert) when the open buffer has a sample at t, 'cut' when the full buffer was encoded
   * into a chunk first, else 'ok'.
   */
  insert(t: number, v: number): 'ok' | 'cut' | 'duplicate' {
    let lo = 0;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.#n && this.#ts[lo] === t) return 'duplicate';
    let cut = false;
    if (this.#n === this.#ts.length) {
      this.cutOpen();
      lo = 0;
      cut = true;
    }
    this.#ts.copyWithin(lo + 1, lo, this.#n);
    this.#vs.copyWithin(lo + 1, lo, this.#n);
    this.#ts[lo] = t;
    this.#vs[lo] = v;
    this.#n++;
    if (t < this.minT) this.minT = t;
    if (t > this.maxT) this.maxT = t;
    return cut ? 'cut' : 'ok';
  }

  /** Encodes the open buffer (if not empty) as a chunk, so every sample is in `chunks`. */
  cutOpen(): void {
    if (this.#n === 0) return;
    this.chunks.push(this.#encodeOpen());
    this.#n = 0;
  }

  /** The chunks overlapping [mint, maxt], the open buffer encoded as one more (a copy). */
  chunksIn(mint: number, maxt: number): CompletedChunk[] {
    const out = this.chunks.filter((c) => c.maxT >= mint && c.minT <= maxt);
    if (this.#n > 0 && this.#ts[this.#n - 1] >= mint && this.#ts[0] <= maxt) out.push(this.#encodeOpen());
    return out;
  }

  /** Drops the oldest `k` chunks (persisted in blocks). Returns whether samples remain. */
  dropChunks(k: number): boolean {
    this.chunks.splice(0, k);
    this.minT = Infinity;
    this.maxT = -Infinity;
    for (const c of this.chunks) {
      if (c.minT < this.minT) this.minT = c.minT;
      if (c.maxT > this.maxT) this.maxT = c.maxT;
    }
    if (this.#n > 0) {
      if (this.#ts[0] < this.minT) this.minT = this.#ts[0];
      if (this.#ts[this.#n - 1] > this.maxT) this.maxT = this.#ts[this.#n - 1];
    }
    return this.chunks.length > 0 || this.#n > 0;
  }

  #encodeOpen(): CompletedChunk {
    const x = new XorChunk(16 * this.#n + 16);
    for (let i = 0; i < this.#n; i++) x.append(this.#ts[i], this.#vs[i]);
    return { minT: this.#ts[0], maxT: this.#ts[this.#n - 1], bytes: x.compact(), encoding: Encoding.XOR };
  }
}
