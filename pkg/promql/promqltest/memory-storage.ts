/**
 * An in-memory Queryable for tests, benchmarks and the query-frontend's sharded queries (the
 * answers of their shards): series kept as sorted columnar arrays. The
 * real TSDB head replaces it in production; this one only has to honour the storage contract.
 */
import type { FloatHistogram } from '../../model/histogram/index.js';
import { copyFloatHistogram } from '../../model/histogram/index.js';
import type { Matcher } from '../../model/labels/index.js';
import { Labels, compareStrings } from '../../model/labels/index.js';
import type { LabelHints, Querier, Queryable, SampleIterator, SelectHints, Series, SeriesSet } from '../../storage/index.js';
import { ValueType, seriesSetOf } from '../../storage/index.js';

/**
 * Values live in a Float64Array: V8 canonicalises NaNs in plain arrays, erasing staleness markers.
 * `hs` holds the native histogram samples (undefined where the sample is a float); null while the
 * series has none.
 */
interface StoredSeries {
  labels: Labels;
  ts: number[];
  vs: Float64Array;
  hs: Array<FloatHistogram | undefined> | null;
  len: number;
}

export class MemoryStorage implements Queryable {
  readonly #series = new Map<string, StoredSeries>();
  #sorted: StoredSeries[] | null = null;

  /** Adds a sample; a sample at an existing timestamp replaces the old one. */
  append(labels: Labels, t: number, v: number): void {
    this.#put(labels, t, v, undefined);
  }

  /** Adds a native histogram sample (kept as a float histogram). */
  appendHistogram(labels: Labels, t: number, h: FloatHistogram): void {
    this.#put(labels, t, 0, copyFloatHistogram(h));
  }

  #put(labels: Labels, t: number, v: number, h: FloatHistogram | undefined): void {
    let s = this.#series.get(labels.key);
    if (s === undefined) {
      s = { labels, ts: [], vs: new Float64Array(16), hs: null, len: 0 };
      this.#series.set(labels.key, s);
      this.#sorted = null;
    }
    if (h !== undefined && s.hs === null) s.hs = new Array<FloatHistogram | undefined>(s.ts.length).fill(undefined);
    const n = s.ts.length;
    let i = n;
    while (i > 0 && s.ts[i - 1] > t) i--;
    if (i > 0 && s.ts[i - 1] === t) {
      s.vs[i - 1] = v;
      if (s.hs !== null) s.hs[i - 1] = h;
      return;
    }
    if (n === s.vs.length) {
      const grown = new Float64Array(n * 2);
      grown.set(s.vs);
      s.vs = grown;
    }
    s.ts.splice(i, 0, t);
    s.vs.copyWithin(i + 1, i, n);
    s.vs[i] = v;
    s.hs?.splice(i, 0, h);
    s.len = n + 1;
  }

  clear(): void {
    this.#series.clear();
    this.#sorted = null;
  }

  /** All series sorted by labels. */
  sortedSeries(): readonly StoredSeries[] {
    if (this.#sorted === null) this.#sorted = [...this.#series.values()].sort((a, b) => Labels.compare(a.labels, b.labels));
    return this.#sorted;
  }

  querier(mint: number, maxt: number): Promise<Querier> {
    return Promise.resolve(new MemoryQuerier(this, mint, maxt));
  }
}

function overlaps(s: StoredSeries, mint: number, maxt: number): boolean {
  return s.ts.length > 0 && s.ts[0] <= maxt && s.ts[s.ts.length - 1] >= mint;
}

function matchesAll(ls: Labels, matchers: readonly Matcher[]): boolean {
  for (const m of matchers) if (!m.matches(ls.get(m.name))) return false;
  return true;
}

class MemoryQuerier implements Querier {
  readonly #db: MemoryStorage;
  readonly #mint: number;
  readonly #maxt: number;

  constructor(db: MemoryStorage, mint: number, maxt: number) {
    this.#db = db;
    this.#mint = mint;
    this.#maxt = maxt;
  }

  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    const mint = Math.max(this.#mint, hints.start);
    const maxt = Math.min(this.#maxt, hints.end);
    const picked: Series[] = [];
    for (const s of this.#db.sortedSeries()) {
      // As the TSDB's queriers, a series with nothing in the range is not returned.
      if (!matchesAll(s.labels, matchers) || !overlaps(s, mint, maxt)) continue;
      picked.push({ labels: s.labels, iterator: () => new ArrayIterator(s.ts, s.vs, s.hs, mint, maxt) });
    }
    return seriesSetOf(picked);
  }

  labelNames(_hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    const names = new Set<string>();
    for (const s of this.#db.sortedSeries()) {
      if (matchesAll(s.labels, matchers) && this.#overlaps(s)) s.labels.forEach((n) => names.add(n));
    }
    return Promise.resolve([...names].sort(compareStrings));
  }

  labelValues(name: string, _hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    const values = new Set<string>();
    for (const s of this.#db.sortedSeries()) {
      const v = s.labels.get(name);
      if (v !== '' && matchesAll(s.labels, matchers) && this.#overlaps(s)) values.add(v);
    }
    return Promise.resolve([...values].sort(compareStrings));
  }

  #overlaps(s: StoredSeries): boolean {
    return overlaps(s, this.#mint, this.#maxt);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class ArrayIterator implements SampleIterator {
  readonly #ts: number[];
  readonly #vs: Float64Array;
  readonly #hs: Array<FloatHistogram | undefined> | null;
  readonly #maxt: number;
  #i: number;

  constructor(ts: number[], vs: Float64Array, hs: Array<FloatHistogram | undefined> | null, mint: number, maxt: number) {
    this.#ts = ts;
    this.#vs = vs;
    this.#hs = hs;
    this.#maxt = maxt;
    let i = 0;
    while (i < ts.length && ts[i] < mint) i++;
    this.#i = i - 1;
  }

  next(): ValueType {
    this.#i++;
    return this.#type();
  }

  seek(t: number): ValueType {
    if (this.#i < 0) this.#i = 0;
    while (this.#i < this.#ts.length && this.#ts[this.#i] < t) this.#i++;
    return this.#type();
  }

  #type(): ValueType {
    if (this.#i >= this.#ts.length || this.#ts[this.#i] > this.#maxt) return ValueType.None;
    return this.#hs?.[this.#i] === undefined ? ValueType.Float : ValueType.FloatHistogram;
  }

  atT(): number {
    return this.#ts[this.#i];
  }

  atV(): number {
    return this.#vs[this.#i];
  }

  atHistogram(): never {
    throw new Error('the memory storage holds float histograms only');
  }

  atFloatHistogram(): FloatHistogram {
    const h = this.#hs?.[this.#i];
    if (h === undefined) throw new Error('the current sample is not a histogram');
    return copyFloatHistogram(h);
  }

  err(): Error | undefined {
    return undefined;
  }
}
