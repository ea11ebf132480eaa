/**
 * What the integer and float histogram chunks and their iterators share: the layout fields, the
 * sample count in the header, appending under Prometheus' rules (histogram-append.ts), recoding,
 * reopening, and on the read side the header, layout and timestamp state. The sample encodings
 * themselves are in histogram.ts and float-histogram.ts.
 */
import type { FloatHistogram, Histogram, Span } from '../../model/histogram/index.js';
import { CounterResetHint } from '../../model/histogram/index.js';
import { ValueType } from '../../storage/index.js';
import { BitReader, BitWriter } from './bstream.js';
import { StaleNaN, StaleNaNHi, StaleNaNLo, isStaleNaN } from './float-bits.js';
import { type Expand, type HistogramAppendResult, Appended, decide, firstHeader, withBackwardInserts } from './histogram-append.js';
import { insertBuckets } from './histogram-inserts.js';
import {
  CounterResetHeader,
  type HistogramLayout,
  HistogramHeaderBytes,
  counterResetHeaderOf,
  countBuckets,
  readLayout,
  setCounterResetHeader,
  writeLayout,
} from './histogram-layout.js';
import { readVarbitInt } from './varbit.js';
import type { XorValue } from './xor-value.js';

type AnyHistogram = Histogram | FloatHistogram;

/** What a chunk that starts with a staleness marker records as its layout. */
const StaleLayout: Readonly<HistogramLayout> = Object.freeze({
  schema: 0,
  zeroThreshold: 0,
  positiveSpans: [],
  negativeSpans: [],
  customValues: [],
});

export abstract class HistogramChunkBase<H extends AnyHistogram> extends BitWriter {
  #numSamples: number;
  schema: number;
  zeroThreshold: number;
  positiveSpans: Span[];
  negativeSpans: Span[];
  customValues: number[];
  lastCount: number;
  lastZeroCount: number;
  lastSumIsStale: boolean;
  protected t: number;
  protected tDelta: number;

  constructor(capacity: number) {
    super(new Uint8Array(Math.max(capacity, HistogramHeaderBytes)), HistogramHeaderBytes);
    this.#numSamples = 0;
    this.schema = 0;
    this.zeroThreshold = 0;
    this.positiveSpans = [];
    this.negativeSpans = [];
    this.customValues = [];
    this.lastCount = 0;
    this.lastZeroCount = 0;
    this.lastSumIsStale = false;
    this.t = 0;
    this.tDelta = 0;
  }

  /** Integer chunks keep buckets as deltas between buckets, float chunks as counts. */
  abstract readonly deltas: boolean;
  /** An empty chunk of the same encoding. */
  protected abstract create(capacity: number): this;
  /** An iterator over this chunk's bytes. */
  protected abstract samples(): HistogramIteratorBase;
  /** The iterator's current sample in this chunk's histogram type. */
  protected abstract sampleAt(it: HistogramIteratorBase): H;
  /** Sets up the per-bucket state for a new layout. */
  protected abstract startBuckets(positive: number, negative: number): void;
  /** Writes the sample after the layout: the first one verbatim, later ones against the previous. */
  protected abstract writeSample(first: boolean, t: number, h: H, stale: boolean): void;
  /** The last sample's buckets: deltas (integer chunks) or counts (float chunks). */
  abstract lastPositive(): readonly number[];
  abstract lastNegative(): readonly number[];

  numSamples(): number {
    return this.#numSamples;
  }

  get header(): CounterResetHeader {
    return counterResetHeaderOf(this.buf);
  }

  size(): number {
    return this.length;
  }

