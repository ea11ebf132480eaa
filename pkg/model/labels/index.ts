export { Labels, LabelsBuilder, MetricName, compareStrings, quoteLabelValue } from './labels.js';
export { Matcher, MatchType } from './matcher.js';
export type { RE2 } from './re2.js';
export { RegexpSyntaxError, compileRE2 } from './re2.js';
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
export type { QueryShard } from './query-shard.js';
export {
  QueryShardError,
  QueryShardLabel,
  formatQueryShard,
  inQueryShard,
  maxQueryShards,
  parseQueryShard,
  queryShardHash,
  splitQueryShard,
} from './query-shard.js';
