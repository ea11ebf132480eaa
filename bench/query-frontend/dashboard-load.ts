// What the dashboard benches of the query-frontend share: loading a dashboard's panels at once, as
// Grafana does, and reading a summed metric of the server.
import { cpuSeconds, type BenchServer } from '../lib/servers.js';
import type { DashboardCall } from '../query/dashboard-calls.js';

/** The panels' answers; every panel asked at once, with `Cache-Control: no-store` when `noStore`. Throws on any non-200. */
export async function loadDashboard(s: BenchServer, calls: readonly DashboardCall[], tenant: string, noStore: boolean, timeoutMs: number): Promise<string[]> {
  return Promise.all(calls.map(async (c) => {
    const res = await fetch(`${s.url}${s.apiPrefix}${c.path}?${new URLSearchParams(c.params)}`, {
      headers: { 'X-Scope-OrgID': tenant, ...(noStore ? { 'Cache-Control': 'no-store' } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${c.name}: ${res.status} ${body.slice(0, 200)}`);
    return body;
  }));
}

/** The sum of a metric's series on the server's /metrics. */
export async function metricSum(s: BenchServer, name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** A dashboard load whose window ends at `end`, with `Cache-Control: no-store` when `noStore`. */
export type LoadFn = (end: number, noStore: boolean) => Promise<string[]>;

/**
 * Cold, then warm: `coldLoads` loads with no-store (each evaluated in full), then Grafana's refresh
 * (one load fills the cache, then `warmLoads` loads whose window ends the wall clock plus `refreshMs`
 * per load later, as if that much time passed between them; the data stops at load time, the window
 * moves on). Prints the server's CPU per load of each, the median wall time of a cold load, and whether the last window's cached answers
 * equal its uncached ones (the exit code is 1 when not).
 */
export async function coldAndWarm(s: BenchServer, load: LoadFn, coldLoads: number, warmLoads: number, refreshMs: number): Promise<{ coldWallMs: number }> {
  let cpu0 = await cpuSeconds(s.pid);
  const walls: number[] = [];
  for (let i = 0; i < coldLoads; i++) {
    const w0 = performance.now();
    await load(Date.now(), true);
    walls.push(performance.now() - w0);
  }
  const coldWallMs = walls.length > 0 ? walls.sort((a, b) => a - b)[Math.floor(walls.length / 2)] : NaN;
  const cold = coldLoads > 0 ? ((await cpuSeconds(s.pid)) - cpu0) / coldLoads : NaN;

  const t0 = Date.now();
  await load(t0, false);
  const hits0 = await metricSum(s, 'myelin_frontend_query_result_cache_hits_total');
  const taken0 = await metricSum(s, 'myelin_query_frontend_queue_duration_seconds_count');
  cpu0 = await cpuSeconds(s.pid);
  const last = t0 + warmLoads * refreshMs;
  for (let i = 1; i <= warmLoads; i++) await load(t0 + i * refreshMs, false);
  const warm = ((await cpuSeconds(s.pid)) - cpu0) / warmLoads;
  const hits = (await metricSum(s, 'myelin_frontend_query_result_cache_hits_total')) - hits0;
  const taken = (await metricSum(s, 'myelin_query_frontend_queue_duration_seconds_count')) - taken0;

  const [cached, fresh] = [await load(last, false), await load(last, true)];
  const equal = cached.every((b, i) => b === fresh[i]);
  console.log(`cold: ${(cold * 1000).toFixed(0)} ms CPU per dashboard load, median wall ${coldWallMs.toFixed(0)} ms (no-store, ${coldLoads} loads)`);
  console.log(`warm: ${(warm * 1000).toFixed(0)} ms CPU per dashboard load (cache, ${warmLoads} refreshes ${refreshMs / 1000} s apart; ${hits} parts from the cache alone, ${(taken / warmLoads).toFixed(1)} querier requests per load)`);
  console.log(`cold / warm: ${(cold / warm).toFixed(1)}×; warm answers equal to uncached ones: ${equal}`);
  if (!equal) process.exitCode = 1;
  return { coldWallMs };
}
