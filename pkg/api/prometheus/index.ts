export type { ApiExecutor, PrometheusApiOptions } from './plugin.js';
export { prometheusApi } from './plugin.js';
export { ApiOp, errorOf, executeApi } from './execute.js';
export type { ApiAnswer, ApiBackend, ApiRequest, MetricMetadata, SeriesExemplars, TextAnswer } from './execute.js';
export { encodeData, formatTimestamp, goJson } from './encode.js';
export { parseDuration, parseTime } from './params.js';
export { CardinalityError, CardinalityOp, CardinalityRejectReason } from './cardinality.js';
export type { CardinalitySource, CountMethod, TsdbStatus } from './cardinality.js';
