/**
 * Differential test: the same data in a real Prometheus (Debian 2.42, blocks made by promtool) and
 * in a real `myelin -target=all` process (fed by remote write through its distributor, queried
 * through its querier); every query below runs through both HTTP APIs, as an instant and as a
 * range query, and the JSON must agree up to a small relative float tolerance.
 *
 * Known 2.x / 3.x differences, and how the test avoids them:
 * - range windows and the lookback are closed `[t-r, t]` in 2.x, left-open in 3.x: every sample
 *   timestamp has a non-zero millisecond part and queries use whole seconds, so no sample lies on
 *   a boundary; query times are off the minute, so no subquery point (on multiples of its step)
 *   lies on one either (nested subqueries use ranges that are not multiples of their steps);
 * - `holt_winters` was renamed `double_exponential_smoothing`: each side gets its own name;
 * - 2.x drops `__name__` at once, 3.x late (label_replace could read it): no query reads a
 *   to-be-dropped name;
 * - functions new in 3.x (`mad_over_time`, `limitk`, `sort_by_label`, …) are covered by the
 *   promqltest conformance scripts instead;
 * - 3.x sums with Kahan compensation: values are compared with a relative tolerance of 1e-6;
 * - before 2.51, rate() over a window holding a counter's first sample could extrapolate further
 *   back (docs/promql.md, "rate() at the start of a series"; rate-series-start.test.ts shows it):
 *   no window, subqueries' included, reaches back to the data's start.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../../pkg/wire/index.js';
import type { TestProcess} from '../../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../../pkg/testutil/index.js';
import { generate } from './dataset.js';
import type { GeneratedSeries } from './dataset.js';
import { PrometheusServer } from './prometheus-server.js';
import { assertSameResult } from './compare-results.js';
import type { Json } from './compare-results.js';

const start = 1_699_999_200_000; // aligned to 2h
const span = 3 * 3600_000;
const series = generate({ series: 48, start, span, scrapeInterval: 15_000, seed: 7 });
const at = (ms: number): string => String((start + ms) / 1000);

const instantTime = at(2 * 3600_000 + 7 * 60_000 + 13_000);
// Off the minute: subquery points sit on multiples of their step, and a window boundary on one of
// them would again be a 2.x/3.x difference.
const range = { start: at(40 * 60_000 + 7_000), end: at(span - 5 * 60_000), step: '60' };

/** Queries as Myelin (3.x) spells them, with Prometheus 2.42's spelling where it differs. */
const queries: Array<{ q: string; prom?: string }> = [
  // Selectors and modifiers.
  { q: 'http_requests_total' },
  { q: 'http_requests_total{method="GET",status!="500"}' },
  { q: 'http_requests_total{instance=~"host-[12]",method!~"P.*"}' },
  { q: 'node_memory_free_bytes offset 10m' },
  { q: 'node_memory_free_bytes offset -10m' },
  { q: `node_memory_free_bytes @ ${at(3600_000)}` },
  { q: `rate(http_requests_total[5m] @ ${at(5400_000)} offset 1m)` },
  { q: 'node_memory_free_bytes @ start()' },
  { q: 'node_memory_free_bytes @ end()' },
  // Functions over range vectors.
  { q: 'rate(http_requests_total[5m])' },
  { q: 'irate(http_requests_total[1m])' },
  { q: 'increase(http_requests_total[10m])' },
  { q: 'delta(node_memory_free_bytes[10m])' },
  { q: 'idelta(node_memory_free_bytes[5m])' },
  { q: 'deriv(node_memory_free_bytes[10m])' },
  { q: 'predict_linear(node_memory_free_bytes[30m], 3600)' },
  { q: 'resets(http_requests_total[30m])' },
  { q: 'changes(node_memory_free_bytes[5m])' },
  { q: 'avg_over_time(node_memory_free_bytes[10m])' },
  { q: 'min_over_time(node_memory_free_bytes[10m])' },
  { q: 'max_over_time(node_memory_free_bytes[10m])' },
  { q: 'sum_over_time(node_memory_free_bytes[10m])' },
  { q: 'count_over_time(node_memory_free_bytes[10m])' },
  { q: 'quantile_over_time(0.9, node_memory_free_bytes[10m])' },
  { q: 'stddev_over_time(node_memory_free_bytes[10m])' },
  { q: 'stdvar_over_time(node_memory_free_bytes[10m])' },
  { q: 'last_over_time(node_memory_free_bytes[10m])' },
  { q: 'present_over_time(node_memory_free_bytes[10m])' },
  { q: 'absent_over_time(node_memory_free_bytes{instance="nope"}[10m])' },
  {
    q: 'double_exponential_smoothing(node_memory_free_bytes[10m], 0.3, 0.6)',
    prom: 'holt_winters(node_memory_free_bytes[10m], 0.3, 0.6)',
  },
  // Functions over instant vectors.
  { q: 'abs(-node_memory_free_bytes)' },
  { q: 'ceil(rate(http_requests_total[5m]))' },
  { q: 'floor(rate(http_requests_total[5m]))' },
  { q: 'round(rate(http_requests_total[5m]), 0.25)' },
  { q: 'exp(rate(http_requests_total[5m]) / 100)' },
  { q: 'sqrt(node_memory_free_bytes)' },
  { q: 'ln(node_memory_free_bytes)' },
  { q: 'log2(node_memory_free_bytes)' },
  { q: 'log10(node_memory_free_bytes)' },
  { q: 'sgn(deriv(node_memory_free_bytes[10m]))' },
  { q: 'clamp(rate(http_requests_total[5m]), 2, 8)' },
  { q: 'clamp_min(rate(http_requests_total[5m]), 5)' },
  { q: 'clamp_max(rate(http_requests_total[5m]), 5)' },
  { q: 'sin(rate(http_requests_total[5m])) + cos(rate(http_requests_total[5m])) + tan(rate(http_requests_total[5m]))' },
  { q: 'asin(clamp(rate(http_requests_total[5m]) / 100, -1, 1)) + acos(clamp(rate(http_requests_total[5m]) / 100, -1, 1))' },
  { q: 'atan(rate(http_requests_total[5m])) + sinh(rate(http_requests_total[5m]) / 100) + cosh(rate(http_requests_total[5m]) / 100)' },
  { q: 'tanh(rate(http_requests_total[5m])) + asinh(rate(http_requests_total[5m])) + acosh(rate(http_requests_total[5m]) + 1)' },
  { q: 'atanh(clamp(rate(http_requests_total[5m]) / 100, -0.9, 0.9)) + deg(pi()) + rad(rate(http_requests_total[5m]))' },
  { q: 'hour() + minute() + month() + year() + day_of_month() + day_of_week() + day_of_year() + days_in_month()' },
  { q: 'hour(timestamp(node_memory_free_bytes)) + minute(timestamp(node_memory_free_bytes))' },
  { q: 'time() - timestamp(node_memory_free_bytes)' },
  { q: 'vector(1) + scalar(sum(rate(http_requests_total[5m])))' },
  { q: 'sort(rate(http_requests_total[5m]))' },
  { q: 'sort_desc(rate(http_requests_total[5m]))' },
  { q: 'label_replace(node_memory_free_bytes, "host", "h-$1", "instance", "host-(.*)")' },
  { q: 'label_join(node_memory_free_bytes, "both", "/", "job", "instance")' },
  { q: 'absent(nonexistent{job="x",env="prod"})' },
  { q: 'absent(node_memory_free_bytes)' },
  { q: 'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))' },
  { q: 'histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[10m]))' },
  // Aggregations.
  { q: 'sum by (job) (rate(http_requests_total[5m]))' },
  { q: 'avg without (instance, shard) (rate(http_requests_total[5m]))' },
  { q: 'min by (method) (rate(http_requests_total[5m]))' },
  { q: 'max by (status) (rate(http_requests_total[5m]))' },
  { q: 'count by (job) (http_requests_total)' },
  { q: 'group by (job, method) (http_requests_total)' },
  { q: 'stddev by (job) (rate(http_requests_total[5m]))' },
  { q: 'stdvar(node_memory_free_bytes)' },
  { q: 'quantile by (job) (0.75, rate(http_requests_total[5m]))' },
  { q: 'topk(3, rate(http_requests_total[5m]))' },
  { q: 'bottomk by (job) (2, rate(http_requests_total[5m]))' },
  { q: 'count_values("code", http_requests_total > bool 0)' },
  // Binary operators and matching.
  { q: 'rate(http_requests_total[5m]) * 60 - 1' },
  { q: '2 ^ (rate(http_requests_total[5m]) % 3)' },
  { q: 'atan2(rate(http_requests_total[5m]), 10)' },
  { q: 'rate(http_requests_total[5m]) atan2 10' },
  {
    q: 'label_replace(sum by (job, instance) (rate(http_requests_total{method="GET",status=~"2.."}[5m])), "host", "$1", "instance", "(.*)") / on (job) group_left sum by (job) (rate(http_requests_total[5m]))',
  },
  { q: 'rate(http_requests_total[5m]) > 5' },
  { q: '5 < bool rate(http_requests_total[5m])' },
  { q: 'rate(http_requests_total[5m]) == bool rate(http_requests_total[5m] offset 1m)' },
  { q: 'sum by (job) (rate(http_requests_total[5m])) / on (job) group_left sum by (job, method) (rate(http_requests_total[5m]))' },
  {
    q: 'rate(http_requests_total[5m]) * on (instance) group_left (job) group by (instance, job) (node_memory_free_bytes)',
  },
  { q: 'node_memory_free_bytes / ignoring (job) node_memory_free_bytes offset 5m' },
  { q: 'http_requests_total and on (method) http_requests_total{method="GET"}' },
  { q: 'http_requests_total{status="200"} or http_requests_total{method="PUT"}' },
  { q: 'http_requests_total unless http_requests_total{status="404"}' },
  { q: 'sum by (job, method) (http_requests_total) + on (job) sum by (job) (http_requests_total)' },
  { q: 'sum by (job) (http_requests_total) + on (job) sum by (job, method) (http_requests_total)' },
  { q: 'sum by (job, method) (http_requests_total) * on (job) group_left sum by (job) (http_requests_total)' },
  // Subqueries.
  { q: 'max_over_time(rate(http_requests_total[1m])[10m:1m])' },
  { q: 'avg_over_time(node_memory_free_bytes[10m:])' },
  { q: 'min_over_time(sum by (job) (rate(http_requests_total[5m]))[30m:2m] offset 3m)' },
  { q: `max_over_time(rate(http_requests_total[5m])[20m:1m] @ ${at(5400_000 + 7_000)})` },
  // The inner subquery runs on the outer one's steps (whole minutes): a 299s range keeps its
  // window boundaries off its 30s points.
  { q: 'avg_over_time(max_over_time(node_memory_free_bytes[299s:30s])[20m:2m])' },
  { q: 'quantile_over_time(0.5, rate(http_requests_total[2m])[15m:1m] offset -5m)' },
  { q: 'absent_over_time(nonexistent[5m:1m])' },
  { q: 'last_over_time(node_memory_free_bytes[10m:])' },
  { q: 'deriv(sum(node_memory_free_bytes)[30m:1m])' },
  { q: 'rate(sum by (job) (http_requests_total)[10m:30s])' },
  { q: 'count_values without (instance) ("value", round(rate(http_requests_total[5m])))' },
  { q: 'topk by (job) (1, sum by (job, method) (rate(http_requests_total[5m])))' },
  { q: 'sum by (job) (rate(http_requests_total[5m])) > bool on (job) group_left avg by (job) (rate(http_requests_total[5m]))' },
  { q: 'node_memory_free_bytes unless on (instance) node_memory_free_bytes offset 1h' },
  { q: 'scalar(node_memory_free_bytes) * 2' },
  { q: 'sum(http_requests_total) - sum(http_requests_total offset 5m) or vector(0)' },
];

