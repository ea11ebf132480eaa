// The query-frontend's results cache on a reloading dashboard: a single-process Myelin (the binary,
// -target=all, frontend in front of the query workers) with node-exporter data loaded by remote
// write, and the range panels of a Grafana node-exporter dashboard (bench/query/dashboard-calls.ts)
// over the last BENCH_SPAN_MINUTES, step 15 s, split by BENCH_SPLIT (standing in for 24 h days on
// a multi-day dashboard). It prints Myelin's CPU (utime + stime from /proc) per dashboard load:
//   cold  every panel with `Cache-Control: no-store` (split, not cached: what every load costs without the cache)
//   warm  Grafana's refresh: the window ends at the wall clock on every load, 30 s apart in data
//         time, so each load asks the queriers only for what the cache does not hold (the window's
//         newest minute, -frontend.max-cache-freshness, and the part that moved)
// and checks that every warm answer equals a no-store answer of the same window. All panels are
// asked at once, as Grafana does: -querier.max-outstanding-requests-per-tenant is raised to hold their parts.
//
//   npx tsc -b && node dist/bench/query-frontend/dashboard.bench.js          20 hosts × 2 h at 15 s
//   BENCH_SMOKE=1 node dist/bench/query-frontend/dashboard.bench.js          2 hosts × 20 min
//
// Env: BENCH_HOSTS (20), BENCH_SPAN_MINUTES (120), BENCH_SPLIT (10m), BENCH_LOADS (dashboard loads
// per phase, 10), BENCH_PIN_CPU, BENCH_SMOKE=1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRequests, sendLoad, type LoadOptions } from '../ingest/load-gen.js';
import { nodeExporterSeries, SERIES_PER_HOST } from '../ingest/node-exporter-series.js';
import { cpuSeconds, startMyelin, type BenchServer } from '../lib/servers.js';
import { dashboardCalls } from '../query/dashboard-calls.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const HOSTS = env('BENCH_HOSTS', 20, 2);
const SPAN = env('BENCH_SPAN_MINUTES', 120, 20) * 60_000;
const LOADS = env('BENCH_LOADS', 10, 2);
const SPLIT = process.env.BENCH_SPLIT ?? '10m';
const STEP = 15_000;
const TENANT = 'tenant-0';
const REFRESH = 30_000;

const sets = nodeExporterSeries(HOSTS * SERIES_PER_HOST);
const rounds = Math.floor(SPAN / STEP);
const dataEnd = Math.floor(Date.now() / STEP) * STEP;
const host = sets[0].find(([n]) => n === 'instance')?.[1] ?? '';
const load: LoadOptions = { series: sets.length, samples: rounds, batch: 2_000, concurrency: 4, tenants: 1, maxSeconds: 3_600, retries: 3 };

/** The range panels of the dashboard for a window ending at `end`. */
function panels(end: number) {
  return dashboardCalls({ end, range: SPAN - 10 * 60_000, step: STEP, host }).filter((c) => c.class === 'range');
}

async function loadDashboard(s: BenchServer, end: number, noStore: boolean): Promise<string[]> {
  return Promise.all(panels(end).map(async (c) => {
    const res = await fetch(`${s.url}${s.apiPrefix}${c.path}?${new URLSearchParams(c.params)}`, {
      headers: { 'X-Scope-OrgID': TENANT, ...(noStore ? { 'Cache-Control': 'no-store' } : {}) },
      signal: AbortSignal.timeout(120_000),
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${c.name}: ${res.status} ${body.slice(0, 200)}`);
    return body;
  }));
}

async function metric(s: BenchServer, name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-bench-frontend-'));
  let s: (BenchServer & { httpPort: number }) | undefined;
  try {
    s = await startMyelin({ dir, flags: ['-querier.max-outstanding-requests-per-tenant=1000', '-querier.cache-results=true', `-querier.split-queries-by-interval=${SPLIT}`, '-querier.align-querier-with-step=true'] });
    const reqs = buildRequests(load, { start: dataEnd - rounds * STEP, sets });
    const loaded = await sendLoad(s.url + s.push, reqs, load);
    console.log(`loaded ${sets.length} series × ${rounds} samples (${loaded.ackedSamples} acknowledged); ${panels(dataEnd).length} range panels over ${(SPAN - 600_000) / 60_000} min, step 15 s, split ${SPLIT}`);

    // Cold: every load evaluated in full.
    let cpu0 = await cpuSeconds(s.pid);
    for (let i = 0; i < LOADS; i++) await loadDashboard(s, Date.now(), true);
    const cold = ((await cpuSeconds(s.pid)) - cpu0) / LOADS;

    // Warm: one load fills the cache, then refreshes. Each load's window ends at the wall clock plus
    // REFRESH per load, as if 30 s passed between them (the data stops at load time; the window moves on).
    const t0 = Date.now();
    await loadDashboard(s, t0, false);
    const hits0 = await metric(s, 'myelin_frontend_query_result_cache_hits_total');
    const taken0 = await metric(s, 'myelin_query_frontend_queue_duration_seconds_count');
    cpu0 = await cpuSeconds(s.pid);
    const ends: number[] = [];
    for (let i = 1; i <= LOADS; i++) {
      ends.push(t0 + i * REFRESH);
      await loadDashboard(s, ends[ends.length - 1], false);
    }
    const warm = ((await cpuSeconds(s.pid)) - cpu0) / LOADS;
    const hits = (await metric(s, 'myelin_frontend_query_result_cache_hits_total')) - hits0;
    const taken = (await metric(s, 'myelin_query_frontend_queue_duration_seconds_count')) - taken0;

    // Warm answers are the answers: the last window, cached and not.
    const [cached, fresh] = [await loadDashboard(s, ends[ends.length - 1], false), await loadDashboard(s, ends[ends.length - 1], true)];
    const equal = cached.every((b, i) => b === fresh[i]);

    console.log(`cold: ${(cold * 1000).toFixed(0)} ms CPU per dashboard load (no-store, ${LOADS} loads)`);
    console.log(`warm: ${(warm * 1000).toFixed(0)} ms CPU per dashboard load (cache, ${LOADS} refreshes 30 s apart; ${hits} parts from the cache alone, ${(taken / LOADS).toFixed(1)} querier requests per load)`);
    console.log(`cold / warm: ${(cold / warm).toFixed(1)}×; warm answers equal to uncached ones: ${equal}`);
    if (!equal) process.exitCode = 1;
  } finally {
    await s?.proc.stop('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
