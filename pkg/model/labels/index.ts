export { Labels, LabelsBuilder, MetricName, compareStrings, quoteLabelValue } from './labels.js';
export { Matcher, MatchType } from './matcher.js';
