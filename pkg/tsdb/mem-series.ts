import type { FloatHistogram, Histogram } from '../model/histogram/index.js';
import type { Labels } from '../model/labels/index.js';
import { queryShardHash } from '../model/labels/index.js';
import { Encoding, FloatHistogramChunk, HistogramChunk, XorChunk } from './chunkenc/index.js';
import { f64, u32 } from './chunkenc/index.js';
import type { OooSeries } from './ooo-head.js';

/** A completed (immutable) head chunk. */
export interface CompletedChunk {
  readonly minT: number;
  readonly maxT: number;
  readonly bytes: Uint8Array;
  /** Prometheus chunk encoding (Encoding.XOR, Histogram or FloatHistogram). */
  readonly encoding: number;
}

export interface ChunkCutOptions {
  /** Width of the head's block ranges in ms; chunks never cross a multiple of it. */
  readonly chunkRange: number;
  /** Target samples per chunk (Prometheus: 120). */
  readonly samplesPerChunk: number;
}

/** A chunk grows past this size only until the next sample (Prometheus maxBytesPerXORChunk). */
const MaxBytesPerXorChunk = 1024;
/** Histogram chunks are cut by size: aim for this many bytes (Prometheus TargetBytesPerHistogramChunk)… */
const TargetBytesPerHistogramChunk = 1024;
/** …but hold at least this many samples unless the block range ends (MinSamplesPerHistogramChunk). */
const MinSamplesPerHistogramChunk = 10;

/**
 * The histogram side of a series that has had native histogram samples; float-only series keep
 * `MemSeries.hist` null and pay one field for it.
 */
export class HistogramHead {
  /** The open histogram chunk, or null while the open chunk is XOR (or there is none). */
  chunk: HistogramChunk | FloatHistogramChunk | null = null;
  /** Whether nextAt was predicted from this chunk's size yet (Prometheus histogramChunkHasComputedEndTime). */
  endTimeComputed = false;
  /** The last committed sample when it is a histogram (for duplicate checks), else null. */
  last: Histogram | FloatHistogram | null = null;
  /** The pending sample of the series' pendingOwner when it is a histogram, else null. */
  pending: Histogram | FloatHistogram | null = null;
}

/**
 * One series in the head: its labels, completed chunks and the open head chunk, plus the last
 * sample's time and value bits (for out-of-order and duplicate checks) and appender bookkeeping.
 * Every field is set in the constructor, in one order, so all series share one V8 shape.
 */
export class MemSeries {
  readonly ref: number;
  readonly labels: Labels;
  /** Completed chunks in time order; null while there are none (most series most of the time). */
  completed: CompletedChunk[] | null;
  head: XorChunk | null;
  headMinT: number;
  headMaxT: number;
  /** Cut the head chunk at or after this time (Prometheus memSeries.nextAt). */
  nextAt: number;
  /** Last committed sample: -Infinity when none. Value as IEEE bits (exact for NaN payloads). */
  lastT: number;
  lastHi: number;
  lastLo: number;
  /** Id of the last appender that buffered a sample for this series (0: none), and that sample. */
  pendingOwner: number;
  pendingT: number;
  pendingHi: number;
  pendingLo: number;
  /** Appenders with uncommitted samples for this series: garbage collection must wait for them. */
  pendingAppends: number;
  /** Whether a series record for this series is in the WAL (or on its way there). */
  walLogged: boolean;
  /** Histogram chunk and last values; null until the series' first histogram sample. */
  hist: HistogramHead | null;
  /** Out-of-order samples (ooo-head.ts); null while the series has none. */
  ooo: OooSeries | null;
  /** queryShardHash of the labels, computed on the first sharded query (-1 until then). */
  #shardHash: number;

  constructor(ref: number, labels: Labels) {
    this.ref = ref;
    this.labels = labels;
    this.completed = null;
    this.head = null;
    this.headMinT = 0;
    this.headMaxT = 0;
    this.nextAt = 0;
    this.lastT = -Infinity;
    this.lastHi = 0;
    this.lastLo = 0;
    this.pendingOwner = 0;
    this.pendingT = 0;
    this.pendingHi = 0;
    this.pendingLo = 0;
    this.pendingAppends = 0;
    this.walLogged = false;
    this.hist = null;
    this.ooo = null;
    this.#shardHash = -1;
  }

