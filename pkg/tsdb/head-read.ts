import type { Matcher } from '../model/labels/index.js';
import { Labels, compareUtf8 } from '../model/labels/index.js';
import type {
  ChunkIterator,
  ChunkMeta,
  ChunkQuerier,
  ChunkSeries,
  ChunkSeriesSet,
  LabelHints,
  Querier,
  SampleIterator,
  SelectHints,
  Series,
  SeriesSet,
} from '../storage/index.js';
import type { FloatHistogram, Histogram } from '../model/histogram/index.js';
import { ValueType, limitLabels } from '../storage/index.js';
import { EncodedChunkIterator, Encoding, FloatHistogramChunk, histogramNumSamples, xorNumSamples } from './chunkenc/index.js';
import type { Head } from './head.js';
import { postingsForMatchers } from './index/index.js';
import type { MemSeries } from './mem-series.js';

/**
 * The chunks of one series overlapping a time range, frozen when taken: completed chunks are
 * immutable, and for the open head chunk the sample count is recorded, so appends that happen later
 * stay invisible (the bytes already written never change; a grown buffer leaves the old one intact).
 */
/** A series' chunks column by column: the head's snapshot of a series, or a block's BlockChunkSeries. */
export interface ChunkSnapshot {
  bytes: Uint8Array[];
  counts: number[];
  minTs: number[];
  maxTs: number[];
  /** Prometheus chunk encodings (XOR, histogram, float histogram). */
  encodings: number[];
}

function snapshot(s: MemSeries, mint: number, maxt: number, copyOpen: boolean): ChunkSnapshot | undefined {
  const out: ChunkSnapshot = { bytes: [], counts: [], minTs: [], maxTs: [], encodings: [] };
  const c = s.completed;
  if (c !== null) {
    for (const ch of c) {
      if (ch.maxT < mint || ch.minT > maxt) continue;
      out.bytes.push(ch.bytes);
      out.counts.push(ch.encoding === Encoding.XOR ? xorNumSamples(ch.bytes) : histogramNumSamples(ch.bytes));
      out.minTs.push(ch.minT);
      out.maxTs.push(ch.maxT);
      out.encodings.push(ch.encoding);
    }
  }
  if (s.headMaxT < mint || s.headMinT > maxt) return out.bytes.length === 0 ? undefined : out;
  const x = s.head;
  const h = s.hist?.chunk ?? null;
  if (x !== null) {
    out.bytes.push(copyOpen ? x.compact() : x.bytes());
    out.counts.push(x.numSamples());
    out.encodings.push(Encoding.XOR);
  } else if (h !== null) {
    out.bytes.push(copyOpen ? h.compact() : h.bytes());
    out.counts.push(h.numSamples());
    out.encodings.push(h instanceof FloatHistogramChunk ? Encoding.FloatHistogram : Encoding.Histogram);
  }
  if (x !== null || h !== null) {
    out.minTs.push(s.headMinT);
    out.maxTs.push(s.headMaxT);
  }
  return out.bytes.length === 0 ? undefined : out;
}

/** Series of the head selected by matchers, with data in [mint, maxt], optionally sorted. */
function selectSeries(head: Head, mint: number, maxt: number, matchers: readonly Matcher[], sort: boolean): MemSeries[] {
  const refs = postingsForMatchers(head.postings, matchers);
  const out: MemSeries[] = [];
  for (let i = 0; i < refs.length; i++) {
    const s = head.byRef.get(refs[i]);
    if (s !== undefined && s.hasSamples() && s.maxTime() >= mint && s.minTime() <= maxt) out.push(s);
  }
  if (sort) out.sort((a, b) => Labels.compare(a.labels, b.labels));
  return out;
}

/** Label names/values shared by both queriers. */
abstract class HeadLabelQuerier {
  protected readonly head: Head;
  protected readonly mint: number;
  protected readonly maxt: number;

  constructor(head: Head, mint: number, maxt: number) {
    this.head = head;
    this.mint = mint;
    this.maxt = maxt;
  }

  #overlaps(): boolean {
    return this.head.maxTime() >= this.mint && this.head.minTime() <= this.maxt;
  }

  async labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    let names: string[];
    if (matchers.length === 0) {
      names = this.#overlaps() ? this.head.postings.labelNames() : [];
    } else {
      const set = new Set<string>();
      for (const s of selectSeries(this.head, this.mint, this.maxt, matchers, false)) s.labels.forEach((n) => set.add(n));
      names = [...set];
    }
    return limitLabels(names.sort(compareUtf8), hints.limit);
  }

  async labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    let values: string[];
    if (matchers.length === 0) {
      values = this.#overlaps() ? this.head.postings.labelValues(name) : [];
    } else {
      const set = new Set<string>();
      for (const s of selectSeries(this.head, this.mint, this.maxt, matchers, false)) {
        const v = s.labels.get(name);
        if (v !== '') set.add(v);
      }
      values = [...set];
    }
    return limitLabels(values.sort(compareUtf8), hints.limit);
  }

  async close(): Promise<void> {}
}


/** Querier over the head's samples in [mint, maxt] (both inclusive). */
export class HeadQuerier extends HeadLabelQuerier implements Querier {
  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    return new HeadSeriesSet(this.head, this.mint, this.maxt, matchers, hints.sortSeries);
  }
}

