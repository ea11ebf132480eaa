// Latency of dashboard-style PromQL queries in Myelin (engine over a TSDB head) and in a real
// Prometheus 2.42 over the same samples (blocks made by promtool), side by side.
//
//   node dist/bench/promql/dashboard.bench.js            10k counter series, Prometheus compared
//   BENCH_SMOKE=1 node dist/bench/promql/dashboard.bench.js   200 series, Myelin only, one run
//
// Myelin's time is the engine call (select + evaluate); Prometheus' is its own execTotalTime from
// `stats=all`, so neither includes HTTP or JSON. The median of the runs is printed.
import { existsSync } from 'node:fs';
import { appendAll, generate } from '../../integration/promql/dataset.js';
import { PROMETHEUS, PrometheusServer } from '../../integration/promql/prometheus-server.js';
import { Engine } from '../../pkg/promql/index.js';
import { Head } from '../../pkg/tsdb/index.js';

const smoke = process.env.BENCH_SMOKE === '1';
const seriesCount = smoke ? 200 : 10_000;
const runs = smoke ? 1 : 7;
const start = 1_699_999_200_000;
const span = 70 * 60_000;
const end = start + span - 60_000;
const hourAgo = end - 3600_000;

const queries: Array<{ name: string; q: string; range: boolean }> = [
  { name: 'rate 1h of all series (instant)', q: 'sum(rate(http_requests_total[1h]))', range: false },
  { name: 'rate, every series (range 1h/60s)', q: 'rate(http_requests_total[5m])', range: true },
  { name: 'sum by job of rate', q: 'sum by (job) (rate(http_requests_total[5m]))', range: true },
  {
    name: 'histogram_quantile over buckets',
    q: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
    range: true,
  },
  { name: 'topk', q: 'topk(10, rate(http_requests_total[5m]))', range: true },
  { name: 'subquery', q: 'max_over_time(sum by (job) (rate(http_requests_total[1m]))[30m:1m])', range: true },
  { name: 'regex matcher', q: 'sum(rate(http_requests_total{instance=~"host-1.*",method!="GET"}[5m]))', range: true },
];

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const t0 = Date.now();
const data = generate({ series: seriesCount, start, span, scrapeInterval: 15_000, seed: 42 });
const samples = data.reduce((n, s) => n + s.ts.length, 0);
const head = await Head.open();
await appendAll(head, data);
console.log(`data: ${data.length} series, ${samples} samples, loaded in ${Date.now() - t0} ms`);

const withProm = !smoke && existsSync(PROMETHEUS);
const prom = withProm ? await PrometheusServer.start(data) : undefined;
const engine = new Engine({ maxSamples: 500_000_000 });
const sec = (ms: number): string => String(ms / 1000);

try {
  console.log(`${'query'.padEnd(36)} ${'myelin ms'.padStart(10)} ${'prom ms'.padStart(10)} ${'ratio'.padStart(7)}  samples`);
  for (const { name, q, range } of queries) {
    const mine: number[] = [];
    let loaded = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const res = range ? await engine.rangeQuery(head, q, hourAgo, end, 60_000) : await engine.instantQuery(head, q, end);
      mine.push(performance.now() - t);
      loaded = res.stats.samplesLoaded;
    }
    let theirs = NaN;
    if (prom !== undefined) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const params: Record<string, string> = range
          ? { query: q, start: sec(hourAgo), end: sec(end), step: '60', stats: 'all' }
          : { query: q, time: sec(end), stats: 'all' };
        const body = (await prom.get(range ? '/api/v1/query_range' : '/api/v1/query', params)) as {
          data: { stats: { timings: { execTotalTime: number } } };
        };
        times.push(body.data.stats.timings.execTotalTime * 1000);
      }
      theirs = median(times);
    }
    const m = median(mine);
    const ratio = Number.isNaN(theirs) ? '-' : (m / theirs).toFixed(2);
    console.log(
      `${name.padEnd(36)} ${m.toFixed(1).padStart(10)} ${(Number.isNaN(theirs) ? '-' : theirs.toFixed(1)).padStart(10)} ${ratio.padStart(7)}  ${loaded}`,
    );
  }
} finally {
  await prom?.stop();
}
