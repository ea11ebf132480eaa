import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { ServiceError } from '@grpc/grpc-js';
import type { ExemplarQueryResponse, IngesterClient } from '../generated/myelin/ingester.js';
import type { WriteRequest } from '../generated/prometheus/remote.js';
import { LabelMatcher_Type } from '../generated/prometheus/types.js';
import type { Exemplar, TimeSeries } from '../generated/prometheus/types.js';
import { IngesterConn } from './client/index.js';
import { defaults } from '../flagext/index.js';
import { ingesterClientConfig } from './client/index.js';
import { MemoryStore } from '../kv/index.js';
import { Matcher, MatchType } from '../model/labels/index.js';
import { ingestersExemplars } from '../querier/index.js';
import { Read, type ReadRing } from '../ring/index.js';
import { tenantMetadata } from '../tenant/index.js';
import { startTestIngester } from './testing.js';
import { waitUntil } from '../testutil/index.js';

const ex = (trace: string, timestamp: number, value = 1): Exemplar => ({ labels: [{ name: 'trace_id', value: trace }], value, timestamp });
const series = (name: string, samples: [number, number][], exemplars: Exemplar[] = []): TimeSeries => ({
  labels: [{ name: '__name__', value: name }],
  samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
  exemplars,
  histograms: [],
});

function push(c: IngesterClient, tenant: string, req: Partial<WriteRequest>): Promise<void> {
  return new Promise((resolve, reject) => {
    c.push({ timeseries: [], metadata: [], ...req }, tenantMetadata(tenant), (err: ServiceError | null) => (err ? reject(err) : resolve()));
  });
}

function queryExemplars(c: IngesterClient, tenant: string, name: string, start = 0, end = 1e13): Promise<[string, [string, number][]][]> {
  return new Promise((resolve, reject) => {
    const req = { startTimestampMs: start, endTimestampMs: end, matchers: [{ matchers: [{ type: LabelMatcher_Type.RE, name: '__name__', value: name }] }] };
    c.queryExemplars(req, tenantMetadata(tenant), (err: ServiceError | null, res?: ExemplarQueryResponse) => {
      if (err) return reject(err);
      resolve((res as ExemplarQueryResponse).timeseries.map((ts) => [ts.labels.map((l) => l.value).join(','), ts.exemplars.map((e) => [e.labels[0].value, e.timestamp])]));
    });
  });
}

async function metric(ti: { registry: Registry }, line: RegExp): Promise<number> {
  const text = await ti.registry.metrics();
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? 0 : Number(m.split(' ').at(-1));
}

test('exemplars: stored per tenant up to the limit, queried back, refusals named and counted, kept across a restart', async (t) => {
  const kv = new MemoryStore();
  const bucketDir = mkdtempSync(join(tmpdir(), 'exemplars-bucket-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'exemplars-data-'));
  const limits = { maxGlobalExemplarsPerUser: 3 };
  let ti = await startTestIngester({ id: 'ing-1', kv, bucketDir, dataDir, limits });
  t.after(() => ti.stop());
  const now = Date.now();

  // Exemplar-only entries (as Prometheus sends them), before the series' samples in the same request.
  await push(ti.client, 'a', { timeseries: [series('req', [], [ex('t1', now)]), series('req', [[now, 1]])] });
  await push(ti.client, 'a', { timeseries: [series('req', [[now + 1000, 2]], [ex('t2', now + 1000)])] });
  assert.deepEqual(await queryExemplars(ti.client, 'a', 'req'), [['req', [['t1', now], ['t2', now + 1000]]]]);
  assert.deepEqual(await queryExemplars(ti.client, 'b', 'req'), [], 'tenants are isolated');
  assert.deepEqual(await queryExemplars(ti.client, 'a', 'req', now + 1, now + 2000), [['req', [['t2', now + 1000]]]]);

  // A retry of what is stored is a no-op; an older one is refused 400 (INVALID_ARGUMENT), the samples kept.
  await push(ti.client, 'a', { timeseries: [series('req', [], [ex('t2', now + 1000)])] });
  await assert.rejects(push(ti.client, 'a', { timeseries: [series('req', [[now + 2000, 3]], [ex('old', now + 500)])] }), (err: ServiceError) => {
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /out of order exemplar: req exemplar=\{trace_id="old"\} t=\d+ newest=\d+ \(tenant a\)/);
    return true;
  });
  // An exemplar for a series the head does not have is refused too.
  await assert.rejects(push(ti.client, 'a', { timeseries: [series('nosamples', [], [ex('x', now)])] }), /exemplar for a series with no samples in the head/);
  assert.equal(await metric(ti, /^myelin_discarded_exemplars_total\{reason="out_of_order_exemplar",user="a"\}/), 1);
  assert.equal(await metric(ti, /^myelin_discarded_exemplars_total\{reason="exemplar_missing_series",user="a"\}/), 1);
  assert.equal(await metric(ti, /^myelin_ingester_ingested_exemplars_total /), 2);
  assert.equal(await metric(ti, /^myelin_ingester_tsdb_exemplar_exemplars_in_storage /), 2);

  // The ring keeps the newest 3.
  for (let k = 3; k <= 5; k++) await push(ti.client, 'a', { timeseries: [series('req', [[now + k * 1000, k]], [ex(`t${k}`, now + k * 1000)])] });
  const newest = [['req', [['t3', now + 3000], ['t4', now + 4000], ['t5', now + 5000]]]];
  assert.deepEqual(await queryExemplars(ti.client, 'a', 'req'), newest);

  // A restart replays them from the WAL.
  await ti.stop();
  ti = await startTestIngester({ id: 'ing-1', kv, bucketDir, dataDir, limits });
  assert.deepEqual(await queryExemplars(ti.client, 'a', 'req'), newest);
});

test('exemplars off for a tenant (limit 0): the samples are stored, the exemplars dropped and counted, no error', async (t) => {
  const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir: mkdtempSync(join(tmpdir(), 'exemplars-bucket-')) });
  t.after(() => ti.stop());
  const now = Date.now();
  await push(ti.client, 'off', { timeseries: [series('req', [[now, 1]], [ex('t1', now), ex('t2', now + 1)])] });
  assert.deepEqual(await queryExemplars(ti.client, 'off', 'req'), []);
  assert.equal(await metric(ti, /^myelin_discarded_exemplars_total\{reason="exemplars_disabled",user="off"\}/), 2);
  assert.equal(await metric(ti, /^myelin_ingester_ingested_samples_total /), 1);
});

