import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Why a block was marked for deletion (label `reason`, Cortex's values). */
export const MarkReason = { Compaction: 'compaction', Retention: 'retention', SeriesDeletion: 'series-deletion' } as const;
export type MarkReason = (typeof MarkReason)[keyof typeof MarkReason];

/** Counts blocks marked for deletion; shared by the compactor and the cleaner. */
export function markedCounter(registry: Registry): Counter<'reason'> {
  const name = 'myelin_compactor_blocks_marked_for_deletion_total';
  const have = registry.getSingleMetric(name);
  if (have !== undefined) return have as Counter<'reason'>;
  const c = new Counter({ name, help: 'Blocks marked for deletion by the compactor, by reason.', labelNames: ['reason'], registers: [registry] });
  for (const r of Object.values(MarkReason)) c.labels(r);
  return c;
}

/**
 * The four run metrics Cortex has for the compactor (`…_runs_*`) and for the cleaner
 * (`…_block_cleanup_*`).
 */
export function runMetrics(registry: Registry, prefix: string, lastSuccessName: string, what: string) {
  return {
    started: new Counter({ name: `${prefix}_started_total`, help: `${what} runs started.`, registers: [registry] }),
    completed: new Counter({ name: `${prefix}_completed_total`, help: `${what} runs completed for every tenant.`, registers: [registry] }),
    failed: new Counter({ name: `${prefix}_failed_total`, help: `${what} runs in which at least one tenant failed.`, registers: [registry] }),
    lastSuccess: new Gauge({ name: lastSuccessName, help: `Unix time of the last ${what.toLowerCase()} run completed for every tenant.`, registers: [registry] }),
  };
}

export function compactionMetrics(registry: Registry) {
  return {
    compactions: new Counter({ name: 'myelin_compactor_group_compactions_total', help: 'Groups of blocks compacted into a new block and uploaded.', registers: [registry] }),
    failures: new Counter({ name: 'myelin_compactor_group_compactions_failures_total', help: 'Group compactions that failed (the group is tried again on the next run).', registers: [registry] }),
    duration: new Histogram({
      name: 'myelin_compactor_group_compaction_duration_seconds',
      help: 'Time to download, compact, verify and upload a group and mark its sources.',
      buckets: [1, 5, 15, 60, 300, 900, 3600],
      registers: [registry],
    }),
  };
}
