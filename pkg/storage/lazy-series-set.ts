import type { Series, SeriesSet } from './interface.js';

/**
 * A SeriesSet that `open` produces on the first next() (lazy, as the Querier contract asks); a
 * rejection ends iteration and becomes err().
 */
export function lazySeriesSet(open: () => Promise<SeriesSet>): SeriesSet {
  let inner: SeriesSet | undefined;
  let failure: Error | undefined;
  return {
    async next() {
      if (failure !== undefined) return false;
      if (inner === undefined) {
        try {
          inner = await open();
        } catch (e) {
          failure = e instanceof Error ? e : new Error(String(e));
          return false;
        }
      }
      return inner.next();
    },
    at: () => {
      if (inner === undefined) throw new Error('BUG: at() before next()');
      return inner.at();
    },
    err: () => failure ?? inner?.err(),
    warnings: () => inner?.warnings() ?? [],
  };
}

/** A SeriesSet over series already in memory, in the order given. */
export function seriesSetOf(series: readonly Series[]): SeriesSet {
  let i = -1;
  return {
    next: async () => ++i < series.length,
    at: () => series[i],
    err: () => undefined,
    warnings: () => [],
  };
}