  /** A copy of the encoded bytes with no spare capacity (for completed chunks). */
  compact(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** Appends one sample, or says which chunk took it instead (see the top of histogram.ts). */
  append(t: number, h: H, prev?: HistogramChunkBase<H>): HistogramAppendResult<this> {
    if (this.#numSamples === 0) {
      this.encodeSample(t, h);
      setCounterResetHeader(this.buf, firstHeader(h, prev, this.deltas));
      return Appended;
    }
    const d = decide(this, h, this.deltas);
    if (d.kind === 'append') {
      this.encodeSample(t, h);
      return Appended;
    }
    if (d.kind === 'cut') {
      const next = this.create(64);
      next.encodeSample(t, h);
      setCounterResetHeader(next.buf, d.header);
      return { status: 'cut', chunk: next, reason: d.reason };
    }
    const sample = withBackwardInserts(h, d, this.deltas);
    if (d.forwardPositive.length + d.forwardNegative.length === 0) {
      this.encodeSample(t, sample);
      return Appended;
    }
    const next = this.#recode(d);
    next.encodeSample(t, sample);
    return { status: 'recoded', chunk: next };
  }

  /** A new chunk with the same samples and header, widened by the forward inserts. */
  #recode(d: Expand): this {
    const next = this.create(this.length * 2);
    const it = this.samples();
    while (it.next() !== ValueType.None) {
      const old = this.sampleAt(it);
      old.positiveSpans = d.positiveSpans;
      old.negativeSpans = d.negativeSpans;
      old.positiveBuckets = insertBuckets(old.positiveBuckets, d.forwardPositive, this.deltas);
      old.negativeBuckets = insertBuckets(old.negativeBuckets, d.forwardNegative, this.deltas);
      next.encodeSample(it.atT(), old);
    }
    setCounterResetHeader(next.buf, this.header);
    return next;
  }

  /** Re-encodes `bytes` of this encoding into this empty chunk, to append to it (throws on corruption). */
  protected reopen(bytes: Uint8Array): this {
    const it = this.samples();
    it.reset(bytes);
    while (it.next() !== ValueType.None) this.encodeSample(it.atT(), this.sampleAt(it));
    const err = it.err();
    if (err !== undefined) throw err;
    setCounterResetHeader(this.buf, counterResetHeaderOf(bytes));
    return this;
  }

  /** Encodes a sample that fits the chunk's layout (or starts the chunk). No checks. */
  encodeSample(t: number, h: H): void {
    const num = this.#numSamples;
    const stale = isStaleNaN(h.sum);
    if (num === 0) {
      const layout = stale ? StaleLayout : h;
      writeLayout(this, layout);
      this.schema = layout.schema;
      this.zeroThreshold = layout.zeroThreshold;
      this.positiveSpans = layout.positiveSpans.map(copySpan);
      this.negativeSpans = layout.negativeSpans.map(copySpan);
      this.customValues = layout.customValues.slice();
      this.startBuckets(countBuckets(layout.positiveSpans), countBuckets(layout.negativeSpans));
    }
    this.writeSample(num === 0, t, h, stale);
    this.t = t;
    this.lastCount = stale ? 0 : h.count;
    this.lastZeroCount = stale ? 0 : h.zeroCount;
    this.lastSumIsStale = stale;
    this.#numSamples = num + 1;
    this.buf[0] = (num + 1) >>> 8;
    this.buf[1] = (num + 1) & 0xff;
  }
}

export function copySpan(s: Span): Span {
  return { offset: s.offset, length: s.length };
}

/** atV of an iterator over histograms: a caller's bug. */
export function notAFloat(): never {
  throw new Error('the current sample is a histogram, not a float');
}

const EmptyChunk = new Uint8Array(0);

/** The read side's shared state: header, layout, time, error. */
export abstract class HistogramIteratorBase {
  protected readonly r: BitReader;
  protected total: number;
  protected read: number;
  protected header: CounterResetHeader;
  protected layout: HistogramLayout;
  protected t: number;
  protected tDelta: number;
  protected errValue: Error | undefined;

