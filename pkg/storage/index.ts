export type {
  Appendable,
  Appender,
  ChunkIterator,
  ChunkMeta,
  ChunkQuerier,
  ChunkQueryable,
  ChunkSeries,
  ChunkSeriesSet,
  LabelHints,
  Querier,
  Queryable,
  SampleIterator,
  SelectHints,
  Series,
  SeriesRef,
  SeriesSet,
} from './interface.js';
export { ValueType, notAHistogram } from './interface.js';
export { ChainSampleIterator, mergeChunkSeriesSets, mergeSeriesSets } from './merge.js';
export { lazySeriesSet, seriesSetOf } from './lazy-series-set.js';
export { limitLabels, mergeLabelLists } from './label-lists.js';
export { mergeChunkQueriers, mergeQueriers } from './merge-querier.js';
