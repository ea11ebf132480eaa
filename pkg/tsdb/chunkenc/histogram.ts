/**
 * The integer histogram chunk, bit for bit as Prometheus writes it (encoding 2 in blocks). After the
 * header and layout (histogram-layout.ts), each sample:
 *
 *   sample 0:   t varbit_int │ count varbit_uint │ zero count varbit_uint │ sum 64 bits │ buckets varbit_int…
 *   sample n>0: Δ²t varbit_int │ Δ²count │ Δ²zero count │ sum XOR (as in xor.ts) │ Δ²bucket varbit_int…
 *
 * Buckets are the histogram's own deltas between consecutive buckets, positive then negative; from
 * the second sample on every integer is a delta of deltas (the previous delta starts at 0). A
 * staleness marker (sum = the stale NaN) writes no buckets and zero count deltas.
 *
 * Appending (the head calls this):
 *
 *   const r = chunk.append(t, h, prevChunk);   // prevChunk: the series' previous chunk, if any
 *   switch (r.status) {
 *     case 'appended': break;                  // nothing allocated
 *     case 'recoded': chunk = r.chunk; break;  // same samples, more buckets; replaces the old chunk
 *     case 'cut': complete(chunk); chunk = r.chunk; break;  // r.reason: counter-reset | layout | kind
 *   }
 *
 * Timestamps must increase (the caller checks). The caller also cuts chunks for its own reasons
 * (size, time range) by starting a new HistogramChunk and passing the old one as `prev`, so that
 * the new chunk's header says whether a counter reset lies between them.
 */
import type { FloatHistogram, Histogram } from '../../model/histogram/index.js';
import { ValueType } from '../../storage/index.js';
import type { SampleIterator } from '../../storage/index.js';
import type { BitReader, BitWriter } from './bstream.js';
import { HistogramChunkBase, HistogramIteratorBase } from './histogram-base.js';
import { countBuckets } from './histogram-layout.js';
import { putVarbitInt, putVarbitUint, readVarbitInt, readVarbitUint } from './varbit.js';
import { type XorValue, newXorValue, readFloatInto, readXorValue, setXorValue, writeFloat, writeXorValue, xorValueOf } from './xor-value.js';

export class HistogramChunk extends HistogramChunkBase<Histogram> {
  readonly deltas = true;
  #countDelta: number;
  #zeroCountDelta: number;
  readonly #sum: XorValue;
  /** The last sample's buckets (deltas between buckets) and their deltas from the sample before. */
  #pBuckets: number[];
  #nBuckets: number[];
  #pDeltas: number[];
  #nDeltas: number[];

  constructor(capacity = 64) {
    super(capacity);
    this.#countDelta = 0;
    this.#zeroCountDelta = 0;
    this.#sum = newXorValue(0);
    this.#pBuckets = [];
    this.#nBuckets = [];
    this.#pDeltas = [];
    this.#nDeltas = [];
  }

  /** Reopens encoded bytes for appending (e.g. a head chunk after a restart). Throws on a corrupt chunk. */
  static open(bytes: Uint8Array): HistogramChunk {
    return new HistogramChunk(bytes.length).reopen(bytes);
  }

  lastPositive(): readonly number[] {
    return this.#pBuckets;
  }

  lastNegative(): readonly number[] {
    return this.#nBuckets;
  }

  iterator(reuse?: HistogramIterator): HistogramIterator {
    const it = reuse ?? new HistogramIterator();
    it.reset(this.bytes());
    return it;
  }

  protected create(capacity: number): this {
    return new HistogramChunk(capacity) as this;
  }

  protected samples(): HistogramIterator {
    return new HistogramIterator(this.bytes());
  }

  protected sampleAt(it: HistogramIteratorBase): Histogram {
    return (it as HistogramIterator).atHistogram();
  }

  protected startBuckets(positive: number, negative: number): void {
    this.#pBuckets = new Array<number>(positive).fill(0);
    this.#nBuckets = new Array<number>(negative).fill(0);
    this.#pDeltas = new Array<number>(positive).fill(0);
    this.#nDeltas = new Array<number>(negative).fill(0);
  }

