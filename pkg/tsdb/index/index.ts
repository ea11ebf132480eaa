export type { Postings } from './postings.js';
export { EmptyPostings, insertPosting, intersectPostings, mergePostings, seekIndex, subtractPostings } from './postings.js';
export { MemPostings } from './mem-postings.js';
export type { PostingsIndex } from './postings-for-matchers.js';
export { postingsForMatchers } from './postings-for-matchers.js';
