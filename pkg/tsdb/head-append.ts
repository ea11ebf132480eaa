import type { FloatHistogram, Histogram } from '../model/histogram/index.js';
import { histogramProblem, identicalHistograms } from '../model/histogram/index.js';
import type { Labels } from '../model/labels/index.js';
import type { Appender, SeriesRef } from '../storage/index.js';
import { f64, u32 } from './chunkenc/index.js';
import { AppendError, AppendErrorCode } from './errors.js';
import type { Exemplar } from './exemplars.js';
import type { Head } from './head.js';
import { ExemplarBatch, missingSeriesError } from './head-exemplars.js';
import { HistogramHead, type MemSeries } from './mem-series.js';
import type { Wal } from './wal/index.js';
import { RecordType, histogramRecordType } from './wal/index.js';

/**
 * Buffers samples for the head and commits them as one batch: one WAL write (a series record for
 * series the WAL has not seen, then one samples record), then the samples go into the chunks.
 * Samples are checked at append() against the series' committed state and this batch's earlier
 * samples, so errors surface per sample (Prometheus headAppender).
 *
 * Reusable: after commit() or rollback() it starts a new batch.
 */
export class HeadAppender implements Appender {
  readonly #head: Head;
  readonly #id: number;
  /** Only the head's hard bound applies (bulk loads such as transfers, like WAL replay). */
  readonly #hardBoundOnly: boolean;
  #minValidTime: number;
  /** The batch being appended to, taken from the spares at the first append after a commit. */
  #b: Batch | undefined = undefined;
  /** Out-of-order samples this appender committed (into the out-of-order head), for callers' metrics. */
  oooCommitted = 0;

  constructor(head: Head, id: number, hardBoundOnly = false) {
    this.#head = head;
    this.#id = id;
    this.#hardBoundOnly = hardBoundOnly;
    this.#minValidTime = this.#bound();
  }

  #batch(): Batch {
    return (this.#b ??= spareBatches.pop() ?? new Batch());
  }

