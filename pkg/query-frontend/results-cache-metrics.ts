import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** What a results cache lookup was for: Mimir's `request_type` label values. */
export type CachedRequestType = 'query_range' | 'label_names_and_values';

/** The results caches' lookups and hits, with Mimir's names (`cortex_` → `myelin_`) and `request_type` label. */
export class ResultsCacheMetrics {
  readonly requests: Counter<'request_type'>;
  readonly hits: Counter<'request_type'>;

  constructor(registry: Registry) {
    this.requests = new Counter({ name: 'myelin_frontend_query_result_cache_requests_total', help: 'Lookups in the results cache: parts of range queries, label names, label values and series requests.', labelNames: ['request_type'], registers: [registry] });
    this.hits = new Counter({ name: 'myelin_frontend_query_result_cache_hits_total', help: 'Lookups answered from the results cache alone.', labelNames: ['request_type'], registers: [registry] });
  }
}
