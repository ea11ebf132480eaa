import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { IngesterClient, QueryStreamResponse, UserStatsResponse } from '../generated/myelin/ingester.js';
import type { FetchLimits } from '../generated/myelin/limits.js';
import type { WriteRequest } from '../generated/prometheus/remote.js';
import { LabelMatcher_Type, MetricMetadata_MetricType } from '../generated/prometheus/types.js';
import type { TimeSeries } from '../generated/prometheus/types.js';
import { defaults } from '../flagext/index.js';
import { MemoryStore } from '../kv/index.js';
import { limitsConfig, resolveOverrides } from '../limits/index.js';
import type { TenantOverrides } from '../limits/index.js';
import { ValueType } from '../storage/index.js';
import { XorIterator } from '../tsdb/chunkenc/index.js';
import { tenantMetadata } from '../tenant/index.js';
import { startTestIngester } from './testing.js';
import { writtenFromTrailers } from './client/index.js';
import { waitUntil } from '../testutil/index.js';

const series = (name: string, extra: Record<string, string>, samples: [number, number][]): TimeSeries => ({
  labels: [{ name: '__name__', value: name }, ...Object.entries(extra).map(([n, v]) => ({ name: n, value: v }))],
  samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
  exemplars: [],
  histograms: [],
});

function push(c: IngesterClient, tenant: string | undefined, req: Partial<WriteRequest>): Promise<void> {
  return new Promise((resolve, reject) => {
    const md = tenant === undefined ? new Metadata() : tenantMetadata(tenant);
    c.push({ timeseries: [], metadata: [], ...req }, md, (err: ServiceError | null) => (err ? reject(err) : resolve()));
  });
}

