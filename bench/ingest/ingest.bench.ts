// The ingest benchmark: the same pre-encoded remote-write load against Myelin, Prometheus 2.42
// (--web.enable-remote-write-receiver) and VictoriaMetrics, each a separate process on 127.0.0.1,
// one after the other. Prints acknowledged samples/s (and those of round 0 alone, which creates
// every series), server CPU µs per sample (utime + stime
// from /proc/<pid>/stat over the load) and resident memory per active series (VmRSS after the
// load / series), and the ratios to Myelin.
//
// `myelin` is the binary, `-target=all` with RF=1 and one ingester in the main thread (pinned with
// BENCH_PIN_CPU); `myelin-cores` the same with one ingester shard worker per core, never pinned
// (distributor, ingesters with WAL and TSDB head, every other module idle), limits raised out of the way. `myelin-distributor` is
// `myelin-distributor-server.ts`: the real HTTP push path and distributor with a stand-in ingester
// (in a child process, whose CPU is not counted) that decodes each Push with pkg/wire and discards
// it: the distributor's CPU per sample alone, as bench/cluster counts it.
//
// Env: BENCH_SERIES, BENCH_SAMPLES (per series), BENCH_BATCH (samples per request),
// BENCH_CONCURRENCY, BENCH_TENANTS, BENCH_MAX_SECONDS, BENCH_TARGETS (myelin,myelin-cores,myelin-distributor,prometheus,victoria-metrics),
// BENCH_PIN_CPU (run servers under `taskset -c <n>`), BENCH_THREADS=1 (print each server's CPU µs
// per sample by thread: the main thread, then the others by id), BENCH_CPU_PROF (directory: Myelin runs with
// --cpu-prof), BENCH_SMOKE=1 (a few seconds in all), BENCH_PROTOCOL: `1.0` (default), `2.0`
// (remote write 2.0 requests), `otlp` (the same series as gzipped OTLP gauges to /otlp/v1/metrics,
// job and instance as service.name and service.instance.id), or several, comma-separated, run one
// after the other, a row each; Prometheus 2.42 and VictoriaMetrics 1.79 take 1.0 only.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, TestProcess, waitUntil } from '../../pkg/testutil/index.js';
import { cpuSeconds, nodeProfFlags, pinned, rssBytes, threadCpu, startMyelin, startPrometheus, startVictoriaMetrics, type BenchServer } from '../lib/servers.js';
import { buildRequests, pushPath, sendLoad, type LoadOptions, type LoadProtocol } from './load-gen.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const opts: LoadOptions = {
  series: env('BENCH_SERIES', 100_000, 2_000),
  samples: env('BENCH_SAMPLES', 20, 2),
  batch: env('BENCH_BATCH', 2_000, 500),
  concurrency: env('BENCH_CONCURRENCY', 4, 2),
  tenants: env('BENCH_TENANTS', 1, 1),
  maxSeconds: env('BENCH_MAX_SECONDS', 600, 10),
};
const protocols = (process.env.BENCH_PROTOCOL ?? '1.0').split(',').map((p): LoadProtocol => {
  if (p !== '1.0' && p !== '2.0' && p !== 'otlp') throw new Error(`BENCH_PROTOCOL: unknown protocol ${p}; known: 1.0, 2.0, otlp`);
  return p;
});
const protocolName = (p: LoadProtocol) => (p === 'otlp' ? 'OTLP' : `remote write ${p}`);
const targets = (process.env.BENCH_TARGETS ?? 'myelin,myelin-cores,myelin-distributor,prometheus,victoria-metrics').split(',');

