/**
 * The head's exemplar store (Prometheus tsdb/exemplar.go's design): one ring buffer for the whole
 * head (one tenant), whose slots are chained per series from oldest to newest, and an index from a
 * series to its oldest and newest slot. A new exemplar takes the next slot, evicting the oldest
 * exemplar of the buffer, whichever series it belonged to. Exemplars are not in blocks: they live
 * here and in the WAL only.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { Labels } from '../model/labels/index.js';
import type { Matcher } from '../model/labels/index.js';
import { AppendError, AppendErrorCode } from './errors.js';

/** Longest label set of an exemplar, in runes of names and values (Prometheus exemplar.ExemplarMaxLabelSetLength). */
export const ExemplarMaxLabelSetLength = 128;

export interface Exemplar {
  labels: Labels;
  value: number;
  /** Milliseconds. */
  ts: number;
}

/** The exemplars of one series in a time range, oldest first. */
export interface SeriesExemplars {
  seriesLabels: Labels;
  exemplars: Exemplar[];
}

/** A series' slots: the chain runs from `oldest` to `newest` through `next`. */
interface IndexEntry {
  key: string;
  seriesLabels: Labels;
  oldest: number;
  newest: number;
}

const none = -1;

/** Metrics named as Cortex exposes its ingesters' TSDB exemplar metrics (Prometheus' prometheus_tsdb_exemplar_*). */
class ExemplarMetrics {
  readonly appended: Counter;
  readonly outOfOrder: Counter;
  readonly inStorage: Gauge;
  readonly seriesInStorage: Gauge;
  readonly lastTimestamp: Gauge;
  readonly max: Gauge;

  constructor(reg: Registry | undefined) {
    const registers = reg === undefined ? [] : [reg];
    const p = 'myelin_ingester_tsdb_exemplar_';
    this.appended = new Counter({ name: `${p}exemplars_appended_total`, help: 'Exemplars appended to the exemplar store.', registers });
    this.outOfOrder = new Counter({ name: `${p}out_of_order_exemplars_total`, help: 'Exemplars refused as out of order (not newer than the newest of their series).', registers });
    this.inStorage = new Gauge({ name: `${p}exemplars_in_storage`, help: 'Exemplars in the exemplar store.', registers });
    this.seriesInStorage = new Gauge({ name: `${p}series_with_exemplars_in_storage`, help: 'Series with at least one exemplar in the exemplar store.', registers });
    this.lastTimestamp = new Gauge({
      name: `${p}last_exemplars_timestamp_seconds`,
      help: 'Timestamp of the oldest exemplar in the store (the buffer holds exemplars from then on), in seconds.',
      registers,
    });
    this.max = new Gauge({ name: `${p}max_exemplars`, help: 'Size of the exemplar store, in exemplars (the tenant\'s limit on this ingester).', registers });
  }
}

/** Why an exemplar is not stored; a duplicate of the series' newest exemplar is a no-op, not an error. */
export type ExemplarCheck = 'ok' | 'duplicate' | AppendError;

export class CircularExemplarStorage {
  #ts: Float64Array;
  #v: Float64Array;
  #labels: (Labels | undefined)[];
  #next: Int32Array;
  #owner: (IndexEntry | undefined)[];
  #nextIndex = 0;
  #count = 0;
  #index = new Map<string, IndexEntry>();
  readonly #metrics: ExemplarMetrics;

  constructor(size: number, reg?: Registry) {
    this.#metrics = new ExemplarMetrics(reg);
    this.#ts = new Float64Array(0);
    this.#v = new Float64Array(0);
    this.#labels = [];
    this.#next = new Int32Array(0);
    this.#owner = [];
    this.resize(size);
  }

  /** The buffer's size; 0 means exemplars are off. */
  get size(): number {
    return this.#ts.length;
  }

  /** Exemplars held now. */
  get count(): number {
    return this.#count;
  }

  /**
   * Whether `e` may be stored for the series, given `newest`, the newest exemplar of the series
   * not yet in the store (a batch's), if any. Prometheus' rules: the label set is at most 128
   * runes; the newest exemplar again is a duplicate; anything not newer than it is out of order.
   */
  check(seriesLabels: Labels, e: Exemplar, newest?: Exemplar): ExemplarCheck {
    let runes = 0;
    e.labels.forEach((n, v) => (runes += runeLength(n) + runeLength(v)));
    if (runes > ExemplarMaxLabelSetLength) return new AppendError(AppendErrorCode.ExemplarLabelsTooLong, `${seriesLabels.toString()} exemplar=${e.labels.toString()}`);
    let last = newest;
    if (last === undefined) {
      const idx = this.#index.get(seriesLabels.key);
      if (idx === undefined) return 'ok';
      last = this.#at(idx.newest);
    }
    if (last.ts === e.ts && last.value === e.value && last.labels.equals(e.labels)) return 'duplicate';
    if (e.ts <= last.ts) {
      return new AppendError(AppendErrorCode.OutOfOrderExemplar, `${seriesLabels.toString()} exemplar=${e.labels.toString()} t=${e.ts} newest=${last.ts}`);
    }
    return 'ok';
  }