function queryStream(c: IngesterClient, tenant: string, name: string, streamSamples = false, limits?: FetchLimits, out: QueryStreamResponse[] = []): Promise<QueryStreamResponse[]> {
  return new Promise((resolve, reject) => {
    const call = c.queryStream({ startTimestampMs: 0, endTimestampMs: 1e13, matchers: [{ type: LabelMatcher_Type.EQ, name: '__name__', value: name }], streamSamples, limits }, tenantMetadata(tenant));
    call.on('data', (m: QueryStreamResponse) => out.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

/** Decodes the chunks of a QueryStream answer to `labels → [t, v][]`. */
function decodeChunks(msgs: QueryStreamResponse[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  const it = new XorIterator();
  for (const m of msgs) for (const cs of m.chunkseries) {
    const rows: [number, number][] = out.get(JSON.stringify(cs.labels)) ?? [];
    for (const c of cs.chunks) {
      it.reset(c.data);
      for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) rows.push([it.atT(), it.atV()]);
    }
    out.set(JSON.stringify(cs.labels), rows);
  }
  return out;
}

const unary = <T>(fn: (cb: (err: ServiceError | null, v?: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));

test('push then query: QueryStream chunks and samples, Query, labels, series, metadata, stats; tenants isolated', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir });
  t.after(ti.stop);
  const c = ti.client;
  const samplesA = Array.from({ length: 300 }, (_, i) => [1000 + i * 15_000, i] as [number, number]);
  await push(c, 'team-a', {
    timeseries: [series('up', { job: 'api' }, samplesA), series('up', { job: 'db' }, [[1000, 1]])],
    metadata: [{ type: MetricMetadata_MetricType.GAUGE, metricFamilyName: 'up', help: 'Up.', unit: '' }],
  });
  await push(c, 'team-b', { timeseries: [series('up', { job: 'other' }, [[1000, 7]])] });

  const chunks = decodeChunks(await queryStream(c, 'team-a', 'up'));
  assert.deepEqual([...chunks.keys()].map((k) => (JSON.parse(k) as { value: string }[])[1].value), ['api', 'db']);
  assert.deepEqual(chunks.get(JSON.stringify(series('up', { job: 'api' }, []).labels)), samplesA);

  const streamed = await queryStream(c, 'team-a', 'up', true);
  assert.deepEqual(streamed.flatMap((m) => m.timeseries).map((ts) => ts.samples.length), [300, 1]);

  const q = await unary<{ timeseries: TimeSeries[] }>((cb) => c.query({ startTimestampMs: 0, endTimestampMs: 1e13, matchers: [{ type: LabelMatcher_Type.RE, name: 'job', value: 'd.' }], streamSamples: false, limits: undefined }, tenantMetadata('team-a'), cb));
  assert.deepEqual(q.timeseries.map((ts) => ts.samples), [[{ timestamp: 1000, value: 1 }]]);

  const names = await unary<{ labelNames: string[] }>((cb) => c.labelNames({ startTimestampMs: 0, endTimestampMs: 1e13, matchers: [], limit: 0 }, tenantMetadata('team-a'), cb));
  assert.deepEqual(names.labelNames, ['__name__', 'job']);
  const values = await unary<{ labelValues: string[] }>((cb) => c.labelValues({ labelName: 'job', startTimestampMs: 0, endTimestampMs: 1e13, matchers: [], limit: 0 }, tenantMetadata('team-b'), cb));
  assert.deepEqual(values.labelValues, ['other'], 'team-b sees only its own values');
  const metrics = await unary<{ metric: { labels: { name: string; value: string }[] }[] }>((cb) => c.metricsForLabelMatchers({ startTimestampMs: 0, endTimestampMs: 1e13, matchersSet: [{ matchers: [{ type: LabelMatcher_Type.EQ, name: 'job', value: 'db' }] }], limits: undefined }, tenantMetadata('team-a'), cb));
  assert.deepEqual(metrics.metric.map((m) => m.labels.map((l) => l.value)), [['up', 'db']]);
  // Several matcher sets: a series that two of them select is answered once.
  const db = [{ type: LabelMatcher_Type.EQ, name: 'job', value: 'db' }];
  const twice = await unary<{ metric: { labels: { name: string; value: string }[] }[] }>((cb) => c.metricsForLabelMatchers({ startTimestampMs: 0, endTimestampMs: 1e13,
    matchersSet: [{ matchers: db }, { matchers: [{ type: LabelMatcher_Type.RE, name: 'job', value: 'd.' }] }], limits: undefined }, tenantMetadata('team-a'), cb));
  assert.deepEqual(twice.metric.map((m) => m.labels.map((l) => l.value)), [['up', 'db']]);
  // The series API's read stops at the query's series limit, with the limit's message.
  const everyJob = [{ type: LabelMatcher_Type.RE, name: 'job', value: '.+' }];
  await assert.rejects(unary((cb) => c.metricsForLabelMatchers({ startTimestampMs: 0, endTimestampMs: 1e13, matchersSet: [{ matchers: everyJob }],
    limits: { maxSeries: 1, maxChunks: 0, maxChunkBytes: 0, maxDataBytes: 0 } }, tenantMetadata('team-a'), cb)),
  (err: ServiceError) => err.code === status.RESOURCE_EXHAUSTED && err.details === 'the query hit the max number of series limit (limit: 1 series)');
  const md = await unary<{ metadata: { help: string }[] }>((cb) => c.metricsMetadata({}, tenantMetadata('team-a'), cb));
  assert.deepEqual(md.metadata.map((m) => m.help), ['Up.']);
  const stats = await unary<UserStatsResponse>((cb) => c.userStats({}, tenantMetadata('team-a'), cb));
  assert.equal(stats.numSeries, 2);
  const all = await unary<{ stats: { userId: string }[] }>((cb) => c.allUserStats({}, new Metadata(), cb));
  assert.deepEqual(all.stats.map((s) => s.userId), ['team-a', 'team-b']);
  assert.equal(decodeChunks(await queryStream(c, 'team-c', 'up')).size, 0, 'an unknown tenant has no data');

  const text = await ti.registry.metrics();
  assert.match(text, /myelin_ingester_ingested_samples_total 302/);
  assert.match(text, /myelin_ingester_memory_series 3/);
  assert.match(text, /myelin_tsdb_head_series 3/, 'per-tenant head metrics are summed');
  assert.match(text, /myelin_tsdb_wal_writes_total [1-9]/);
});

test('refused samples: limits and append errors name the limit and tenant; the rest is stored', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir, limits: { maxSeriesPerUser: 2, maxSeriesPerMetric: 1, maxMetadataPerUser: 1 } });
  t.after(ti.stop);
  const c = ti.client;
  // `written`: what the push stored nevertheless, as its trailers say (samples, histograms, exemplars).
  const cases: Record<string, { req: Partial<WriteRequest>; code: status; message: RegExp; written: number[] }> = {
    'per-metric series limit': {
      req: { timeseries: [series('a', { i: '1' }, [[1000, 1]]), series('a', { i: '2' }, [[1000, 1]])] },
      code: status.FAILED_PRECONDITION, message: /per-metric series limit of 1 exceeded for tenant t1: .*a\{i="2"\}/, written: [1, 0, 0],
    },
    'per-user series limit': {
      req: { timeseries: [series('b', {}, [[1000, 1]]), series('c', {}, [[1000, 1]])] },
      code: status.FAILED_PRECONDITION, message: /per-user series limit of 2 exceeded for tenant t1/, written: [1, 0, 0],
    },
    'out of order sample': {
      req: { timeseries: [series('a', { i: '1' }, [[2000, 1], [1500, 2]])] },
      code: status.INVALID_ARGUMENT, message: /out of order sample.*a\{i="1"\}.*\(tenant t1\)/, written: [1, 0, 0],
    },
    'duplicate sample for timestamp': {
      req: { timeseries: [series('a', { i: '1' }, [[2000, 5], [3000, 1]])] },
      code: status.INVALID_ARGUMENT, message: /duplicate sample for timestamp/, written: [1, 0, 0],
    },
    'metadata limit': {
      req: { metadata: [{ type: 1, metricFamilyName: 'a', help: '', unit: '' }, { type: 1, metricFamilyName: 'b', help: '', unit: '' }] },
      code: status.FAILED_PRECONDITION, message: /per-user metric metadata limit of 1 exceeded for tenant t1/, written: [0, 0, 0],
    },
  };
  for (const [name, c2] of Object.entries(cases)) {
    await assert.rejects(push(c, 't1', c2.req), (err: ServiceError) => {
      assert.equal(err.code, c2.code, name);
      assert.match(err.details, c2.message, name);
      const w = writtenFromTrailers(err.metadata);
      assert.deepEqual(w && [w.samples, w.histograms, w.exemplars], c2.written, name);
      return true;
    }, name);
  }
  // Partial acceptance: a{i=1} took 1000, 2000, 3000; b took 1000.
  const stored = decodeChunks(await queryStream(c, 't1', 'a'));
  assert.deepEqual([...stored.values()], [[[1000, 1], [2000, 1], [3000, 1]]]);
  assert.equal(decodeChunks(await queryStream(c, 't1', 'b')).size, 1);
  await assert.rejects(push(c, undefined, { timeseries: [series('a', {}, [[1, 1]])] }), (err: ServiceError) => err.code === status.UNAUTHENTICATED);
  const text = await ti.registry.metrics();
  assert.match(text, /myelin_discarded_samples_total\{reason="per_metric_series_limit",user="t1"\} 1/);
  assert.match(text, /myelin_discarded_samples_total\{reason="per_user_series_limit",user="t1"\} 1/);
  assert.match(text, /myelin_discarded_samples_total\{reason="out_of_order_sample",user="t1"\} 1/);
});