/** Querier over the head's raw chunks overlapping [mint, maxt] (chunks are not trimmed). */
export class HeadChunkQuerier extends HeadLabelQuerier implements ChunkQuerier {
  select(hints: SelectHints, ...matchers: Matcher[]): ChunkSeriesSet {
    return new HeadChunkSeriesSet(this.head, this.mint, this.maxt, matchers, hints.sortSeries);
  }
}

/** Lazy: the index is read on the first next(); each series' chunks are frozen when it is reached. */
abstract class LazySet<T> {
  readonly #head: Head;
  protected readonly mint: number;
  protected readonly maxt: number;
  readonly #matchers: readonly Matcher[];
  readonly #sort: boolean;
  #series: MemSeries[] | undefined = undefined;
  #i = -1;
  #cur: T | undefined = undefined;

  constructor(head: Head, mint: number, maxt: number, matchers: readonly Matcher[], sort: boolean) {
    this.#head = head;
    this.mint = mint;
    this.maxt = maxt;
    this.#matchers = matchers;
    this.#sort = sort;
  }

  protected abstract make(s: MemSeries): T | undefined;

  async next(): Promise<boolean> {
    if (this.#series === undefined) this.#series = selectSeries(this.#head, this.mint, this.maxt, this.#matchers, this.#sort);
    while (++this.#i < this.#series.length) {
      this.#cur = this.make(this.#series[this.#i]);
      if (this.#cur !== undefined) return true;
    }
    return false;
  }

  at(): T {
    if (this.#cur === undefined) throw new Error('BUG: at() called without a successful next()');
    return this.#cur;
  }

  err(): Error | undefined {
    return undefined;
  }

  warnings(): readonly string[] {
    return [];
  }
}

class HeadSeriesSet extends LazySet<Series> implements SeriesSet {
  protected make(s: MemSeries): Series | undefined {
    const snap = snapshot(s, this.mint, this.maxt, false);
    return snap === undefined ? undefined : new ChunksSeries(s.labels, snap, this.mint, this.maxt);
  }
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
    this.#nextChunk();
  }

  #nextChunk(): boolean {
    this.#chunk++;
    if (this.#chunk >= this.#snap.bytes.length) {
      this.#done = true;
      return false;
    }
    this.#it.reset(this.#snap.encodings[this.#chunk], this.#snap.bytes[this.#chunk], this.#snap.counts[this.#chunk]);
    return true;
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

  /** Moves to the next sample of the current or later chunks that is at or after `min`. */
  #advance(min: number): ValueType {
    while (!this.#done) {
      const vt = this.#it.seek(min);
      if (vt !== ValueType.None) return this.#accept(vt);
      const err = this.#it.err();
      if (err !== undefined) {
        this.#err = new Error(`read head chunk ${this.#chunk}`, { cause: err });
        this.#done = true;
        return ValueType.None;
      }
      this.#nextChunk();
    }
    return ValueType.None;
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    if (!this.#started) return this.#advance(this.#mint);
    const vt = this.#it.next();
    if (vt !== ValueType.None) return this.#accept(vt);
    const err = this.#it.err();
    if (err !== undefined) {
      this.#err = new Error(`read head chunk ${this.#chunk}`, { cause: err });
      this.#done = true;
      return ValueType.None;
    }
    if (!this.#nextChunk()) return ValueType.None;
    return this.#advance(this.#mint);
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    if (this.#started && this.#t >= t) return this.#vt;
    const min = Math.max(t, this.#mint);
    while (this.#chunk < this.#snap.maxTs.length - 1 && this.#snap.maxTs[this.#chunk] < min) this.#nextChunk();
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

class HeadChunkSeriesSet extends LazySet<ChunkSeries> implements ChunkSeriesSet {
  protected make(s: MemSeries): ChunkSeries | undefined {
    const snap = snapshot(s, this.mint, this.maxt, true);
    return snap === undefined ? undefined : new HeadChunkSeries(s.labels, snap);
  }
}

class HeadChunkSeries implements ChunkSeries {
  readonly labels: Labels;
  readonly #snap: ChunkSnapshot;

  constructor(labels: Labels, snap: ChunkSnapshot) {
    this.labels = labels;
    this.#snap = snap;
  }

  chunks(): ChunkIterator {
    return new SnapshotChunkIterator(this.#snap);
  }
}

class SnapshotChunkIterator implements ChunkIterator {
  readonly #snap: ChunkSnapshot;
  #i = -1;
  readonly #meta: ChunkMeta = { minT: 0, maxT: 0, encoding: Encoding.XOR, bytes: new Uint8Array(0) };

  constructor(snap: ChunkSnapshot) {
    this.#snap = snap;
  }

  next(): boolean {
    if (++this.#i >= this.#snap.bytes.length) return false;
    this.#meta.minT = this.#snap.minTs[this.#i];
    this.#meta.maxT = this.#snap.maxTs[this.#i];
    this.#meta.bytes = this.#snap.bytes[this.#i];
    this.#meta.encoding = this.#snap.encodings[this.#i];
    return true;
  }

  at(): ChunkMeta {
    return this.#meta;
  }

  err(): Error | undefined {
    return undefined;
  }
}
