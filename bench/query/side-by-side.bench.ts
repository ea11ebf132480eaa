// Query cost side by side: the same node-exporter data loaded by remote write into Myelin
// (the binary, -target=all, RF=1), Prometheus 2.42 (--web.enable-remote-write-receiver) and
// VictoriaMetrics (Debian packages), each its own process on 127.0.0.1; then the calls a Grafana
// node-exporter dashboard makes (dashboard-calls.ts: instant, 1h range at 15s step, series, label
// names, label values) against each. For every call and system it prints the server's CPU per call
// (utime + stime from /proc/<pid>/stat around the repetitions, divided by their number), the
// client-side latency (median, p99), the ratios Myelin/Prometheus and Myelin/VictoriaMetrics, and
// whether the answers are equal; then geometric means of the ratios, overall and per class.
//
//   npx tsc -b && node dist/bench/query/side-by-side.bench.js          20 hosts × 2h at 15s
//   BENCH_SMOKE=1 node dist/bench/query/side-by-side.bench.js          2 hosts × 20 min, a few seconds
//   BENCH_PIN_CPU=1 node dist/bench/query/side-by-side.bench.js        every server on core 1 (taskset)
//   BENCH_BLOCKS=1 node dist/bench/query/side-by-side.bench.js         read blocks instead of heads
//
// Answers: Myelin's is compared with Prometheus' on every call (values within a relative 1e-6, the
// same series) and with VictoriaMetrics' on the calls without rate()/irate() (VictoriaMetrics
// computes those its own way). The samples lie 7.321 s off the 15 s evaluation grid, as scraped
// samples do, so no sample sits on a window's edge, where Prometheus 3's left-open windows (which
// Myelin follows) and 2.42's closed ones differ.
//
// Blocks (BENCH_BLOCKS=1): after the load Myelin flushes its head (/ingester/flush) and answers from
// its store-gateway only (-querier.query-store-after=0s, -querier.query-ingesters-within=1s);
// Prometheus writes its head into a block (admin API snapshot) and is restarted on that snapshot,
// so it reads its own block. VictoriaMetrics always reads its own storage.
//
// Env: BENCH_HOSTS (20), BENCH_SPAN_MINUTES (120), BENCH_REPEAT (least repetitions per call, 20),
// BENCH_MIN_SECONDS (repeat a call at least this long, 1), BENCH_SETTLE_SECONDS (idle time after
// the load, 10), BENCH_TARGETS (myelin,prometheus,victoria-metrics), BENCH_CONCURRENCY (load, 4),
// BENCH_PIN_CPU, BENCH_CPU_PROF (Myelin's --cpu-prof directory), BENCH_BLOCKS=1, BENCH_SMOKE=1,
// BENCH_CALLS (only these calls, by their number in the table: `1,18`; for profiling one shape),
// BENCH_WARMUP_SECONDS (each call served this long by every system before any is measured, 2; 0
// measures cold JIT code, which is what the first second after a start costs).
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../../pkg/testutil/index.js';
import { buildRequests, sendLoad, type LoadOptions } from '../ingest/load-gen.js';
import { nodeExporterSeries, SERIES_PER_HOST } from '../ingest/node-exporter-series.js';
import { cpuSeconds, startMyelin, startPrometheus, startVictoriaMetrics, type BenchServer } from '../lib/servers.js';
import { geomean, quantile } from '../lib/stats.js';
import { compareAnswers, type Answer } from './answers.js';
import { dashboardCalls, type CallClass, type DashboardCall } from './dashboard-calls.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const HOSTS = env('BENCH_HOSTS', 20, 2);
const SPAN = env('BENCH_SPAN_MINUTES', 120, 20) * 60_000;
const REPEAT = env('BENCH_REPEAT', 20, 3);
const MIN_SECONDS = env('BENCH_MIN_SECONDS', 1, 0.05);
const MAX_REPEAT = 5_000;
const SETTLE_SECONDS = env('BENCH_SETTLE_SECONDS', 10, 0.5);
const WARMUP_SECONDS = env('BENCH_WARMUP_SECONDS', 2, 0);
const BLOCKS = process.env.BENCH_BLOCKS === '1';
const TARGETS = (process.env.BENCH_TARGETS ?? 'myelin,prometheus,victoria-metrics').split(',');
const STEP = 15_000;
const OFF_GRID = 7_321;
const TENANT = 'tenant-0';
const CALL_TIMEOUT_MS = 120_000;
if (TARGETS[0] !== 'myelin') throw new Error('BENCH_TARGETS must start with myelin, the system the ratios are of');

