export { ALL_POSTINGS_NAME, ALL_POSTINGS_VALUE } from './format.js';
export { IndexReader, type IndexSeries } from './index-reader.js';
export { IndexWriter, type ChunkMetaTriplets } from './index-writer.js';
export type { Postings } from './postings.js';
export { EmptyPostings, insertPosting, intersectPostings, mergePostings, seekIndex, subtractPostings } from './postings.js';
export { MemPostings } from './mem-postings.js';
export type { PostingsIndex } from './postings-for-matchers.js';
export { postingsForMatchers } from './postings-for-matchers.js';
export { type TOC } from './toc.js';
