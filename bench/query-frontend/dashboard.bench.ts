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
import { startMyelin, type BenchServer } from '../lib/servers.js';
import { dashboardCalls } from '../query/dashboard-calls.js';
import { coldAndWarm, loadDashboard as loadPanels } from './dashboard-load.js';

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

function loadDashboard(s: BenchServer, end: number, noStore: boolean): Promise<string[]> {
  return loadPanels(s, panels(end), TENANT, noStore, 120_000);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-bench-frontend-'));
  let s: (BenchServer & { httpPort: number }) | undefined;
  try {
    s = await startMyelin({ dir, flags: ['-querier.max-outstanding-requests-per-tenant=1000', '-querier.cache-results=true', `-querier.split-queries-by-interval=${SPLIT}`, '-querier.align-querier-with-step=true'] });
    const reqs = buildRequests(load, { start: dataEnd - rounds * STEP, sets });
    const loaded = await sendLoad(s.url + s.push, reqs, load);
    console.log(`loaded ${sets.length} series × ${rounds} samples (${loaded.ackedSamples} acknowledged); ${panels(dataEnd).length} range panels over ${(SPAN - 600_000) / 60_000} min, step 15 s, split ${SPLIT}`);

    await coldAndWarm(s, (end, noStore) => loadDashboard(s as BenchServer, end, noStore), LOADS, LOADS, REFRESH);
  } finally {
    await s?.proc.stop('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
