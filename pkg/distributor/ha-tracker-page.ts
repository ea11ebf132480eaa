// GET /distributor/ha_tracker: the elected replica of every tenant's HA cluster.
import { escapeHtml, htmlPage } from '../server/index.js';
import type { HaTracker } from './ha-tracker.js';

export function haTrackerPage(tracker: HaTracker | undefined, now: number): string {
  if (tracker === undefined) return htmlPage('HA tracker', '<p>The HA tracker is disabled (-distributor.ha-tracker.enable=false).</p>');
  const secs = (ms: number) => `${Math.max(0, Math.round(ms / 1000))}s`;
  const rows = tracker
    .elected()
    .map(
      (e) =>
        `<tr><td>${escapeHtml(e.tenant)}</td><td>${escapeHtml(e.cluster)}</td><td>${escapeHtml(e.replica)}</td>` +
        `<td>${new Date(e.electedAt).toISOString()}</td><td>${secs(now - e.receivedAt)} ago</td>` +
        `<td>${secs(e.receivedAt + tracker.updateTimeout() - now)}</td><td>${secs(e.receivedAt + tracker.failoverTimeout() - now)}</td></tr>`,
    )
    .join('\n');
  return htmlPage(
    'HA tracker',
    `<p>Current time: ${new Date(now).toISOString()}</p>\n` +
      `<table border="1"><thead><tr><th>User</th><th>Cluster</th><th>Replica</th><th>Elected at</th><th>Last sample</th><th>Update in</th><th>Failover in</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>`,
  );
}
