// One Myelin process (-target=all) with per-tenant query limits in its runtime config: each limit
// answers with Cortex's status and message, is counted per tenant, and the ingester stops
// streaming as soon as a query passes its budget (it never sends the whole answer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadRequest } from '../pkg/generated/prometheus/remote.js';
import { LabelMatcher_Type } from '../pkg/generated/prometheus/types.js';
import { snappyEncode } from '../pkg/wire/index.js';
import { remoteWriteBody } from './e2e/cluster.js';
import type { TestSeries } from './e2e/cluster.js';
import { freePort, startMyelinBinary, waitUntil } from '../pkg/testutil/index.js';

const SERIES = 1000;
const SAMPLES = 20;

const overrides = (seriesLimit: number) => `overrides:
  series:
    max_fetched_series_per_query: ${seriesLimit}
  chunk-bytes:
    max_fetched_chunk_bytes_per_query: 2000
  length:
    max_query_length: 1h
  lookback:
    max_query_lookback: 10m
  labels:
    max_label_names_limit: 2
    max_label_values_limit: 5
  memory:
    max_estimated_memory_consumption_per_query: 100000
`;

function push(http: number, tenant: string, series: TestSeries[]): Promise<Response> {
  return fetch(`http://127.0.0.1:${http}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': tenant },
    body: remoteWriteBody(series),
  });
}

interface Answer {
  status: number;
  body: { status: string; errorType?: string; error?: string; data?: unknown; warnings?: string[] };
  ms: number;
}

async function get(http: number, tenant: string, path: string, params: Record<string, string | number>): Promise<Answer> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const started = Date.now();
  const r = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/${path}?${qs}`, { headers: { 'X-Scope-OrgID': tenant } });
  return { status: r.status, body: (await r.json()) as Answer['body'], ms: Date.now() - started };
}

function assertError(a: Answer, status: number, errorType: string, error: string): void {
  assert.deepEqual({ status: a.status, errorType: a.body.errorType, error: a.body.error }, { status, errorType, error });
  assert.ok(a.ms < 5_000, `answered in ${a.ms} ms, long before the 30s query timeout`);
}

async function metric(http: number, re: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  return Number(re.exec(text)?.[1] ?? 0);
}

/** Waits for a counter the query workers keep: their registries reach /metrics shortly after the answer. */
async function counted(http: number, re: RegExp, want: number): Promise<void> {
  let got = 0;
  await waitUntil(async () => (got = await metric(http, re)) === want, { what: `${re.source} = ${want} (last ${got})`, timeoutMs: 5_000 });
}

