export { AppendError, AppendErrorCode } from './errors.js';
export { WalWriteError } from './wal/index.js';
export { DefaultHeadOptions, Head } from './head.js';
export type { HeadDeps, HeadOptions, SeriesCreateHook } from './head.js';
export { HeadAppender } from './head-append.js';
export { ChunksSampleIterator, HeadChunkQuerier, HeadQuerier } from './head-read.js';
export { CircularExemplarStorage, ExemplarMaxLabelSetLength } from './exemplars.js';
export type { Exemplar, SeriesExemplars } from './exemplars.js';
export { missingSeriesError } from './head-exemplars.js';