  #bound(): number {
    return this.#hardBoundOnly ? this.#head.minValidTime() : this.#head.appendableMinValidTime();
  }

  /** With the ref of a series in the head, `labels` is not read (Labels.EMPTY will do). */
  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    if (t < this.#minValidTime) return this.#appendBelowBound(ref, labels, t, v);
    const s = this.#series(ref, labels);
    f64[0] = v;
    const hi = u32[1];
    const lo = u32[0];
    const ours = s.pendingOwner === this.#id;
    const lastT = ours ? s.pendingT : s.lastT;
    if (t <= lastT) {
      // Same time and value bits (and the last sample not a histogram): a no-op.
      if (t === lastT && hi === (ours ? s.pendingHi : s.lastHi) && lo === (ours ? s.pendingLo : s.lastLo) && lastHistogram(s, ours) === null) return s.ref;
      if (t === lastT || this.#head.outOfOrderTimeWindow() === 0) throw this.#outOfOrder(s, t, lastT);
      this.#checkWindow(t, s.labels);
      this.#appendOoo(s, t, v);
      return s.ref;
    }
    this.#own(s, ours, t);
    s.pendingHi = hi;
    s.pendingLo = lo;
    if (s.hist !== null) {
      if (ours && s.hist.pending !== null) this.#batch().mixed = true;
      s.hist.pending = null;
    }
    this.#batch().push(s, t, v);
    return s.ref;
  }

  /**
   * Buffers one native histogram sample: `h` (integer) or `fh` (float), the other undefined
   * (Prometheus' AppendHistogram). The histogram must stay unchanged until commit() resolves.
   * Order and duplicate rules are the floats': a repeated identical sample is a no-op.
   */
  appendHistogram(ref: SeriesRef, labels: Labels, t: number, h: Histogram | undefined, fh: FloatHistogram | undefined): SeriesRef {
    const v = h ?? fh;
    if (v === undefined) throw new Error('BUG: appendHistogram without a histogram');
    const problem = histogramProblem(v, h === undefined);
    if (problem !== undefined) {
      this.#head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.InvalidHistogram });
      throw new AppendError(AppendErrorCode.InvalidHistogram, `${this.#labelsOf(ref, labels).toString()} t=${t}: ${problem}`);
    }
    // Out-of-order native histograms are refused, as in Prometheus 2.42.
    if (t < this.#minValidTime) throw this.#outOfBounds(ref, labels, t);
    const s = this.#series(ref, labels);
    const ours = s.pendingOwner === this.#id;
    const lastT = ours ? s.pendingT : s.lastT;
    if (t <= lastT) {
      const last = lastHistogram(s, ours);
      if (t === lastT && last !== null && identicalHistograms(last, v)) return s.ref;
      throw this.#outOfOrder(s, t, lastT);
    }
    this.#own(s, ours, t);
    const hist = (s.hist ??= new HistogramHead());
    if (ours && hist.pending === null) this.#batch().mixed = true;
    hist.pending = v;
    this.#batch().pushHistogram(s, t, v, h === undefined);
    return s.ref;
  }

  /** The series to append to: by ref, or found or created by labels. */
  #series(ref: SeriesRef, labels: Labels): MemSeries {
    const head = this.#head;
    const s = ref !== 0 ? head.byRef.get(ref) : undefined;
    return s ?? head.getOrCreate(labels);
  }

  /** The labels of series `ref` if the head has it, else `labels` (for error messages). */
  #labelsOf(ref: SeriesRef, labels: Labels): Labels {
    return (ref !== 0 ? this.#head.byRef.get(ref)?.labels : undefined) ?? labels;
  }

  #outOfBounds(ref: SeriesRef, labels: Labels, t: number): AppendError {
    this.#head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.OutOfBounds });
    return new AppendError(AppendErrorCode.OutOfBounds, `${this.#labelsOf(ref, labels).toString()} t=${t}`);
  }

  /**
   * A float sample below the in-order bound: out of order within the window (whatever the
   * series' last sample, as Prometheus' appendable), else out of bounds (no window) or too old.
   */
  #appendBelowBound(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    if (this.#head.outOfOrderTimeWindow() === 0) throw this.#outOfBounds(ref, labels, t);
    this.#checkWindow(t, this.#labelsOf(ref, labels));
    const s = this.#series(ref, labels);
    this.#appendOoo(s, t, v);
    return s.ref;
  }

  /**
   * Refuses an out-of-order sample more than the window behind the head's newest sample
   * (Prometheus memSeries.appendable; see Head.oooReferenceTime) as too old.
   */
  #checkWindow(t: number, labels: Labels): void {
    const head = this.#head;
    const newest = head.oooReferenceTime();
    if (t >= newest - head.outOfOrderTimeWindow()) return;
    head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.TooOldSample });
    throw new AppendError(AppendErrorCode.TooOldSample, `${labels.toString()} t=${t} newest=${newest} window=${head.outOfOrderTimeWindow()}ms`);
  }

  /**
   * Buffers a sample (checked against the window) for the out-of-order head. Duplicates of
   * out-of-order samples are found at commit (the first one stays), as in Prometheus.
   */
  #appendOoo(s: MemSeries, t: number, v: number): void {
    // Keeps the series from garbage collection until commit, without taking its in-order slot.
    s.pendingAppends++;
    const b = this.#batch();
    b.touched[b.nTouched++] = s;
    b.ooo.push(s, t, v);
  }

  /** The refusal of a sample at or before the series' last one (not an identical repeat). */
  #outOfOrder(s: MemSeries, t: number, lastT: number): AppendError {
    const code = t === lastT ? AppendErrorCode.DuplicateSampleForTimestamp : AppendErrorCode.OutOfOrderSample;
    this.#head.metrics.rejectedSamples.inc({ reason: code });
    return new AppendError(code, t === lastT ? `${s.labels.toString()} t=${t}` : `${s.labels.toString()} t=${t} last=${lastT}`);
  }

  /** Marks the series as having this appender's pending sample at t. */
  #own(s: MemSeries, ours: boolean, t: number): void {
    if (!ours) {
      // Counted once per hand-over, released once per entry of `touched`: balanced even when
      // concurrent appenders take the series back and forth.
      s.pendingAppends++;
      const b = this.#batch();
      b.touched[b.nTouched++] = s;
    }
    s.pendingOwner = this.#id;
    s.pendingT = t;
  }

  /**
   * Buffers an exemplar of the series `ref` (one the head holds). Returns false when the exemplar
   * store is off or the exemplar repeats the series' newest (no-ops, as in Prometheus); throws an
   * AppendError when it is refused (out of order, labels too long, no such series).
   */
  appendExemplar(ref: SeriesRef, e: Exemplar): boolean {
    const head = this.#head;
    if (head.exemplars.size === 0) return false;
    const s = head.byRef.get(ref);
    if (s === undefined) throw missingSeriesError(`ref ${ref} exemplar=${e.labels.toString()}`);
    return this.#batch().exemplars.add(head.exemplars, s, e);
  }

  async commit(): Promise<void> {
    await this.commitReportingDrops();
  }

  /**
   * commit(), resolving with the samples that were valid at append() but no longer at commit,
   * because a concurrent appender committed a newer sample of the same series in between: they are
   * dropped (as Prometheus does), and a caller that acknowledges writes must report them as
   * refused. Undefined when every sample went in.
   */
  async commitReportingDrops(): Promise<CommitDrops | undefined> {
    const b = this.#b;
    if (b === undefined) return undefined;
    // Detach the batch so the appender can take the next one while the WAL write is in flight.
    this.#b = undefined;
    if (b.n === 0 && b.hn === 0 && b.ooo.n === 0 && b.exemplars.length === 0) {
      this.#retire(b);
      return undefined;
    }
    const head = this.#head;
    try {
      if (head.wal !== undefined) await logBatch(head, head.wal, b);
      if (b.ooo.n > 0) await logOoo(head, b.ooo);
      const late = head.outOfOrderTimeWindow() > 0 ? b.late : undefined;
      const drops = b.hn === 0 ? applySamples(head, b.series, b.ts, b.vs, b.n, late) : applyMixed(head, b, late);
      if (b.ooo.n > 0) this.oooCommitted += applyOoo(head, b.ooo);
      if (b.late.n > 0) {
        // In order when appended, overtaken by a concurrent commit since: out of order now, and
        // durable as such only once in the WBL (a WAL replay skips them as the head did).
        await logOoo(head, b.late);
        this.oooCommitted += applyOoo(head, b.late);
      }
      b.exemplars.apply(head.exemplars);
      return drops;
    } finally {
      this.#retire(b);
      this.#minValidTime = this.#bound();
    }
  }

  #release(b: Batch): void {
    for (let i = 0; i < b.nTouched; i++) {
      const s = b.touched[i];
      s.pendingAppends--;
      if (s.pendingOwner === this.#id) {
        s.pendingOwner = 0;
        if (s.hist !== null) s.hist.pending = null;
      }
    }
    b.clear();
  }

  rollback(): void {
    if (this.#b !== undefined) this.#retire(this.#b);
    this.#b = undefined;
    this.#minValidTime = this.#bound();
  }

  /** Releases the batch's series and keeps it for the next appender of this thread. */
  #retire(b: Batch): void {
    this.#release(b);
    if (spareBatches.length < MaxSpareBatches && b.capacity() <= MaxSpareBatchCapacity) spareBatches.push(b);
  }
}