  constructor() {
    this.r = new BitReader(EmptyChunk, 0);
    this.total = 0;
    this.read = 0;
    this.header = CounterResetHeader.Unknown;
    this.layout = StaleLayout;
    this.t = 0;
    this.tDelta = 0;
    this.errValue = undefined;
  }

  /** What the error messages call the encoding. */
  protected abstract readonly what: string;
  /** The sample's value type (Histogram or FloatHistogram). */
  protected abstract readonly valueType: ValueType;
  abstract next(): ValueType;
  /** The sum's XOR state, which tells staleness markers apart. */
  protected abstract sumState(): XorValue;

  /** Restarts on another chunk's bytes; `numSamples` overrides the header's count (open head chunks). */
  reset(bytes: Uint8Array, numSamples = -1): void {
    this.r.reset(bytes, HistogramHeaderBytes);
    this.read = 0;
    this.errValue = undefined;
    this.t = 0;
    this.tDelta = 0;
    if (bytes.length < HistogramHeaderBytes) {
      this.total = 0;
      this.header = CounterResetHeader.Unknown;
      if (bytes.length !== 0) this.errValue = new Error(`${this.what}: truncated header`);
    } else {
      this.total = numSamples >= 0 ? numSamples : (bytes[0] << 8) | bytes[1];
      this.header = counterResetHeaderOf(bytes);
    }
  }

  atT(): number {
    return this.t;
  }

  atV = notAFloat;

  err(): Error | undefined {
    return this.errValue;
  }

  seek(t: number): ValueType {
    if (this.errValue !== undefined) return ValueType.None;
    while (this.read === 0 || t > this.t) {
      if (this.next() === ValueType.None) return ValueType.None;
    }
    return this.valueType;
  }

  protected isStale(): boolean {
    const s = this.sumState();
    return s.hi === StaleNaNHi && s.lo === StaleNaNLo;
  }

  /** The current sample's counter reset hint, as Prometheus reads it from the chunk. */
  protected hint(): CounterResetHint {
    if (this.header === CounterResetHeader.Gauge) return CounterResetHint.Gauge;
    return this.read > 1 ? CounterResetHint.NotCounterReset : CounterResetHint.Unknown;
  }

  /** A histogram of the current layout with the given values (fresh arrays the caller owns). */
  protected build(count: number, zeroCount: number, sum: number, positive: number[], negative: number[]): AnyHistogram {
    if (this.isStale()) return staleHistogram();
    const l = this.layout;
    return {
      counterResetHint: this.hint(),
      schema: l.schema,
      zeroThreshold: l.zeroThreshold,
      zeroCount,
      count,
      sum,
      positiveSpans: l.positiveSpans.map(copySpan),
      negativeSpans: l.negativeSpans.map(copySpan),
      positiveBuckets: positive,
      negativeBuckets: negative,
      customValues: l.customValues.slice(),
    };
  }

  /** Reads the layout before the first sample; false (with err set) when it is bad. */
  protected readLayout(): boolean {
    const layout = readLayout(this.r);
    if (typeof layout === 'string') {
      this.fail(layout);
      return false;
    }
    this.layout = layout;
    return true;
  }

  /** Reads the timestamp (varbit, verbatim first, then delta of deltas); false at a truncation. */
  protected readT(): boolean {
    const v = readVarbitInt(this.r);
    if (Number.isNaN(v)) return false;
    if (this.read === 0) {
      this.t = v;
    } else {
      this.tDelta += v;
      this.t += this.tDelta;
    }
    return true;
  }

  protected fail(what: string): ValueType {
    this.errValue = new Error(`${this.what}: ${what} of sample ${this.read} of ${this.total}`);
    return ValueType.None;
  }
}

/** A staleness marker as Prometheus returns it: only the sum is set. */
export function staleHistogram(): Histogram & FloatHistogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: StaleNaN,
    positiveSpans: [],
    negativeSpans: [],
    positiveBuckets: [],
    negativeBuckets: [],
    customValues: [],
  };
}
