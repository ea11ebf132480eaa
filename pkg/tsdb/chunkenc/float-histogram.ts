/**
 * The float histogram chunk, bit for bit as Prometheus writes it (encoding 3 in blocks). Same header
 * and layout as the integer chunk (histogram-layout.ts); each sample:
 *
 *   sample 0:   t varbit_int │ count 64 bits │ zero count 64 bits │ sum 64 bits │ bucket counts 64 bits…
 *   sample n>0: Δ²t varbit_int │ count XOR │ zero count XOR │ sum XOR │ bucket count XOR…
 *
 * Each of count, zero count, sum and every bucket is its own XOR stream (xor-value.ts) with its own
 * leading/trailing window. Buckets are absolute counts, positive then negative. A staleness
 * marker writes zero counts and no buckets.
 *
 * Appending works as for the integer chunk (see histogram.ts): `append(t, fh, prev)` returns
 * appended, recoded (a new chunk replacing this one) or cut (a new chunk after this one).
 */
import type { FloatHistogram } from '../../model/histogram/index.js';
import type { SampleIterator } from '../../storage/index.js';
import { ValueType } from '../../storage/index.js';
import type { BitWriter } from './bstream.js';
import { HistogramChunkBase, HistogramIteratorBase } from './histogram-base.js';
import { countBuckets } from './histogram-layout.js';
import { putVarbitInt } from './varbit.js';
import { type XorValue, newXorValue, readFloatInto, readXorValue, setXorValue, writeFloat, writeXorValue, xorValueOf } from './xor-value.js';

export class FloatHistogramChunk extends HistogramChunkBase<FloatHistogram> {
  readonly deltas = false;
  readonly #count: XorValue;
  readonly #zeroCount: XorValue;
  readonly #sum: XorValue;
  #pBuckets: XorValue[];
  #nBuckets: XorValue[];
  /** The last sample's bucket counts, for the counter reset checks. */
  #pLast: number[];
  #nLast: number[];

  constructor(capacity = 64) {
    super(capacity);
    this.#count = newXorValue(0);
    this.#zeroCount = newXorValue(0);
    this.#sum = newXorValue(0);
    this.#pBuckets = [];
    this.#nBuckets = [];
    this.#pLast = [];
    this.#nLast = [];
  }

  /** Reopens encoded bytes for appending. Throws on a corrupt chunk. */
  static open(bytes: Uint8Array): FloatHistogramChunk {
    return new FloatHistogramChunk(bytes.length).reopen(bytes);
  }

  lastPositive(): readonly number[] {
    return this.#pLast;
  }

  lastNegative(): readonly number[] {
    return this.#nLast;
  }

  iterator(reuse?: FloatHistogramIterator): FloatHistogramIterator {
    const it = reuse ?? new FloatHistogramIterator();
    it.reset(this.bytes());
    return it;
  }

  protected create(capacity: number): this {
    return new FloatHistogramChunk(capacity) as this;
  }

  protected samples(): FloatHistogramIterator {
    return new FloatHistogramIterator(this.bytes());
  }

  protected sampleAt(it: HistogramIteratorBase): FloatHistogram {
    return (it as FloatHistogramIterator).atFloatHistogram();
  }

  protected startBuckets(positive: number, negative: number): void {
    this.#pBuckets = xorValues(positive);
    this.#nBuckets = xorValues(negative);
    this.#pLast = new Array<number>(positive).fill(0);
    this.#nLast = new Array<number>(negative).fill(0);
  }

