// The query-frontend on a microservices cluster (integration/e2e/cluster.ts): two queriers take
// their work from it over gRPC Process streams, one query at a time each (-querier.max-concurrent=1).
// - Range queries split by 5 minutes (the code path of 24h splits at day boundaries, with more
//   boundaries per test) answer byte for byte as the unsplit querier does, with `offset`, `@`,
//   subqueries and aggregations; instant queries, series and labels pass through unchanged.
// - The results cache (Redis): a repeated and a moved window answer as the querier does, from the
//   cache plus only what is new; `Cache-Control: no-store` bypasses it.
// - Fairness: while tenant A has filled its queue (429s), tenant B's query is served before A's.
// - A querier killed (SIGKILL) while it holds parts of queries: the parts are retried on the other
//   querier and every answer is still the right one.
// - The labels cache (results_cache_ttl_for_labels_query=1m): a repeated labels request is answered
//   by the frontend alone, a label pushed since shows only with `Cache-Control: no-store`.
// - Store-gateways down (SIGKILL): a query of blocks fails by default; with partial_response=true
//   it answers without them, with a warning naming the blocks.
// - Two of three ingesters down (SIGKILL, RF=3): a query fails by default; with partial_response=true
//   it answers from the one left, with a warning naming the others.
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GcsBucket } from '../../pkg/bucket/index.js';
import { uploadTestBlock } from '../../pkg/bucket-index/testing.js';
import { Cluster, remoteWriteBody, withLogsOnFailure } from '../e2e/cluster.js';
import type { MyelinProcess, TestSeries } from '../e2e/cluster.js';
import { waitUntil } from '../../pkg/testutil/index.js';

let cluster: Cluster;
let frontend: MyelinProcess;
/** The newest sample pushed (ms). */
let last: number;

const step = 15_000;
const seriesCount = 300;

before(async () => {
  cluster = await Cluster.start({
    flags: {
      'query-frontend': ['-querier.split-queries-by-interval=5m', '-querier.max-outstanding-requests-per-tenant=20', '-query-frontend.results-cache-ttl-for-labels-query=1m'],
      // The sync interval sets how long a new block may be missing without an error (3 intervals).
      querier: ['-querier.max-concurrent=1', '-blocks-storage.bucket-store.sync-interval=1s'],
    },
  });
  frontend = cluster.queryFrontends[0];
  // 40 minutes of counters for 300 series, in every tenant the tests use.
  last = Math.floor(Date.now() / step) * step - step;
  const series: TestSeries[] = [];
  for (let i = 0; i < seriesCount; i++) {
    const samples: [number, number][] = [];
    for (let t = last - 40 * 60_000; t <= last; t += step) samples.push([t, Math.floor((t / 1000) * (1 + (i % 7))) % 100_000 + i]);
    series.push({ labels: { __name__: 'fe_requests_total', job: ['api', 'web', 'db<&>'][i % 3], instance: `i-${i}` }, samples });
  }
  for (const tenant of ['team-a', 'team-b']) {
    for (let i = 0; i < series.length; i += 50) {
      const r = await cluster.push(tenant, remoteWriteBody(series.slice(i, i + 50)));
      assert.equal(r.status, 200, await r.text());
    }
  }
});

after(async () => {
  await cluster?.stop();
});

/** Range query parameters on a 37s grid (what align_queries_with_step leaves alone): parts start mid-interval, between samples. */
function rangeParams(query: string, minutesBack = 35, shift = 0): Record<string, string> {
  const grid = (t: number) => Math.floor(t / 37_000) * 37_000;
  return { query, start: String((grid(last - minutesBack * 60_000) + shift) / 1000), end: String((grid(last - 60_000) + shift) / 1000), step: '37' };
}

