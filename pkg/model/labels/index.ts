export { Labels, LabelsBuilder, MetricName, compareStrings, quoteLabelValue } from './labels.js';
export { Matcher, MatchType } from './matcher.js';
export type { RE2 } from './re2.js';
export { RegexpSyntaxError, compileRE2 } from './re2.js';
export { labelsHash, labelsHashHiLo } from './hash.js';
export { Interner } from './interner.js';
export {
  compareUtf8,
  isValidLabelName,
  isValidMetricName,
  isValidUtf8Bytes,
  isValidUtf8String,
} from './validate.js';
