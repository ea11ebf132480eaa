// GET /distributor/ha_tracker: the elected replica of every tenant's HA cluster.
import { escapeHtml, htmlPage, htmlTable } from '../server/index.js';
import type { HaTracker } from './ha-tracker.js';

export function haTrackerPage(tracker: HaTracker | undefined, now: number): string {
  if (tracker === undefined) return htmlPage('HA tracker', '<p>The HA tracker is disabled (-distributor.ha-tracker.enable=false).</p>');
  const secs = (ms: number) => `${Math.max(0, Math.round(ms / 1000))}s`;
  const rows = tracker.elected().map((e) => [
    escapeHtml(e.tenant), escapeHtml(e.cluster), escapeHtml(e.replica), new Date(e.electedAt).toISOString(), `${secs(now - e.receivedAt)} ago`,
    secs(e.receivedAt + tracker.updateTimeout() - now), secs(e.receivedAt + tracker.failoverTimeout() - now),
  ]);
  return htmlPage('HA tracker', `<p>Current time: ${new Date(now).toISOString()}</p>\n` +
    htmlTable(['User', 'Cluster', 'Replica', 'Elected at', 'Last sample', 'Update in', 'Failover in'], rows), { refreshSeconds: 5 });
}