// The data: HOSTS whole hosts, SPAN at 15 s ending just before the last grid point. Counters rise
// by a per-series rate with a little jitter, gauges wander.
const rounds = Math.floor(SPAN / STEP);
const end = Math.floor(Date.now() / STEP) * STEP;
const sets = nodeExporterSeries(HOSTS * SERIES_PER_HOST);
const isCounter = sets.map((s) => (s.find(([n]) => n === '__name__')?.[1] ?? '').endsWith('_total'));
const jitter = (s: number, r: number) => ((s * 7_919 + r * 104_729) % 1_000) / 1_000;
const value = (s: number, r: number) =>
  isCounter[s] ? r * 15 * (1 + (s % 13)) + 5 * jitter(s, r) : 1_000 * (1 + (s % 7)) + 100 * Math.sin(r / 20 + s);
const load: LoadOptions = { series: sets.length, samples: rounds, batch: 2_000, concurrency: env('BENCH_CONCURRENCY', 4, 2), tenants: 1, maxSeconds: 3_600, retries: 3 };
const host = sets[0].find(([n]) => n === 'instance')?.[1] ?? '';
const ONLY = (process.env.BENCH_CALLS ?? '').split(',').filter((x) => x !== '').map(Number);
const calls = dashboardCalls({ end, range: Math.min(3_600_000, SPAN - 300_000), step: STEP, host }).filter((_, i) => ONLY.length === 0 || ONLY.includes(i + 1));

interface Measure { cpuMs: number; p50: number; p99: number; reps: number; answer: Answer | undefined; error: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(s: BenchServer, c: DashboardCall): Promise<{ status: number; body: string }> {
  const url = `${s.url}${s.apiPrefix}${c.path}?${new URLSearchParams(c.params).toString()}`;
  const res = await fetch(url, { headers: { 'X-Scope-OrgID': TENANT }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  return { status: res.status, body: await res.text() };
}

/** One answer to compare (it also warms caches), then at least REPEAT calls and MIN_SECONDS, CPU around them. */
async function measure(s: BenchServer, c: DashboardCall): Promise<Measure> {
  const first = await call(s, c);
  let answer: Answer | undefined;
  try {
    answer = JSON.parse(first.body) as Answer;
  } catch {
    answer = undefined;
  }
  const error = first.status === 200 ? '' : `${first.status}: ${first.body.slice(0, 200)}`;
  const lat: number[] = [];
  const cpu0 = await cpuSeconds(s.pid);
  const t0 = performance.now();
  while (lat.length < REPEAT || (performance.now() - t0 < MIN_SECONDS * 1000 && lat.length < MAX_REPEAT)) {
    const t = performance.now();
    await call(s, c);
    lat.push(performance.now() - t);
  }
  const cpuMs = (((await cpuSeconds(s.pid)) - cpu0) * 1000) / lat.length;
  return { cpuMs, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), reps: lat.length, answer, error };
}

/** gRPC calls Myelin served, per service whose name contains `service` (its internal ingester and store-gateway calls). */
async function grpcCalls(s: BenchServer, service: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^myelin_request_duration_seconds_count\{([^}]*)\} (\S+)$/gm)) if (m[1].includes('method="gRPC"') && m[1].includes(service)) n += Number(m[2]);
  return n;
}

