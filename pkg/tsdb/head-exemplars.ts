/**
 * Exemplars on the head's write path: an appender's batch of exemplars (checked at append against
 * the store and the batch's own newer ones), their WAL record, and their replay. The store itself
 * is exemplars.ts.
 */
import { AppendError, AppendErrorCode } from './errors.js';
import type { CircularExemplarStorage, Exemplar } from './exemplars.js';
import type { MemSeries } from './mem-series.js';
import { decodeExemplars, type ExemplarRecordEncoder } from './wal/index.js';

/** The exemplars of one appender batch, in append order. */
export class ExemplarBatch {
  series: MemSeries[] = [];
  exemplars: Exemplar[] = [];
  /** The newest exemplar of each series in this batch: later ones must be newer still. */
  readonly #newest = new Map<MemSeries, Exemplar>();

  get length(): number {
    return this.series.length;
  }

  /**
   * Buffers `e` for series `s`; false for a duplicate of the series' newest exemplar (a no-op, as
   * in Prometheus). Throws AppendError when the store would refuse it.
   */
  add(store: CircularExemplarStorage, s: MemSeries, e: Exemplar): boolean {
    const verdict = store.check(s.labels, e, this.#newest.get(s));
    if (verdict instanceof AppendError) throw verdict;
    if (verdict === 'duplicate') return false;
    this.series.push(s);
    this.exemplars.push(e);
    this.#newest.set(s, e);
    return true;
  }

  /** The batch's series the WAL has not seen (an exemplar's series record must precede it). */
  unloggedSeries(): MemSeries[] {
    return [...new Set(this.series.filter((s) => !s.walLogged))];
  }

  /** The batch as an exemplars WAL record (a view into the encoder's buffer). */
  record(enc: ExemplarRecordEncoder): Uint8Array {
    return enc.encode(this.exemplars.map((e, i) => ({ ref: this.series[i].ref, ts: e.ts, value: e.value, labels: e.labels })));
  }

  /**
   * Puts the committed exemplars into the store. One that lost a race with a concurrent commit of
   * the same series (out of order by then) is dropped and counted by the store, as Prometheus does;
   * the number dropped is returned.
   */
  apply(store: CircularExemplarStorage): number {
    let dropped = 0;
    for (let i = 0; i < this.series.length; i++) if (store.add(this.series[i].labels, this.exemplars[i]) instanceof AppendError) dropped++;
    return dropped;
  }

  clear(): void {
    this.series.length = 0;
    this.exemplars.length = 0;
    this.#newest.clear();
  }
}

/**
 * Replays an exemplars WAL record into the store: exemplars of unknown series (`seriesOf` gives
 * none) or older than `minValidTime` are skipped; returns the number of unknown refs.
 */
export function replayExemplars(store: CircularExemplarStorage, rec: Uint8Array, seriesOf: (ref: number) => MemSeries | undefined, minValidTime: number): number {
  if (store.size === 0) return 0;
  let unknown = 0;
  for (const e of decodeExemplars(rec)) {
    const s = seriesOf(e.ref);
    if (s === undefined) {
      unknown++;
      continue;
    }
    if (e.ts < minValidTime) continue;
    // Refused ones were refused before the crash too (or lost a race then): skip them again.
    store.add(s.labels, e);
  }
  return unknown;
}

/** The refusal of an exemplar whose series is not in the head (it has no sample there yet). */
export function missingSeriesError(detail: string): AppendError {
  return new AppendError(AppendErrorCode.ExemplarMissingSeries, detail);
}
