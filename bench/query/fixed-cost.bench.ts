// Fixed cost per query call, split by thread: one Myelin (-target=all, the binary) holding a small
// node-exporter data set (BENCH_HOSTS hosts × BENCH_SPAN_MINUTES at 15 s), then the cheap calls of
// bench/query's dashboard (or BENCH_CALLS, by their number there) each repeated BENCH_REPS times,
// with the CPU of every thread of the process read from /proc/<pid>/task/*/stat around them:
// the main thread (HTTP, query-frontend, the in-process ingester), the query workers and the rest
// (V8's helper and GC threads, libuv). Side-by-side's figures say how far from Prometheus a call is;
// this one says where a call's fixed cost is spent and, with BENCH_BASE_DIST=<dir> (a copy of dist/
// from before a change, inside the worktree so node_modules resolves), how much a change saved:
// both builds run at once on the same data and are measured alternately, BENCH_ROUNDS times.
//
//   npx tsc -b && BENCH_PIN_CPU=1 node dist/bench/query/fixed-cost.bench.js
//   BENCH_BASE_DIST=base-dist BENCH_PIN_CPU=1 node dist/bench/query/fixed-cost.bench.js
//
// Env: BENCH_HOSTS (20), BENCH_SPAN_MINUTES (20), BENCH_REPS (300), BENCH_ROUNDS (3),
// BENCH_CALLS (1,4,6,18,19,20,21,22,23,24), BENCH_PIN_CPU, BENCH_CPU_PROF (--cpu-prof directory),
// BENCH_NODE_FLAGS (more node flags, e.g. --perf-basic-prof for `perf record`), BENCH_SMOKE=1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildRequests, sendLoad, type LoadOptions } from '../ingest/load-gen.js';
import { nodeExporterSeries, SERIES_PER_HOST } from '../ingest/node-exporter-series.js';
import { nodeProfFlags, pinned, threadCpu } from '../lib/servers.js';
import { quantile } from '../lib/stats.js';
import { freePort, TestProcess, waitUntil, myelinBinary } from '../../pkg/testutil/index.js';
import { dashboardCalls, type DashboardCall } from './dashboard-calls.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const [HOSTS, SPAN, REPS, ROUNDS] = [env('BENCH_HOSTS', 20, 2), env('BENCH_SPAN_MINUTES', 20, 10) * 60_000, env('BENCH_REPS', 300, 20), env('BENCH_ROUNDS', 3, 1)];
const STEP = 15_000;
const TENANT = 'tenant-0';
const ONLY = (process.env.BENCH_CALLS ?? '1,4,6,18,19,20,21,22,23,24').split(',').filter((x) => x !== '').map(Number);

const rounds = Math.floor(SPAN / STEP);
const end = Math.floor(Date.now() / STEP) * STEP;
const sets = nodeExporterSeries(HOSTS * SERIES_PER_HOST);
const load: LoadOptions = { series: sets.length, samples: rounds, batch: 2_000, concurrency: 2, tenants: 1, maxSeconds: 600, retries: 3 };
const host = sets[0].find(([n]) => n === 'instance')?.[1] ?? '';
// Two floors first: HTTP alone (build info, answered on the main thread) and a request that makes the
// whole trip (frontend, query worker and back) without reading data (format_query).
const floors: { c: DashboardCall; n: string }[] = [
  { n: 'f1', c: { name: 'floor: build info (HTTP only)', class: 'metadata', path: '/api/v1/status/buildinfo', params: [], vmComparable: false } },
  { n: 'f2', c: { name: 'floor: format_query (frontend + worker, no data)', class: 'metadata', path: '/api/v1/format_query', params: [['query', 'up']], vmComparable: false } },
];
const calls = [...floors, ...dashboardCalls({ end, range: Math.min(3_600_000, SPAN - 300_000), step: STEP, host })
  .map((c, i) => ({ c, n: String(i + 1) })).filter(({ n }) => ONLY.includes(Number(n)))];

interface Build { name: string; proc: TestProcess; url: string; pid: number; workers: Set<number> }

async function start(name: string, distDir: string | undefined, dir: string): Promise<Build> {
  const bin = distDir === undefined ? myelinBinary : resolve(distDir, 'cmd/myelin/main.js');
  const port = await freePort();
  const grpc = await freePort();
  const args = [...nodeProfFlags(), ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''), bin, '-target=all', '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${port}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`, '-log.level=warn',
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`, `-blocks-storage.bucket-store.sync-dir=${dir}/sync`,
    '-distributor.replication-factor=1', '-distributor.ingestion-rate-limit=1e12', '-distributor.ingestion-burst-size=1000000000000',
    '-ingester.max-series-per-user=0', '-ingester.max-series-per-metric=0', '-distributor.remote-timeout=30s'];
  const proc = new TestProcess(name, ...pinned(process.execPath, args));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => proc.running && (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) })).ok,
    { timeoutMs: 120_000, intervalMs: 100, what: `${name} ready` });
  if (proc.pid === undefined) throw new Error(`${name} did not start`);
  return { name, proc, url, pid: proc.pid, workers: new Set() };
}

async function call(b: Build, c: DashboardCall): Promise<void> {
  const res = await fetch(`${b.url}/prometheus${c.path}?${new URLSearchParams(c.params).toString()}`, { headers: { 'X-Scope-OrgID': TENANT } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${b.name} ${c.name}: ${res.status} ${body.slice(0, 200)}`);
}

