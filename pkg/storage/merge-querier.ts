import type { Matcher } from '../model/labels/index.js';
import type { ChunkQuerier, ChunkSeries, ChunkSeriesSet, LabelHints, Querier, SelectHints, SeriesSet } from './interface.js';
import { mergeLabelLists } from './label-lists.js';
import { mergeChunkSeriesSets, mergeSeriesSets } from './merge.js';

interface LabelSource {
  labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]>;
  labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Label lookups and close over several queriers of one range (Prometheus' merge querier). */
abstract class MergedLabels<Q extends LabelSource> {
  protected readonly parts: readonly Q[];

  constructor(parts: readonly Q[]) {
    this.parts = parts;
  }

  async labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    return mergeLabelLists(await Promise.all(this.parts.map((q) => q.labelNames(hints, ...matchers))), hints.limit);
  }

  async labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    return mergeLabelLists(await Promise.all(this.parts.map((q) => q.labelValues(name, hints, ...matchers))), hints.limit);
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((q) => q.close()));
  }
}

class MergedQuerier extends MergedLabels<Querier> implements Querier {
  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    return mergeSeriesSets(this.parts.map((q) => q.select({ ...hints, sortSeries: true }, ...matchers)));
  }
}

class MergedChunkQuerier extends MergedLabels<ChunkQuerier> implements ChunkQuerier {
  readonly #combine: (group: ChunkSeries[]) => ChunkSeries;

  constructor(parts: readonly ChunkQuerier[], combine: (group: ChunkSeries[]) => ChunkSeries) {
    super(parts);
    this.#combine = combine;
  }

  select(hints: SelectHints, ...matchers: Matcher[]): ChunkSeriesSet {
    return mergeChunkSeriesSets(this.parts.map((q) => q.select({ ...hints, sortSeries: true }, ...matchers)), this.#combine);
  }
}

/** Queriers over the same range as one; series present in several are chained sample-wise. */
export function mergeQueriers(parts: readonly Querier[]): Querier {
  return parts.length === 1 ? parts[0] : new MergedQuerier(parts);
}

/** Chunk queriers as one; series present in several are combined by `combine` (it knows encodings). */
export function mergeChunkQueriers(parts: readonly ChunkQuerier[], combine: (group: ChunkSeries[]) => ChunkSeries): ChunkQuerier {
  return parts.length === 1 ? parts[0] : new MergedChunkQuerier(parts, combine);
}