let prom: PrometheusServer;
let myelin: TestProcess;
let myelinUrl: string;
let dataDir: string;

/** Starts `myelin -target=all` (one copy per series, no shipping: every query reads the ingester). */
async function startMyelin(): Promise<void> {
  dataDir = mkdtempSync(join(tmpdir(), 'myelin-differential-'));
  const [http, grpc] = [await freePort(), await freePort()];
  myelin = startMyelinBinary([
    '-target=all', '-auth.enabled=false',
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dataDir}/tsdb`, `-blocks-storage.filesystem.dir=${dataDir}/blocks`,
    `-blocks-storage.bucket-store.sync-dir=${dataDir}/sync`, '-blocks-storage.tsdb.ship-interval=0',
    '-distributor.replication-factor=1', '-ingester.max-transfer-retries=0',
    '-querier.query-ingesters-within=0', '-querier.query-store-after=0',
    '-distributor.ingestion-rate-limit=0', '-distributor.ingestion-burst-size=0']);
  myelinUrl = `http://127.0.0.1:${http}`;
  await waitUntil(async () => (await fetch(`${myelinUrl}/ready`)).status === 200, { what: `myelin ready\n${myelin.output}`, timeoutMs: 60_000 });
  await waitUntil(async () => {
    const r = await fetch(`${myelinUrl}/ingester/ring`, { headers: { accept: 'application/json' } });
    return ((await r.json()) as { instances: { state: string }[] }).instances.some((i) => i.state === 'ACTIVE');
  }, { what: 'an ACTIVE ingester' });
}

/** Remote-writes every sample, in time order across series as a Prometheus would send them. */
async function remoteWrite(all: readonly GeneratedSeries[]): Promise<void> {
  const n = all.reduce((m, s) => Math.max(m, s.ts.length), 0);
  const perRequest = 20;
  for (let k = 0; k < n; k += perRequest) {
    const timeseries = all.map((s) => {
      const samples = [];
      for (let j = k; j < Math.min(k + perRequest, s.ts.length); j++) samples.push({ timestamp: s.ts[j], value: s.vs[j] });
      const labels: { name: string; value: string }[] = [];
      s.labels.forEach((name, value) => labels.push({ name, value }));
      return { labels, samples, exemplars: [], histograms: [] };
    });
    const body = snappyEncode(Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish()));
    const res = await fetch(`${myelinUrl}/api/v1/push`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body });
    assert.equal(res.status, 200, await res.text());
  }
}