/** The last histogram of the series (the pending one if `pending`), or null when that sample is a float. */
function lastHistogram(s: MemSeries, pending: boolean): Histogram | FloatHistogram | null {
  const h = s.hist;
  if (h === null) return null;
  return pending ? h.pending : h.last;
}

/**
 * Committed batches kept for the next appenders of this thread: a push makes an appender, and each
 * new batch's columns (typed arrays, off the V8 heap) were allocated, zeroed and grown to the
 * request's size again for every push. A few are enough for the pushes in flight at once; very
 * large ones are left to the GC.
 */
const spareBatches: Batch[] = [];
const MaxSpareBatches = 8;
const MaxSpareBatchCapacity = 1 << 16;

/**
 * One batch of samples, columnar. Arrays keep their capacity across clear(). Histogram samples
 * have columns of their own; hAt[k] is the number of float samples buffered before histogram k,
 * which keeps the order of appends (a series may switch between floats and histograms).
 */
class Batch {
  series: MemSeries[] = [];
  /** Out-of-order samples, for the out-of-order head and the WBL. */
  readonly ooo = new SampleBatch(0);
  /** Samples a concurrent commit made out of order after append() (applySamples), within the window. */
  readonly late = new SampleBatch(0);
  /** Series whose pendingAppends this batch incremented, in [0, nTouched). */
  touched: MemSeries[] = [];
  nTouched = 0;
  refs = new Float64Array(256);
  ts = new Float64Array(256);
  /** Values as a typed array: plain arrays may canonicalise NaN payloads such as the stale marker. */
  vs = new Float64Array(256);
  n = 0;
  hseries: MemSeries[] = [];
  hrefs: number[] = [];
  hts: number[] = [];
  hs: (Histogram | FloatHistogram)[] = [];
  hfloat: boolean[] = [];
  hAt: number[] = [];
  hn = 0;
  /** Whether some series has both floats and histograms in this batch (WAL records must keep order). */
  mixed = false;

