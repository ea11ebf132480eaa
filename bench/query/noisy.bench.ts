// The "noisy query" bench: does one heavy query stall everyone else? A single-process Myelin (the
// binary, -target=all) holds node-exporter series (50k); a steady remote-write load (one request
// of 500 samples every 100 ms, over 5,000 series) and a trivial query (`up{instance="x"}` every
// 50 ms) run open-loop, first alone, then while a heavy query runs: count_values over every series
// (again and again), a long subquery, a catastrophic regex against long label values. Prints push
// and trivial-query latency (p50, p99, max) per phase, what became of the heavy query, and how long
// Myelin took to answer again afterwards.
//
//   npx tsc -b && node dist/bench/query/noisy.bench.js      50k series, 20 s phases, 30 s client timeouts
//   BENCH_SMOKE=1 node dist/bench/query/noisy.bench.js      2k series, 2 s phases, 3 s timeouts
//
// Bounded: every request has a client timeout (a request that times out counts as that long, and
// the figure reads "> T s"), the heavy query is abandoned when its phase ends, and a Myelin that does
// not answer /ready and the trivial query within BENCH_TIMEOUT_SECONDS + BENCH_RECOVER_SECONDS of the
// phase's end is killed (SIGKILL, its own PID) and started again on its data (WAL replay) for the
// next phase.
//
// Env: BENCH_SERIES (50000), BENCH_PHASE_SECONDS (20), BENCH_TIMEOUT_SECONDS (30),
// BENCH_RECOVER_SECONDS (30), BENCH_LONG_VALUE (length of the long label values, 2000),
// BENCH_PIN_CPU, BENCH_CPU_PROF, BENCH_SMOKE=1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../../pkg/wire/index.js';
import { buildRequests, sendLoad, type LoadOptions } from '../ingest/load-gen.js';
import { nodeExporterSeries } from '../ingest/node-exporter-series.js';
import { rssBytes, startMyelin, type BenchServer } from '../lib/servers.js';
import { quantile } from '../lib/stats.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const SERIES = env('BENCH_SERIES', 50_000, 2_000);
const PHASE_MS = env('BENCH_PHASE_SECONDS', 20, 2) * 1000;
const TIMEOUT_MS = env('BENCH_TIMEOUT_SECONDS', 30, 3) * 1000;
const RECOVER_MS = env('BENCH_RECOVER_SECONDS', 30, 3) * 1000;
const LONG_VALUE = env('BENCH_LONG_VALUE', 2_000, 2_000);
const TENANT = 'tenant-0';
const PUSH_EVERY_MS = 100;
const PUSH_SERIES = 500;
const QUERY_EVERY_MS = 50;

interface Phase {
  name: string;
  /** The heavy query, run for the whole phase (again and again when `repeat`). */
  heavy?: string;
  repeat?: boolean;
}

const phases: Phase[] = [
  { name: 'alone' },
  { name: 'count_values over every series', heavy: 'count_values("v", {__name__=~".+"})', repeat: true },
  { name: 'long subquery', heavy: 'max_over_time(rate(node_cpu_seconds_total[1m])[1d:1s])' },
  { name: `catastrophic regex on ${LONG_VALUE}-char values`, heavy: '{a=~"(a+)+b"}' },
];

const sets = nodeExporterSeries(SERIES);
const host = sets[0].find(([n]) => n === 'instance')?.[1] ?? '';
const trivial = `up{instance="${host}"}`;
// The steady load writes the trivial query's series too, so it always has a fresh sample.
const upSeries = sets.find((s) => s.some(([n, v]) => n === '__name__' && v === 'up')) ?? [];
const PUSH_SLOTS = 10;
const pushSeries = Array.from({ length: PUSH_SLOTS * PUSH_SERIES }, (_, i): [string, string][] => [['__name__', 'bench_push'], ['i', String(i)], ['job', 'bench']]);
const longSeries = Array.from({ length: 20 }, (_, i): [string, string][] => [['__name__', 'bench_long_label'], ['a', 'a'.repeat(LONG_VALUE - 2) + String(i).padStart(2, '0')], ['job', 'bench']]);

interface Outcome { latencies: number[]; timeouts: number; errors: number; firstError: string }
const outcome = (): Outcome => ({ latencies: [], timeouts: 0, errors: 0, firstError: '' });