  protected writeSample(first: boolean, t: number, h: Histogram, stale: boolean): void {
    const count = stale ? 0 : h.count;
    const zeroCount = stale ? 0 : h.zeroCount;
    if (first) {
      putVarbitInt(this, t);
      putVarbitUint(this, count);
      putVarbitUint(this, zeroCount);
      writeFloat(this, h.sum);
      setXorValue(this.#sum, h.sum);
      if (!stale) {
        writeBuckets(this, h.positiveBuckets, this.#pBuckets);
        writeBuckets(this, h.negativeBuckets, this.#nBuckets);
      }
      this.tDelta = 0;
      this.#countDelta = 0;
      this.#zeroCountDelta = 0;
      return;
    }
    const tDelta = t - this.t;
    const countDelta = count - this.lastCount;
    const zeroCountDelta = zeroCount - this.lastZeroCount;
    putVarbitInt(this, tDelta - this.tDelta);
    putVarbitInt(this, stale ? 0 : countDelta - this.#countDelta);
    putVarbitInt(this, stale ? 0 : zeroCountDelta - this.#zeroCountDelta);
    writeXorValue(this, this.#sum, h.sum);
    if (!stale) {
      writeBucketDods(this, h.positiveBuckets, this.#pBuckets, this.#pDeltas);
      writeBucketDods(this, h.negativeBuckets, this.#nBuckets, this.#nDeltas);
    }
    this.tDelta = tDelta;
    this.#countDelta = countDelta;
    this.#zeroCountDelta = zeroCountDelta;
  }
}

function writeBuckets(w: BitWriter, values: readonly number[], last: number[]): void {
  if (values.length !== last.length) throw new Error('BUG: histogram buckets do not match its spans');
  for (let i = 0; i < values.length; i++) {
    putVarbitInt(w, values[i]);
    last[i] = values[i];
  }
}

function writeBucketDods(w: BitWriter, values: readonly number[], last: number[], deltas: number[]): void {
  if (values.length !== last.length) throw new Error('BUG: histogram buckets do not match the chunk layout');
  for (let i = 0; i < values.length; i++) {
    const delta = values[i] - last[i];
    putVarbitInt(w, delta - deltas[i]);
    deltas[i] = delta;
    last[i] = values[i];
  }
}

/**
 * Iterates an integer histogram chunk. Reusable through reset(); decoding allocates nothing per
 * sample (atHistogram/atFloatHistogram build the object the caller asked for). A truncated or
 * malformed chunk ends iteration with err() set.
 */
export class HistogramIterator extends HistogramIteratorBase implements SampleIterator {
  protected readonly what = 'histogram chunk';
  protected readonly valueType = ValueType.Histogram;
  #count: number;
  #countDelta: number;
  #zeroCount: number;
  #zeroCountDelta: number;
  readonly #sum: XorValue;
  #pBuckets: number[];
  #nBuckets: number[];
  #pDeltas: number[];
  #nDeltas: number[];

  constructor(bytes?: Uint8Array) {
    super();
    this.#count = 0;
    this.#countDelta = 0;
    this.#zeroCount = 0;
    this.#zeroCountDelta = 0;
    this.#sum = newXorValue(0);
    this.#pBuckets = [];
    this.#nBuckets = [];
    this.#pDeltas = [];
    this.#nDeltas = [];
    if (bytes !== undefined) this.reset(bytes);
  }

  override reset(bytes: Uint8Array, numSamples = -1): void {
    super.reset(bytes, numSamples);
    this.#countDelta = 0;
    this.#zeroCountDelta = 0;
  }

  protected sumState(): XorValue {
    return this.#sum;
  }

  atHistogram(): Histogram {
    return this.build(this.#count, this.#zeroCount, xorValueOf(this.#sum), this.#pBuckets.slice(), this.#nBuckets.slice());
  }

  atFloatHistogram(): FloatHistogram {
    return this.build(this.#count, this.#zeroCount, xorValueOf(this.#sum), cumulative(this.#pBuckets), cumulative(this.#nBuckets));
  }

  next(): ValueType {
    if (this.errValue !== undefined || this.read >= this.total) return ValueType.None;
    const r = this.r;
    if (this.read === 0) {
      if (!this.readLayout()) return ValueType.None;
      const np = countBuckets(this.layout.positiveSpans);
      const nn = countBuckets(this.layout.negativeSpans);
      this.#pBuckets = new Array<number>(np).fill(0);
      this.#nBuckets = new Array<number>(nn).fill(0);
      this.#pDeltas = new Array<number>(np).fill(0);
      this.#nDeltas = new Array<number>(nn).fill(0);
      if (!this.readT()) return this.fail('first sample');
      const count = readVarbitUint(r);
      const zeroCount = readVarbitUint(r);
      if (Number.isNaN(count + zeroCount) || !readFloatInto(r, this.#sum)) return this.fail('first sample');
      this.#count = count;
      this.#zeroCount = zeroCount;
      if (!readBuckets(r, this.#pBuckets) || !readBuckets(r, this.#nBuckets)) return this.fail('buckets');
    } else {
      if (!this.readT()) return this.fail('timestamp');
      const countDod = readVarbitInt(r);
      const zeroCountDod = readVarbitInt(r);
      if (Number.isNaN(countDod + zeroCountDod)) return this.fail('counts');
      this.#countDelta += countDod;
      this.#count += this.#countDelta;
      this.#zeroCountDelta += zeroCountDod;
      this.#zeroCount += this.#zeroCountDelta;
      if (!readXorValue(r, this.#sum)) return this.fail('sum');
      if (!this.isStale()) {
        if (!readBucketDods(r, this.#pBuckets, this.#pDeltas) || !readBucketDods(r, this.#nBuckets, this.#nDeltas)) {
          return this.fail('buckets');
        }
      }
    }
    this.read++;
    return ValueType.Histogram;
  }
}

function readBuckets(r: BitReader, out: number[]): boolean {
  for (let i = 0; i < out.length; i++) {
    const v = readVarbitInt(r);
    if (Number.isNaN(v)) return false;
    out[i] = v;
  }
  return true;
}

function readBucketDods(r: BitReader, buckets: number[], deltas: number[]): boolean {
  for (let i = 0; i < buckets.length; i++) {
    const dod = readVarbitInt(r);
    if (Number.isNaN(dod)) return false;
    deltas[i] += dod;
    buckets[i] += deltas[i];
  }
  return true;
}

function cumulative(deltas: readonly number[]): number[] {
  const out = new Array<number>(deltas.length);
  let c = 0;
  for (let i = 0; i < deltas.length; i++) out[i] = c += deltas[i];
  return out;
}