async function metric(s: BenchServer, name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

/** Myelin: flush the head into blocks and wait until its store-gateway holds every block of the tenant. */
async function myelinToBlocks(s: BenchServer, dir: string): Promise<void> {
  const res = await fetch(`${s.url}/ingester/flush?wait=true`, { method: 'POST', signal: AbortSignal.timeout(600_000) });
  if (res.status !== 204) throw new Error(`myelin /ingester/flush: ${res.status} ${await res.text()}`);
  const blocks = (await readdir(join(dir, 'blocks', TENANT))).filter((b) => /^[0-9A-Z]{26}$/.test(b));
  if (blocks.length === 0) throw new Error('myelin shipped no block');
  await waitUntil(async () => (await metric(s, 'myelin_bucket_store_blocks_loaded')) >= blocks.length, {
    timeoutMs: 120_000, intervalMs: 500, what: `myelin's store-gateway loading ${blocks.length} blocks`,
  });
  console.log(`myelin: head flushed into ${blocks.length} blocks, all loaded by the store-gateway`);
}

/** Prometheus: snapshot the head into a block, then restart on the snapshot, which has no head. */
async function prometheusToBlocks(s: BenchServer, dir: string): Promise<BenchServer> {
  const res = await fetch(`${s.url}/api/v1/admin/tsdb/snapshot`, { method: 'POST', signal: AbortSignal.timeout(600_000) });
  const body = (await res.json()) as { data?: { name: string } };
  if (res.status !== 200 || body.data === undefined) throw new Error(`prometheus snapshot: ${res.status} ${JSON.stringify(body)}`);
  await s.proc.stop();
  const snap = join(dir, 'data', 'snapshots', body.data.name);
  console.log(`prometheus: head written to a block (snapshot ${body.data.name}), restarted on it`);
  return startPrometheus(dir, snap);
}

const starters: Record<string, (dir: string) => Promise<BenchServer>> = {
  myelin: (dir) => startMyelin({
    dir,
    // A loaded machine can hold a push longer than the default 2s.
    flags: ['-distributor.remote-timeout=30s', ...BLOCKS
      ? ['-querier.query-store-after=0s', '-querier.query-ingesters-within=1s', '-blocks-storage.bucket-store.sync-interval=1s',
        '-blocks-storage.bucket-store.bucket-index.update-interval=1s']
      : []],
  }),
  prometheus: (dir) => startPrometheus(dir, join(dir, 'data'), BLOCKS ? ['--web.enable-admin-api'] : []),
  'victoria-metrics': (dir) => startVictoriaMetrics(dir),
};

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? a / b : NaN);

