/**
 * Reads a chunk of any encoding Prometheus blocks carry (XOR, histogram, float histogram) through
 * one SampleIterator: readers of mixed series (a series may turn from floats into histograms)
 * reset it per chunk with the chunk's encoding. Keeps one iterator per encoding, made on first use.
 */
import type { FloatHistogram, Histogram } from '../../model/histogram/index.js';
import type { SampleIterator } from '../../storage/index.js';
import { ValueType } from '../../storage/index.js';
import { FloatHistogramIterator } from './float-histogram.js';
import { HistogramIterator } from './histogram.js';
import { Encoding, XorIterator } from './xor.js';

type Inner = XorIterator | HistogramIterator | FloatHistogramIterator;

/**
 * The XOR iterator is always there and called directly when the chunk is XOR: the common case keeps
 * a monomorphic call site (a measurable share of a decode loop).
 */
export class EncodedChunkIterator implements SampleIterator {
  readonly #xor: XorIterator;
  #isXor: boolean;
  #hist: HistogramIterator | undefined;
  #floatHist: FloatHistogramIterator | undefined;
  #cur: Inner | undefined;
  #err: Error | undefined;

  constructor() {
    this.#xor = new XorIterator();
    this.#isXor = true;
    this.#hist = undefined;
    this.#floatHist = undefined;
    this.#cur = undefined;
    this.#err = undefined;
  }

  /**
   * Restarts on a chunk. `numSamples` overrides the header's count (readers of a chunk still being
   * appended to pass what they snapshotted). An unknown encoding ends iteration with err() set.
   */
  reset(encoding: number, bytes: Uint8Array, numSamples = -1): void {
    this.#err = undefined;
    this.#isXor = encoding === Encoding.XOR;
    switch (encoding) {
      case Encoding.XOR:
        this.#cur = this.#xor;
        break;
      case Encoding.Histogram:
        this.#cur = this.#hist ??= new HistogramIterator();
        break;
      case Encoding.FloatHistogram:
        this.#cur = this.#floatHist ??= new FloatHistogramIterator();
        break;
      default:
        this.#cur = undefined;
        this.#err = new Error(`unsupported chunk encoding ${encoding}`);
        return;
    }
    this.#cur.reset(bytes, numSamples);
  }

  next(): ValueType {
    if (this.#isXor) return this.#xor.next();
    return this.#cur === undefined ? ValueType.None : this.#cur.next();
  }

  seek(t: number): ValueType {
    if (this.#isXor) return this.#xor.seek(t);
    return this.#cur === undefined ? ValueType.None : this.#cur.seek(t);
  }

  atT(): number {
    return this.#isXor ? this.#xor.atT() : (this.#cur as Inner).atT();
  }

  atV(): number {
    return this.#isXor ? this.#xor.atV() : (this.#cur as Inner).atV();
  }

  atHistogram(): Histogram {
    return (this.#cur as Inner).atHistogram();
  }

  atFloatHistogram(): FloatHistogram {
    return (this.#cur as Inner).atFloatHistogram();
  }

  err(): Error | undefined {
    return this.#err ?? this.#cur?.err();
  }
}
