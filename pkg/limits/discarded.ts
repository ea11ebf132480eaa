import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * `myelin_discarded_samples_total{reason,user}` (Cortex's validation.DiscardedSamples): one counter
 * per registry, shared by the distributor (validation, rate limits) and the ingester (series limits,
 * out-of-order samples) when both run in one process.
 */
export function discardedSamplesCounter(reg: Registry): Counter<'reason' | 'user'> {
  return sharedCounter(reg, 'myelin_discarded_samples_total', 'The total number of samples that were discarded, by reason and tenant.');
}

/**
 * `myelin_discarded_exemplars_total{reason,user}`: exemplars the distributor refused (validation,
 * rate limits) or the ingester did not store (out of order, no series, exemplars off for the tenant).
 */
export function discardedExemplarsCounter(reg: Registry): Counter<'reason' | 'user'> {
  return sharedCounter(reg, 'myelin_discarded_exemplars_total', 'The total number of exemplars that were discarded, by reason and tenant.');
}

function sharedCounter(reg: Registry, name: string, help: string): Counter<'reason' | 'user'> {
  const existing = reg.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<'reason' | 'user'>;
  return new Counter({ name, help, labelNames: ['reason', 'user'], registers: [reg] });
}
