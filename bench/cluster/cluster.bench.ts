// The whole write and read path of a microservices cluster (integration/e2e/cluster.ts: 2
// distributors, 3 ingesters with RF=3, 2 queriers, 2 store-gateways, a compactor, etcd, Redis and
// a GCS emulator) on this machine: node-exporter-like series remote-written through both
// distributors, then dashboard queries through the queriers. Prints acknowledged samples/s, the
// CPU each component spent per sample (process_cpu_seconds_total before and after the load, summed
// over the component's processes), resident memory per series of the ingesters, and query latency.
//
// Every process shares the machine's cores, so these are figures of the cluster on one machine,
// not of one component alone (bench/ingest and bench/promql measure those).
//
// Env: BENCH_SERIES, BENCH_SAMPLES (per series), BENCH_BATCH, BENCH_CONCURRENCY (per distributor),
// BENCH_MAX_SECONDS, BENCH_SMOKE=1 (a few seconds in all), BENCH_CPU_PROF (directory: every Myelin
// process runs with --cpu-prof and writes <process name>.cpuprofile there when it stops).
import { buildRequests, sendLoad, type LoadOptions } from '../ingest/load-gen.js';
import { Cluster, type MyelinProcess } from '../../integration/e2e/cluster.js';
import { nodeProfFlags } from '../lib/servers.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const opts: LoadOptions = {
  series: env('BENCH_SERIES', 50_000, 2_000),
  samples: env('BENCH_SAMPLES', 10, 2),
  batch: env('BENCH_BATCH', 2_000, 500),
  concurrency: env('BENCH_CONCURRENCY', 2, 1),
  tenants: 1,
  maxSeconds: env('BENCH_MAX_SECONDS', 300, 20),
};

async function cpuSeconds(ps: MyelinProcess[]): Promise<number> {
  let s = 0;
  for (const p of ps) s += await p.metric('process_cpu_seconds_total');
  return s;
}

async function rssBytes(ps: MyelinProcess[]): Promise<number> {
  let s = 0;
  for (const p of ps) s += await p.metric('process_resident_memory_bytes');
  return s;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

const prof = nodeProfFlags();
const cluster = await Cluster.start({
  nodeArgs: (name) => (prof.length === 0 ? [] : [...prof, `--cpu-prof-name=${name}.cpuprofile`]),
  flags: {
    // Limits out of the way: this measures throughput, not the rate limiter.
    distributor: ['-distributor.ingestion-rate-limit=1000000000', '-distributor.ingestion-burst-size=1000000000'],
    ingester: ['-ingester.max-series-per-user=0', '-ingester.max-series-per-metric=0'],
  },
});
try {
  const start = Date.now() - opts.samples * 15_000;
  const reqs = buildRequests(opts, { start });
  const perRound = Math.ceil(opts.series / opts.batch);
  // A series always goes through the same distributor, so its samples arrive in order.
  const shares = cluster.distributors.map((_, d) => reqs.filter((_r, i) => (i % perRound) % cluster.distributors.length === d));
  const groups = { distributors: cluster.distributors, ingesters: cluster.ingesters, queriers: cluster.queriers };
  const before = Object.fromEntries(await Promise.all(Object.entries(groups).map(async ([k, ps]) => [k, await cpuSeconds(ps)] as const)));
  const rssBefore = await rssBytes(cluster.ingesters);
  const results = await Promise.all(cluster.distributors.map((d, i) => sendLoad(d.url('/api/v1/push'), shares[i], opts)));
  const acked = results.reduce((s, r) => s + r.ackedSamples, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  const failed = results.reduce((s, r) => s + r.failedRequests, 0);
  const after = Object.fromEntries(await Promise.all(Object.entries(groups).map(async ([k, ps]) => [k, await cpuSeconds(ps)] as const)));
  const rssAfter = await rssBytes(cluster.ingesters);

  console.log(`cluster: 2 distributors, 3 ingesters (RF=3), 2 queriers, 2 store-gateways, compactor; ${opts.series} series × ${opts.samples} samples, batches of ${opts.batch}, ${opts.concurrency} writers per distributor`);
  console.log(`write: ${fmt(acked)} samples acknowledged in ${fmt(seconds, 2)} s = ${fmt(acked / seconds, 0)} samples/s; failed requests ${failed}${failed > 0 ? ` (first: ${results.find((r) => r.firstError !== '')?.firstError})` : ''}`);
  console.log(`CPU per acknowledged sample: distributors ${fmt(((after.distributors - before.distributors) / acked) * 1e6, 2)} µs, ingesters ${fmt(((after.ingesters - before.ingesters) / acked) * 1e6, 2)} µs (all 3 replicas)`);
  console.log(`ingester RSS growth per series: ${fmt((rssAfter - rssBefore) / opts.series / 3, 0)} bytes per replica`);

  const end = start + (opts.samples - 1) * 15_000;
  const queries: { name: string; path: string; params: Record<string, string> }[] = [
    { name: 'instant sum by (mode) (rate(node_cpu_seconds_total[1m]))', path: '/api/v1/query', params: { query: 'sum by (mode) (rate(node_cpu_seconds_total[1m]))', time: String(end / 1000) } },
    { name: 'instant count({__name__=~"node_.+"})', path: '/api/v1/query', params: { query: 'count({__name__=~"node_.+"})', time: String(end / 1000) } },
    { name: 'range topk(5, rate(node_network_receive_bytes_total[1m]))', path: '/api/v1/query_range', params: { query: 'topk(5, rate(node_network_receive_bytes_total[1m]))', start: String(start / 1000), end: String(end / 1000), step: '15' } },
  ];
  for (const q of queries) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await cluster.query('tenant-0', q.path, q.params);
      const body = await r.text();
      if (r.status !== 200) throw new Error(`${q.name}: ${r.status} ${body.slice(0, 300)}`);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`query ${q.name}: median ${fmt(times[2], 0)} ms, min ${fmt(times[0], 0)} ms (5 runs)`);
  }
  const qcpu = (await cpuSeconds(cluster.queriers)) - after.queriers;
  console.log(`querier CPU over the 15 queries: ${fmt(qcpu, 2)} s`);
} finally {
  await cluster.stop();
}