  pushHistogram(s: MemSeries, t: number, h: Histogram | FloatHistogram, isFloat: boolean): void {
    const k = this.hn++;
    this.hseries[k] = s;
    this.hrefs[k] = s.ref;
    this.hts[k] = t;
    this.hs[k] = h;
    this.hfloat[k] = isFloat;
    this.hAt[k] = this.n;
  }
  readonly exemplars = new ExemplarBatch();

  push(s: MemSeries, t: number, v: number): void {
    const n = this.n;
    if (n === this.ts.length) this.#grow();
    this.series[n] = s;
    this.refs[n] = s.ref;
    this.ts[n] = t;
    this.vs[n] = v;
    this.n = n + 1;
  }

  /** Float samples it holds without growing. */
  capacity(): number {
    return this.ts.length;
  }

  #grow(): void {
    const cap = this.ts.length * 2;
    this.refs = grown(this.refs, cap);
    this.ts = grown(this.ts, cap);
    this.vs = grown(this.vs, cap);
  }

  /** Empties the batch. Series stay referenced from the arrays until overwritten (harmless). */
  clear(): void {
    this.n = 0;
    this.nTouched = 0;
    this.hn = 0;
    this.ooo.n = 0;
    this.late.n = 0;
    this.hs.length = 0;
    this.mixed = false;
    this.exemplars.clear();
  }
}