test('/ingester/flush ships blocks with the tenant in meta.json; a restart replays the WAL and never re-uploads', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const kv = new MemoryStore();
  // Recent data: local blocks stay within the retention period after shipping.
  const H = 3600_000;
  const base = Math.floor(Date.now() / (2 * H)) * 2 * H - 2 * H;
  const tsdb = { flushBlocksOnShutdown: false };
  let ti = await startTestIngester({ id: 'ing-1', kv, bucketDir, tsdb });
  const dataDir = ti.dataDir;
  await push(ti.client, 'team-a', { timeseries: [series('up', { job: 'x' }, [[base + 1 * H, 1], [base + 2 * H + 5, 2]])] });
  await push(ti.client, 'team-a', { timeseries: [series('late', {}, [[base + 2 * H + 10, 3]])] });
  let res = await fetch(`${ti.http}/ingester/flush?tenant=team-a&wait=true`, { method: 'POST' });
  assert.equal(res.status, 204);
  const blocks = readdirSync(join(bucketDir, 'team-a')).sort();
  assert.equal(blocks.length, 2, 'split at the 2h boundary');
  for (const b of blocks) {
    const meta = JSON.parse(readFileSync(join(bucketDir, 'team-a', b, 'meta.json'), 'utf8')) as { thanos: { labels: Record<string, string> } };
    assert.deepEqual(meta.thanos.labels, { __org_id__: 'team-a', __ingester_id__: 'ing-1' });
    assert.ok(existsSync(join(bucketDir, 'team-a', b, 'index')));
    assert.ok(existsSync(join(bucketDir, 'team-a', b, 'chunks', '000001')));
  }
  assert.match(readFileSync(join(dataDir, 'team-a', 'thanos.shipper.json'), 'utf8'), new RegExp(blocks[0]));
  assert.match(await ti.registry.metrics(), /myelin_ingester_shipper_uploads_total 2/);
  assert.match(await ti.registry.metrics(), /myelin_ingester_flushes_total\{reason="api",outcome="success"\} 1/);
  // New samples after the flush go to the WAL only.
  await push(ti.client, 'team-a', { timeseries: [series('up', { job: 'x' }, [[base + 3 * H, 9]])] });
  await ti.stop();
  assert.equal(readdirSync(join(bucketDir, 'team-a')).length, 2, 'no flush on shutdown when disabled');

  ti = await startTestIngester({ id: 'ing-1', kv, bucketDir, dataDir, tsdb });
  t.after(ti.stop);
  const rows = decodeChunks(await queryStream(ti.client, 'team-a', 'up'));
  assert.deepEqual([...rows.values()], [[[base + 1 * H, 1], [base + 2 * H + 5, 2], [base + 3 * H, 9]]], 'local blocks + replayed WAL');
  res = await fetch(`${ti.http}/ingester/flush?wait=true`, { method: 'POST' });
  assert.equal(res.status, 204);
  assert.equal(readdirSync(join(bucketDir, 'team-a')).length, 3, 'only the new block was uploaded');
  assert.match(await ti.registry.metrics(), /myelin_ingester_shipper_uploads_total 1/);
});

