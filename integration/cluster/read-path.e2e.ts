// End to end on a microservices cluster (integration/e2e/cluster.ts) fed by a real Prometheus:
// - Prometheus scrapes itself and a small exporter every second and remote-writes two tenants:
//   team-a gets everything, team-b only the exporter's series (write_relabel_configs). The same
//   PromQL, instant and range, answers the same from Prometheus and from Myelin's queriers.
// - Tenants are isolated in query, query_range, series, labels and label values.
// - A battery of bad input against the distributors' push and the queriers' API: every answer a
//   clear 4xx, counted in a metric, no process crashes, no acknowledged sample lost.
//
// Two differences between Prometheus 2.42 (the Debian package) and the 3.x semantics Myelin follows
// are kept out of the comparison rather than papered over:
// - 2.42 selects range windows closed at the left ([t-r, t]), 3.x left-open ((t-r, t]): evaluation
//   times are placed half a scrape interval away from the scrape timestamps, so no sample sits on
//   a window's edge.
// - 2.51 changed how rate() limits its extrapolation towards a counter's zero point, which shows
//   where a series starts inside a window or a counter is small: the compared windows begin well
//   after every compared series' first sample, and the exporter's counters start high.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteWritingPrometheus } from '../distributor/remote-writing-prometheus.js';
import { Cluster, remoteWriteBody, subtest, withLogsOnFailure, writeRequestBytes } from '../e2e/cluster.js';
import type { TestSeries } from '../e2e/cluster.js';
import { waitUntil } from '../../pkg/testutil/index.js';
import { assertSameResult } from '../promql/compare-results.js';
import type { Json } from '../promql/compare-results.js';
import { snappyEncode } from '../../pkg/wire/index.js';

let cluster: Cluster;
let exporter: Server;
let prom: RemoteWritingPrometheus;
/** When Prometheus was started: its series begin after this. */
let promStarted: number;

