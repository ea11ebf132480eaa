export {
  CounterResetHint,
  CustomBucketsSchema,
  MaxSchema,
  MinSchema,
  copyFloatHistogram,
  emptyFloatHistogram,
  isCustomBucketsSchema,
  toFloatHistogram,
} from './histogram.js';
export type { FloatHistogram, Histogram, Span } from './histogram.js';
export { bucketCount, reduceResolution } from './reduce.js';
export { histogramProblem } from './validate.js';
export { identicalHistograms } from './equal.js';
export type { Bucket, Indexed } from './buckets.js';
export { allBuckets, bucketBound, indexed, negativeBuckets, positiveBuckets, reduceIndexed, sparse, zeroBucket } from './buckets.js';
export {
  HistogramError,
  add,
  checkCompatible,
  compact,
  detectReset,
  divide,
  equalHistograms,
  reduceFloatResolution,
  sameBounds,
  scale,
  sub,
} from './arithmetic.js';
export { goG, histogramString } from './string.js';