test('per-tenant query limits: Cortex\'s status and message, counted per tenant, enforced before the data is all fetched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-limits-'));
  const runtime = join(dir, 'runtime.yaml');
  writeFileSync(runtime, overrides(100));
  const [http, grpc] = [await freePort(), await freePort()];
  const p = startMyelinBinary(['-target=all',
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`,
    '-distributor.replication-factor=1', '-ingester.max-transfer-retries=0', '-blocks-storage.tsdb.flush-blocks-on-shutdown=false',
    '-querier.timeout=30s', '-querier.max-samples=30000', `-runtime-config.file=${runtime}`, '-runtime-config.reload-period=200ms']);
  t.after(async () => {
    // The process first: it may still write into the directory.
    await p.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${http}/ready`)).status === 200, { what: `myelin ready\n${p.output}`, timeoutMs: 15_000 });
  await waitUntil(async () => {
    const r = await fetch(`http://127.0.0.1:${http}/ingester/ring`, { headers: { accept: 'application/json' } });
    return ((await r.json()) as { instances: { state: string }[] }).instances.some((i) => i.state === 'ACTIVE');
  }, { what: 'an ACTIVE ingester' });

  const now = Math.floor(Date.now() / 1000) * 1000;
  const wide = Array.from({ length: SERIES }, (_, i) => ({
    labels: { __name__: 'wide', job: 'j', i: String(i) },
    samples: Array.from({ length: SAMPLES }, (_, k) => [now - (SAMPLES - 1 - k) * 15_000, k] as [number, number]),
  }));
  for (const tenant of ['series', 'chunk-bytes', 'samples', 'length', 'lookback', 'labels', 'memory']) {
    const r = await push(http, tenant, wide);
    assert.equal(r.status, 200, await r.text());
  }
  const old = await push(http, 'lookback', [{ labels: { __name__: 'old', job: 'j' }, samples: [[now - 30 * 60_000, 1]] }]);
  assert.equal(old.status, 200, await old.text());
  const at = now / 1000;

  // Series: each ingester (one per shard) ends its stream at the 101st series; none reads the rest.
  const ring = await fetch(`http://127.0.0.1:${http}/ingester/ring`, { headers: { accept: 'application/json' } });
  const ingesters = ((await ring.json()) as { instances: unknown[] }).instances.length;
  const sentBefore = await metric(http, /^myelin_ingester_queried_series_sum (\S+)$/m);
  assertError(await get(http, 'series', 'query', { query: 'count(wide)', time: at }), 422, 'execution', 'the query hit the max number of series limit (limit: 100 series)');
  const sent = (await metric(http, /^myelin_ingester_queried_series_sum (\S+)$/m)) - sentBefore;
  assert.ok(sent > 0 && sent <= 101 * ingesters, `${ingesters} ingester(s) read ${sent} of ${SERIES} series for the refused query`);
  assertError(await get(http, 'series', 'series', { 'match[]': 'wide' }), 422, 'execution', 'the query hit the max number of series limit (limit: 100 series)');
  // Remote read reads through the same limits.
  const read = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/read`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'series' },
    body: snappyEncode(Buffer.from(ReadRequest.encode({
      queries: [{ startTimestampMs: now - 600_000, endTimestampMs: now, matchers: [{ type: LabelMatcher_Type.EQ, name: '__name__', value: 'wide' }], hints: undefined }],
      acceptedResponseTypes: [],
    }).finish())),
  });
  assert.equal(read.status, 422);
  assert.match(await read.text(), /the query hit the max number of series limit \(limit: 100 series\)/);
  await counted(http, /^myelin_querier_queries_rejected_total\{reason="max-fetched-series-per-query",user="series"\} (\S+)$/m, 3);

  // Chunk bytes.
  assertError(await get(http, 'chunk-bytes', 'query', { query: 'count(wide)', time: at }), 422, 'execution', 'the query hit the aggregated chunks size limit (limit: 2000 bytes)');

  // Samples held at once (-querier.max-samples, Prometheus' own message): two selectors of 20,000 each.
  assertError(await get(http, 'samples', 'query', { query: 'wide + wide', time: at }), 422, 'execution', 'query processing would load too many samples into memory in query execution');
  const ok = await get(http, 'samples', 'query', { query: 'count(wide)', time: at });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));

  // Query length: a range query too long is the request's fault (400, as Cortex's query-frontend);
  // a selector reading too long a range is the querier's (422, as Cortex's querier).
  assertError(await get(http, 'length', 'query_range', { query: 'count(wide)', start: at - 7200, end: at, step: 60 }), 400, 'bad_data',
    'the query time range exceeds the limit (query length: 2h0m0s, limit: 1h0m0s)');
  assertError(await get(http, 'length', 'query', { query: 'count(count_over_time(wide[2h]))', time: at }), 422, 'execution',
    'the query time range exceeds the limit (query length: 2h0m0s, limit: 1h0m0s)');
  assert.equal((await get(http, 'length', 'query_range', { query: 'count(wide)', start: at - 1800, end: at, step: 60 })).status, 200);
  await counted(http, /^myelin_querier_queries_rejected_total\{reason="max-query-length",user="length"\} (\S+)$/m, 2);

  // Lookback: reads are cut to the last 10 minutes, they do not fail (as Cortex).
  const past = await get(http, 'lookback', 'query', { query: 'old', time: at - 1800 });
  assert.deepEqual({ status: past.status, data: past.body.data }, { status: 200, data: { resultType: 'vector', result: [] } });
  const oldSeries = await get(http, 'lookback', 'series', { 'match[]': 'old', start: at - 2400, end: at });
  assert.deepEqual(oldSeries.body.data, []);
  const recent = await get(http, 'lookback', 'query', { query: 'count(wide)', time: at });
  assert.deepEqual((recent.body.data as { result: { value: [number, string] }[] }).result[0].value[1], String(SERIES));

  // Label caps (Mimir's): the answer is cut to the cap, with a warning naming it.
  const names = await get(http, 'labels', 'labels', {});
  assert.deepEqual({ status: names.status, data: names.body.data, warnings: names.body.warnings },
    { status: 200, data: ['__name__', 'i'], warnings: ['results truncated due to limit (max_label_names_limit is 2)'] });
  const values = await get(http, 'labels', 'label/i/values', {});
  assert.deepEqual({ status: values.status, data: values.body.data, warnings: values.body.warnings },
    { status: 200, data: ['0', '1', '10', '100', '101'], warnings: ['results truncated due to limit (max_label_values_limit is 5)'] });
  const under = await get(http, 'labels', 'label/job/values', {});
  assert.deepEqual({ data: under.body.data, warnings: under.body.warnings }, { data: ['j'], warnings: undefined });

  // Memory estimate: fetched chunk bytes plus decoded samples held.
  assertError(await get(http, 'memory', 'query', { query: 'count(wide)', time: at }), 422, 'execution',
    'the query exceeded the maximum allowed estimated amount of memory consumed by a single query (limit: 100000 bytes)');
  await counted(http, /^myelin_querier_queries_rejected_total\{reason="max-estimated-memory-consumption-per-query",user="memory"\} (\S+)$/m, 1);

  // The limits are runtime config: raised, the same query answers.
  writeFileSync(runtime, overrides(SERIES));
  await waitUntil(async () => (await get(http, 'series', 'query', { query: 'count(wide)', time: at })).status === 200, { what: 'the raised series limit' });
  await waitUntil(async () => (await metric(http, /^myelin_query_fetched_series_total\{user="series"\} (\S+)$/m)) >= SERIES, { what: 'fetched series counted', timeoutMs: 5_000 });
});
