import type { Series, SeriesSet } from './interface.js';

/**
 * A SeriesSet over series that `load` computes on the first next() (lazy, as the Querier contract
 * asks); a rejection ends iteration and becomes err().
 */
export function lazySeriesSet(load: () => Promise<Series[]>): SeriesSet {
  let items: Series[] | undefined;
  let i = -1;
  let err: Error | undefined;
  return {
    async next() {
      if (err !== undefined) return false;
      if (items === undefined) {
        try {
          items = await load();
        } catch (e) {
          err = e instanceof Error ? e : new Error(String(e));
          return false;
        }
      }
      return ++i < items.length;
    },
    at: () => (items as Series[])[i],
    err: () => err,
    warnings: () => [],
  };
}
