// Series deletion at read time: the tenant's pending and processed delete requests (pkg/purger)
// hide the samples they cover from everything the querier reads, ingesters and store-gateways
// alike, from the first query after the request was written. A series left without samples in the
// query's range is left out. The exemplars of the deleted ranges are hidden the same way.
import type { Labels, Matcher } from '../model/labels/index.js';
import type { ActiveDeletion } from '../purger/index.js';
import type { Querier, Queryable, SampleIterator, SelectHints, Series, SeriesSet } from '../storage/index.js';
import { ValueType } from '../storage/index.js';
import { isDeleted, mergeIntervals } from '../tsdb/block/index.js';
import { SelectWrappingQuerier } from './select-wrapping-querier.js';

/** `inner` without what `deletions` (read when each querier opens) cover. */
export function deletedSeriesQueryable(inner: Queryable, deletions: () => Promise<ActiveDeletion[]>): Queryable {
  return {
    async querier(mint: number, maxt: number): Promise<Querier> {
      const q = await inner.querier(mint, maxt);
      const relevant = (await deletions()).filter((d) => d.endTime >= mint && d.startTime <= maxt);
      return relevant.length === 0 ? q : new DeletingQuerier(q, relevant);
    },
  };
}

/** One series' exemplars, as query_exemplars answers them. */
interface SeriesExemplars<E extends { ts: number }> {
  seriesLabels: Labels;
  exemplars: E[];
}

/**
 * `entries` without the exemplars that the delete requests of their tenant cover; a series left
 * with none goes. `tenantOf` names an entry's tenant and the labels its tenant's requests match
 * (without a federated query's tenant label).
 */
export async function withoutDeletedExemplars<E extends { ts: number }, S extends SeriesExemplars<E>>(entries: readonly S[],
  tenantOf: (seriesLabels: Labels) => { tenant: string; labels: Labels }, deletions: (tenant: string) => Promise<ActiveDeletion[]>): Promise<S[]> {
  const byTenant = new Map<string, Promise<ActiveDeletion[]>>();
  const out: S[] = [];
  for (const entry of entries) {
    const { tenant, labels } = tenantOf(entry.seriesLabels);
    let ds = byTenant.get(tenant);
    if (ds === undefined) byTenant.set(tenant, (ds = deletions(tenant)));
    const intervals = intervalsOf(await ds, labels);
    const exemplars = intervals.length === 0 ? entry.exemplars : entry.exemplars.filter((e) => !isDeleted(intervals, e.ts));
    if (exemplars.length > 0) out.push({ ...entry, exemplars });
  }
  return out;
}

const matchesAll = (ms: readonly Matcher[], ls: Labels): boolean => ms.every((m) => m.matches(ls.get(m.name)));

/** Deleted intervals of a series (sorted, merged, inclusive pairs); empty when none applies. */
function intervalsOf(deletions: readonly ActiveDeletion[], ls: Labels): number[] {
  const flat: number[] = [];
  for (const d of deletions) if (d.matcherSets.some((ms) => matchesAll(ms, ls))) flat.push(d.startTime, d.endTime);
  return flat.length === 0 ? flat : mergeIntervals(flat);
}

class DeletingQuerier extends SelectWrappingQuerier {
  readonly #deletions: readonly ActiveDeletion[];

  constructor(inner: Querier, deletions: readonly ActiveDeletion[]) {
    super(inner);
    this.#deletions = deletions;
  }

  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    // Whether a series keeps samples outside the deleted ranges is known from its samples only: a
    // labels-only read (the series API's) reads them here.
    const inner = hints.func === 'series' ? { ...hints, func: '' } : hints;
    return new DeletingSeriesSet(this.inner.select(inner, ...matchers), this.#deletions);
  }
}

class DeletingSeriesSet implements SeriesSet {
  readonly #inner: SeriesSet;
  readonly #deletions: readonly ActiveDeletion[];
  #cur: Series | undefined = undefined;

  constructor(inner: SeriesSet, deletions: readonly ActiveDeletion[]) {
    this.#inner = inner;
    this.#deletions = deletions;
  }

  async next(): Promise<boolean> {
    while (await this.#inner.next()) {
      const s = this.#inner.at();
      const intervals = intervalsOf(this.#deletions, s.labels);
      if (intervals.length === 0) {
        this.#cur = s;
        return true;
      }
      const kept = new DeletedSamplesSeries(s, intervals);
      if (kept.iterator().next() !== ValueType.None) {
        this.#cur = kept;
        return true;
      }
    }
    return false;
  }

  at(): Series {
    if (this.#cur === undefined) throw new Error('BUG: at() called without a successful next()');
    return this.#cur;
  }

  err(): Error | undefined {
    return this.#inner.err();
  }

  warnings(): readonly string[] {
    return this.#inner.warnings();
  }
}

class DeletedSamplesSeries implements Series {
  readonly labels: Labels;
  readonly #inner: Series;
  readonly #intervals: readonly number[];

  constructor(inner: Series, intervals: readonly number[]) {
    this.labels = inner.labels;
    this.#inner = inner;
    this.#intervals = intervals;
  }

  iterator(): SampleIterator {
    return new SkippingIterator(this.#inner.iterator(), this.#intervals);
  }
}

/** The samples of `inner` outside `intervals`. */
class SkippingIterator implements SampleIterator {
  readonly #inner: SampleIterator;
  readonly #intervals: readonly number[];

  constructor(inner: SampleIterator, intervals: readonly number[]) {
    this.#inner = inner;
    this.#intervals = intervals;
  }

  #skip(vt: ValueType): ValueType {
    while (vt !== ValueType.None && isDeleted(this.#intervals, this.#inner.atT())) vt = this.#inner.next();
    return vt;
  }

  next(): ValueType {
    return this.#skip(this.#inner.next());
  }

  seek(t: number): ValueType {
    return this.#skip(this.#inner.seek(t));
  }

  atT(): number {
    return this.#inner.atT();
  }

  atV(): number {
    return this.#inner.atV();
  }

  atHistogram() {
    return this.#inner.atHistogram();
  }

  atFloatHistogram() {
    return this.#inner.atFloatHistogram();
  }

  err(): Error | undefined {
    return this.#inner.err();
  }
}
