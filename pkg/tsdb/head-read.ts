import type { Matcher } from '../model/labels/index.js';
import { Labels, compareUtf8, inQueryShard, splitQueryShard } from '../model/labels/index.js';
import type {
  ChunkIterator,
  ChunkMeta,
  ChunkQuerier,
  ChunkSeries,
  ChunkSeriesSet,
  LabelHints,
  Querier,
  SelectHints,
  Series,
  SeriesSet,
} from '../storage/index.js';
import { limitLabels } from '../storage/index.js';
import { Encoding, FloatHistogramChunk, histogramNumSamples, xorNumSamples } from './chunkenc/index.js';
import { BlockChunkSeries, deletionCoverage, dropDeleted, mergeOverlappingChunks } from './block/index.js';
import type { Head } from './head.js';
import { postingsForMatchers } from './index/index.js';
import type { MemSeries } from './mem-series.js';
import { ChunksSeries, type ChunkSnapshot } from './chunks-series.js';

/**
 * The chunks of one series overlapping a time range, frozen when taken: completed chunks are
 * immutable, and for the open head chunk the sample count is recorded, so appends that happen later
 * stay invisible (the bytes already written never change; a grown buffer leaves the old one intact).
 */

/**
 * The series' chunks in [mint, maxt]; with out-of-order samples there, in-order and out-of-order
 * chunks merged into chunks that do not overlap (on equal times the in-order sample wins).
 */
function snapshot(s: MemSeries, mint: number, maxt: number, copyOpen: boolean): ChunkSnapshot | undefined {
  const ooo = s.ooo;
  if (ooo === null || ooo.maxT < mint || ooo.minT > maxt) return inOrderSnapshot(s, mint, maxt, copyOpen);
  const inOrder = inOrderSnapshot(s, mint, maxt, false);
  const parts: ChunkSeries[] = [];
  if (inOrder !== undefined) parts.push(new BlockChunkSeries(s.labels, inOrder.minTs, inOrder.maxTs, inOrder.encodings, inOrder.bytes));
  const oc = ooo.chunksIn(mint, maxt);
  parts.push(new BlockChunkSeries(s.labels, oc.map((c) => c.minT), oc.map((c) => c.maxT), oc.map((c) => c.encoding), oc.map((c) => c.bytes)));
  const m = mergeOverlappingChunks(parts);
  return m.bytes.length === 0 ? undefined : { bytes: m.bytes, counts: m.counts, minTs: m.minTs, maxTs: m.maxTs, encodings: m.encodings };
}

function inOrderSnapshot(s: MemSeries, mint: number, maxt: number, copyOpen: boolean): ChunkSnapshot | undefined {
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
    out.bytes.push(copyOpen ? frozenCopy(x.bytes()) : x.bytes());
    out.counts.push(x.numSamples());
    out.encodings.push(Encoding.XOR);
  } else if (h !== null) {
    out.bytes.push(copyOpen ? frozenCopy(h.bytes()) : h.bytes());
    out.counts.push(h.numSamples());
    out.encodings.push(h instanceof FloatHistogramChunk ? Encoding.FloatHistogram : Encoding.Histogram);
  }
  if (x !== null || h !== null) {
    out.minTs.push(s.headMinT);
    out.maxTs.push(s.headMaxT);
  }
  return out.bytes.length === 0 ? undefined : out;
}

/**
 * A copy of the open chunk as it is now, for readers that keep it past later appends (QueryStream,
 * head compaction). Taken from Node's buffer pool: a copy per series per query, and a small typed
 * array of its own (compact()) costs three times as much to allocate and collect.
 */
function frozenCopy(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}

/** The snapshot without the samples in `intervals` (the series' head tombstones); undefined when none is left. */
function withoutDeleted(snap: ChunkSnapshot | undefined, intervals: readonly number[] | undefined, labels: Labels): ChunkSnapshot | undefined {
  if (snap === undefined || intervals === undefined) return snap;
  const out: ChunkSnapshot = { bytes: [], counts: [], minTs: [], maxTs: [], encodings: [] };
  for (let i = 0; i < snap.bytes.length; i++) {
    const coverage = deletionCoverage(intervals, snap.minTs[i], snap.maxTs[i]);
    if (coverage === 'all') continue;
    let { bytes, minT, maxT, count } = { bytes: snap.bytes[i], minT: snap.minTs[i], maxT: snap.maxTs[i], count: snap.counts[i] };
    if (coverage === 'some') {
      const kept = dropDeleted(snap.encodings[i], bytes, intervals, labels.toString());
      if (kept === undefined) continue;
      ({ bytes, minT, maxT } = kept);
      count = snap.encodings[i] === Encoding.XOR ? xorNumSamples(bytes) : histogramNumSamples(bytes);
    }
    out.bytes.push(bytes);
    out.counts.push(count);
    out.minTs.push(minT);
    out.maxTs.push(maxT);
    out.encodings.push(snap.encodings[i]);
  }
  return out.bytes.length === 0 ? undefined : out;
}

/** Series of the head selected by matchers, with data in [mint, maxt], optionally sorted. Throws a QueryShardError for a bad `__query_shard__`. */
function selectSeries(head: Head, mint: number, maxt: number, matchers: readonly Matcher[], sort: boolean): MemSeries[] {
  // `__query_shard__` (query sharding) is no label: it keeps the series of one shard.
  const { shard, rest } = splitQueryShard(matchers);
  const refs = postingsForMatchers(head.postings, rest);
  const out: MemSeries[] = [];
  for (let i = 0; i < refs.length; i++) {
    const s = head.byRef.get(refs[i]);
    if (s === undefined) continue;
    if (shard !== undefined && !inQueryShard(s.shardHash(), shard)) continue;
    if ((s.hasSamples() && s.maxTime() >= mint && s.minTime() <= maxt) || (s.ooo !== null && s.ooo.maxT >= mint && s.ooo.minT <= maxt)) out.push(s);
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
    const h = this.head;
    return (h.maxTime() >= this.mint && h.minTime() <= this.maxt) || (h.oooMaxTime() >= this.mint && h.oooMinTime() <= this.maxt);
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

  /** The series' chunks in range, without what its head tombstones delete. */
  protected snapshotOf(s: MemSeries, copyOpen: boolean): ChunkSnapshot | undefined {
    const stones = this.#head.tombstones.get(s.ref);
    return withoutDeleted(snapshot(s, this.mint, this.maxt, copyOpen), stones, s.labels);
  }

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
    const snap = this.snapshotOf(s, false);
    return snap === undefined ? undefined : new ChunksSeries(s.labels, snap, this.mint, this.maxt);
  }
}

class HeadChunkSeriesSet extends LazySet<ChunkSeries> implements ChunkSeriesSet {
  protected make(s: MemSeries): ChunkSeries | undefined {
    const snap = this.snapshotOf(s, true);
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
