import type { Labels } from '../model/labels/index.js';
import type { Appender, SeriesRef } from '../storage/index.js';
import { f64, u32 } from './chunkenc/float-bits.js';
import { AppendError, AppendErrorCode } from './errors.js';
import type { Exemplar } from './exemplars.js';
import type { Head } from './head.js';
import { ExemplarBatch, missingSeriesError } from './head-exemplars.js';
import type { MemSeries } from './mem-series.js';
import type { Wal } from './wal/index.js';

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
  #b = new Batch();
  /** A batch whose commit finished, kept for reuse (fewer allocations, less GC). */
  #spare: Batch | undefined = undefined;

  constructor(head: Head, id: number, hardBoundOnly = false) {
    this.#head = head;
    this.#id = id;
    this.#hardBoundOnly = hardBoundOnly;
    this.#minValidTime = this.#bound();
  }

  #bound(): number {
    return this.#hardBoundOnly ? this.#head.minValidTime() : this.#head.appendableMinValidTime();
  }

  /** With the ref of a series in the head, `labels` is not read (Labels.EMPTY will do). */
  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    const head = this.#head;
    let s = ref !== 0 ? head.byRef.get(ref) : undefined;
    if (t < this.#minValidTime) {
      head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.OutOfBounds });
      throw new AppendError(AppendErrorCode.OutOfBounds, `${(s?.labels ?? labels).toString()} t=${t}`);
    }
    if (s === undefined) s = head.getOrCreate(labels);
    f64[0] = v;
    const hi = u32[1];
    const lo = u32[0];
    let lastT: number;
    let lastHi: number;
    let lastLo: number;
    const ours = s.pendingOwner === this.#id;
    if (ours) {
      lastT = s.pendingT;
      lastHi = s.pendingHi;
      lastLo = s.pendingLo;
    } else {
      lastT = s.lastT;
      lastHi = s.lastHi;
      lastLo = s.lastLo;
    }
    if (t <= lastT) {
      if (t === lastT) {
        if (hi === lastHi && lo === lastLo) return s.ref; // same sample again: a no-op
        head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.DuplicateSampleForTimestamp });
        throw new AppendError(AppendErrorCode.DuplicateSampleForTimestamp, `${s.labels.toString()} t=${t}`);
      }
      head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.OutOfOrderSample });
      throw new AppendError(AppendErrorCode.OutOfOrderSample, `${s.labels.toString()} t=${t} last=${lastT}`);
    }
    const b = this.#b;
    if (!ours) {
      // Counted once per hand-over, released once per entry of `touched`: balanced even when
      // concurrent appenders take the series back and forth.
      s.pendingAppends++;
      b.touched[b.nTouched++] = s;
    }
    s.pendingOwner = this.#id;
    s.pendingT = t;
    s.pendingHi = hi;
    s.pendingLo = lo;
    b.push(s, t, v);
    return s.ref;
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
    return this.#b.exemplars.add(head.exemplars, s, e);
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
    if (b.n === 0 && b.exemplars.length === 0) return undefined;
    // Detach the batch so the appender can take the next one while the WAL write is in flight.
    this.#b = this.#spare ?? new Batch();
    this.#spare = undefined;
    const head = this.#head;
    try {
      if (head.wal !== undefined) await logBatch(head, head.wal, b);
      const drops = applySamples(head, b.series, b.ts, b.vs, b.n);
      b.exemplars.apply(head.exemplars);
      return drops;
    } finally {
      this.#release(b);
      this.#minValidTime = this.#bound();
      this.#spare = b;
    }
  }

  #release(b: Batch): void {
    for (let i = 0; i < b.nTouched; i++) {
      const s = b.touched[i];
      s.pendingAppends--;
      if (s.pendingOwner === this.#id) s.pendingOwner = 0;
    }
    b.clear();
  }

  rollback(): void {
    this.#release(this.#b);
    this.#minValidTime = this.#bound();
  }
}

/** One batch of samples, columnar. Arrays keep their capacity across clear(). */
class Batch {
  series: MemSeries[] = [];
  /** Series whose pendingAppends this batch incremented, in [0, nTouched). */
  touched: MemSeries[] = [];
  nTouched = 0;
  refs = new Float64Array(256);
  ts = new Float64Array(256);
  /** Values as a typed array: plain arrays may canonicalise NaN payloads such as the stale marker. */
  vs = new Float64Array(256);
  n = 0;
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

  #grow(): void {
    const cap = this.ts.length * 2;
    const grow = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.refs = grow(this.refs);
    this.ts = grow(this.ts);
    this.vs = grow(this.vs);
  }

  /** Empties the batch. Series stay referenced from the arrays until overwritten (harmless). */
  clear(): void {
    this.n = 0;
    this.nTouched = 0;
    this.exemplars.clear();
  }
}

/**
 * Writes one batch to the WAL: a series record for the batch's series the WAL has not seen yet, the
 * samples record, and the exemplars record. Encoding and framing are synchronous (the head's
 * encoders are shared).
 */
async function logBatch(head: Head, wal: Wal, b: Batch): Promise<void> {
  const { series, refs, ts, vs, n } = b;
  const newSeries: MemSeries[] = [];
  for (let i = 0; i < n; i++) {
    const s = series[i];
    if (!s.walLogged) {
      s.walLogged = true;
      newSeries.push(s);
    }
  }
  for (const s of b.exemplars.unloggedSeries()) {
    s.walLogged = true;
    newSeries.push(s);
  }
  const records: Uint8Array[] = [];
  if (newSeries.length > 0) {
    records.push(head.seriesEncoder.series(newSeries.map((s) => s.ref), newSeries.map((s) => s.labels)));
  }
  if (n > 0) records.push(head.samplesEncoder.samples(refs, ts, vs, n));
  if (b.exemplars.length > 0) records.push(b.exemplars.record(head.exemplarEncoder));
  try {
    await wal.log(...records);
  } catch (err) {
    for (const s of newSeries) s.walLogged = false;
    const exemplars = b.exemplars.length > 0 ? ` and ${b.exemplars.length} exemplars` : '';
    throw new Error(`commit ${n} samples${exemplars} to the WAL`, { cause: err });
  }
}

/** Samples a commit dropped (out of order by then), with the refusal of the first one. */
export interface CommitDrops {
  count: number;
  first: AppendError;
}

/**
 * Puts committed samples into their series' chunks. A sample that lost a race with a concurrent
 * appender's commit of the same series (now out of order) is dropped, counted and returned, as
 * Prometheus drops it.
 */
export function applySamples(head: Head, series: readonly MemSeries[], ts: Float64Array, vs: Float64Array, n: number): CommitDrops | undefined {
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
      head.metrics.rejectedSamples.inc({ reason: AppendErrorCode.OutOfOrderSample });
      if (drops === undefined) drops = { count: 0, first: new AppendError(AppendErrorCode.OutOfOrderSample, `${s.labels.toString()} t=${t} last=${s.lastT}`) };
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