/** A range query through the frontend, with extra request headers. */
function viaFrontend(tenant: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${frontend.url('/prometheus/api/v1/query_range')}?${new URLSearchParams(params)}`, { headers: { 'X-Scope-OrgID': tenant, ...headers } });
}

async function body(r: Response): Promise<string> {
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return text;
}

test('split range queries answer as the unsplit querier does; other requests pass through', async () => {
  await withLogsOnFailure(cluster, async () => {
    const mid = String((last - 17 * 60_000) / 1000);
    const queries = [
      'fe_requests_total{instance=~"i-1.?"}',
      'rate(fe_requests_total[2m])',
      'sum by (job) (rate(fe_requests_total[3m]))',
      'fe_requests_total{job="api"} offset 3m',
      `sum(fe_requests_total @ ${mid}) by (job)`,
      'max_over_time(fe_requests_total{job="web"}[10m:1m])',
      'count(fe_requests_total @ end()) by (job)',
      'topk(3, fe_requests_total)',
    ];
    for (const q of queries) {
      const direct = await body(await cluster.query('team-a', '/api/v1/query_range', rangeParams(q), cluster.queriers[0]));
      const answered = await body(await cluster.query('team-a', '/api/v1/query_range', rangeParams(q), frontend));
      assert.equal(answered, direct, q);
    }
    assert.ok(await frontend.metric('myelin_frontend_split_queries_total') >= 7 * (queries.length - 1), 'every query but the @ end() one was split');
    // align_queries_with_step (configs/microservices/query-frontend.yaml): start and end move down to the grid.
    const shifted = await body(await cluster.query('team-a', '/api/v1/query_range', rangeParams(queries[1], 35, 11_000), frontend));
    assert.equal(shifted, await body(await cluster.query('team-a', '/api/v1/query_range', rangeParams(queries[1]), cluster.queriers[0])));
    const passThrough: [string, Record<string, string>][] = [
      ['/api/v1/query', { query: 'sum by (job) (fe_requests_total)', time: mid }],
      ['/api/v1/series', { 'match[]': 'fe_requests_total{instance="i-7"}' }],
      ['/api/v1/labels', {}],
      ['/api/v1/label/job/values', {}],
    ];
    for (const [path, params] of passThrough) {
      assert.equal(await body(await cluster.query('team-a', path, params, frontend)), await body(await cluster.query('team-a', path, params, cluster.queriers[1])), path);
    }
    // Bad input is the querier's to refuse, with its words, through the frontend.
    const bad = await cluster.query('team-a', '/api/v1/query_range', { ...rangeParams('rate(fe_requests_total[2m])'), step: 'x' }, frontend);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /invalid parameter \\?"step\\?"/);
    const noTenant = await fetch(frontend.url('/prometheus/api/v1/query?query=up'));
    assert.equal(noTenant.status, 401);
    // query_stats_enabled: the queriers' fetch statistics came back over the Process streams.
    const stats = readFileSync(frontend.logFile, 'utf8').split('\n').filter((l) => l.includes('msg="query stats"') && l.includes('op=query_range'));
    assert.ok(stats.some((l) => /fetched_series_count=[1-9]/.test(l) && /querier_requests=[1-9]/.test(l)), stats.slice(0, 3).join('\n'));
  });
});

test('results cache in Redis: repeated and moved windows answer as the querier does, asking the queriers only for what is new', async () => {
  await withLogsOnFailure(cluster, async () => {
    const q = 'sum by (job) (rate(fe_requests_total[2m]))';
    const cached = async (p: Record<string, string>, headers: Record<string, string> = {}) => body(await viaFrontend('team-b', p, headers));
    const direct = async (p: Record<string, string>) => body(await cluster.query('team-b', '/api/v1/query_range', p, cluster.queriers[0]));
    const taken = () => frontend.metric('myelin_query_frontend_queue_duration_seconds_count');
    const hits = () => frontend.metric('myelin_frontend_query_result_cache_hits_total');

    const p = rangeParams(q, 35);
    assert.equal(await cached(p), await direct(p));
    const coldParts = await frontend.metric('myelin_frontend_split_queries_total');
    // The same window: every part from Redis, no querier asked.
    let before = await taken();
    const hitsBefore = await hits();
    assert.equal(await cached(p), await direct(p));
    assert.equal(await taken(), before, 'no part went to a querier');
    assert.ok(await hits() > hitsBefore);
    // The window moved by two steps: only its new end is asked for (one gap, in the last part).
    const moved = rangeParams(q, 35, 74_000);
    before = await taken();
    assert.equal(await cached(moved), await direct(moved));
    assert.ok(await taken() - before <= 2, `at most the last part's gap and the freshness gap went to queriers: ${await taken() - before}`);
    assert.ok(await frontend.metric('myelin_frontend_split_queries_total') > coldParts);
    // Cache-Control: no-store: evaluated again, from the queriers only.
    before = await taken();
    const hitsNow = await hits();
    assert.equal(await cached(p, { 'Cache-Control': 'no-store' }), await direct(p));
    assert.ok(await taken() - before >= 7, 'every part was evaluated');
    assert.equal(await hits(), hitsNow);
    assert.ok(await frontend.metric('myelin_cache_fetched_keys_total', { name: 'frontend-results' }) > 0);
  });
});

