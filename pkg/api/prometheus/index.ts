export type { MetricMetadata, PrometheusApiOptions } from './plugin.js';
export { prometheusApi } from './plugin.js';
export { encodeValue } from './encode.js';
export { parseDuration, parseTime } from './params.js';
