import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { hashLabelBytes, hashLabelPairs, Interner, Labels } from '../model/labels/index.js';
import type { Matcher } from '../model/labels/index.js';
import type { Appendable, ChunkQuerier, ChunkQueryable, Querier, Queryable, SeriesRef } from '../storage/index.js';
import { AppendError, AppendErrorCode } from './errors.js';
import { CircularExemplarStorage } from './exemplars.js';
import { HeadAppender } from './head-append.js';
import { HeadMetrics } from './head-metrics.js';
import { HeadChunkQuerier, HeadQuerier } from './head-read.js';
import { checkpointAfterTruncation, replayWal } from './head-wal.js';
import { MemPostings, postingsForMatchers } from './index/index.js';
import { mergeIntervals } from './block/tombstones.js';
import type { ChunkCutOptions } from './mem-series.js';
import { MemSeries } from './mem-series.js';
import { SeriesMap } from './series-map.js';
import { SeriesRefs } from './series-refs.js';
import type { WalOptions } from './wal/index.js';
import { ExemplarRecordEncoder, RecordEncoder, Wal } from './wal/index.js';

/**
 * Consulted before the head creates a series (per-tenant limits live in the caller): return
 * undefined to allow it, or a reason code (e.g. 'per_user_series_limit') to refuse it; the append
 * then throws an AppendError with that code.
 */
export type SeriesCreateHook = (labels: Labels, numSeries: number) => string | undefined;

export interface HeadOptions {
  /** Block range in ms (2h): chunks never cross its multiples; appends older than half of it behind the head's max time are out of bounds. */
  chunkRange: number;
  /** Target samples per chunk (Prometheus: 120). */
  samplesPerChunk: number;
  /** WAL directory; undefined runs without a WAL (nothing survives a restart). */
  walDir: string | undefined;
  wal: Partial<WalOptions>;
  /** Samples older than this are out of bounds (the max time of the newest persisted block). */
  minValidTime: number;
  beforeSeriesCreate: SeriesCreateHook | undefined;
  /** Size of the exemplar store (exemplars.ts); 0 keeps no exemplars. */
  maxExemplars: number;
}

export const DefaultHeadOptions: HeadOptions = {
  chunkRange: 2 * 3600 * 1000,
  samplesPerChunk: 120,
  walDir: undefined,
  wal: {},
  minValidTime: -Infinity,
  beforeSeriesCreate: undefined,
  maxExemplars: 0,
};

export interface HeadDeps {
  registry?: Registry;
  logger?: Logger;
}

/**
 * The in-memory part of a TSDB (Prometheus' Head): recent series with their chunks, an inverted
 * index, and the WAL that makes them durable. Split by verb like Prometheus' head*.go: appending in
 * head-append.ts, reading in head-read.ts, WAL replay and checkpoints in head-wal.ts.
 *
 * The fields below marked "internal" are shared with those files; other packages use the methods.
 */
export class Head implements Appendable, Queryable, ChunkQueryable {
  readonly opts: HeadOptions;
  /** Internal. */
  readonly cut: ChunkCutOptions;
  /** Internal. */
  readonly metrics: HeadMetrics;
  /** Internal. */
  readonly log: Logger | undefined;
  /** Internal: series by ref and by labels key. */
  readonly byRef = new SeriesRefs();
  readonly #byLabels = new SeriesMap((ref) => this.byRef.get(ref));
  /** Internal. */
  readonly postings = new MemPostings();
  readonly #interner = new Interner();
  /** Internal: the WAL, once open, and record encoders shared by all appenders. */
  wal: Wal | undefined = undefined;
  readonly seriesEncoder = new RecordEncoder();
  readonly samplesEncoder = new RecordEncoder();
  readonly exemplarEncoder = new ExemplarRecordEncoder();
  /**
   * Deleted intervals by series ref (Prometheus' head tombstones): sorted, merged, inclusive pairs,
   * applied whenever the head is read (and so when it is compacted into a block), logged to the WAL.
   */
  readonly tombstones = new Map<number, number[]>();
  /** The head's exemplars; resize() it when the limit changes. */
  readonly exemplars: CircularExemplarStorage;
  #nextRef = 1;
  #nextAppenderId = 1;
  /** Oldest and newest sample times (Infinity/-Infinity while empty). */
  #minT = Infinity;
  #maxT = -Infinity;
  #minValidTime: number;
  #closed = false;