/** The fields of the frontend's last logfmt line with `msg` whose query is `query`. */
function lastLogLine(msg: string, query: string): Record<string, string> | undefined {
  const lines = readFileSync(frontend.logFile, 'utf8').split('\n').filter((l) => l.includes(`msg="${msg}"`));
  for (const line of lines.reverse()) {
    const fields: Record<string, string> = {};
    for (const m of line.matchAll(/([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) fields[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) as string : m[2];
    if (fields.query === query) return fields;
  }
  return undefined;
}

interface StatsAnswer {
  data: { result: unknown; stats: { timings: Record<string, number>; samples: { totalQueryableSamplesPerStep?: [number, number][]; totalQueryableSamples: number; peakSamples: number } } };
}

test('stats through the frontend: the split parts\' stats merged as the unsplit querier counts them, never from the cache', async () => {
  await withLogsOnFailure(cluster, async () => {
    const p = rangeParams('sum by (job) (rate(fe_requests_total[2m]))', 30);
    const lookups = () => frontend.metric('myelin_frontend_query_result_cache_requests_total', { request_type: 'query_range' });
    const before = await lookups();
    for (const stats of ['all', 'true']) {
      const direct = JSON.parse(await body(await cluster.query('team-a', '/api/v1/query_range', { ...p, stats }, cluster.queriers[0]))) as StatsAnswer;
      const split = JSON.parse(await body(await cluster.query('team-a', '/api/v1/query_range', { ...p, stats }, frontend))) as StatsAnswer;
      assert.deepEqual(split.data.result, direct.data.result);
      assert.deepEqual(Object.keys(split.data.stats.timings), ['evalTotalTime', 'resultSortTime', 'queryPreparationTime', 'innerEvalTime', 'execQueueTime', 'execTotalTime']);
      assert.deepEqual(Object.keys(split.data.stats.samples), Object.keys(direct.data.stats.samples));
      assert.equal(split.data.stats.samples.totalQueryableSamples, direct.data.stats.samples.totalQueryableSamples);
      assert.deepEqual(split.data.stats.samples.totalQueryableSamplesPerStep, direct.data.stats.samples.totalQueryableSamplesPerStep);
      assert.ok(split.data.stats.samples.totalQueryableSamples > 0);
    }
    assert.equal(await lookups(), before, 'stats requests bypass the results cache');
  });
});

test('the query stats log line: tenant, query, wall and queue time, what was fetched and read, and the results cache\'s part', async () => {
  await withLogsOnFailure(cluster, async () => {
    // One series: each part fetches it once.
    const q = 'count_over_time(fe_requests_total{instance="i-42"}[1m])';
    const p = rangeParams(q, 30);
    const direct = JSON.parse(await body(await cluster.query('team-a', '/api/v1/query_range', { ...p, stats: 'true' }, cluster.queriers[0]))) as StatsAnswer;
    const first = await body(await cluster.query('team-a', '/api/v1/query_range', p, frontend));
    // The frontend logs the line as it answers; the log reaches its file a moment later.
    await waitUntil(async () => lastLogLine('query stats', q) !== undefined, { what: 'a query stats line for the query', timeoutMs: 5_000 });
    const cold = lastLogLine('query stats', q) as Record<string, string>;
    assert.equal(cold.tenant, 'team-a');
    assert.equal(cold.op, 'query_range');
    assert.equal(cold.status, '200');
    assert.equal(cold.results_cache, 'miss');
    const parts = Number(cold.querier_requests);
    assert.ok(parts >= 6, `a 29-minute range in 5-minute parts: ${parts}`);
    assert.equal(Number(cold.fetched_series_count), parts);
    assert.ok(Number(cold.fetched_chunks_count) >= parts && Number(cold.fetched_chunk_bytes) > 0, JSON.stringify(cold));
    assert.ok(Number(cold.fetched_data_bytes) > Number(cold.fetched_chunk_bytes));
    // count_over_time's values are the sizes of its windows: the samples read.
    assert.equal(Number(cold.samples_processed), direct.data.stats.samples.totalQueryableSamples);
    assert.equal(Number(cold.response_bytes), first.length);
    assert.ok(Number(cold.wall_seconds) > 0 && Number(cold.queue_seconds) >= 0 && Number(cold.queue_seconds) < Number(cold.wall_seconds) * parts);
    // Again, once the extents are in Redis (stored after the answer): every part from the cache, nothing fetched or read.
    await waitUntil(async () => {
      assert.equal(await body(await cluster.query('team-a', '/api/v1/query_range', p, frontend)), first);
      return lastLogLine('query stats', q)?.results_cache === 'hit';
    }, { what: 'a results cache hit', timeoutMs: 10_000 });
    const warm = lastLogLine('query stats', q);
    assert.deepEqual([warm?.results_cache, warm?.querier_requests, warm?.cached_parts, warm?.fetched_series_count, warm?.samples_processed], ['hit', '0', String(parts), '0', '0']);
    // Moved by a step: the new end is fetched, the rest comes from the cache.
    await body(await cluster.query('team-a', '/api/v1/query_range', rangeParams(q, 30, 37_000), frontend));
    await waitUntil(async () => lastLogLine('query stats', q)?.results_cache === 'partial', { what: 'a partial results cache hit logged', timeoutMs: 5_000 });
  });
});

test('fairness: tenant B is served while tenant A has filled its queue', async () => {
  await withLogsOnFailure(cluster, async () => {
    const started = Date.now();
    const aFinished: number[] = [];
    // no-store: every part goes to the queriers, whatever the results cache holds.
    const a = Array.from({ length: 8 }, async () => {
      const r = await viaFrontend('team-a', rangeParams('sum by (job) (rate(fe_requests_total[5m]))', 40), { 'Cache-Control': 'no-store' });
      await r.text();
      aFinished.push(Date.now() - started);
      return r.status;
    });
    // B asks once A's queue holds parts of A's queries.
    await waitUntil(async () => await frontend.metric('myelin_query_frontend_queue_length', { user: 'team-a' }) >= 10, { what: 'A\'s queue filling', intervalMs: 5 });
    const b = await viaFrontend('team-b', rangeParams('sum by (job) (rate(fe_requests_total[5m]))', 40), { 'Cache-Control': 'no-store' });
    const bFinished = Date.now() - started;
    await body(b);
    const aStatus = await Promise.all(a);
    assert.ok(aStatus.includes(429), `A's burst passed its 20 outstanding requests: ${aStatus.join(',')}`);
    assert.ok(await frontend.metric('myelin_query_frontend_discarded_requests_total', { user: 'team-a' }) > 0);
    assert.equal(await frontend.metric('myelin_query_frontend_discarded_requests_total', { user: 'team-b' }), 0);
    assert.ok(bFinished < Math.max(...aFinished), `B (${bFinished}ms) answered before A's last query (${Math.max(...aFinished)}ms)`);
  });
});

test('a querier killed while it holds parts of queries: they are retried on the other querier', async () => {
  await withLogsOnFailure(cluster, async () => {
    // One query per tenant: each queues at most max_query_parallelism (14) parts, within the 20 allowed.
    const asked: [string, string][] = [['team-a', 'rate(fe_requests_total[2m])'], ['team-b', 'sum by (job) (rate(fe_requests_total[3m]))']];
    const want = await Promise.all(asked.map(async ([tenant, q]) => body(await cluster.query(tenant, '/api/v1/query_range', rangeParams(q, 40), cluster.queriers[1]))));
    const retriedBefore = await retried();
    const answers = asked.map(([tenant, q]) => viaFrontend(tenant, rangeParams(q, 40), { 'Cache-Control': 'no-store' }));
    // Kill querier-1 once the frontend handed out work (each querier holds a part at any time).
    const taken = await frontend.metric('myelin_query_frontend_queue_duration_seconds_count');
    await waitUntil(async () => await frontend.metric('myelin_query_frontend_queue_duration_seconds_count') >= taken + 2, { what: 'parts taken by queriers', intervalMs: 2 });
    await cluster.queriers[0].stop('SIGKILL');
    const got = await Promise.all(answers.map(async (r) => body(await r)));
    assert.deepEqual(got, want);
    assert.ok(await retried() > retriedBefore, 'some part needed a second attempt');
  });
});

test('labels cache: a repeated labels request is answered by the frontend alone until its TTL; no-store asks the queriers', async () => {
  await withLogsOnFailure(cluster, async () => {
    const taken = () => frontend.metric('myelin_query_frontend_queue_duration_seconds_count');
    const labelHits = () => frontend.metric('myelin_frontend_query_result_cache_hits_total', { request_type: 'label_names_and_values' });
    const params = { start: String((last - 30 * 60_000) / 1000), end: String(last / 1000) };
    const first = await body(await cluster.query('team-b', '/api/v1/labels', params, frontend));
    // The querier of the test before was killed: any running one.
    assert.equal(first, await body(await cluster.query('team-b', '/api/v1/labels', params)));
    const before = await taken();
    const hitsBefore = await labelHits();
    assert.equal(await body(await cluster.query('team-b', '/api/v1/labels', params, frontend)), first);
    assert.equal(await taken(), before, 'no querier was asked');
    assert.equal(await labelHits(), hitsBefore + 1);
    // A new label name: the cached answer does not have it yet, a no-store request does.
    const r = await cluster.push('team-b', remoteWriteBody([{ labels: { __name__: 'fe_requests_total', job: 'api', instance: 'i-new', zone_new: 'z' }, samples: [[last, 1]] }]));
    assert.equal(r.status, 200, await r.text());
    assert.equal(await body(await cluster.query('team-b', '/api/v1/labels', params, frontend)), first);
    const fresh = await body(await fetch(`${frontend.url('/prometheus/api/v1/labels')}?${new URLSearchParams(params)}`, { headers: { 'X-Scope-OrgID': 'team-b', 'Cache-Control': 'no-store' } }));
    assert.ok(fresh.includes('"zone_new"') && !first.includes('"zone_new"'), fresh);
  });
});

test('store-gateways down: an error by default, an answer with a warning with partial_response=true', async () => {
  await withLogsOnFailure(cluster, async () => {
    // A block 20 h old (only store-gateways serve it), written to the cluster's bucket.
    const t0 = Math.floor((Date.now() - 20 * 3_600_000) / 60_000) * 60_000;
    const samples: [number, number][] = Array.from({ length: 60 }, (_, i) => [t0 + i * 30_000, i]);
    const bucket = new GcsBucket({ bucketName: 'myelin-e2e', serviceAccount: '', endpoint: cluster.gcs.endpoint });
    const meta = await uploadTestBlock(bucket, 'team-c', [{ labels: { __name__: 'old_metric', job: 'old' }, samples }]);
    const uploaded = Date.now();
    const at = { query: 'old_metric', time: String((t0 + 10 * 60_000) / 1000) };
    const instant = (params: Record<string, string>) => fetch(`${frontend.url('/prometheus/api/v1/query')}?${new URLSearchParams(params)}`, { headers: { 'X-Scope-OrgID': 'team-c' } });
    await waitUntil(async () => (await (await instant(at)).text()).includes('"old_metric"'), { what: 'the block served by the store-gateways', timeoutMs: 30_000, intervalMs: 250 });

    // A block younger than 3 sync intervals (3 s here) may be missing without an error: wait that out.
    await waitUntil(() => Date.now() - uploaded > 5_000, { what: 'the block past its upload grace period', intervalMs: 100 });
    await Promise.all(cluster.storeGateways.map((g) => g.stop('SIGKILL')));
    const failed = await instant(at);
    assert.equal(failed.status, 422, await failed.clone().text());
    assert.match(await failed.text(), /some blocks were not queried/);
    const partial = await instant({ ...at, partial_response: 'true' });
    const answer = (await partial.json()) as { status: string; data: { result: unknown[] }; warnings?: string[] };
    assert.equal(partial.status, 200);
    assert.deepEqual(answer.data.result, []);
    assert.ok(answer.warnings?.some((w) => w.startsWith('partial response:') && w.includes(meta.ulid)), JSON.stringify(answer.warnings));
  });
});

/** Requests (or parts) that needed more than one attempt, from the frontend's retries histogram. */
async function retried(): Promise<number> {
  return (await frontend.metric('myelin_query_frontend_retries_count')) - (await frontend.metric('myelin_query_frontend_retries_bucket', { le: '1' }));
}

test('two of three ingesters down: an error by default, the last ingester\'s answer with a warning with partial_response=true', async () => {
  await withLogsOnFailure(cluster, async () => {
    const at = { query: 'count(fe_requests_total{job="web"})', time: String(last / 1000) };
    const instant = (params: Record<string, string>) => fetch(`${frontend.url('/prometheus/api/v1/query')}?${new URLSearchParams(params)}`, { headers: { 'X-Scope-OrgID': 'team-a' } });
    const whole = (await (await instant(at)).json()) as { data: { result: unknown[] } };
    assert.equal(whole.data.result.length, 1);
    await Promise.all(cluster.ingesters.slice(1).map((i) => i.stop('SIGKILL')));
    const failed = await instant(at);
    const failedText = await failed.text();
    assert.notEqual(failed.status, 200, failedText);
    assert.match(failedText, /query ingesters: 2 of 3 failed|healthy replicas required/);
    const partial = await instant({ ...at, partial_response: 'true' });
    const answer = (await partial.json()) as { status: string; data: { result: unknown[] }; warnings?: string[] };
    assert.equal(partial.status, 200, JSON.stringify(answer));
    // RF=3: the ingester left holds every series, so the answer is whole; the warning says it may not be.
    assert.deepEqual(answer.data.result, whole.data.result);
    assert.ok(answer.warnings?.some((w) => w.startsWith('partial response: ingesters unreachable, 2 of 3 failed')), JSON.stringify(answer.warnings));
  });
});
