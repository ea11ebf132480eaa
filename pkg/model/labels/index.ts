export { Labels, LabelsBuilder, MetricName, compareStrings, quoteLabelValue } from './labels.js';
export { Matcher, MatchType } from './matcher.js';
export { RegexpSyntaxError, translateRE2 } from './re2.js';
export { labelsHash, labelsHashHiLo } from './hash.js';
export { Interner } from './interner.js';
export { hashLabelBytes, hashLabelPairs, pairsEqualBytes, stringEqualsUtf8, utf16Length } from './label-bytes.js';
export {
  compareUtf8,
  isValidLabelName,
  isValidLabelNameBytes,
  isValidMetricName,
  isValidMetricNameBytes,
  isValidUtf8Bytes,
  isValidUtf8String,
} from './validate.js';