test('a flush (API or on shutdown) never makes a sample out of bounds that the head took before it', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const kv = new MemoryStore();
  const H = 3600_000;
  const now = Date.now();
  const tsdb = { flushBlocksOnShutdown: true };
  let ti = await startTestIngester({ id: 'ing-1', kv, bucketDir, tsdb });
  t.after(() => ti.stop());
  const dataDir = ti.dataDir;
  await push(ti.client, 't', { timeseries: [series('up', { job: 'a' }, [[now, 1]])] });
  assert.equal((await fetch(`${ti.http}/ingester/flush?wait=true`, { method: 'POST' })).status, 204);
  // The rest of the same scrape, still on its way: older than the flushed sample, within half a range.
  await push(ti.client, 't', { timeseries: [series('up', { job: 'b' }, [[now - 1000, 2]])] });
  await ti.stop();
  ti = await startTestIngester({ id: 'ing-1', kv, bucketDir, dataDir, tsdb });
  await push(ti.client, 't', { timeseries: [series('up', { job: 'c' }, [[now - 2000, 3]])] });
  await assert.rejects(push(ti.client, 't', { timeseries: [series('up', { job: 'd' }, [[now - H - 1000, 4]])] }), /out of bounds/);
  const rows = decodeChunks(await queryStream(ti.client, 't', 'up'));
  assert.deepEqual([...rows.values()].sort(), [[[now, 1]], [[now - 1000, 2]], [[now - 2000, 3]]].sort());
});

test('transfer on shutdown: a PENDING ingester takes every series and the tokens; nothing is lost', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const kv = new MemoryStore();
  const a = await startTestIngester({ id: 'ing-a', kv, bucketDir, transfer: true });
  const data = Array.from({ length: 50 }, (_, i) => series('m', { i: String(i) }, Array.from({ length: 200 }, (_, k) => [k * 60_000 + i, k] as [number, number])));
  await push(a.client, 'team-a', { timeseries: data.slice(0, 25) });
  await push(a.client, 'team-b', { timeseries: data.slice(25) });
  const tokensA = a.ing.lifecycler.tokens();
  const b = await startTestIngester({ id: 'ing-b', kv, bucketDir, joinAfter: 60_000 });
  t.after(b.stop);
  await waitUntil(() => a.ing.lifecycler.ring.snapshot().instances.some((d) => d.id === 'ing-b'), { what: 'ing-a to see ing-b in the ring' });
  await a.stop();

  assert.equal(b.ing.lifecycler.state(), 0 /* ACTIVE */);
  assert.deepEqual([...b.ing.lifecycler.tokens()].sort(), [...tokensA].sort());
  const gotA = decodeChunks(await queryStream(b.client, 'team-a', 'm'));
  const gotB = decodeChunks(await queryStream(b.client, 'team-b', 'm'));
  assert.equal(gotA.size, 25);
  assert.equal(gotB.size, 25);
  for (const ts of data.slice(0, 25)) assert.deepEqual(gotA.get(JSON.stringify(ts.labels)), ts.samples.map((s) => [s.timestamp, s.value]));
  assert.equal(readdirSync(bucketDir).length, 0, 'transferred, not flushed');
  assert.match(await b.registry.metrics(), /myelin_ingester_transfers_total\{direction="received",outcome="success"\} 1/);
});

