// GET /distributor/all_user_stats (Cortex distributor AllUserStats): series and ingestion rates
// per tenant, summed over the ingesters and divided by the replication factor.
import type { IngesterConn } from '../ingester/client/index.js';
import { Reporting, type ReadRing } from '../ring/index.js';
import type { ClientPool } from '../ring/client/index.js';
import { escapeHtml, htmlPage, htmlTable } from '../server/index.js';

export interface UserStats {
  userId: string;
  numSeries: number;
  ingestionRate: number;
  apiIngestionRate: number;
  ruleIngestionRate: number;
}

export async function allUserStats(ring: ReadRing, pool: ClientPool<IngesterConn>, timeout: number): Promise<UserStats[]> {
  const deadline = Date.now() + timeout;
  const { instances } = ring.getAllHealthy(Reporting);
  const resps = await Promise.all(instances.map((i) => pool.get(i.addr).allUserStats({ deadline })));
  const rf = Math.max(1, Math.min(ring.replicationFactor(), instances.length));
  const by = new Map<string, UserStats>();
  for (const r of resps) {
    for (const s of r.stats) {
      let u = by.get(s.userId);
      if (u === undefined) by.set(s.userId, (u = { userId: s.userId, numSeries: 0, ingestionRate: 0, apiIngestionRate: 0, ruleIngestionRate: 0 }));
      u.numSeries += (s.data?.numSeries ?? 0) / rf;
      u.ingestionRate += (s.data?.ingestionRate ?? 0) / rf;
      u.apiIngestionRate += (s.data?.apiIngestionRate ?? 0) / rf;
      u.ruleIngestionRate += (s.data?.ruleIngestionRate ?? 0) / rf;
    }
  }
  return [...by.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1));
}

/** The page the status index links as "Usage statistics" (Cortex's "Ingester Stats"). */
export function userStatsPage(stats: UserStats[], now: Date): string {
  const rows = stats.map((s) => [escapeHtml(s.userId), String(Math.round(s.numSeries)), s.ingestionRate.toFixed(2), s.apiIngestionRate.toFixed(2), s.ruleIngestionRate.toFixed(2)]);
  return htmlPage('Usage statistics',
    `<p>Current time: ${now.toISOString()}</p>\n<p class="note">Series and rates per tenant, summed over the ingesters and divided by the replication factor.</p>\n` +
      htmlTable(['User', '# Series', 'Total ingest rate', 'API ingest rate', 'Rule ingest rate'], rows), { refreshSeconds: 10 });
}