/** The real HTTP push path and distributor in front of a stand-in ingester (myelin-distributor-server.ts). */
async function startDistributorOnly(): Promise<BenchServer> {
  const port = await freePort();
  const script = fileURLToPath(new URL('./myelin-distributor-server.js', import.meta.url));
  const proc = new TestProcess('myelin-distributor', ...pinned(process.execPath, [...nodeProfFlags(), script, String(port)]));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${url}/distributor/ha_tracker`)).ok, { timeoutMs: 30_000, what: 'myelin-distributor ready' });
  return { name: 'myelin-distributor', proc, url, push: '/api/v1/push', apiPrefix: '', pid: proc.pid as number };
}

const all: Record<string, { name: string; start(dir: string): Promise<BenchServer>; v1Only?: boolean }> = {
  // One core's worth: one ingester in the main thread (pinned with BENCH_PIN_CPU).
  myelin: { name: 'myelin -target=all (RF=1, 1 shard)', start: (dir) => startMyelin({ dir, flags: ['-ingester.shards=1'] }) },
  // Every core: one ingester shard worker per core, never pinned.
  'myelin-cores': {
    name: `myelin -target=all (RF=1, ${availableParallelism()} shards, unpinned)`,
    start: (dir) => startMyelin({ dir, flags: ['-ingester.shards=0'], unpinned: true }),
  },
  'myelin-distributor': { name: 'myelin distributor (stand-in ingester not counted)', start: () => startDistributorOnly() },
  prometheus: { name: 'prometheus 2.42', start: (dir) => startPrometheus(dir, `${dir}/data`), v1Only: true },
  'victoria-metrics': { name: 'victoria-metrics', start: (dir) => startVictoriaMetrics(dir), v1Only: true },
};

const rows: { name: string; rate: number; firstRoundRate: number; cpuUs: number; rssPerSeries: number; failed: number; error: string }[] = [];
for (const protocol of protocols) {
  const t0 = performance.now();
  const load = { ...opts, protocol };
  const reqs = buildRequests(load);
  const total = reqs.reduce((n, r) => n + r.samples, 0);
  console.log(`load: ${protocolName(protocol)}, ${opts.series} series × ${opts.samples} samples = ${total} samples in ${reqs.length} requests of ${opts.batch}, concurrency ${opts.concurrency}, ${opts.tenants} tenant(s); encoded in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  for (const key of targets) {
    const target = all[key];
    if (target === undefined) throw new Error(`unknown target ${key}; known: ${Object.keys(all).join(', ')}`);
    if (target.v1Only === true && protocol !== '1.0') {
      console.log(`${target.name}: skipped, it does not receive ${protocolName(protocol)}`);
      continue;
    }
    rows.push({ name: protocols.length > 1 ? `${target.name}, ${protocolName(protocol)}` : target.name, ...(await measure(key, target, reqs, load)) });
  }
}

/** Runs the load against a fresh server of `target`: the row's figures. */
async function measure(key: string, target: { start(dir: string): Promise<BenchServer> }, reqs: ReturnType<typeof buildRequests>, load: LoadOptions) {
  const dir = await mkdtemp(join(tmpdir(), `bench-ingest-${key}-`));
  const server = await target.start(dir);
  try {
    const pid = server.pid;
    const cpu0 = await cpuSeconds(pid);
    const threads0 = await threadCpu(pid);
    const url = server.url + pushPath(load.protocol ?? '1.0', server.push);
    // Round 0 creates every series (Prometheus' and Cortex' costliest part of a start); timed alone.
    const first = await sendLoad(url, reqs.filter((r) => r.round === 0), load);
    const rest = await sendLoad(url, reqs.filter((r) => r.round > 0), load);
    const acked = first.ackedSamples + rest.ackedSamples;
    const cpu = (await cpuSeconds(pid)) - cpu0;
    if (process.env.BENCH_THREADS === '1') printThreads(server.name, pid, threads0, await threadCpu(pid), acked);
    const rss = await rssBytes(pid);
    return {
      rate: acked / (first.seconds + rest.seconds),
      firstRoundRate: first.ackedSamples / first.seconds,
      cpuUs: acked > 0 ? (cpu * 1e6) / acked : NaN,
      rssPerSeries: rss / load.series,
      failed: first.failedRequests + rest.failedRequests,
      error: first.firstError !== '' ? first.firstError : rest.firstError,
    };
  } finally {
    await server.proc.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * CPU µs per sample of each thread that was busy over the load, busiest first (threads are all
 * named `node`, so by id; the main thread's id is the process's).
 */
function printThreads(name: string, pid: number, before: Awaited<ReturnType<typeof threadCpu>>, after: Awaited<ReturnType<typeof threadCpu>>, samples: number): void {
  const busy = [...after].map(([tid, t]) => [tid === pid ? 'main' : String(tid), t.cpu - (before.get(tid)?.cpu ?? 0)] as const);
  const parts = busy.filter(([, s]) => (s * 1e6) / samples >= 0.01).sort((a, b) => b[1] - a[1]).map(([n, s]) => `${n} ${((s * 1e6) / samples).toFixed(2)}`);
  console.log(`${name}: CPU µs per sample by thread: ${parts.join(', ')}`);
}

const my = rows[0];
console.log('\n| system | acked samples/s | first round (new series) samples/s | server CPU µs/sample | RSS/active series | failed requests | CPU vs Myelin | RSS vs Myelin |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const ratio = (a: number, b: number | undefined) => (b === undefined || !Number.isFinite(b) || b === 0 ? '-' : `${(a / b).toFixed(2)}×`);
  console.log(`| ${r.name} | ${Math.round(r.rate)} | ${Math.round(r.firstRoundRate)} | ${r.cpuUs.toFixed(2)} | ${(r.rssPerSeries / 1024).toFixed(2)} KB | ${r.failed} | ${ratio(r.cpuUs, my?.cpuUs)} | ${ratio(r.rssPerSeries, my?.rssPerSeries)} |`);
}
for (const r of rows) if (r.error !== '') console.log(`${r.name}: first error ${r.error}`);