test('of two concurrent pushes of one series the older sample is refused, never acknowledged and dropped', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir });
  t.after(ti.stop);
  const acked: number[] = [];
  for (let round = 0; round < 20; round++) {
    const newer = 2000 + round * 10 + 5;
    const older = newer - 1;
    // Sent newer first: the older one is out of order whether it is checked before or after the
    // newer one commits.
    const answers = await Promise.allSettled([newer, older].map(async (ts) => {
      await push(ti.client, 't1', { timeseries: [series('race', {}, [[ts, ts]])] });
      acked.push(ts);
    }));
    assert.equal(answers[0].status, 'fulfilled', `round ${round}: the newer sample`);
    assert.equal(answers[1].status, 'rejected', `round ${round}: the older sample was acknowledged`);
    assert.match(((answers[1] as PromiseRejectedResult).reason as ServiceError).details, /out of order sample/);
  }
  const stored = [...decodeChunks(await queryStream(ti.client, 't1', 'race')).values()][0].map(([ts]) => ts);
  assert.deepEqual(stored, acked.sort((a, b) => a - b), 'stored exactly what was acknowledged');
});

test('the out-of-order window is per tenant and follows runtime overrides; QueryStream merges the late samples', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  let overrides: TenantOverrides = resolveOverrides(defaults(limitsConfig), { late: { out_of_order_time_window: '1h' } });
  const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir, overrides: () => overrides });
  t.after(ti.stop);
  const T = 10 * 3600_000;
  for (const tenant of ['late', 'strict']) await push(ti.client, tenant, { timeseries: [series('m', {}, [[T, 1]])] });
  await push(ti.client, 'late', { timeseries: [series('m', {}, [[T - 60_000, 2], [T - 30_000, 3]])] });
  await assert.rejects(push(ti.client, 'strict', { timeseries: [series('m', {}, [[T - 60_000, 2]])] }), (err: ServiceError) => {
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /out of order sample/);
    return true;
  });
  await assert.rejects(push(ti.client, 'late', { timeseries: [series('m', {}, [[T - 3600_001, 9]])] }), (err: ServiceError) => {
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /too old sample: .* \(tenant late\)/);
    return true;
  });
  assert.deepEqual([...decodeChunks(await queryStream(ti.client, 'late', 'm')).values()], [[[T - 60_000, 2], [T - 30_000, 3], [T, 1]]]);
  // The runtime config drops the tenant's window: the next push is refused as before.
  overrides = new Map();
  await assert.rejects(push(ti.client, 'late', { timeseries: [series('m', {}, [[T - 10_000, 4]])] }), /out of order sample/);
  const text = await ti.registry.metrics();
  assert.match(text, /myelin_ingester_tsdb_out_of_order_samples_appended_total\{user="late"\} 2/);
  assert.match(text, /myelin_discarded_samples_total\{reason="too_old_sample",user="late"\} 1/);
  assert.match(text, /myelin_discarded_samples_total\{reason="out_of_order_sample",user="strict"\} 1/);
  assert.match(text, /myelin_discarded_samples_total\{reason="out_of_order_sample",user="late"\} 1/);
});

test('QueryStream stops as soon as its answer passes the query\'s limits, with Cortex\'s message', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir });
  t.after(ti.stop);
  const c = ti.client;
  const many = Array.from({ length: 1000 }, (_, i) => series('wide', { i: String(i) }, [[1000, i], [16_000, i]]));
  await push(c, 't', { timeseries: many });
  const none = { maxSeries: 0, maxChunks: 0, maxChunkBytes: 0, maxDataBytes: 0 };
  const cases: [Partial<FetchLimits>, RegExp][] = [
    [{ maxSeries: 10 }, /^the query hit the max number of series limit \(limit: 10 series\)$/],
    [{ maxChunks: 20 }, /^the query hit the max number of chunks limit \(limit: 20 chunks\)$/],
    [{ maxChunkBytes: 500 }, /^the query hit the aggregated chunks size limit \(limit: 500 bytes\)$/],
    [{ maxDataBytes: 500 }, /^the query hit the aggregated data size limit \(limit: 500 bytes\)$/],
  ];
  for (const [limit, message] of cases) {
    const got: QueryStreamResponse[] = [];
    const started = Date.now();
    await assert.rejects(queryStream(c, 't', 'wide', false, { ...none, ...limit }, got), (err: ServiceError) => {
      assert.equal(err.code, status.RESOURCE_EXHAUSTED, err.message);
      assert.match(err.details, message);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, 'the error comes at once, not at the deadline');
    // Series go out in batches of 128: the 1000 series were never sent.
    assert.equal(got.flatMap((m) => m.chunkseries).length, 0);
  }
  const metrics = await ti.registry.getSingleMetricAsString('myelin_ingester_queried_series');
  const sum = Number(/myelin_ingester_queried_series_sum (\d+)/.exec(metrics)?.[1]);
  assert.ok(sum < 200, `the four refused calls read ${sum} series in all, not 4000`);
  assert.equal(decodeChunks(await queryStream(c, 't', 'wide', false, { ...none, maxSeries: 1000 })).size, 1000, 'at the limit the query answers');
});
