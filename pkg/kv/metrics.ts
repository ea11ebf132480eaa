// KV metrics. Several rings in one process share a Registry, so each metric is created once per
// Registry and then looked up by name; the `kv_name` label tells the rings apart (Cortex wraps
// the registerer with the same label).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Labels<L extends string> = { name: string; help: string; labelNames: readonly L[] };

export function sharedCounter<L extends string>(reg: Registry, cfg: Labels<L>): Counter<L> {
  const existing = reg.getSingleMetric(cfg.name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ ...cfg, registers: [reg] });
}

export function sharedGauge<L extends string>(reg: Registry, cfg: Labels<L>): Gauge<L> {
  const existing = reg.getSingleMetric(cfg.name);
  if (existing instanceof Gauge) return existing as Gauge<L>;
  return new Gauge({ ...cfg, registers: [reg] });
}

export function sharedHistogram<L extends string>(reg: Registry, cfg: Labels<L> & { buckets: number[] }): Histogram<L> {
  const existing = reg.getSingleMetric(cfg.name);
  if (existing instanceof Histogram) return existing as Histogram<L>;
  return new Histogram({ ...cfg, registers: [reg] });
}

export function kvRequestDuration(reg: Registry): Histogram<'operation' | 'status' | 'kv_name' | 'store'> {
  return sharedHistogram(reg, {
    name: 'myelin_kv_request_duration_seconds',
    help: 'Time spent on KV store requests, by operation and status (success or error).',
    labelNames: ['operation', 'status', 'kv_name', 'store'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
}

export function kvWatchRestarts(reg: Registry): Counter<'kv_name' | 'store'> {
  return sharedCounter(reg, {
    name: 'myelin_kv_watch_restarts_total',
    help: 'Times a KV watch lost its stream and resumed, or re-listed its keys.',
    labelNames: ['kv_name', 'store'],
  });
}
