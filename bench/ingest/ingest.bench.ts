// The ingest benchmark: the same pre-encoded remote-write load against Myelin, Prometheus 2.42
// (--web.enable-remote-write-receiver) and VictoriaMetrics, each a separate process on 127.0.0.1,
// one after the other. Prints acknowledged samples/s, server CPU µs per sample (utime + stime
// from /proc/<pid>/stat over the load) and resident memory per active series (VmRSS after the
// load / series), and the ratios to Myelin.
//
// `myelin` is the binary, `-target=all` with RF=1 and one ingester in the main thread (pinned with
// BENCH_PIN_CPU); `myelin-cores` the same with one ingester shard worker per core, never pinned
// (distributor, ingesters with WAL and TSDB head, and
// every other module idle), limits raised out of the way. `myelin-distributor` is
// `myelin-distributor-server.ts`: the real HTTP push path and distributor with a stand-in ingester
// that decodes each Push with pkg/wire and discards it, which isolates the distributor's share.
//
// Env: BENCH_SERIES, BENCH_SAMPLES (per series), BENCH_BATCH (samples per request),
// BENCH_CONCURRENCY, BENCH_TENANTS, BENCH_MAX_SECONDS, BENCH_TARGETS (myelin,myelin-cores,myelin-distributor,prometheus,victoria-metrics),
// BENCH_PIN_CPU (run servers under `taskset -c <n>`), BENCH_CPU_PROF (directory: Myelin runs with
// --cpu-prof), BENCH_SMOKE=1 (a few seconds in all).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, TestProcess, waitUntil } from '../../integration/e2e/process.js';
import { buildRequests, sendLoad, type LoadOptions } from './load-gen.js';

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
const targets = (process.env.BENCH_TARGETS ?? 'myelin,myelin-cores,myelin-distributor,prometheus,victoria-metrics').split(',');
const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

interface Target {
  name: string;
  start(port: number, dir: string): TestProcess | Promise<TestProcess>;
  ready: string;
  push: string;
}

const pin = (cmd: string, args: string[]): [string, string[]] =>
  process.env.BENCH_PIN_CPU !== undefined ? ['taskset', ['-c', process.env.BENCH_PIN_CPU, cmd, ...args]] : [cmd, args];

const nodeProf = () => (process.env.BENCH_CPU_PROF !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []);

const myelinAll = (shards: number, pinned: boolean) => async (port: number, dir: string) => {
  const main = fileURLToPath(new URL('../../cmd/myelin/main.js', import.meta.url));
  const args = [
    ...nodeProf(), main, '-target=all', '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${port}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${await freePort()}`, '-log.level=warn',
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`, '-distributor.replication-factor=1',
    '-distributor.ingestion-rate-limit=1e12', '-distributor.ingestion-burst-size=1000000000000', '-ingester.max-series-per-user=0',
    '-ingester.max-series-per-metric=0', `-ingester.shards=${shards}`,
  ];
  return new TestProcess('myelin', ...(pinned ? pin(process.execPath, args) : [process.execPath, args] as [string, string[]]));
};

const all: Record<string, Target> = {
  // One core's worth: one ingester in the main thread (pinned with BENCH_PIN_CPU).
  myelin: {
    name: 'myelin -target=all (RF=1, 1 shard)',
    start: myelinAll(1, true),
    ready: '/ready',
    push: '/api/v1/push',
  },
  // Every core: one ingester shard worker per core, never pinned.
  'myelin-cores': {
    name: `myelin -target=all (RF=1, ${availableParallelism()} shards, unpinned)`,
    start: myelinAll(0, false),
    ready: '/ready',
    push: '/api/v1/push',
  },
  'myelin-distributor': {
    name: 'myelin distributor + stand-in ingester',
    start: (port) => {
      const script = fileURLToPath(new URL('./myelin-distributor-server.js', import.meta.url));
      return new TestProcess('myelin-distributor', ...pin(process.execPath, [...nodeProf(), script, String(port)]));
    },
    ready: '/distributor/ha_tracker',
    push: '/api/v1/push',
  },
  prometheus: {
    name: 'prometheus 2.42',
    start: (port, dir) =>
      new TestProcess('prometheus', ...pin('/usr/bin/prometheus', [
        '--web.enable-remote-write-receiver', `--storage.tsdb.path=${dir}/data`, `--web.listen-address=127.0.0.1:${port}`,
        `--config.file=${dir}/prometheus.yml`, '--log.level=error',
      ])),
    ready: '/-/ready',
    push: '/api/v1/write',
  },
  'victoria-metrics': {
    name: 'victoria-metrics',
    start: (port, dir) =>
      new TestProcess('victoria-metrics', ...pin('/usr/bin/victoria-metrics', [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-loggerLevel=ERROR'])),
    ready: '/health',
    push: '/api/v1/write',
  },
};

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clkTck; // fields 14 and 15: utime, stime
}

async function rssBytes(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

const t0 = performance.now();
const reqs = buildRequests(opts);
const total = reqs.reduce((n, r) => n + r.samples, 0);
console.log(`load: ${opts.series} series × ${opts.samples} samples = ${total} samples in ${reqs.length} requests of ${opts.batch}, concurrency ${opts.concurrency}, ${opts.tenants} tenant(s); encoded in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
const rows: { name: string; rate: number; cpuUs: number; rssPerSeries: number; failed: number; error: string }[] = [];
for (const key of targets) {
  const target = all[key];
  if (target === undefined) throw new Error(`unknown target ${key}; known: ${Object.keys(all).join(', ')}`);
  const dir = await mkdtemp(join(tmpdir(), `bench-ingest-${key}-`));
  await writeFile(join(dir, 'prometheus.yml'), 'global: {}\n');
  const port = await freePort();
  const proc = await target.start(port, dir);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(base + target.ready)).ok, { timeoutMs: 60_000, what: `${key} ready` });
    const pid = proc.pid as number;
    const cpu0 = await cpuSeconds(pid);
    const res = await sendLoad(base + target.push, reqs, opts);
    const cpu = (await cpuSeconds(pid)) - cpu0;
    const rss = await rssBytes(pid);
    rows.push({
      name: target.name,
      rate: res.ackedSamples / res.seconds,
      cpuUs: res.ackedSamples > 0 ? (cpu * 1e6) / res.ackedSamples : NaN,
      rssPerSeries: rss / opts.series,
      failed: res.failedRequests,
      error: res.firstError,
    });
  } finally {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const my = rows[0];
console.log('\n| system | acked samples/s | server CPU µs/sample | RSS/active series | failed requests | CPU vs Myelin | RSS vs Myelin |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const ratio = (a: number, b: number | undefined) => (b === undefined || !Number.isFinite(b) || b === 0 ? '-' : `${(a / b).toFixed(2)}×`);
  console.log(`| ${r.name} | ${Math.round(r.rate)} | ${r.cpuUs.toFixed(2)} | ${(r.rssPerSeries / 1024).toFixed(2)} KB | ${r.failed} | ${ratio(r.cpuUs, my?.cpuUs)} | ${ratio(r.rssPerSeries, my?.rssPerSeries)} |`);
}
for (const r of rows) if (r.error !== '') console.log(`${r.name}: first error ${r.error}`);