  /** Stores `e` unless check() refuses it; returns check()'s verdict. Out-of-order refusals are counted. */
  add(seriesLabels: Labels, e: Exemplar): ExemplarCheck {
    if (this.size === 0) return 'ok';
    const verdict = this.check(seriesLabels, e);
    if (verdict instanceof AppendError) {
      if (verdict.code === AppendErrorCode.OutOfOrderExemplar) this.#metrics.outOfOrder.inc();
      return verdict;
    }
    if (verdict === 'ok') {
      this.#insert(seriesLabels, e);
      this.#metrics.appended.inc();
      this.#updateGauges();
    }
    return verdict;
  }

  #insert(seriesLabels: Labels, e: Exemplar): void {
    const i = this.#nextIndex;
    const evicted = this.#owner[i];
    if (evicted === undefined) this.#count++;
    else if (this.#next[i] === none) this.#index.delete(evicted.key);
    else evicted.oldest = this.#next[i];
    const key = seriesLabels.key;
    let idx = this.#index.get(key);
    if (idx === undefined) {
      idx = { key, seriesLabels, oldest: i, newest: i };
      this.#index.set(key, idx);
    } else {
      this.#next[idx.newest] = i;
      idx.newest = i;
    }
    this.#ts[i] = e.ts;
    this.#v[i] = e.value;
    this.#labels[i] = e.labels;
    this.#next[i] = none;
    this.#owner[i] = idx;
    this.#nextIndex = (i + 1) % this.#ts.length;
  }

  #at(i: number): Exemplar {
    return { labels: this.#labels[i] as Labels, value: this.#v[i], ts: this.#ts[i] };
  }

  /**
   * The exemplars in [start, end] of every series that matches all matchers of any one set, each
   * series' oldest first, series in label order (Prometheus' ExemplarQuerier.Select).
   */
  select(start: number, end: number, matcherSets: readonly (readonly Matcher[])[]): SeriesExemplars[] {
    const out: SeriesExemplars[] = [];
    for (const idx of this.#index.values()) {
      // The chain is in time order: a series whose oldest is after `end` has nothing to give.
      if (this.#ts[idx.oldest] > end || this.#ts[idx.newest] < start) continue;
      if (!matcherSets.some((ms) => ms.every((m) => m.matches(idx.seriesLabels.get(m.name))))) continue;
      const exemplars: Exemplar[] = [];
      for (let i = idx.oldest; i !== none && this.#ts[i] <= end; i = this.#next[i]) {
        if (this.#ts[i] >= start) exemplars.push(this.#at(i));
      }
      if (exemplars.length > 0) out.push({ seriesLabels: idx.seriesLabels, exemplars });
    }
    return out.sort((a, b) => Labels.compare(a.seriesLabels, b.seriesLabels));
  }

  /**
   * Changes the buffer's size (the tenant's limit changed), keeping the newest exemplars that fit,
   * as Prometheus' Resize does. 0 drops every exemplar.
   */
  resize(size: number): void {
    const n = Math.max(0, Math.floor(size));
    if (n === this.#ts.length) return;
    const old = this.#oldestFirst();
    this.#ts = new Float64Array(n);
    this.#v = new Float64Array(n);
    this.#labels = new Array<Labels | undefined>(n).fill(undefined);
    this.#next = new Int32Array(n).fill(none);
    this.#owner = new Array<IndexEntry | undefined>(n).fill(undefined);
    this.#nextIndex = 0;
    this.#count = 0;
    this.#index = new Map();
    if (n > 0) for (const [series, e] of old.slice(Math.max(0, old.length - n))) this.#insert(series, e);
    this.#metrics.max.set(n);
    this.#updateGauges();
  }

  /** Every stored exemplar with its series, oldest slot first. */
  #oldestFirst(): [Labels, Exemplar][] {
    const out: [Labels, Exemplar][] = [];
    const size = this.#ts.length;
    for (let k = 0; k < size; k++) {
      const i = (this.#nextIndex + k) % size;
      const owner = this.#owner[i];
      if (owner !== undefined) out.push([owner.seriesLabels, this.#at(i)]);
    }
    return out;
  }

  #updateGauges(): void {
    const m = this.#metrics;
    m.inStorage.set(this.#count);
    m.seriesInStorage.set(this.#index.size);
    // The slot to be overwritten next holds the oldest exemplar once the buffer is full.
    const oldest = this.#count === this.#ts.length ? this.#nextIndex : 0;
    m.lastTimestamp.set(this.#count === 0 ? 0 : this.#ts[oldest] / 1000);
  }
}

/** Code points in a string (a surrogate pair is one). */
function runeLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