  /** The labels' shard hash (query sharding), kept once computed. */
  shardHash(): number {
    if (this.#shardHash < 0) this.#shardHash = queryShardHash(this.labels);
    return this.#shardHash;
  }

  /** Whether a chunk is open (XOR or histogram). */
  #hasOpen(): boolean {
    return this.head !== null || (this.hist !== null && this.hist.chunk !== null);
  }

  /** Oldest sample time, or Infinity when the series has no samples. */
  minTime(): number {
    if (this.completed !== null && this.completed.length > 0) return this.completed[0].minT;
    return this.#hasOpen() ? this.headMinT : Infinity;
  }

  /** Newest sample time, or -Infinity when the series has no samples. */
  maxTime(): number {
    if (this.#hasOpen()) return this.headMaxT;
    const c = this.completed;
    return c !== null && c.length > 0 ? c[c.length - 1].maxT : -Infinity;
  }

  hasSamples(): boolean {
    return this.#hasOpen() || (this.completed !== null && this.completed.length > 0);
  }

  /**
   * Appends a sample newer than lastT (the caller checks order). Returns true when a new chunk was
   * cut. Chunk cutting follows Prometheus' head: at 1/4 of the target sample count, predict an end
   * time that spreads the rest of the block range evenly over equally full chunks; cut there, at the
   * block range end, at twice the target count, or past 1 KiB.
   */
  append(t: number, v: number, o: ChunkCutOptions): boolean {
    let cut = false;
    const head = this.head;
    if (head === null) {
      this.#cut(t, o.chunkRange);
      cut = true;
    } else {
      const n = head.numSamples();
      if (n === o.samplesPerChunk >> 2) this.nextAt = computeChunkEndTime(this.headMinT, this.headMaxT, this.nextAt, 4);
      if (t >= this.nextAt || n >= o.samplesPerChunk * 2 || head.size() > MaxBytesPerXorChunk) {
        this.#cut(t, o.chunkRange);
        cut = true;
      }
    }
    (this.head as XorChunk).append(t, v);
    this.headMaxT = t;
    this.lastT = t;
    f64[0] = v;
    this.lastLo = u32[0];
    this.lastHi = u32[1];
    return cut;
  }

  #cut(t: number, chunkRange: number): void {
    this.#completeOpen();
    if (this.hist !== null) this.hist.last = null;
    // 128 bytes (as Prometheus' NewXORChunk) hold ~60 typical samples: one grow per full chunk.
    // Measured both ways: a series with a handful of samples costs ~330 bytes more than with 64
    // bytes (kept on V8's heap, no backing store), one past ~40 samples ~330 bytes less (no
    // outgrown 64-byte buffer), and a replay is ~15% cheaper. Open chunks mostly hold more.
    this.head = new XorChunk(128);
    this.headMinT = t;
    this.headMaxT = t;
    this.nextAt = rangeEnd(t, chunkRange);
  }

