/**
 * The storage contracts that the TSDB head, blocks, ingesters, store-gateways and the PromQL engine
 * meet at (Prometheus storage/interface.go, adapted to the event loop).
 *
 * One rule drives the shape: await per request, batch or series at most, never per sample. Sample
 * level calls are synchronous; I/O sits at the edges (`Appender.commit`, `SeriesSet.next`).
 * Times are milliseconds since the Unix epoch; ranges are inclusive at both ends.
 */
import type { FloatHistogram, Histogram } from '../model/histogram/index.js';
import type { Labels, Matcher } from '../model/labels/index.js';

/** Opaque, process-local series reference; 0 means "none, do not cache". */
export type SeriesRef = number;

export interface Appender {
  /**
   * Buffers one float sample. Synchronous: no I/O. Returns the series' ref, which the caller may pass
   * back on later appends to skip the label lookup. Throws an `AppendError` for samples the storage
   * rejects (out of order, out of bounds, duplicate timestamp with another value).
   */
  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef;
  /** Makes the batch durable (WAL) and then visible to queries. Resolves only after the WAL write. */
  commit(): Promise<void>;
  /** Drops everything buffered since the last commit. */
  rollback(): void;
}

export interface Appendable {
  appender(): Appender;
}

export interface SelectHints {
  /** Inclusive time range the caller needs, in ms. */
  start: number;
  end: number;
  /** Query step in ms for range queries, 0 for instant ones. */
  step: number;
  /** The PromQL function around the selector, if any (e.g. 'rate'); 'series' for metadata calls. */
  func: string;
  /** Range of the surrounding matrix selector in ms, 0 for instant vectors. */
  range: number;
  /** Whether the caller needs the series set sorted by labels. */
  sortSeries: boolean;
}

export interface LabelHints {
  /** Upper bound on results; 0 means no limit. */
  limit: number;
}

export interface Queryable {
  /** A querier over [mint, maxt], both in ms and inclusive. */
  querier(mint: number, maxt: number): Promise<Querier>;
}

export interface Querier {
  /** Lazy: no work until the first next(). Sorted by labels when `hints.sortSeries`. */
  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet;
  /** Sorted, distinct label names of series matching all matchers (all series when none). */
  labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]>;
  /** Sorted, distinct values of `name` among series matching all matchers. */
  labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Pulled once per series: the only await on the read path below Querier. */
export interface SeriesSet {
  next(): Promise<boolean>;
  /** Valid after next() returned true; the returned Series stays usable after later next() calls. */
  at(): Series;
  /** The error that ended iteration, if any; check after next() returned false. */
  err(): Error | undefined;
  warnings(): readonly string[];
}

export interface Series {
  readonly labels: Labels;
  /** Passing an iterator lets the implementation reuse it. */
  iterator(reuse?: SampleIterator): SampleIterator;
}

export const ValueType = { None: 0, Float: 1, Histogram: 2, FloatHistogram: 3 } as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/**
 * Synchronous. No tuples: read the current sample with atT() and, by the ValueType next() or
 * seek() returned, atV() (Float), atHistogram() (Histogram) or atFloatHistogram() (Histogram or
 * FloatHistogram). A series may change type between samples.
 */
export interface SampleIterator {
  /** Advances; ValueType.None when exhausted or failed (then see err()). */
  next(): ValueType;
  /** Advances to the first sample with timestamp >= t (never moves backwards). */
  seek(t: number): ValueType;
  atT(): number;
  atV(): number;
  /** The current integer histogram; a new object the caller owns. */
  atHistogram(): Histogram;
  /** The current histogram as a float histogram; a new object the caller owns. */
  atFloatHistogram(): FloatHistogram;
  err(): Error | undefined;
}

/** A series as encoded chunks, for streaming to queriers and writing blocks. */
export interface ChunkSeries {
  readonly labels: Labels;
  chunks(reuse?: ChunkIterator): ChunkIterator;
}

export interface ChunkMeta {
  minT: number;
  maxT: number;
  /** Prometheus chunk encoding: 1 = XOR, 2 = histogram, 3 = float histogram. */
  encoding: number;
  /** A view into a shared buffer, valid until the next call to next(): copy to retain. */
  bytes: Uint8Array;
}

export interface ChunkIterator {
  next(): boolean;
  /** Valid until the next call to next(). */
  at(): ChunkMeta;
  err(): Error | undefined;
}

export interface ChunkSeriesSet {
  next(): Promise<boolean>;
  at(): ChunkSeries;
  err(): Error | undefined;
  warnings(): readonly string[];
}

export interface ChunkQuerier {
  select(hints: SelectHints, ...matchers: Matcher[]): ChunkSeriesSet;
  labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]>;
  labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]>;
  close(): Promise<void>;
}

export interface ChunkQueryable {
  chunkQuerier(mint: number, maxt: number): Promise<ChunkQuerier>;
}

/** atHistogram/atFloatHistogram of an iterator whose samples are all floats: a caller's bug. */
export function notAHistogram(): never {
  throw new Error('the current sample is not a histogram');
}