  protected writeSample(first: boolean, t: number, h: FloatHistogram, stale: boolean): void {
    const count = stale ? 0 : h.count;
    const zeroCount = stale ? 0 : h.zeroCount;
    if (first) {
      putVarbitInt(this, t);
      writeFloat(this, count);
      writeFloat(this, zeroCount);
      writeFloat(this, h.sum);
      setXorValue(this.#count, count);
      setXorValue(this.#zeroCount, zeroCount);
      setXorValue(this.#sum, h.sum);
      if (!stale) {
        writeFirstCounts(this, h.positiveBuckets, this.#pBuckets, this.#pLast);
        writeFirstCounts(this, h.negativeBuckets, this.#nBuckets, this.#nLast);
      }
      this.tDelta = 0;
      return;
    }
    const tDelta = t - this.t;
    putVarbitInt(this, tDelta - this.tDelta);
    writeXorValue(this, this.#count, count);
    writeXorValue(this, this.#zeroCount, zeroCount);
    writeXorValue(this, this.#sum, h.sum);
    if (!stale) {
      writeCounts(this, h.positiveBuckets, this.#pBuckets, this.#pLast);
      writeCounts(this, h.negativeBuckets, this.#nBuckets, this.#nLast);
    }
    this.tDelta = tDelta;
  }
}

function xorValues(n: number): XorValue[] {
  const out: XorValue[] = [];
  for (let i = 0; i < n; i++) out.push(newXorValue(0));
  return out;
}

function writeFirstCounts(w: BitWriter, values: readonly number[], states: XorValue[], last: number[]): void {
  if (values.length !== states.length) throw new Error('BUG: histogram buckets do not match its spans');
  for (let i = 0; i < values.length; i++) {
    writeFloat(w, values[i]);
    setXorValue(states[i], values[i]);
    last[i] = values[i];
  }
}

function writeCounts(w: BitWriter, values: readonly number[], states: XorValue[], last: number[]): void {
  if (values.length !== states.length) throw new Error('BUG: histogram buckets do not match the chunk layout');
  for (let i = 0; i < values.length; i++) {
    writeXorValue(w, states[i], values[i]);
    last[i] = values[i];
  }
}

/**
 * Iterates a float histogram chunk. Reusable through reset(); decoding allocates nothing per sample.
 * A truncated or malformed chunk ends iteration with err() set.
 */
export class FloatHistogramIterator extends HistogramIteratorBase implements SampleIterator {
  protected readonly what = 'float histogram chunk';
  protected readonly valueType = ValueType.FloatHistogram;
  readonly #count: XorValue;
  readonly #zeroCount: XorValue;
  readonly #sum: XorValue;
  #pBuckets: XorValue[];
  #nBuckets: XorValue[];

  constructor(bytes?: Uint8Array) {
    super();
    this.#count = newXorValue(0);
    this.#zeroCount = newXorValue(0);
    this.#sum = newXorValue(0);
    this.#pBuckets = [];
    this.#nBuckets = [];
    if (bytes !== undefined) this.reset(bytes);
  }

  protected sumState(): XorValue {
    return this.#sum;
  }

  atHistogram(): never {
    throw new Error('the current sample is a float histogram: use atFloatHistogram');
  }

  atFloatHistogram(): FloatHistogram {
    return this.build(
      xorValueOf(this.#count),
      xorValueOf(this.#zeroCount),
      xorValueOf(this.#sum),
      this.#pBuckets.map(xorValueOf),
      this.#nBuckets.map(xorValueOf),
    );
  }

  next(): ValueType {
    if (this.errValue !== undefined || this.read >= this.total) return ValueType.None;
    const r = this.r;
    if (this.read === 0) {
      if (!this.readLayout()) return ValueType.None;
      this.#pBuckets = xorValues(countBuckets(this.layout.positiveSpans));
      this.#nBuckets = xorValues(countBuckets(this.layout.negativeSpans));
      if (!this.readT()) return this.fail('first sample');
      if (!readFloatInto(r, this.#count) || !readFloatInto(r, this.#zeroCount) || !readFloatInto(r, this.#sum)) {
        return this.fail('first sample');
      }
      for (const b of this.#pBuckets) if (!readFloatInto(r, b)) return this.fail('buckets');
      for (const b of this.#nBuckets) if (!readFloatInto(r, b)) return this.fail('buckets');
    } else {
      if (!this.readT()) return this.fail('timestamp');
      if (!readXorValue(r, this.#count) || !readXorValue(r, this.#zeroCount) || !readXorValue(r, this.#sum)) {
        return this.fail('counts');
      }
      if (!this.isStale()) {
        for (const b of this.#pBuckets) if (!readXorValue(r, b)) return this.fail('buckets');
        for (const b of this.#nBuckets) if (!readXorValue(r, b)) return this.fail('buckets');
      }
    }
    this.read++;
    return ValueType.FloatHistogram;
  }
}