before(async () => {
  // Per-step stats (stats=all) need the feature in Prometheus; Myelin always has them.
  prom = await PrometheusServer.start(series, ['--enable-feature=promql-per-step-stats']);
  await startMyelin();
  await remoteWrite(series);
});

after(async () => {
  await myelin?.stop();
  await prom?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

function myelinFetch(path: string, params: Record<string, string>): Promise<Response> {
  return fetch(`${myelinUrl}/prometheus${path}?${new URLSearchParams(params).toString()}`);
}

async function myelinGet(path: string, params: Record<string, string>): Promise<Json> {
  return (await (await myelinFetch(path, params)).json()) as Json;
}

test('instant and range queries agree with Prometheus', async (t) => {
  for (const { q, prom: promQuery } of queries) {
    await t.test(q, async () => {
      const instant = { time: instantTime };
      assertSameResult(
        `instant ${q}`,
        await myelinGet('/api/v1/query', { query: q, ...instant }),
        (await prom.get('/api/v1/query', { query: promQuery ?? q, ...instant })) as Json,
      );
      assertSameResult(
        `range ${q}`,
        await myelinGet('/api/v1/query_range', { query: q, ...range }),
        (await prom.get('/api/v1/query_range', { query: promQuery ?? q, ...range })) as Json,
      );
    });
  }
});

test('series, labels and label values agree with Prometheus', async () => {
  const params = { 'match[]': 'node_memory_free_bytes', start: range.start, end: range.end };
  for (const path of ['/api/v1/series', '/api/v1/labels', '/api/v1/label/instance/values']) {
    const mine = await myelinGet(path, params);
    const theirs = (await prom.get(path, params)) as Json;
    const sortJson = (x: unknown): string[] => (x as unknown[]).map((e) => JSON.stringify(e)).sort();
    assert.deepEqual(sortJson(mine.data), sortJson(theirs.data), path);
  }
});

/** Deterministic results (sorted matrices, exact arithmetic) must be byte-identical. */
const exact: Array<{ path: string; params: Record<string, string> }> = [
  { path: '/api/v1/query_range', params: { query: 'http_requests_total{instance="host-1"}', ...range } },
  { path: '/api/v1/query_range', params: { query: 'count by (job) (http_requests_total)', ...range } },
  { path: '/api/v1/query_range', params: { query: 'node_memory_free_bytes / 1e6 > 1000', ...range } },
  { path: '/api/v1/query', params: { query: '1/0', time: '1.5' } },
  { path: '/api/v1/query', params: { query: 'vector(1)', time: '1.5' } },
  { path: '/api/v1/query', params: { query: 'vector(1)', time: '1.005' } },
  { path: '/api/v1/query', params: { query: '-node_memory_free_bytes[1m]', time: instantTime } },
  { path: '/api/v1/query', params: { query: 'sum(rate(http_requests_total[5m])) by (job) * on() group_left vector(1)', time: instantTime } },
  { path: '/api/v1/query', params: { query: 'node_memory_free_bytes[5m]', time: instantTime } },
  { path: '/api/v1/query', params: { query: '-1/0', time: '-10.005' } },
  // Negative zero keeps its sign, in values and in count_values' label.
  { path: '/api/v1/query', params: { query: '-0', time: '1.5' } },
  { path: '/api/v1/query', params: { query: 'vector(0) * -1', time: '1.5' } },
  { path: '/api/v1/query', params: { query: 'count_values("v", vector(0) * -1)', time: '1.5' } },
  { path: '/api/v1/query_range', params: { query: '-vector(0)', start: '0', end: '2', step: '1' } },
  { path: '/api/v1/query', params: { query: 'vector(0/0) < bool 1', time: instantTime } },
  { path: '/api/v1/query', params: { query: '"a<b>&c"', time: instantTime } },
  { path: '/api/v1/query', params: { query: 'sum(', time: instantTime } },
  { path: '/api/v1/query', params: { query: 'rate(http_requests_total)', time: instantTime } },
  { path: '/api/v1/query', params: { query: 'up', time: 'yesterday' } },
  { path: '/api/v1/query_range', params: { query: 'up', start: '10', end: '5', step: '1' } },
  { path: '/api/v1/query_range', params: { query: 'up', start: '0', end: '100000', step: '1' } },
];

test('byte-identical responses', async (t) => {
  for (const { path, params } of exact) {
    await t.test(`${path} ${JSON.stringify(params)}`, async () => {
      const mine = await myelinFetch(path, params);
      const theirs = await fetch(`${prom.url}${path}?${new URLSearchParams(params).toString()}`);
      assert.equal(await mine.text(), await theirs.text());
      assert.equal(mine.status, theirs.status);
    });
  }
});

test('format_query prints as Prometheus does', async (t) => {
  for (const { q, prom: promQuery } of queries) {
    if (promQuery !== undefined) continue;
    await t.test(q, async () => {
      const mine = await myelinGet('/api/v1/format_query', { query: q });
      const theirs = (await prom.get('/api/v1/format_query', { query: q })) as Json;
      assert.deepEqual(mine, theirs);
    });
  }
});

interface StatsJson {
  timings: Record<string, number>;
  samples: { totalQueryableSamplesPerStep?: [number, number][]; totalQueryableSamples: number; peakSamples: number };
}

/**
 * `stats` as Prometheus answers it: the same members in the same order, the same samples read in
 * total and per step (timings and the peak are each engine's own: only their presence is compared).
 */
test('stats=all and stats=true: the shape and the samples read of Prometheus', async (t) => {
  const keysOf = (x: unknown): string[] => Object.keys(x as object);
  const cases = queries.flatMap(({ q, prom: promQuery }): { path: string; params: Record<string, string>; prom?: string }[] => [
    { path: '/api/v1/query', params: { query: q, time: instantTime }, prom: promQuery },
    { path: '/api/v1/query_range', params: { query: q, ...range }, prom: promQuery },
  ]);
  for (const { path, params, prom: promQuery } of cases) {
    await t.test(`${path} ${params.query}`, async () => {
      for (const stats of ['all', 'true']) {
        const mine = await myelinGet(path, { ...params, stats });
        const theirs = (await prom.get(path, { ...params, query: promQuery ?? params.query, stats })) as Json;
        assert.equal(mine.status, theirs.status);
        if (theirs.status !== 'success') continue; // errors (2.42's atan2 and matching rules) carry no stats
        const a = (mine.data as { stats: StatsJson }).stats;
        const b = (theirs.data as { stats: StatsJson }).stats;
        assert.deepEqual(keysOf(mine.data), keysOf(theirs.data), `data members, stats=${stats}`);
        assert.deepEqual(keysOf(a), keysOf(b));
        assert.deepEqual(keysOf(a.timings), keysOf(b.timings));
        assert.deepEqual(keysOf(a.samples), keysOf(b.samples), `samples members, stats=${stats}`);
        for (const v of Object.values(a.timings)) assert.equal(typeof v, 'number');
        assert.equal(typeof a.samples.peakSamples, 'number');
        assert.equal(a.samples.totalQueryableSamples, b.samples.totalQueryableSamples, `totalQueryableSamples, stats=${stats}`);
        assert.deepEqual(a.samples.totalQueryableSamplesPerStep, b.samples.totalQueryableSamplesPerStep, `per step, stats=${stats}`);
      }
    });
  }
});