function grown(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

/** Float samples in columns (the out-of-order ones of a batch); capacity grows on demand. */
class SampleBatch {
  series: MemSeries[] = [];
  refs: Float64Array;
  ts: Float64Array;
  vs: Float64Array;
  n = 0;

  constructor(cap: number) {
    this.refs = new Float64Array(cap);
    this.ts = new Float64Array(cap);
    this.vs = new Float64Array(cap);
  }

  push(s: MemSeries, t: number, v: number): void {
    const n = this.n;
    if (n === this.ts.length) {
      const cap = Math.max(16, n * 2);
      this.refs = grown(this.refs, cap);
      this.ts = grown(this.ts, cap);
      this.vs = grown(this.vs, cap);
    }
    this.series[n] = s;
    this.refs[n] = s.ref;
    this.ts[n] = t;
    this.vs[n] = v;
    this.n = n + 1;
  }
}

/**
 * Writes a batch's out-of-order samples to the write-behind log, after logBatch() put their series
 * records in the WAL (a replay reads the WAL first). One samples record, as in the WAL.
 */
async function logOoo(head: Head, o: SampleBatch): Promise<void> {
  const wbl = head.wbl();
  if (wbl === undefined) return;
  try {
    // Encoding and framing happen in one tick: the shared encoder's buffer is free again after.
    const w = await wbl;
    await w.log(head.samplesEncoder.samples(o.refs, o.ts, o.vs, o.n));
  } catch (err) {
    throw new Error(`commit ${o.n} out-of-order samples to the WBL`, { cause: err });
  }
}

/** Puts committed out-of-order samples into their series' out-of-order buffers; returns how many went in. */
function applyOoo(head: Head, o: SampleBatch): number {
  let appended = 0;
  for (let i = 0; i < o.n; i++) if (head.insertOoo(o.series[i], o.ts[i], o.vs[i])) appended++;
  head.metrics.oooSamplesAppended.inc(appended);
  head.metrics.samplesAppended.inc(appended);
  return appended;
}

/**
 * Writes one batch to the WAL: a series record for the batch's series the WAL has not seen yet, the
 * samples record and the histogram records (one per type present), then the exemplars record.
 * When a series switched between floats and histograms within the batch, sample records follow the
 * appends' order instead, one per run of a kind, so that a replay meets the samples in the order
 * they were appended. Encoding and framing are synchronous (the head's encoders are shared).
 */
async function logBatch(head: Head, wal: Wal, b: Batch): Promise<void> {
  const newSeries: MemSeries[] = [];
  const note = (s: MemSeries) => {
    if (!s.walLogged) {
      s.walLogged = true;
      newSeries.push(s);
    }
  };
  for (let i = 0; i < b.n; i++) note(b.series[i]);
  for (let k = 0; k < b.hn; k++) note(b.hseries[k]);
  for (let i = 0; i < b.ooo.n; i++) note(b.ooo.series[i]);
  for (const s of b.exemplars.unloggedSeries()) note(s);
  const records: Uint8Array[] = [];
  if (newSeries.length > 0) {
    records.push(head.seriesEncoder.series(newSeries.map((s) => s.ref), newSeries.map((s) => s.labels)));
  }
  if (!b.mixed) {
    // The histogram records reuse the samples encoder's buffer: copy the samples record first.
    if (b.n > 0) records.push(b.hn > 0 ? Buffer.from(head.samplesEncoder.samples(b.refs, b.ts, b.vs, b.n)) : head.samplesEncoder.samples(b.refs, b.ts, b.vs, b.n));
    histogramRecords(head, b, 0, b.hn, records);
  } else {
    // Runs in append order: floats [from, hAt[k]) then the histograms up to the next float.
    let f = 0;
    for (let k = 0; k <= b.hn; ) {
      const until = k < b.hn ? b.hAt[k] : b.n;
      if (until > f) records.push(Buffer.from(head.samplesEncoder.samples(b.refs.subarray(f), b.ts.subarray(f), b.vs.subarray(f), until - f)));
      f = until;
      let end = k;
      while (end < b.hn && b.hAt[end] === f) end++;
      histogramRecords(head, b, k, end, records);
      k = end === k ? k + 1 : end;
    }
  }
  if (b.exemplars.length > 0) records.push(b.exemplars.record(head.exemplarEncoder));
  try {
    await wal.log(...records);
  } catch (err) {
    for (const s of newSeries) s.walLogged = false;
    const exemplars = b.exemplars.length > 0 ? ` and ${b.exemplars.length} exemplars` : '';
    throw new Error(`commit ${b.n + b.hn} samples${exemplars} to the WAL`, { cause: err });
  }
}

/** The histogram records (one per record type present) of histograms [from, to) of the batch. */
function histogramRecords(head: Head, b: Batch, from: number, to: number, out: Uint8Array[]): void {
  if (to <= from) return;
  const byType = new Map<RecordType, number[]>();
  for (let k = from; k < to; k++) {
    const type = histogramRecordType(b.hs[k], b.hfloat[k]);
    let idx = byType.get(type);
    if (idx === undefined) byType.set(type, (idx = []));
    idx.push(k);
  }
  const types = [RecordType.HistogramSamples, RecordType.FloatHistogramSamples, RecordType.CustomBucketsHistogramSamples, RecordType.CustomBucketsFloatHistogramSamples];
  for (const type of types) {
    const idx = byType.get(type);
    // Each record is copied out of the shared encoder buffer, which the next one reuses.
    if (idx !== undefined) out.push(Buffer.from(head.samplesEncoder.histogramSamples(type, b.hrefs, b.hts, b.hs, idx)));
  }
}

/** Samples a commit dropped (out of order by then), with the refusal of the first one. */
export interface CommitDrops {
  /** Samples dropped, floats and histograms. */
  count: number;
  /** Of those, histograms. */
  histograms: number;
  first: AppendError;
}

/**
 * Puts committed samples into their series' chunks. A sample that lost a race with a concurrent
 * appender's commit of the same series (now out of order) goes to `late` when it is given (the
 * head has an out-of-order window) and the sample is within it; otherwise it is dropped, counted
 * and returned, as Prometheus drops it.
 */
function applySamples(head: Head, series: readonly MemSeries[], ts: Float64Array, vs: Float64Array, n: number, late: SampleBatch | undefined): CommitDrops | undefined {
  let drops: CommitDrops | undefined;
  let mint = Infinity;
  let maxt = -Infinity;
  let appended = 0;
  let chunks = 0;
  for (let i = 0; i < n; i++) {
    const s = series[i];
    const t = ts[i];
    if (t <= s.lastT) {
      f64[0] = vs[i];
      if (t === s.lastT && u32[1] === s.lastHi && u32[0] === s.lastLo) continue;
      if (late !== undefined && t < s.lastT && t >= head.oooReferenceTime() - head.outOfOrderTimeWindow()) {
        late.push(s, t, vs[i]);
        continue;
      }
      head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.OutOfOrderSample });
      if (drops === undefined) drops = { count: 0, histograms: 0, first: new AppendError(AppendErrorCode.OutOfOrderSample, `${s.labels.toString()} t=${t} last=${s.lastT}`) };
      drops.count++;
      continue;
    }
    if (s.append(t, vs[i], head.cut)) chunks++;
    appended++;
    if (t < mint) mint = t;
    if (t > maxt) maxt = t;
  }
  if (appended > 0) head.extendTimeRange(mint, maxt);
  head.metrics.samplesAppended.inc(appended);
  if (chunks > 0) {
    head.metrics.chunksCreated.inc(chunks);
    head.metrics.chunks.inc(chunks);
  }
  return drops;
}

