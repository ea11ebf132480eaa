// The cardinality endpoints of one Myelin process (-target=all): /prometheus/api/v1/status/tsdb
// answers exactly what a real Prometheus 2.42 answers for the same remote-written series (and for
// none), Mimir's /api/v1/cardinality/* count what was written, and every refused request is a 4xx
// naming what was wrong, counted per tenant and reason.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { remoteWriteBody } from './e2e/cluster.js';
import type { TestSeries } from './e2e/cluster.js';
import { startSingleMyelin } from './e2e/myelin.js';
import { waitUntil } from '../pkg/testutil/index.js';
import { PrometheusServer } from './promql/prometheus-server.js';

const runtimeConfig = `overrides:
  closed:
    cardinality_analysis_enabled: false
  small:
    cardinality_analysis_max_results: 5
    label_values_max_cardinality_label_names_per_request: 1
    active_series_results_max_size_bytes: 50
`;

/**
 * Metric m_k has k series (k = 1..12), each with its own `idx` value and job="a": every count in
 * the top 10 of each list differs, so the order is Prometheus' whatever its heap does with ties.
 */
function dataset(now: number): TestSeries[] {
  const out: TestSeries[] = [];
  for (let k = 1; k <= 12; k++) {
    for (let j = 0; j < k; j++) {
      out.push({ labels: { __name__: `m_${k}`, idx: `${k}-${j}`, job: 'a' }, samples: [[now - 2000, j], [now - 1000, j], [now, j]] });
    }
  }
  return out;
}

async function postWrite(url: string, tenant: string, series: TestSeries[]): Promise<void> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'X-Scope-OrgID': tenant },
    body: remoteWriteBody(series),
  });
  assert.ok(r.ok, `write to ${url}: ${r.status} ${await r.text()}`);
}

async function getJson(url: string, tenant = ''): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, { headers: tenant === '' ? {} : { 'X-Scope-OrgID': tenant } });
  return { status: r.status, body: await r.json() };
}