interface Sample { main: number; workers: number; other: number; total: number; sys: number; p50: number }

/** REPS calls; CPU per call (ms) of the main thread, the busiest threads named like workers, and the rest. */
async function measure(b: Build, c: DashboardCall): Promise<Sample> {
  for (let i = 0; i < 5; i++) await call(b, c);
  const before = await threadCpu(b.pid);
  const lat: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    await call(b, c);
    lat.push(performance.now() - t);
  }
  const after = await threadCpu(b.pid);
  const s: Sample = { main: 0, workers: 0, other: 0, total: 0, sys: 0, p50: quantile(lat, 0.5) };
  for (const [tid, a] of after) {
    const d = ((a.cpu - (before.get(tid)?.cpu ?? 0)) * 1000) / REPS;
    s.total += d;
    s.sys += ((a.sys - (before.get(tid)?.sys ?? 0)) * 1000) / REPS;
    if (tid === b.pid) s.main += d;
    else if (b.workers.has(tid)) s.workers += d;
    else s.other += d;
  }
  return s;
}

/** Worker threads are the threads that run JavaScript besides the main one: Node names them after nothing, so find them by CPU under a query load. */
async function findWorkers(b: Build): Promise<void> {
  const before = await threadCpu(b.pid);
  const c = dashboardCalls({ end, range: 3_600_000, step: STEP, host })[2];
  for (let i = 0; i < 10; i++) await call(b, c);
  const after = await threadCpu(b.pid);
  for (const [tid, a] of after) {
    if (tid === b.pid || !a.name.startsWith('node')) continue;
    if (a.cpu - (before.get(tid)?.cpu ?? 0) > 0.005) b.workers.add(tid);
  }
}

const fmt = (xs: number[]) => (xs.length === 1 ? xs[0].toFixed(2) : `${quantile(xs, 0.5).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`);

const root = await mkdtemp(join(tmpdir(), 'bench-fixed-cost-'));
const builds: Build[] = [];
try {
  const reqs = buildRequests(load, { start: end - rounds * STEP + 7_321, sets });
  const base = process.env.BENCH_BASE_DIST;
  if (base !== undefined && base !== '') builds.push(await start('base', base, join(root, 'base')));
  builds.push(await start('this', undefined, join(root, 'this')));
  for (const b of builds) {
    const res = await sendLoad(`${b.url}/api/v1/push`, reqs, load);
    if (res.failedRequests > 0) throw new Error(`${b.name} refused part of the load: ${res.firstError}`);
    await findWorkers(b);
  }
  console.log(`data: ${HOSTS} hosts, ${sets.length} series × ${rounds} samples; ${REPS} calls per measure, ${ROUNDS} rounds; pinned to core ${process.env.BENCH_PIN_CPU ?? '(none)'}`);
  console.log('CPU ms per call: total = main thread + query workers + other threads, and the system (kernel) part of the total (median and range over the rounds)\n');
  console.log(`| # | call | ${builds.map((b) => `${b.name} total | ${b.name} main | ${b.name} workers | ${b.name} other | ${b.name} sys | ${b.name} p50 ms`).join(' | ')} |`);
  console.log(`|---|---|${builds.map(() => '---:|---:|---:|---:|---:|---:').join('|')}|`);
  for (const { c, n } of calls) {
    const got = builds.map(() => ({ main: [] as number[], workers: [] as number[], other: [] as number[], total: [] as number[], sys: [] as number[], p50: [] as number[] }));
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < builds.length; i++) {
        const s = await measure(builds[i], c);
        for (const k of ['main', 'workers', 'other', 'total', 'sys', 'p50'] as const) got[i][k].push(s[k]);
      }
    }
    console.log(`| ${n} | ${c.name} | ${got.map((g) => `${fmt(g.total)} | ${fmt(g.main)} | ${fmt(g.workers)} | ${fmt(g.other)} | ${fmt(g.sys)} | ${fmt(g.p50)}`).join(' | ')} |`);
  }
} finally {
  for (const b of builds) await b.proc.stop();
  await rm(root, { recursive: true, force: true });
}
