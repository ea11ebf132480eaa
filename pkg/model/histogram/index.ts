export { CounterResetHint, CustomBucketsSchema, MaxSchema, MinSchema, isCustomBucketsSchema, toFloatHistogram } from './histogram.js';
export type { FloatHistogram, Histogram, Span } from './histogram.js';
export { bucketCount, reduceResolution } from './reduce.js';
export { histogramProblem } from './validate.js';
export { histogramsEqual } from './equal.js';