test('querier: every ingester of the replication set is asked, replicas merged without repeats, series in label order', async (t) => {
  const kv = new MemoryStore();
  const bucketDir = mkdtempSync(join(tmpdir(), 'exemplars-bucket-'));
  const limits = { maxGlobalExemplarsPerUser: 100 };
  const a = await startTestIngester({ id: 'ing-a', kv, bucketDir, limits, rf: 2 });
  const b = await startTestIngester({ id: 'ing-b', kv, bucketDir, limits, rf: 2 });
  t.after(async () => {
    await a.stop();
    await b.stop();
  });
  const now = Date.now();
  // Both replicas have t1 and t3; only one got t2 (the other missed that push).
  for (const ti of [a, b]) await push(ti.client, 'q', { timeseries: [series('z', [[now, 1]], [ex('z1', now)]), series('req', [[now, 1]], [ex('t1', now)])] });
  await push(a.client, 'q', { timeseries: [series('req', [[now + 1, 1]], [ex('t2', now + 1)])] });
  for (const ti of [a, b]) await push(ti.client, 'q', { timeseries: [series('req', [[now + 2, 1]], [ex('t3', now + 2)])] });

  const conns = new Map<string, IngesterConn>();
  t.after(() => {
    for (const c of conns.values()) c.close();
  });
  const client = (addr: string) => conns.get(addr) ?? conns.set(addr, new IngesterConn(defaults(ingesterClientConfig), addr)).get(addr) as IngesterConn;
  const ring: ReadRing = a.ing.lifecycler.ring;
  await waitUntil(() => ring.getReplicationSetForOperation(Read).instances.length >= 2, { what: 'both ingesters in the read set' });
  const got = await ingestersExemplars(['q'], { ring, client, timeout: 5000 }, 0, now + 10, [[new Matcher(MatchType.Regexp, '__name__', 'req|z')]], '__tenant_id__');
  assert.deepEqual(got.map((s) => [s.seriesLabels.toString(), s.exemplars.map((e) => [e.labels.get('trace_id'), e.ts])]), [
    ['req', [['t1', now], ['t2', now + 1], ['t3', now + 2]]],
    ['z', [['z1', now]]],
  ]);
  // Federated: each series names its tenant.
  const fed = await ingestersExemplars(['q', 'other'], { ring, client, timeout: 5000 }, 0, now + 10, [[new Matcher(MatchType.Equal, '__name__', 'z')]], '__tenant_id__');
  assert.deepEqual(fed.map((s) => s.seriesLabels.toString()), ['z{__tenant_id__="q"}']);
});
