import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { hashLabelBytes, hashLabelPairs, Interner, type Labels } from '../model/labels/index.js';
import type { Matcher } from '../model/labels/index.js';
import type { Appendable, ChunkQuerier, ChunkQueryable, Querier, Queryable, SeriesRef } from '../storage/index.js';
import { AppendError, AppendErrorCode } from './errors.js';
import { CircularExemplarStorage } from './exemplars.js';
import { HeadAppender } from './head-append.js';
import { HeadMetrics } from './head-metrics.js';
import { HeadChunkQuerier, HeadQuerier } from './head-read.js';
import { checkpointAfterTruncation, replayWal, replayWbl } from './head-wal.js';
import { MemPostings, postingsForMatchers } from './index/index.js';
import { mergeIntervals } from './block/index.js';
import type { ChunkCutOptions } from './mem-series.js';
import { MemSeries } from './mem-series.js';
import { OooSeries } from './ooo-head.js';
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
  /**
   * How far behind the newest sample (ms) out-of-order samples are still taken, into the
   * out-of-order head (ooo-head.ts); 0 refuses them as before. Changeable: setOutOfOrderTimeWindow.
   */
  outOfOrderTimeWindow: number;
  /** Samples of a series' out-of-order buffer before it is cut into a chunk (Prometheus OutOfOrderCapMax). */
  outOfOrderCapMax: number;
  /** Write-behind log of out-of-order samples (Prometheus' WBL), created on the first one; undefined: none. */
  wblDir: string | undefined;
}

export const DefaultHeadOptions: HeadOptions = {
  chunkRange: 2 * 3600 * 1000,
  samplesPerChunk: 120,
  walDir: undefined,
  wal: {},
  minValidTime: -Infinity,
  beforeSeriesCreate: undefined,
  maxExemplars: 0,
  outOfOrderTimeWindow: 0,
  outOfOrderCapMax: 32,
  wblDir: undefined,
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
  readonly #intern = (s: string): string => this.#interner.intern(s);
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
  #oooWindow: number;
  /** Newest in-order sample time ever committed (a truncation that empties the head keeps it). */
  #newestT = -Infinity;
  /** Oldest and newest out-of-order sample times (Infinity/-Infinity while there are none). */
  #oooMinT = Infinity;
  #oooMaxT = -Infinity;
  #wbl: Promise<Wal> | undefined = undefined;
  #closed = false;

  private constructor(opts: HeadOptions, deps: HeadDeps) {
    this.opts = opts;
    this.cut = { chunkRange: opts.chunkRange, samplesPerChunk: opts.samplesPerChunk };
    this.metrics = new HeadMetrics(deps.registry);
    this.log = deps.logger;
    this.#minValidTime = opts.minValidTime;
    this.#oooWindow = opts.outOfOrderTimeWindow;
    this.exemplars = new CircularExemplarStorage(opts.maxExemplars, deps.registry);
  }

  /** Creates a head; with a WAL directory, replays (and repairs) the WAL first. */
  static async open(opts: Partial<HeadOptions> = {}, deps: HeadDeps = {}): Promise<Head> {
    const h = new Head({ ...DefaultHeadOptions, ...opts }, deps);
    if (h.opts.walDir !== undefined) {
      await replayWal(h, h.opts.walDir);
      // After the WAL: its series records name the series the WBL's samples belong to.
      if (h.opts.wblDir !== undefined) await replayWbl(h, h.opts.wblDir);
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

  /** The out-of-order time window in ms (0: out-of-order samples are refused). */
  outOfOrderTimeWindow(): number {
    return this.#oooWindow;
  }

  /** Sets the out-of-order time window (a per-tenant limit that may change at runtime). */
  setOutOfOrderTimeWindow(ms: number): void {
    this.#oooWindow = ms;
  }

  /**
   * Out-of-order samples are taken down to this minus the window: the newest sample the head has
   * had (or, right after opening, the bound the blocks set), so an emptied head keeps the window.
   */
  oooReferenceTime(): number {
    return Math.max(this.#newestT, this.#minValidTime);
  }

  /** Oldest out-of-order sample time in the head, Infinity when there is none. */
  oooMinTime(): number {
    return this.#oooMinT;
  }

  /** Newest out-of-order sample time in the head, -Infinity when there is none. */
  oooMaxTime(): number {
    return this.#oooMaxT;
  }

  /**
   * Internal: puts a committed out-of-order sample into the series' out-of-order buffer. Returns
   * false for a duplicate of a buffered sample's time, which is dropped (as Prometheus does).
   */
  insertOoo(s: MemSeries, t: number, v: number): boolean {
    const o = (s.ooo ??= new OooSeries(this.opts.outOfOrderCapMax));
    const r = o.insert(t, v);
    if (r === 'duplicate') {
      this.metrics.rejectedSamples.inc({ reason: AppendErrorCode.DuplicateSampleForTimestamp });
      return false;
    }
    if (r === 'cut') this.metrics.oooChunksCreated.inc();
    if (t < this.#oooMinT) this.#oooMinT = t;
    if (t > this.#oooMaxT) this.#oooMaxT = t;
    return true;
  }

  /**
   * Internal: the write-behind log, opened (after a replay, so after its segments) on first use;
   * undefined without a WBL directory or without a WAL (whose series records it relies on).
   */
  wbl(): Promise<Wal> | undefined {
    const dir = this.opts.wblDir;
    if (dir === undefined || this.wal === undefined) return undefined;
    this.#wbl ??= Wal.open(dir, this.opts.wal, undefined, this.log);
    return this.#wbl;
  }

  /**
   * Internal, for the out-of-order compaction: cuts every series' out-of-order buffer into a chunk
   * and returns how many chunks each series has now (those the compaction will persist).
   */
  freezeOoo(): Map<MemSeries, number> {
    const frozen = new Map<MemSeries, number>();
    for (const s of this.byRef.values()) {
      if (s.ooo === null) continue;
      s.ooo.cutOpen();
      frozen.set(s, s.ooo.chunks.length);
    }
    return frozen;
  }

  /**
   * Internal: drops the out-of-order chunks freezeOoo() counted, once they are in blocks, and the
   * WBL segments before `wblSegment` (written before the freeze, so all persisted).
   */
  async dropFrozenOoo(frozen: Map<MemSeries, number>, wblSegment: number): Promise<void> {
    for (const [s, k] of frozen) if (s.ooo !== null && !s.ooo.dropChunks(k)) s.ooo = null;
    this.#oooMinT = Infinity;
    this.#oooMaxT = -Infinity;
    for (const s of this.byRef.values()) {
      if (s.ooo === null) continue;
      if (s.ooo.minT < this.#oooMinT) this.#oooMinT = s.ooo.minT;
      if (s.ooo.maxT > this.#oooMaxT) this.#oooMaxT = s.ooo.maxT;
    }
    const wbl = this.wbl();
    if (wbl !== undefined) await (await wbl).removeSegmentsBefore(wblSegment);
  }

  /** Internal: records that samples in [mint, maxt] were committed. */
  extendTimeRange(mint: number, maxt: number): void {
    if (mint < this.#minT) this.#minT = mint;
    if (maxt > this.#maxT) this.#maxT = maxt;
    if (maxt > this.#newestT) this.#newestT = maxt;
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
    // The caller's label set becomes the series' own: no second array and Labels per series.
    ls.internStrings(this.#intern);
    const s = new MemSeries(ref, ls);
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
      } else if (s.pendingAppends === 0 && s.ooo === null) {
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
    if (this.#wbl !== undefined) await (await this.#wbl).close();
  }
}
