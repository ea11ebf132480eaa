import { Encoding, XorIterator } from '../chunkenc/index.js';
import { ValueType, type SampleIterator } from '../../storage/index.js';

/**
 * Iterates the samples of a series' XOR chunks in order, limited to [mint, maxt]. Chunks must not
 * overlap in time (true within one block; merge.ts handles overlaps across blocks).
 */
export class ChunksSampleIterator implements SampleIterator {
  #encodings: ArrayLike<number>;
  #chunks: readonly Uint8Array[];
  #mint: number;
  #maxt: number;
  #i: number;
  readonly #it: XorIterator;
  #err: Error | undefined;

  constructor() {
    this.#encodings = [];
    this.#chunks = [];
    this.#mint = 0;
    this.#maxt = 0;
    this.#i = -1;
    this.#it = new XorIterator();
    this.#err = undefined;
  }

  reset(encodings: ArrayLike<number>, chunks: readonly Uint8Array[], mint: number, maxt: number): this {
    this.#encodings = encodings;
    this.#chunks = chunks;
    this.#mint = mint;
    this.#maxt = maxt;
    this.#i = -1;
    this.#err = undefined;
    this.#it.reset(new Uint8Array(0));
    return this;
  }

  next(): ValueType {
    for (;;) {
      if (this.#i >= this.#chunks.length) return ValueType.None;
      const vt = this.#it.next();
      if (vt !== ValueType.None) {
        const t = this.#it.atT();
        if (t < this.#mint) continue;
        if (t > this.#maxt) {
          this.#i = this.#chunks.length;
          return ValueType.None;
        }
        return vt;
      }
      const err = this.#it.err();
      if (err !== undefined) {
        this.#err = err;
        this.#i = this.#chunks.length;
        return ValueType.None;
      }
      if (!this.#advanceChunk()) return ValueType.None;
    }
  }

  #advanceChunk(): boolean {
    this.#i++;
    if (this.#i >= this.#chunks.length) return false;
    const enc = this.#encodings[this.#i];
    if (enc !== Encoding.XOR) {
      this.#err = new Error(`chunk encoding ${enc} is not supported (XOR only)`);
      this.#i = this.#chunks.length;
      return false;
    }
    this.#it.reset(this.#chunks[this.#i]);
    return true;
  }

  seek(t: number): ValueType {
    if (this.#i >= 0 && this.#i < this.#chunks.length && this.#it.atT() >= t && this.#it.atT() >= this.#mint) {
      return ValueType.Float;
    }
    for (let vt = this.next(); vt !== ValueType.None; vt = this.next()) {
      if (this.#it.atT() >= t) return vt;
    }
    return ValueType.None;
  }

  atT(): number {
    return this.#it.atT();
  }

  atV(): number {
    return this.#it.atV();
  }

  err(): Error | undefined {
    return this.#err;
  }
}
