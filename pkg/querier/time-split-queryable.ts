// Recent data from the ingesters, older data from the blocks storage, merged into one answer
// (Cortex querier.New's time split): ingesters are asked for [max(mint, now − query_ingesters_within),
// maxt] and the store for [mint, min(maxt, now − query_store_after)]. The two overlap by design
// (13h vs 12h by default) so that a block being shipped is never missed; the merge keeps one
// sample per timestamp, so the overlap comes back once.
import type { Matcher } from '../model/labels/index.js';
import { mergeLabelLists, mergeSeriesSets, type LabelHints, type Querier, type Queryable, type SelectHints, type SeriesSet } from '../storage/index.js';

export interface TimeSplitOptions {
  /** 0: always ask the ingesters. */
  queryIngestersWithin: number;
  /** 0: always ask the store. */
  queryStoreAfter: number;
  now?: () => number;
}

interface Part {
  q: Querier;
  mint: number;
  maxt: number;
}

export function timeSplitQueryable(ingesters: Queryable, store: Queryable, o: TimeSplitOptions): Queryable {
  return {
    async querier(mint, maxt) {
      const now = (o.now ?? Date.now)();
      const parts: Part[] = [];
      const ingMint = o.queryIngestersWithin > 0 ? Math.max(mint, now - o.queryIngestersWithin) : mint;
      const storeMaxt = o.queryStoreAfter > 0 ? Math.min(maxt, now - o.queryStoreAfter) : maxt;
      if (ingMint <= maxt) parts.push({ q: await ingesters.querier(ingMint, maxt), mint: ingMint, maxt });
      if (mint <= storeMaxt) parts.push({ q: await store.querier(mint, storeMaxt), mint, maxt: storeMaxt });
      return new TimeSplitQuerier(parts);
    },
  };
}

class TimeSplitQuerier implements Querier {
  readonly #parts: Part[];

  constructor(parts: Part[]) {
    this.#parts = parts;
  }

  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    const sets = this.#parts.map((p) =>
      p.q.select({ ...hints, start: Math.max(hints.start, p.mint), end: Math.min(hints.end, p.maxt), sortSeries: true }, ...matchers),
    );
    return sets.length === 1 ? sets[0] : mergeSeriesSets(sets);
  }

  async labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    return mergeLabelLists(await Promise.all(this.#parts.map((p) => p.q.labelNames(hints, ...matchers))), hints.limit);
  }

  async labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    return mergeLabelLists(await Promise.all(this.#parts.map((p) => p.q.labelValues(name, hints, ...matchers))), hints.limit);
  }

  async close(): Promise<void> {
    await Promise.all(this.#parts.map((p) => p.q.close()));
  }
}

