export { ALL_POSTINGS_NAME, ALL_POSTINGS_VALUE } from './format.js';
export { IndexReader, type IndexSeries } from './index-reader.js';
export { IndexWriter, type ChunkMetaTriplets } from './index-writer.js';
export type { Postings } from './postings.js';
export { EmptyPostings, insertPosting, intersectPostings, mergePostings, seekIndex, subtractPostings } from './postings.js';
export { type TOC } from './toc.js';
