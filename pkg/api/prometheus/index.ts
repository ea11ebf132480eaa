export type { MetricMetadata, PrometheusApiOptions } from './plugin.js';
export { prometheusApi } from './plugin.js';
export { encodeData, formatTimestamp, goJson } from './encode.js';
export { parseDuration, parseTime } from './params.js';