test('cardinality: status/tsdb as Prometheus 2.42 answers it, Mimir\'s cardinality API, and refusals', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-cardinality-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'runtime.yaml'), runtimeConfig);
  // Two: Prometheus keeps its postings stats for 30s, so one that answered for an empty head
  // would answer the same after the writes.
  const [prom, emptyProm] = await Promise.all([PrometheusServer.startReceiver(), PrometheusServer.startReceiver()]);
  t.after(() => Promise.all([prom.stop(), emptyProm.stop()]));
  const m = await startSingleMyelin(dir, ['-querier.cardinality-analysis-enabled=true', `-runtime-config.file=${join(dir, 'runtime.yaml')}`]);
  t.after(() => m.proc.stop());
  const api = (path: string, params: Record<string, string | string[]> = {}) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
    return `${m.base}/prometheus/api/v1/${path}?${qs}`;
  };

  await t.test('an empty head answers as Prometheus\' empty head', async () => {
    const want = await getJson(`${emptyProm.url}/api/v1/status/tsdb`);
    assert.deepEqual(await getJson(api('status/tsdb'), 'team'), want);
  });

  const now = Date.now();
  const series = dataset(now);
  await postWrite(`${prom.url}/api/v1/write`, '', series);
  await postWrite(`${m.base}/api/v1/push`, 'team', series);

  await t.test('status/tsdb equals Prometheus\' answer for the same series', async () => {
    const want = await getJson(`${prom.url}/api/v1/status/tsdb`);
    assert.equal((want.body as { data: { headStats: { numSeries: number } } }).data.headStats.numSeries, 78);
    assert.deepEqual(await getJson(api('status/tsdb'), 'team'), want);
    // Another tenant's head is its own.
    const other = (await getJson(api('status/tsdb'), 'other')).body as { data: { headStats: { numSeries: number } } };
    assert.equal(other.data.headStats.numSeries, 0);
  });

  await t.test('label_names counts distinct values per name', async () => {
    assert.deepEqual((await getJson(api('cardinality/label_names', { limit: '2' }), 'team')).body, {
      label_values_count_total: 78 + 12 + 1,
      label_names_count: 3,
      cardinality: [{ label_name: 'idx', label_values_count: 78 }, { label_name: '__name__', label_values_count: 12 }],
    });
    assert.deepEqual((await getJson(api('cardinality/label_names', { selector: '{__name__=~"m_[12]"}' }), 'team')).body, {
      label_values_count_total: 3 + 2 + 1,
      label_names_count: 3,
      cardinality: [{ label_name: 'idx', label_values_count: 3 }, { label_name: '__name__', label_values_count: 2 }, { label_name: 'job', label_values_count: 1 }],
    });
  });

  await t.test('label_values counts series per value', async () => {
    assert.deepEqual((await getJson(api('cardinality/label_values', { 'label_names[]': ['__name__', 'job'], limit: '2', count_method: 'active' }), 'team')).body, {
      series_count_total: 78,
      labels: [
        { label_name: '__name__', label_values_count: 12, series_count: 78, cardinality: [{ label_value: 'm_12', series_count: 12 }, { label_value: 'm_11', series_count: 11 }] },
        { label_name: 'job', label_values_count: 1, series_count: 78, cardinality: [{ label_value: 'a', series_count: 78 }] },
      ],
    });
  });

  await t.test('active_series lists the selected series', async () => {
    assert.deepEqual((await getJson(api('cardinality/active_series', { selector: 'm_2' }), 'team')).body, {
      data: [{ __name__: 'm_2', idx: '2-0', job: 'a' }, { __name__: 'm_2', idx: '2-1', job: 'a' }],
    });
  });

  await t.test('refusals: 4xx naming what was wrong, counted per tenant and reason', async () => {
    await postWrite(`${m.base}/api/v1/push`, 'small', series.slice(0, 10));
    const cases: Record<string, { tenant: string; path: string; params?: Record<string, string | string[]>; status: number; error: RegExp; reason: string }> = {
      'disabled for the tenant': { tenant: 'closed', path: 'status/tsdb', status: 400, error: /cardinality analysis is disabled for the tenant: closed/, reason: 'disabled' },
      'limit above the tenant\'s max results': { tenant: 'small', path: 'cardinality/label_names', params: { limit: '6' }, status: 400, error: /'limit' param cannot be greater than '5'/, reason: 'bad_request' },
      'limit not a number': { tenant: 'team', path: 'status/tsdb', params: { limit: 'ten' }, status: 400, error: /invalid 'limit' param: "ten"/, reason: 'bad_request' },
      'unknown count_method': { tenant: 'team', path: 'cardinality/label_names', params: { count_method: 'all' }, status: 400, error: /invalid 'count_method' param "all"/, reason: 'bad_request' },
      'bad selector': { tenant: 'team', path: 'cardinality/label_names', params: { selector: '{job=' }, status: 400, error: /invalid 'selector' param/, reason: 'bad_request' },
      'active_series without a selector': { tenant: 'team', path: 'cardinality/active_series', status: 400, error: /missing 'selector' param/, reason: 'bad_request' },
      'label_values without label_names[]': { tenant: 'team', path: 'cardinality/label_values', status: 400, error: /'label_names\[\]' param is required/, reason: 'bad_request' },
      'too many label_names[]': { tenant: 'small', path: 'cardinality/label_values', params: { 'label_names[]': ['job', 'idx'] }, status: 400, error: /too many label names: 2 \(at most 1/, reason: 'bad_request' },
      'answer over the size limit': { tenant: 'small', path: 'cardinality/active_series', params: { selector: '{job="a"}' }, status: 422, error: /response size exceeded the limit \(limit: 50 bytes\)/, reason: 'response_too_large' },
    };
    const want = new Map<string, number>();
    for (const [name, c] of Object.entries(cases)) {
      const got = await getJson(api(c.path, c.params), c.tenant);
      assert.equal(got.status, c.status, name);
      const body = got.body as { status: string; error: string };
      assert.equal(body.status, 'error', name);
      assert.match(body.error, c.error, name);
      const key = `reason="${c.reason}",user="${c.tenant}"`;
      want.set(key, (want.get(key) ?? 0) + 1);
    }
    // Query workers send their metrics to the main thread shortly after answering.
    await waitUntil(async () => {
      const text = await (await fetch(`${m.base}/metrics`)).text();
      return [...want].every(([key, n]) => text.includes(`myelin_querier_cardinality_requests_rejected_total{${key}} ${n}`));
    }, { what: 'refusals counted', timeoutMs: 10_000 });
    // A multi-tenant read is refused too: the figures are per tenant.
    assert.equal((await getJson(api('status/tsdb'), 'team|small')).status, 400);
  });
});