  /** Moves the open chunk (XOR or histogram), if any, to the completed ones. */
  #completeOpen(): void {
    const x = this.head;
    const h = this.hist?.chunk ?? null;
    if (x === null && h === null) return;
    if (this.completed === null) this.completed = [];
    if (x !== null) {
      this.completed.push({ minT: this.headMinT, maxT: this.headMaxT, bytes: x.compact(), encoding: Encoding.XOR });
      this.head = null;
    } else if (h !== null) {
      const encoding = h instanceof FloatHistogramChunk ? Encoding.FloatHistogram : Encoding.Histogram;
      this.completed.push({ minT: this.headMinT, maxT: this.headMaxT, bytes: h.compact(), encoding });
      (this.hist as HistogramHead).chunk = null;
    }
  }

  /**
   * Appends a histogram sample newer than lastT (the caller checks order); `isFloat` says whether
   * `h` is a FloatHistogram. Returns true when a new chunk was cut. A sample of another kind than
   * the open chunk's starts a new chunk. Histogram chunks are cut by size (Prometheus 2.45+ head):
   * at a quarter of the 1 KiB target, predict an end time as for floats, scaled by how full the
   * chunk is; cut there or at twice the target size, once the chunk holds 10 samples (or the
   * block range ends). The chunk appender cuts too (counter reset, new schema or zero threshold)
   * and recodes the chunk when new buckets appear.
   */
  appendHistogram(t: number, h: Histogram | FloatHistogram, isFloat: boolean, o: ChunkCutOptions): boolean {
    const st = (this.hist ??= new HistogramHead());
    let c = st.chunk;
    let prev: HistogramChunk | FloatHistogramChunk | undefined;
    let cut = false;
    if (c === null || c instanceof FloatHistogramChunk !== isFloat) {
      this.#completeOpen();
      c = this.#openHistogramChunk(t, isFloat, o.chunkRange);
      cut = true;
    } else {
      const n = c.numSamples();
      const bytes = c.size();
      const rangeStart = st.endTimeComputed ? rangeEnd(this.headMinT, o.chunkRange) : this.nextAt;
      if (!st.endTimeComputed && bytes >= TargetBytesPerHistogramChunk / 4) {
        this.nextAt = computeChunkEndTime(this.headMinT, this.headMaxT, this.nextAt, TargetBytesPerHistogramChunk / bytes);
        st.endTimeComputed = true;
      }
      if ((t >= this.nextAt || bytes >= 2 * TargetBytesPerHistogramChunk) && (n >= MinSamplesPerHistogramChunk || t >= rangeStart)) {
        prev = c;
        this.#completeOpen();
        c = this.#openHistogramChunk(t, isFloat, o.chunkRange);
        cut = true;
      }
    }
    const r = isFloat
      ? (c as FloatHistogramChunk).append(t, h as FloatHistogram, prev as FloatHistogramChunk | undefined)
      : (c as HistogramChunk).append(t, h as Histogram, prev as HistogramChunk | undefined);
    if (r.status === 'recoded') st.chunk = r.chunk;
    else if (r.status === 'cut') {
      this.#completeOpen();
      st.chunk = r.chunk;
      this.#startChunk(t, o.chunkRange);
      cut = true;
    }
    this.headMaxT = t;
    this.lastT = t;
    st.last = h;
    return cut;
  }

  #openHistogramChunk(t: number, isFloat: boolean, chunkRange: number): HistogramChunk | FloatHistogramChunk {
    const c = isFloat ? new FloatHistogramChunk(128) : new HistogramChunk(128);
    (this.hist as HistogramHead).chunk = c;
    this.#startChunk(t, chunkRange);
    return c;
  }

  #startChunk(t: number, chunkRange: number): void {
    this.headMinT = t;
    this.headMaxT = t;
    this.nextAt = rangeEnd(t, chunkRange);
    (this.hist as HistogramHead).endTimeComputed = false;
  }

  /**
   * Drops completed chunks (and a closed-out head chunk) that end before `mint`. Returns the number
   * of chunks removed.
   */
  truncateBefore(mint: number): number {
    let removed = 0;
    const c = this.completed;
    if (c !== null) {
      let k = 0;
      while (k < c.length && c[k].maxT < mint) k++;
      if (k > 0) {
        c.splice(0, k);
        removed += k;
      }
      if (c.length === 0) this.completed = null;
    }
    if (this.#hasOpen() && this.headMaxT < mint) {
      this.head = null;
      if (this.hist !== null) this.hist.chunk = null;
      removed++;
    }
    return removed;
  }

  /** Number of chunks (completed plus the open one). */
  numChunks(): number {
    return (this.completed === null ? 0 : this.completed.length) + (this.#hasOpen() ? 1 : 0);
  }
}

/** The end of the block range holding t (Prometheus rangeForTimestamp). */
function rangeEnd(t: number, chunkRange: number): number {
  return Math.floor(t / chunkRange) * chunkRange + chunkRange;
}

/** Prometheus' computeChunkEndTime: the end time that makes the remaining chunks equally full. */
function computeChunkEndTime(start: number, cur: number, max: number, ratioToFull: number): number {
  const n = (max - start) / ((cur - start + 1) * ratioToFull);
  if (n <= 1) return max;
  return Math.floor(start + (max - start) / Math.floor(n));
}
