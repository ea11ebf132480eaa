export type { Postings } from './postings.js';
export { EmptyPostings, insertPosting, intersectPostings, mergePostings, seekIndex, subtractPostings } from './postings.js';
