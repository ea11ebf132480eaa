export type { EngineOptions, QueryOptions, QueryResult, QueryStats, QueryTimings } from './engine.js';
export { Engine, defaultEngineOptions } from './engine.js';
export { EngineMetrics } from './engine-metrics.js';
export { formatFloat } from './format-float.js';
export { isStaleNaN } from './selection.js';
export type { Matrix, QueryValue, Sample, Scalar, Series, Vector } from './value.js';
export { Annotations, ErrorType, QueryError } from './value.js';
export { MemoryStorage } from './promqltest/memory-storage.js';
export type { ScriptEngine } from './promqltest/runner.js';