/** One request, timed; a timeout counts as TIMEOUT_MS. Never throws. */
async function timed(o: Outcome, url: string, init: RequestInit, timeoutMs = TIMEOUT_MS): Promise<void> {
  const t = performance.now();
  try {
    const timeout = AbortSignal.timeout(Math.ceil(timeoutMs));
    const res = await fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
    const body = await res.text();
    o.latencies.push(performance.now() - t);
    if (res.status >= 300) {
      o.errors++;
      if (o.firstError === '') o.firstError = `${res.status}: ${body.slice(0, 200)}`;
    }
  } catch (err) {
    const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    o.latencies.push(timeout ? timeoutMs : performance.now() - t);
    if (timeout) o.timeouts++;
    else {
      o.errors++;
      if (o.firstError === '') o.firstError = String(err);
    }
  }
}

// Open-loop pushes overlap when Myelin is slow; each carries one of PUSH_SLOTS slices of the series
// (the first slice with the `up` series), so a series' samples are PUSH_SLOTS pushes (1 s) apart
// and arrive in order unless latencies differ by more than that.
let pushRound = 0;
function pushBody(): Buffer {
  const slot = pushRound++ % PUSH_SLOTS;
  const t = Date.now();
  const series = [...(slot === 0 ? [upSeries] : []), ...pushSeries.slice(slot * PUSH_SERIES, (slot + 1) * PUSH_SERIES)];
  const timeseries = series.map((s) => ({
    labels: s.map(([name, value]) => ({ name, value })), samples: [{ value: s === upSeries ? 1 : pushRound, timestamp: t }], exemplars: [],
    histograms: [],
  }));
  return snappyEncode(Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish()));
}

interface PhaseResult { phase: Phase; push: Outcome; query: Outcome; heavy: string; recovery: string; rssMiB: number }