const root = await mkdtemp(join(tmpdir(), 'bench-query-'));
const servers: BenchServer[] = [];
try {
  const t0 = performance.now();
  const reqs = buildRequests(load, { start: end - rounds * STEP + OFF_GRID, sets, value });
  console.log(`data: ${HOSTS} hosts, ${sets.length} series × ${rounds} samples at 15s (${sets.length * rounds} samples, ${reqs.length} requests), encoded in ${((performance.now() - t0) / 1000).toFixed(1)}s; ${BLOCKS ? 'blocks' : 'heads'}; pinned to core ${process.env.BENCH_PIN_CPU ?? '(none)'}`);
  const dirs = new Map<string, string>();
  for (const name of TARGETS) {
    const start = starters[name];
    if (start === undefined) throw new Error(`unknown target ${name}; known: ${Object.keys(starters).join(', ')}`);
    const dir = join(root, name);
    dirs.set(name, dir);
    servers.push(await start(dir));
  }
  for (const s of servers) {
    const cpu0 = await cpuSeconds(s.pid);
    const res = await sendLoad(s.url + s.push, reqs, load);
    const cpu = (await cpuSeconds(s.pid)) - cpu0;
    console.log(`load ${s.name}: ${res.ackedSamples} samples acknowledged in ${res.seconds.toFixed(1)}s, ${cpu.toFixed(1)}s CPU, ${res.failedRequests} failed requests`);
    if (res.failedRequests > 0) throw new Error(`${s.name} refused part of the load: ${res.firstError}`);
  }
  for (const s of servers) if (s.name === 'victoria-metrics') await fetch(`${s.url}/internal/force_flush`);
  if (BLOCKS) {
    for (let i = 0; i < servers.length; i++) {
      const dir = dirs.get(servers[i].name) as string;
      if (servers[i].name === 'myelin') await myelinToBlocks(servers[i], dir);
      if (servers[i].name === 'prometheus') servers[i] = await prometheusToBlocks(servers[i], dir);
    }
  }

  await sleep(SETTLE_SECONDS * 1000);
  const idle = await Promise.all(servers.map(async (s) => {
    const c0 = await cpuSeconds(s.pid);
    await sleep(2_000);
    return `${s.name} ${(((await cpuSeconds(s.pid)) - c0) * 500).toFixed(1)} ms/s`;
  }));
  console.log(`idle CPU after the load (included in the figures below): ${idle.join(', ')}`);

  // Every system serves each call for WARMUP_SECONDS first, unmeasured: a long-running server
  // answering a dashboard is warm, and Myelin's JavaScript is compiled to optimized code only after
  // many calls, in each query worker on its own (Go needs no warm-up; it gets the same pass).
  if (WARMUP_SECONDS > 0) {
    for (const c of calls) {
      for (const s of servers) {
        const t0 = performance.now();
        while (performance.now() - t0 < WARMUP_SECONDS * 1000) await call(s, c);
      }
    }
  }
  console.log(`warm-up: every call served ${WARMUP_SECONDS}s by each system before it is measured`);

  const myelin = servers[0];
  const grpc0 = [await grpcCalls(myelin, 'StoreGateway'), await grpcCalls(myelin, 'Ingester')];
  const rows: { c: DashboardCall; m: Measure[]; eq: string[] }[] = [];
  for (const c of calls) {
    const m: Measure[] = [];
    for (const s of servers) m.push(await measure(s, c));
    const eq = servers.map((s, i) => {
      if (i === 0) return '';
      if (s.name === 'victoria-metrics' && !c.vmComparable) return 'n/c';
      const a = m[0].answer;
      const b = m[i].answer;
      return a === undefined || b === undefined ? 'unparsable answer' : compareAnswers(a, b);
    });
    rows.push({ c, m, eq });
  }

  console.log(`myelin's internal gRPC calls during the queries: store-gateway ${(await grpcCalls(myelin, 'StoreGateway')) - grpc0[0]}, ingester ${(await grpcCalls(myelin, 'Ingester')) - grpc0[1]}`);
  const others = servers.slice(1);
  const head = ['#', 'class', 'call', ...servers.map((s) => `${s.name} CPU ms/call`), ...others.map((s) => `myelin/${s.name} CPU`),
    ...servers.map((s) => `${s.name} p50 / p99 ms`), ...others.map((s) => `= ${s.name}`), 'reps'];
  console.log(`\n| ${head.join(' | ')} |`);
  console.log(`|${head.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`);
  rows.forEach(({ c, m, eq }, i) => {
    const cells = [String(i + 1), c.class, c.name, ...m.map((x) => fmt(x.cpuMs)), ...m.slice(1).map((x) => `${fmt(ratio(m[0].cpuMs, x.cpuMs))}×`),
      ...m.map((x) => `${fmt(x.p50, 1)} / ${fmt(x.p99, 1)}`), ...eq.slice(1).map((e) => (e === '' ? 'yes' : e === 'n/c' ? 'n/c' : 'NO')),
      m.map((x) => x.reps).join('/')];
    console.log(`| ${cells.join(' | ')} |`);
  });

  console.log(`\n| class | calls | ${others.map((s) => `CPU myelin/${s.name} (geomean)`).join(' | ')} | ${others.map((s) => `p50 myelin/${s.name} (geomean)`).join(' | ')} |`);
  console.log(`|---|---:|${others.map(() => '---:').join('|')}|${others.map(() => '---:').join('|')}|`);
  const classes: (CallClass | 'all')[] = ['all', 'instant', 'range', 'metadata'];
  for (const cls of classes) {
    const sel = rows.filter((r) => cls === 'all' || r.c.class === cls);
    const g = (i: number, k: 'cpuMs' | 'p50') => `${fmt(geomean(sel.map((r) => ratio(r.m[0][k], r.m[i][k]))))}×`;
    console.log(`| ${cls} | ${sel.length} | ${others.map((_, j) => g(j + 1, 'cpuMs')).join(' | ')} | ${others.map((_, j) => g(j + 1, 'p50')).join(' | ')} |`);
  }

  for (const { c, m, eq } of rows) {
    m.forEach((x, i) => { if (x.error !== '') console.log(`error: ${servers[i].name} on "${c.name}" (${c.class}): ${x.error}`); });
    eq.forEach((e, i) => { if (e !== '' && e !== 'n/c') console.log(`differs: myelin vs ${servers[i].name} on "${c.name}" (${c.class}): ${e}`); });
  }
} finally {
  for (const s of servers) await s.proc.stop();
  await rm(root, { recursive: true, force: true });
}