  private constructor(opts: HeadOptions, deps: HeadDeps) {
    this.opts = opts;
    this.cut = { chunkRange: opts.chunkRange, samplesPerChunk: opts.samplesPerChunk };
    this.metrics = new HeadMetrics(deps.registry);
    this.log = deps.logger;
    this.#minValidTime = opts.minValidTime;
    this.exemplars = new CircularExemplarStorage(opts.maxExemplars, deps.registry);
  }

  /** Creates a head; with a WAL directory, replays (and repairs) the WAL first. */
  static async open(opts: Partial<HeadOptions> = {}, deps: HeadDeps = {}): Promise<Head> {
    const h = new Head({ ...DefaultHeadOptions, ...opts }, deps);
    if (h.opts.walDir !== undefined) {
      await replayWal(h, h.opts.walDir);
      h.wal = await Wal.open(h.opts.walDir, h.opts.wal, deps.registry, deps.logger);
    }
    return h;
  }

  appender(): HeadAppender {
    if (this.#closed) throw new Error('append to a closed head');
    return new HeadAppender(this, this.#nextAppenderId++);
  }

  /**
   * An appender for bulk loads of older data (series handed over by another ingester): samples are
   * refused only below the hard minimum valid time, not half a block range behind the newest one,
   * as during WAL replay. Per-series order is still enforced.
   */
  bulkAppender(): HeadAppender {
    if (this.#closed) throw new Error('append to a closed head');
    return new HeadAppender(this, this.#nextAppenderId++, true);
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    return new HeadQuerier(this, mint, maxt);
  }

  async chunkQuerier(mint: number, maxt: number): Promise<ChunkQuerier> {
    return new HeadChunkQuerier(this, mint, maxt);
  }

  /**
   * Deletes the samples in [mint, maxt] of every series matching all `matchers` (Prometheus'
   * Head.Delete): a tombstone per series, logged to the WAL before it applies, so it survives a
   * restart. Returns the number of series it applied to.
   */
  async deleteSeries(mint: number, maxt: number, matchers: readonly Matcher[]): Promise<number> {
    const refs = postingsForMatchers(this.postings, matchers);
    const stones = new Map<number, number[]>();
    for (let i = 0; i < refs.length; i++) {
      const s = this.byRef.get(refs[i]);
      if (s !== undefined && s.hasSamples() && s.maxTime() >= mint && s.minTime() <= maxt) stones.set(refs[i], [mint, maxt]);
    }
    if (stones.size === 0) return 0;
    if (this.wal !== undefined) await this.wal.log(this.seriesEncoder.tombstones(stones));
    for (const [ref, iv] of stones) this.addTombstone(ref, iv[0], iv[1]);
    return stones.size;
  }

  /** Internal: adds a deleted interval to a series (also from WAL replay). */
  addTombstone(ref: number, mint: number, maxt: number): void {
    const prev = this.tombstones.get(ref);
    this.tombstones.set(ref, prev === undefined ? [mint, maxt] : mergeIntervals([...prev, mint, maxt]));
  }

  numSeries(): number {
    return this.byRef.size;
  }

  /** Oldest sample time in the head, Infinity when empty. */
  minTime(): number {
    return this.#minT;
  }

  /** Newest sample time in the head, -Infinity when empty. */
  maxTime(): number {
    return this.#maxT;
  }

  /** Samples older than this are gone from the head for good (truncated or persisted in blocks). */
  minValidTime(): number {
    return this.#minValidTime;
  }

  /**
   * Lowers the hard bound back to `t` after a flush truncated the whole head: samples from `t` on
   * (the window the head accepted before the flush) stay appendable, so a write in flight during a
   * flush or a restart is not refused. They overlap the flushed blocks; queries and the compactor
   * merge overlapping data.
   */
  allowAppendsFrom(t: number): void {
    if (t < this.#minValidTime) this.#minValidTime = t;
  }

  /** Samples older than this are refused as out of bounds (Prometheus appendableMinValidTime). */
  appendableMinValidTime(): number {
    return Math.max(this.#minValidTime, this.#maxT - this.opts.chunkRange / 2);
  }

  /** Internal: records that samples in [mint, maxt] were committed. */
  extendTimeRange(mint: number, maxt: number): void {
    if (mint < this.#minT) this.#minT = mint;
    if (maxt > this.#maxT) this.#maxT = maxt;
  }

  /** Internal: the series with these labels, created (after the limit hook) when absent. */
  getOrCreate(ls: Labels): MemSeries {
    const hash = hashLabelPairs(ls.pairs());
    const s = this.#byLabels.get(ls, hash);
    if (s !== undefined) return s;
    if (ls.isEmpty()) throw new AppendError(AppendErrorCode.EmptyLabelset);
    const hook = this.opts.beforeSeriesCreate;
    if (hook !== undefined) {
      const reason = hook(ls, this.byRef.size);
      if (reason !== undefined) {
        this.metrics.rejectedSamples.inc({ reason });
        throw new AppendError(reason, ls.toString());
      }
    }
    return this.createSeries(this.#nextRef, ls, hash);
  }

  /**
   * The ref of the series whose labels are a label set still in UTF-8 bytes (label k of the set
   * is name bytes [ranges[4k], ranges[4k+1]) and value bytes [ranges[4k+2], ranges[4k+3]) of buf,
   * for k in [from, to)), or 0 when there is none. A request's series are found this way without
   * creating their label strings; only a miss needs them (append with ref 0 and the labels). Label
   * sets that are not in canonical order (sorted, no empty values) always miss.
   */
  seriesRefByLabelBytes(buf: Uint8Array, ranges: Uint32Array, from: number, to: number): SeriesRef {
    return this.#byLabels.getByBytes(hashLabelBytes(buf, ranges, from, to), buf, ranges, from, to)?.ref ?? 0;
  }

  /** Internal: the series with these labels if it exists (`hash`: hashLabelPairs of them, if known). */
  seriesByLabels(ls: Labels, hash?: number): MemSeries | undefined {
    return this.#byLabels.get(ls, hash);
  }

  /** Internal: creates a series with a given ref (WAL replay keeps refs); `hash` as for seriesByLabels. */
  createSeries(ref: number, ls: Labels, hash?: number): MemSeries {
    const p = ls.pairs();
    const interned: string[] = new Array(p.length);
    for (let i = 0; i < p.length; i++) interned[i] = this.#interner.intern(p[i]);
    const s = new MemSeries(ref, Labels.fromSortedPairs(interned));
    this.byRef.set(ref, s);
    this.#byLabels.add(s, hash);
    this.postings.add(ref, s.labels);
    if (ref >= this.#nextRef) this.#nextRef = ref + 1;
    this.metrics.series.set(this.byRef.size);
    this.metrics.seriesCreated.inc();
    return s;
  }

  /**
   * Drops chunks that end before `mint`, removes series left without samples (and without
   * uncommitted appends), refuses later samples older than `mint`, then checkpoints the WAL so that
   * a replay reads only what the head still holds.
   */
  async truncate(mint: number): Promise<void> {
    if (mint > this.#minValidTime) this.#minValidTime = mint;
    let chunksRemoved = 0;
    let minT = Infinity;
    const deleted = new Map<number, Labels>();
    for (const s of this.byRef.values()) {
      chunksRemoved += s.truncateBefore(mint);
      if (s.hasSamples()) {
        const t = s.minTime();
        if (t < minT) minT = t;
      } else if (s.pendingAppends === 0) {
        deleted.set(s.ref, s.labels);
      }
    }
    for (const [ref, ls] of deleted) {
      this.tombstones.delete(ref);
      this.#byLabels.delete(this.byRef.get(ref) as MemSeries);
      this.byRef.delete(ref);
      const p = ls.pairs();
      for (let i = 0; i < p.length; i++) this.#interner.release(p[i]);
    }
    this.postings.delete(deleted);
    this.#minT = minT;
    if (minT === Infinity) this.#maxT = -Infinity;
    this.metrics.series.set(this.byRef.size);
    this.metrics.seriesRemoved.inc(deleted.size);
    this.metrics.chunksRemoved.inc(chunksRemoved);
    this.metrics.chunks.dec(chunksRemoved);
    this.metrics.truncations.inc();
    if (this.wal !== undefined) await checkpointAfterTruncation(this, this.wal, mint);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.wal?.close();
  }
}