async function runPhase(s: BenchServer, phase: Phase): Promise<PhaseResult> {
  const push = outcome();
  const query = outcome();
  const pending: Promise<void>[] = [];
  const stop = new AbortController();
  const phaseEnd = performance.now() + PHASE_MS;
  let heavy = '-';
  const heavyRun = (async () => {
    if (phase.heavy === undefined) return;
    const o = outcome();
    let runs = 0;
    do {
      const url = `${s.url}/prometheus/api/v1/query?${new URLSearchParams({ query: phase.heavy, time: String(Date.now() / 1000) }).toString()}`;
      await timed(o, url, { headers: { 'X-Scope-OrgID': TENANT }, signal: stop.signal }, Math.max(1, phaseEnd - performance.now()));
      runs++;
    } while (phase.repeat === true && performance.now() < phaseEnd);
    // Only the last run can have been cut by the phase's end.
    const done = o.latencies.slice(0, runs - o.timeouts);
    const last = o.latencies[o.latencies.length - 1];
    heavy = [
      done.length > 0 ? `${done.length} answered in median ${(quantile(done, 0.5) / 1000).toFixed(2)} s` : '',
      o.errors > 0 ? `${o.errors} of them ${o.firstError.slice(0, 100)}` : '',
      o.timeouts > 0 ? `unanswered at the phase's end (${(last / 1000).toFixed(1)} s)` : '',
    ].filter((x) => x !== '').join('; ');
  })();
  const pushTimer = setInterval(() => {
    pending.push(timed(push, `${s.url}${s.push}`, {
      method: 'POST', body: pushBody(),
      headers: { 'X-Scope-OrgID': TENANT, 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
    }));
  }, PUSH_EVERY_MS);
  const queryTimer = setInterval(() => {
    const url = `${s.url}/prometheus/api/v1/query?${new URLSearchParams({ query: trivial }).toString()}`;
    pending.push(timed(query, url, { headers: { 'X-Scope-OrgID': TENANT } }));
  }, QUERY_EVERY_MS);
  await new Promise((r) => setTimeout(r, PHASE_MS));
  clearInterval(pushTimer);
  clearInterval(queryTimer);
  stop.abort();
  const ended = performance.now();
  // Probe from the phase's end while its last requests (each bounded by TIMEOUT_MS) drain.
  const [recovery] = await Promise.all([recover(s, ended, TIMEOUT_MS + RECOVER_MS), heavyRun, ...pending]);
  return { phase, push, query, heavy, recovery, rssMiB: s.proc.running ? (await rssBytes(s.pid)) / 2 ** 20 : NaN };
}

/** How long after `since` Myelin answers /ready and the trivial query (each within 1 s); gives up after `forMs`. */
async function recover(s: BenchServer, since: number, forMs: number): Promise<string> {
  while (performance.now() - since < forMs) {
    try {
      const ready = await fetch(`${s.url}/ready`, { signal: AbortSignal.timeout(1_000) });
      const q = await fetch(`${s.url}/prometheus/api/v1/query?query=${encodeURIComponent(trivial)}`, { headers: { 'X-Scope-OrgID': TENANT }, signal: AbortSignal.timeout(1_000) });
      await q.text();
      if (ready.ok && q.ok) return `${((performance.now() - since) / 1000).toFixed(1)} s`;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return `not within ${(forMs / 1000).toFixed(0)} s: killed`;
}

const ms = (o: Outcome, q: number) => {
  const v = quantile(o.latencies, q);
  return v >= TIMEOUT_MS ? `> ${TIMEOUT_MS / 1000} s` : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`;
};
const counts = (o: Outcome) => `${o.latencies.length} / ${o.timeouts} / ${o.errors}`;

const root = await mkdtemp(join(tmpdir(), 'bench-noisy-'));
let server: (BenchServer & { httpPort: number; grpcPort: number }) | undefined;
try {
  server = await startMyelin({ dir: root });
  const load: LoadOptions = { series: SERIES, samples: 10, batch: 2_000, concurrency: 2, tenants: 1, maxSeconds: 600 };
  const t0 = performance.now();
  const res = await sendLoad(server.url + server.push, buildRequests(load, { sets: [...sets, ...longSeries] }), load);
  if (res.failedRequests > 0) throw new Error(`load refused: ${res.firstError}`);
  console.log(`myelin -target=all holds ${SERIES} node-exporter series + ${longSeries.length} with ${LONG_VALUE}-char values of label a (10 samples each, loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s); `
    + `steady push: ${PUSH_SERIES} samples every ${PUSH_EVERY_MS} ms; trivial query ${trivial} every ${QUERY_EVERY_MS} ms; phases of ${PHASE_MS / 1000} s; client timeout ${TIMEOUT_MS / 1000} s`);
  // Let the load's aftermath (WAL, GC) pass before the first phase.
  await new Promise((r) => setTimeout(r, smoke ? 500 : 5_000));
  console.log(`answering after the load: ${await recover(server, performance.now(), RECOVER_MS)}`);
  const results: PhaseResult[] = [];
  for (const phase of phases) {
    const r = await runPhase(server, phase);
    results.push(r);
    console.log(`phase "${phase.name}": push p99 ${ms(r.push, 0.99)}, trivial query p99 ${ms(r.query, 0.99)}, heavy: ${r.heavy}, answering again after the phase's end: ${r.recovery}`);
    if (r.recovery.startsWith('not within') && phase !== phases[phases.length - 1]) {
      await server.proc.stop('SIGKILL');
      const t = performance.now();
      server = await startMyelin({ dir: root, httpPort: server.httpPort, grpcPort: server.grpcPort });
      console.log(`  restarted Myelin (WAL replay and ready in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
    }
  }
  console.log('\n| phase | heavy query | push p50 | push p99 | push max | pushes sent / timed out / failed | trivial query p50 | p99 | max | queries sent / timed out / failed | answering again after the phase\'s end | RSS after |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
  for (const r of results) {
    console.log(`| ${r.phase.name} | ${r.heavy} | ${ms(r.push, 0.5)} | ${ms(r.push, 0.99)} | ${ms(r.push, 1)} | ${counts(r.push)} | ${ms(r.query, 0.5)} | ${ms(r.query, 0.99)} | ${ms(r.query, 1)} | ${counts(r.query)} | ${r.recovery} | ${Number.isNaN(r.rssMiB) ? '-' : `${r.rssMiB.toFixed(0)} MiB`} |`);
  }
  for (const r of results) {
    if (r.push.firstError !== '') console.log(`phase "${r.phase.name}": first push error ${r.push.firstError}`);
    if (r.query.firstError !== '') console.log(`phase "${r.phase.name}": first query error ${r.query.firstError}`);
  }
} finally {
  await server?.proc.stop('SIGKILL');
  await rm(root, { recursive: true, force: true });
}
