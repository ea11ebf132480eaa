// Restores the for-state of an alerting rule's active alerts after a restart, as Prometheus'
// RestoreForState does: the last ALERTS_FOR_STATE sample of each alert (within the outage
// tolerance) says since when it was active; the time it was down is added, and an alert whose
// remaining `for` is shorter than the grace period waits at least the grace period again.
import { formatDuration } from '../promql/parser/index.js';
import { labelsKey, sortLabels, type AlertingRule } from './alerting-rule.js';
import type { RangeSelect } from './rule-query.js';

export interface RestoreOptions {
  select: RangeSelect;
  /** ms */
  forGracePeriod: number;
  outageTolerance: number;
}

export async function restoreForState(rule: AlertingRule, tenant: string, ts: number, opts: RestoreOptions): Promise<void> {
  const hold = rule.desc.for;
  if (hold < opts.forGracePeriod || rule.active.size === 0) return;
  const selector = `ALERTS_FOR_STATE{alertname=${JSON.stringify(rule.name)}}[${formatDuration(opts.outageTolerance)}]`;
  const last = new Map<string, [number, number]>();
  for (const s of await opts.select(tenant, selector, ts)) {
    const { __name__: _, ...labels } = s.labels;
    const p = s.points[s.points.length - 1];
    if (p !== undefined) last.set(labelsKey(sortLabels(labels)), p);
  }
  for (const [key, a] of rule.active) {
    const p = last.get(key);
    if (p === undefined) continue;
    const downAt = Math.floor(p[0] / 1000) * 1000;
    let activeAt = Math.trunc(p[1]) * 1000;
    const remaining = hold - (downAt - activeAt);
    if (remaining <= 0) {
      // It was firing when the ruler went down: the next evaluation fires it again if still active.
    } else if (remaining < opts.forGracePeriod) {
      activeAt = ts + opts.forGracePeriod - hold;
    } else {
      activeAt += ts - downAt;
    }
    a.activeAt = activeAt;
  }
}
