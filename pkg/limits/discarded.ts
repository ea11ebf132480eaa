import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * `myelin_discarded_samples_total{reason,user}` (Cortex's validation.DiscardedSamples): one counter
 * per registry, shared by the distributor (validation, rate limits) and the ingester (series limits,
 * out-of-order samples) when both run in one process.
 */
export function discardedSamplesCounter(reg: Registry): Counter<'reason' | 'user'> {
  const name = 'myelin_discarded_samples_total';
  const existing = reg.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<'reason' | 'user'>;
  return new Counter({ name, help: 'The total number of samples that were discarded, by reason and tenant.', labelNames: ['reason', 'user'], registers: [reg] });
}