/**
 * applySamples for a batch with histograms: floats and histograms go into their series in the
 * order they were appended.
 */
function applyMixed(head: Head, b: Batch, late: SampleBatch | undefined): CommitDrops | undefined {
  let drops: CommitDrops | undefined;
  let f = 0;
  for (let k = 0; k <= b.hn; k++) {
    const until = k < b.hn ? b.hAt[k] : b.n;
    if (until > f) drops = mergeDrops(drops, applySamples(head, b.series.slice(f, until), b.ts.subarray(f, until), b.vs.subarray(f, until), until - f, late));
    f = until;
    if (k < b.hn) drops = mergeDrops(drops, applyHistogram(head, b.hseries[k], b.hts[k], b.hs[k], b.hfloat[k]));
  }
  return drops;
}

function applyHistogram(head: Head, s: MemSeries, t: number, h: Histogram | FloatHistogram, isFloat: boolean): CommitDrops | undefined {
  if (t <= s.lastT) {
    const last = s.hist?.last ?? null;
    if (t === s.lastT && last !== null && identicalHistograms(last, h)) return undefined;
    head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.OutOfOrderSample });
    return { count: 1, histograms: 1, first: new AppendError(AppendErrorCode.OutOfOrderSample, `${s.labels.toString()} t=${t} last=${s.lastT}`) };
  }
  if (s.appendHistogram(t, h, isFloat, head.cut)) {
    head.metrics.chunksCreated.inc();
    head.metrics.chunks.inc();
  }
  head.extendTimeRange(t, t);
  head.metrics.samplesAppended.inc();
  return undefined;
}

function mergeDrops(a: CommitDrops | undefined, b: CommitDrops | undefined): CommitDrops | undefined {
  if (a === undefined) return b;
  if (b !== undefined) {
    a.count += b.count;
    a.histograms += b.histograms;
  }
  return a;
}
