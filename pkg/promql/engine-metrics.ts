/** The engine's metrics, named after Prometheus' own prometheus_engine_* ones. */
import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';

export class EngineMetrics {
  readonly queries: Gauge;
  readonly queriesConcurrentMax: Gauge;
  readonly queryDuration: Histogram<'slice'>;
  readonly samples: Counter;
  readonly failures: Counter<'reason'>;

  constructor(reg: Registry | undefined) {
    const registers = reg === undefined ? [] : [reg];
    this.queries = new Gauge({ name: 'myelin_promql_engine_queries', help: 'Queries being evaluated or waiting for a slot.', registers });
    this.queriesConcurrentMax = new Gauge({
      name: 'myelin_promql_engine_queries_concurrent_max',
      help: 'Most queries evaluated at once (-querier.max-concurrent).',
      registers,
    });
    this.queryDuration = new Histogram({
      name: 'myelin_promql_engine_query_duration_seconds',
      help: 'Query time by phase: queue_time (waiting for a slot), prepare_time (loading series), inner_eval (evaluation).',
      labelNames: ['slice'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120],
      registers,
    });
    this.samples = new Counter({
      name: 'myelin_promql_engine_query_samples_total',
      help: 'Samples loaded from storage by queries.',
      registers,
    });
    this.failures = new Counter({
      name: 'myelin_promql_engine_query_failures_total',
      help: 'Queries that failed, by error type (bad_data, execution, timeout, canceled, internal).',
      labelNames: ['reason'],
      registers,
    });
  }
}