/** A small exporter: counters that grow, a gauge that wanders, a classic histogram. */
function startExporter(): Promise<Server> {
  const requests = new Map([['GET 200', 10_000], ['GET 500', 20_000], ['POST 200', 30_000]]);
  const buckets = [0.05, 0.1, 0.5, 1, Infinity];
  const bucketCounts = buckets.map(() => 0);
  let durationSum = 0;
  let queue = 10;
  const srv = createServer((_req, res) => {
    for (const [k, v] of requests) requests.set(k, v + Math.floor(Math.random() * 20));
    queue = Math.max(0, queue + Math.round((Math.random() - 0.5) * 6));
    for (let i = 0; i < 10; i++) {
      const d = Math.random() * Math.random() * 2;
      durationSum += d;
      buckets.forEach((le, b) => (bucketCounts[b] += d <= le ? 1 : 0));
    }
    const lines = ['# HELP demo_requests_total Requests served.', '# TYPE demo_requests_total counter'];
    for (const [k, v] of requests) {
      const [method, code] = k.split(' ');
      lines.push(`demo_requests_total{method="${method}",code="${code}"} ${v}`);
    }
    lines.push('# HELP demo_queue_length Items waiting.', '# TYPE demo_queue_length gauge', `demo_queue_length{queue="work"} ${queue}`);
    lines.push('# HELP demo_request_duration_seconds Request latency.', '# TYPE demo_request_duration_seconds histogram');
    buckets.forEach((le, b) => lines.push(`demo_request_duration_seconds_bucket{le="${le === Infinity ? '+Inf' : le}"} ${bucketCounts[b]}`));
    lines.push(`demo_request_duration_seconds_sum ${durationSum}`, `demo_request_duration_seconds_count ${bucketCounts[buckets.length - 1]}`, '');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n'));
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

async function promQuery(path: string, params: Record<string, string>): Promise<Json> {
  return (await (await fetch(`${prom.url}/api/v1/${path}?${new URLSearchParams(params)}`)).json()) as Json;
}

async function myelinQuery(tenant: string, path: string, params: Record<string, string>): Promise<{ status: number; body: Json }> {
  const r = await cluster.query(tenant, `/api/v1/${path}`, params);
  return { status: r.status, body: (await r.json()) as Json };
}

/** The single value of an instant vector answer with exactly one series, or undefined. */
function scalarOf(body: Json): number | undefined {
  const result = (body.data as { result: { value: [number, string] }[] }).result;
  return result.length === 1 ? Number(result[0].value[1]) : undefined;
}

before(async () => {
  cluster = await Cluster.start();
  exporter = await startExporter();
  const [d1, d2] = cluster.distributors;
  promStarted = Date.now();
  prom = await RemoteWritingPrometheus.start(d1.url('/api/v1/push'), [
    { tenant: 'team-a' },
    { tenant: 'team-b', pushUrl: d2.url('/api/v1/push'), writeRelabel: ['{ source_labels: [job], regex: exporter, action: keep }'] },
  ], { scrape: [{ job: 'exporter', target: `127.0.0.1:${(exporter.address() as AddressInfo).port}` }] });
});

after(async () => {
  await prom?.stop();
  exporter?.close();
  await cluster?.stop();
});

/** Evaluation time and range: recent, fully written to Myelin, and away from every scrape timestamp's window edges. */
async function evaluationWindow(): Promise<{ time: string; start: string; end: string; step: string }> {
  // The range [end-20s, end] with windows up to 20s reaches back to end-40s: the series must be
  // older than that (end is 5s before now; 2s more for Prometheus' first scrape).
  await waitUntil(() => Date.now() >= promStarted + 47_000, { what: '47s of scrapes', timeoutMs: 90_000, intervalMs: 500 });
  const stamps = await promQuery('query', { query: 'timestamp(up)' });
  const offsets = (stamps.data as { result: { value: [number, string] }[] }).result.map((r) => Math.round(Number(r.value[1]) * 1000) % 1000);
  // The millisecond offset farthest from every target's scrape offset.
  let best = 0;
  let bestDistance = -1;
  for (let ms = 0; ms < 1000; ms += 10) {
    const d = Math.min(...offsets.map((o) => Math.min(Math.abs(ms - o), 1000 - Math.abs(ms - o))));
    if (d > bestDistance) [best, bestDistance] = [ms, d];
  }
  const end = (Math.floor(Date.now() / 1000) - 5) * 1000 + best;
  // Myelin has everything up to `end` once both tenants hold exporter scrapes from 2s after it.
  for (const tenant of ['team-a', 'team-b']) {
    await waitUntil(async () => {
      const { body } = await myelinQuery(tenant, 'query', { query: 'min(timestamp(up))', time: String(Date.now() / 1000) });
      return (scalarOf(body) ?? 0) * 1000 >= end + 2000;
    }, { what: `${tenant} caught up in Myelin`, timeoutMs: 30_000, intervalMs: 500 });
  }
  return { time: String(end / 1000), start: String((end - 20_000) / 1000), end: String(end / 1000), step: '2' };
}

const exporterQueries = [
  'up{job="exporter"}',
  'count({job="exporter"})',
  'demo_requests_total',
  'rate(demo_requests_total[10s])',
  'sum by (code) (rate(demo_requests_total[10s]))',
  'irate(demo_requests_total[5s])',
  'increase(demo_requests_total[20s])',
  'resets(demo_requests_total[20s])',
  'demo_requests_total / ignoring(code) group_left sum without (code) (demo_requests_total)',
  'histogram_quantile(0.9, sum by (le) (rate(demo_request_duration_seconds_bucket[15s])))',
  'rate(demo_request_duration_seconds_sum[10s]) / rate(demo_request_duration_seconds_count[10s])',
  'avg_over_time(demo_queue_length[10s])',
  'max_over_time(demo_queue_length[10s]) - min_over_time(demo_queue_length[10s])',
  'changes(demo_queue_length[20s])',
  'deriv(demo_queue_length[20s])',
  'predict_linear(demo_queue_length[20s], 60)',
  'delta(demo_queue_length[10s])',
  'topk(2, demo_requests_total)',
  'quantile(0.5, demo_requests_total)',
  'label_replace(demo_queue_length, "q", "$1", "queue", "(w).*")',
  'timestamp(demo_queue_length)',
  'absent(no_such_metric)',
];

const everythingQueries = [
  'up',
  'sum by (job) (up)',
  'count by (job) ({__name__=~".+"})',
  'scrape_samples_scraped',
  // Only the handler scraped since the start: the API handlers' series begin when the test calls them.
  'sum(rate(prometheus_http_requests_total{handler="/metrics"}[10s]))',
  'rate(prometheus_tsdb_head_samples_appended_total[10s])',
  'max by (job) (scrape_duration_seconds) > bool 0',
];

test('Prometheus and Myelin answer the same PromQL, per tenant, instant and range', async (t) => {
  await withLogsOnFailure(cluster, async () => {
    const w = await evaluationWindow();
    const cases = [
      ...[...exporterQueries, ...everythingQueries].map((q) => ({ tenant: 'team-a', q })),
      ...exporterQueries.map((q) => ({ tenant: 'team-b', q })),
    ];
    for (const { tenant, q } of cases) {
      await subtest(t, `${tenant}: ${q}`, async () => {
        const instant = await myelinQuery(tenant, 'query', { query: q, time: w.time });
        assert.equal(instant.status, 200, JSON.stringify(instant.body));
        assertSameResult(`instant ${q}`, instant.body, await promQuery('query', { query: q, time: w.time }));
        const range = await myelinQuery(tenant, 'query_range', { query: q, start: w.start, end: w.end, step: w.step });
        assert.equal(range.status, 200, JSON.stringify(range.body));
        assertSameResult(`range ${q}`, range.body, await promQuery('query_range', { query: q, start: w.start, end: w.end, step: w.step }));
      });
    }
    // The series, label names and label values APIs agree too (over the exporter's series, which
    // both hold completely in the window).
    const sorted = (body: Json) => ((body.data as unknown[]).map((x) => JSON.stringify(x))).sort();
    for (const [path, params] of [
      ['series', { 'match[]': '{job="exporter"}', start: w.start, end: w.end }],
      ['labels', { 'match[]': '{job="exporter"}', start: w.start, end: w.end }],
      ['label/__name__/values', { 'match[]': '{job="exporter"}', start: w.start, end: w.end }],
      ['label/code/values', { 'match[]': '{job="exporter"}', start: w.start, end: w.end }],
    ] as const) {
      for (const tenant of ['team-a', 'team-b']) {
        const mine = await myelinQuery(tenant, path, params);
        assert.equal(mine.status, 200, `${tenant} ${path}: ${JSON.stringify(mine.body)}`);
        assert.deepEqual(sorted(mine.body), sorted(await promQuery(path, params)), `${tenant} ${path}`);
      }
    }
    // Metric metadata travels with remote write and is answered as Prometheus answers it.
    for (const metric of ['demo_requests_total', 'demo_queue_length', 'demo_request_duration_seconds']) {
      const mine = await myelinQuery('team-a', 'metadata', { metric });
      assert.deepEqual(mine.body, await promQuery('metadata', { metric }), `metadata of ${metric}`);
      assert.equal(((mine.body.data as Record<string, unknown[]>)[metric] ?? []).length, 1, `metadata of ${metric} is there`);
    }
    assert.deepEqual((await myelinQuery('team-nobody', 'metadata', {})).body.data, {});
    // Not vacuous: the exporter's series are there with data in both tenants.
    for (const tenant of ['team-a', 'team-b']) {
      const { body } = await myelinQuery(tenant, 'query', { query: 'count(demo_requests_total)', time: w.time });
      assert.equal(scalarOf(body), 3, tenant);
    }
  });
});

test('tenants are isolated in query, query_range, series, labels and label values', async () => {
  await withLogsOnFailure(cluster, async () => {
    const now = Date.now() / 1000;
    const range = { start: String(now - 60), end: String(now), step: '5' };
    const jobs = async (tenant: string, path: string, params: Record<string, string>): Promise<string[]> => {
      const { status, body } = await myelinQuery(tenant, path, params);
      assert.equal(status, 200, `${tenant} ${path}: ${JSON.stringify(body)}`);
      const data = body.data as { result?: { metric: Record<string, string> }[] } | { job: string }[] | string[];
      const items = Array.isArray(data) ? data : data.result?.map((r) => r.metric) ?? [];
      return [...new Set(items.map((x) => (typeof x === 'string' ? x : x.job)))].sort();
    };
    const views = {
      'query': (tn: string) => jobs(tn, 'query', { query: 'count by (job) ({__name__=~".+"})', time: String(now) }),
      'query_range': (tn: string) => jobs(tn, 'query_range', { query: 'count by (job) ({__name__=~".+"})', ...range }),
      'series': (tn: string) => jobs(tn, 'series', { 'match[]': '{job=~".+"}', start: range.start, end: range.end }),
      'label values': (tn: string) => jobs(tn, 'label/job/values', { start: range.start, end: range.end }),
    };
    for (const [name, view] of Object.entries(views)) {
      assert.deepEqual(await view('team-a'), ['exporter', 'prometheus'], `team-a ${name}`);
      assert.deepEqual(await view('team-b'), ['exporter'], `team-b ${name}`);
      assert.deepEqual(await view('team-nobody'), [], `a tenant that never wrote: ${name}`);
    }
    const labelNames = async (tenant: string) => ((await myelinQuery(tenant, 'labels', range)).body.data as string[]);
    // `handler` is a label of Prometheus' own metrics only; `code` and `le` are the exporter's too.
    assert.ok((await labelNames('team-a')).includes('handler'));
    const b = await labelNames('team-b');
    assert.ok(!b.includes('handler') && b.includes('code') && b.includes('le'), `team-b label names: ${b.join(',')}`);
    assert.deepEqual(await labelNames('team-nobody'), []);
    // Reading several tenants at once is explicit (`a|b`) and labels each series with its tenant.
    assert.deepEqual(await jobs('team-a|team-b', 'label/__tenant_id__/values', range), ['team-a', 'team-b']);
  });
});

/** Every Myelin process still runs and is ready. */
async function assertAllUp(): Promise<void> {
  for (const p of cluster.all()) {
    assert.ok(p.running, `${p.name} exited with ${p.exitCode}`);
    assert.equal((await p.get('/ready')).status, 200, `${p.name} ready`);
  }
}

test('bad input gets a clear 4xx, is counted, crashes nothing and loses nothing acknowledged', async (t) => {
  await withLogsOnFailure(cluster, async () => {
    const now = Date.now();
    const kept: TestSeries[] = Array.from({ length: 5 }, (_, i) => ({
      labels: { __name__: 'battery_kept', i: String(i) },
      samples: Array.from({ length: 10 }, (_, k) => [now - (10 - k) * 1000, i * 100 + k] as [number, number]),
    }));
    assert.equal((await cluster.push('battery', remoteWriteBody(kept))).status, 200);
    const [d1] = cluster.distributors;
    const discardedBefore = await d1.metric('myelin_discarded_requests_total', { user: 'battery' });
    const samplesDiscardedBefore = await d1.metric('myelin_discarded_samples_total', { user: 'battery' });

    const raw = (body: Uint8Array, headers: Record<string, string> = {}) => fetch(d1.url('/api/v1/push'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'battery', ...headers },
      body,
    });
    const one = (labels: Record<string, string>, ts = now) => remoteWriteBody([{ labels, samples: [[ts, 1]] }]);
    const valid = Buffer.from(one({ __name__: 'battery_valid' }));
    const validProto = writeRequestBytes([{ labels: { __name__: 'battery_valid', job: 'battery' }, samples: [[now, 1]] }]);
    const pushCases: Record<string, { res: () => Promise<Response>; status: number; message: RegExp }> = {
      // Seeded, and with a small length header: random bytes may also announce a huge body (413).
      'random bytes': { res: () => raw(Buffer.from([0x40, ...Array.from({ length: 4095 }, (_, i) => (i * 2654435761) >>> 24)])), status: 400, message: /snappy/ },
      'snappy of random bytes': { res: () => raw(snappyEncode(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)))), status: 400, message: /protobuf|wire type|truncated/ },
      'truncated protobuf': { res: () => raw(snappyEncode(validProto.subarray(0, validProto.length - 5))), status: 400, message: /truncated|protobuf/ },
      '1 MB label value': { res: () => raw(one({ __name__: 'battery_big', big: 'x'.repeat(1 << 20) })), status: 400, message: /label value too long|max_label_value_length/ },
      'body over the limit': { res: () => postEarlyAnswered(d1.url('/api/v1/push'), Buffer.alloc(101 << 20, 0x41)), status: 413, message: /larger than 104857600 bytes/ },
      'no metric name': { res: () => raw(one({ job: 'x' })), status: 400, message: /metric name/ },
      'sample too far in the future': { res: () => raw(one({ __name__: 'battery_future' }, now + 3_600_000)), status: 400, message: /future/ },
      'json instead of protobuf': { res: () => raw(Buffer.from('{}'), { 'Content-Type': 'application/json' }), status: 415, message: /application\/x-protobuf/ },
      'no tenant': { res: () => raw(valid, { 'X-Scope-OrgID': '' }), status: 401, message: /no org id/ },
      'invalid tenant': { res: () => raw(valid, { 'X-Scope-OrgID': '../etc' }), status: 400, message: /tenant|org id/i },
    };
    for (const [name, c] of Object.entries(pushCases)) {
      await subtest(t, `push: ${name}`, async () => {
        const res = await c.res();
        const text = await res.text();
        assert.equal(res.status, c.status, text);
        assert.match(text, c.message);
      });
    }
    await subtest(t, 'push: an out-of-order sample beside a new one (three replicas refuse it, store the other)', async () => {
      const ooo = (samples: [number, number][]) => raw(remoteWriteBody([{ labels: { __name__: 'battery_ooo' }, samples }]));
      assert.equal((await ooo([[now - 1000, 1]])).status, 200);
      const res = await ooo([[now - 20_000, 2], [now, 3]]);
      assert.equal(res.status, 400);
      assert.match(await res.text(), /out of order sample.*\(not written: 1 of 2 samples, 0 of 0 histograms, 0 of 0 exemplars\)/);
      assert.equal(res.headers.get('x-prometheus-remote-write-samples-written'), '1', 'what the replicas stored');
    });
    assert.ok(await d1.metric('myelin_discarded_requests_total', { user: 'battery' }) >= discardedBefore + 3, 'undecodable bodies counted');
    assert.ok(await d1.metric('myelin_discarded_samples_total', { user: 'battery' }) >= samplesDiscardedBefore + 3, 'invalid samples counted');

    const [q1] = cluster.queriers;
    const api = (path: string, params: Record<string, string>, tenant = 'battery') =>
      fetch(`${q1.url(`/prometheus/api/v1/${path}`)}?${new URLSearchParams(params)}`, { headers: tenant === '' ? {} : { 'X-Scope-OrgID': tenant } });
    const t0 = String(now / 1000 - 60);
    const t1 = String(now / 1000);
    const queryCases: Record<string, { res: () => Promise<Response>; status: number; message: RegExp }> = {
      'bad PromQL': { res: () => api('query', { query: 'sum(rate(x[5m])' }), status: 400, message: /parse error/ },
      'unknown function': { res: () => api('query', { query: 'no_such_function(up)' }), status: 400, message: /unknown function/ },
      'bad time': { res: () => api('query', { query: 'up', time: 'yesterday' }), status: 400, message: /time/ },
      'end before start': { res: () => api('query_range', { query: 'up', start: t1, end: t0, step: '15' }), status: 400, message: /end timestamp must not be before start time/ },
      'zero step': { res: () => api('query_range', { query: 'up', start: t0, end: t1, step: '0' }), status: 400, message: /positive/ },
      'bad step': { res: () => api('query_range', { query: 'up', start: t0, end: t1, step: 'often' }), status: 400, message: /step/ },
      'too many points': { res: () => api('query_range', { query: 'up', start: '0', end: t1, step: '1' }), status: 400, message: /11,000 points/ },
      'series without match[]': { res: () => api('series', {}), status: 400, message: /match\[\]/ },
      'bad series selector': { res: () => api('series', { 'match[]': 'up{job=' }), status: 400, message: /parse error/ },
      'no tenant': { res: () => api('query', { query: 'up' }, ''), status: 401, message: /no org id/ },
    };
    const query400Before = await q1.metric('myelin_request_duration_seconds_count', { status_code: '400' });
    for (const [name, c] of Object.entries(queryCases)) {
      await subtest(t, `query API: ${name}`, async () => {
        const res = await c.res();
        const text = await res.text();
        assert.equal(res.status, c.status, text);
        assert.match(text, c.message);
      });
    }
    assert.ok(await q1.metric('myelin_request_duration_seconds_count', { status_code: '400' }) >= query400Before + 8, '400s counted');

    await assertAllUp();
    // Everything acknowledged before the battery is still answered, exactly.
    const { body } = await myelinQuery('battery', 'query_range', { query: 'battery_kept', start: String((now - 10_000) / 1000), end: String((now - 1000) / 1000), step: '1' });
    const got = (body.data as { result: { metric: { i: string }; values: [number, string][] }[] }).result;
    assert.equal(got.length, 5);
    for (const s of got) {
      const i = Number(s.metric.i);
      assert.deepEqual(s.values.map(([, v]) => Number(v)), Array.from({ length: 10 }, (_, k) => i * 100 + k), `battery_kept{i="${i}"}`);
    }
  });
});

/**
 * POSTs a body the server refuses before reading it (413 from Content-Length). node:http, not
 * fetch: the answer arrives while the body is still being sent, and fetch may report the upload
 * it abandons instead of the answer.
 */
function postEarlyAnswered(url: string, body: Buffer): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'battery', 'Content-Length': body.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode })));
    });
    // A write error after the answer (the server stops reading) is expected; before it, it is not.
    req.on('error', (err) => reject(new Error('POST with a large body: no answer', { cause: err })));
    req.end(body);
  });
}
