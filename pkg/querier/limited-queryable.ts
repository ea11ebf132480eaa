// The time-range limits of one tenant's reads, as Cortex's querier applies them
// (validateQueryTimeRange): max_query_lookback cuts the start of every read (it never fails one),
// and max_query_length refuses a selector whose data range (lookback and range included) is longer.
import { queryLengthError, type QueryLimits } from '../limits/index.js';
import type { Matcher } from '../model/labels/index.js';
import { lazySeriesSet, seriesSetOf, type Querier, type Queryable, type SelectHints, type SeriesSet } from '../storage/index.js';
import { SelectWrappingQuerier } from './select-wrapping-querier.js';

export function limitedQueryable(inner: Queryable, limits: QueryLimits, now: () => number = Date.now): Queryable {
  if (limits.maxQueryLookback === 0 && limits.maxQueryLength === 0) return inner;
  return {
    async querier(mint, maxt) {
      const from = lookbackStart(mint, limits, now());
      return from > maxt ? emptyQuerier : new LimitedQuerier(await inner.querier(from, maxt), limits, now);
    },
  };
}

function lookbackStart(mint: number, limits: QueryLimits, now: number): number {
  return limits.maxQueryLookback > 0 ? Math.max(mint, now - limits.maxQueryLookback) : mint;
}

class LimitedQuerier extends SelectWrappingQuerier {
  readonly #limits: QueryLimits;
  readonly #now: () => number;

  constructor(inner: Querier, limits: QueryLimits, now: () => number) {
    super(inner);
    this.#limits = limits;
    this.#now = now;
  }

  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    const start = lookbackStart(hints.start, this.#limits, this.#now());
    if (start > hints.end) return seriesSetOf([]);
    const max = this.#limits.maxQueryLength;
    // The series API reads labels only: the length limit is for the data of queries (as Cortex).
    if (max > 0 && hints.func !== 'series' && hints.end - start > max) {
      const err = queryLengthError(hints.end - start, max);
      return lazySeriesSet(() => Promise.reject(err));
    }
    return this.inner.select({ ...hints, start }, ...matchers);
  }
}

const emptyQuerier: Querier = {
  select: () => seriesSetOf([]),
  labelNames: async () => [],
  labelValues: async () => [],
  close: async () => {},
};
