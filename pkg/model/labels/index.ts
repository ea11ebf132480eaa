export { Labels, LabelsBuilder, MetricName, compareStrings, quoteLabelValue } from './labels.js';
export { Matcher, MatchType } from './matcher.js';
export { compareUtf8 } from './utf8-compare.js';
