// GET /distributor/all_user_stats (Cortex distributor AllUserStats) and GET /api/v1/user_stats
// (UserStats, the requesting tenant's): series and ingestion rates summed over the ingesters and
// divided by the replication factor.
import type { IngesterConn } from '../ingester/client/index.js';
import { Reporting, type ReadRing } from '../ring/index.js';
import type { ClientPool } from '../ring/client/index.js';
import type { UserStats } from '../server/index.js';

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

/** One tenant's figures, Cortex's JSON names (`GET /api/v1/user_stats`). */
export interface TenantUserStats {
  ingestionRate: number;
  numSeries: number;
  APIIngestionRate: number;
  RuleIngestionRate: number;
}

export async function userStats(ring: ReadRing, pool: ClientPool<IngesterConn>, tenant: string, timeout: number): Promise<TenantUserStats> {
  const deadline = Date.now() + timeout;
  const { instances } = ring.getAllHealthy(Reporting);
  const resps = await Promise.all(instances.map((i) => pool.get(i.addr).userStats(tenant, { deadline })));
  const rf = Math.max(1, Math.min(ring.replicationFactor(), instances.length));
  const out: TenantUserStats = { ingestionRate: 0, numSeries: 0, APIIngestionRate: 0, RuleIngestionRate: 0 };
  for (const r of resps) {
    out.ingestionRate += r.ingestionRate / rf;
    out.numSeries += r.numSeries / rf;
    out.APIIngestionRate += r.apiIngestionRate / rf;
    out.RuleIngestionRate += r.ruleIngestionRate / rf;
  }
  out.numSeries = Math.round(out.numSeries);
  return out;
}
