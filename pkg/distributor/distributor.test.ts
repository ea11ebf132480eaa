import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { defaults } from '../flagext/index.js';
import { WriteRequest } from '../generated/prometheus/remote.js';
import { jsonCodec, MemoryClient, MemoryStore } from '../kv/index.js';
import { limitsConfig, type Limits } from '../limits/index.js';
import type { ReplicaDesc } from './ha-tracker.js';
import { RingSnapshot, RingView } from '../ring/index.js';
import { instance } from '../ring/testing.js';
import { snappyEncode } from '../wire/index.js';
import { FakeIngester, metricValue, ringOver, series, startDistributor } from './testing.js';

let ing: FakeIngester;
before(async () => {
  ing = await FakeIngester.start();
});
after(() => ing.stop());

const good = () => series('up', { job: 'good' });

test('every validation reason: 400 with the first error, the good series stored, the reason counted', async (t) => {
  const now = Date.now();
  const h = await startDistributor({
    ring: ringOver([ing], 1),
    limits: (l) => {
      l.maxLabelNameLength = 10;
      l.maxLabelValueLength = 8;
      l.maxLabelNamesPerSeries = 3;
      l.rejectOldSamples = true;
      l.rejectOldSamplesMaxAge = 3600_000;
      l.maxMetadataLength = 12;
    },
  });
  t.after(() => h.close());
  const lbl = (pairs: [string, string][]) => ({ labels: pairs.map(([name, value]) => ({ name, value })), samples: [{ timestamp: now, value: 1 }, { timestamp: now, value: 2 }], exemplars: [], histograms: [] });
  const cases: Record<string, { ts?: ReturnType<typeof lbl>; md?: { type: number; metricFamilyName: string; help: string; unit: string }; reason: string; message: RegExp; metric?: string }> = {
    'missing metric name': { ts: lbl([['job', 'x']]), reason: 'missing_metric_name', message: /sample missing metric name/ },
    'invalid metric name': { ts: lbl([['__name__', '0up']]), reason: 'metric_name_invalid', message: /invalid metric name/ },
    'invalid label name': { ts: lbl([['__name__', 'up'], ['a-b', 'x']]), reason: 'label_invalid', message: /invalid label: "a-b"/ },
    'label name too long': { ts: lbl([['__name__', 'up'], ['a'.repeat(11), 'x']]), reason: 'label_name_too_long', message: /label name too long \(limit 10\)/ },
    'label value too long': { ts: lbl([['__name__', 'up'], ['job', 'x'.repeat(9)]]), reason: 'label_value_too_long', message: /label value too long \(limit 8\) for label "job"/ },
    'too many labels': { ts: lbl([['__name__', 'up'], ['a', '1'], ['b', '2'], ['c', '3']]), reason: 'max_label_names_per_series', message: /too many labels \(limit 3\)/ },
    'duplicate label names': { ts: lbl([['__name__', 'up'], ['a', '1'], ['a', '2']]), reason: 'duplicate_label_names', message: /duplicate label name: "a"/ },
    'unsorted labels': { ts: lbl([['__name__', 'up'], ['b', '1'], ['a', '2']]), reason: 'labels_not_sorted', message: /labels not sorted by name at "a"/ },
    'sample too old': { ts: { ...lbl([['__name__', 'up']]), samples: [{ timestamp: now - 7200_000, value: 1 }, { timestamp: now, value: 1 }] }, reason: 'greater_than_max_sample_age', message: /timestamp too old/ },
    'sample too new': { ts: { ...lbl([['__name__', 'up']]), samples: [{ timestamp: now + 3600_000, value: 1 }, { timestamp: now, value: 1 }] }, reason: 'too_far_in_future', message: /timestamp too new/ },
    'metadata without name': { md: { type: 1, metricFamilyName: '', help: 'h', unit: '' }, reason: 'missing_metric_name', message: /metadata missing metric name/, metric: 'myelin_discarded_metadata_total' },
    'metadata help too long': { md: { type: 1, metricFamilyName: 'up', help: 'h'.repeat(13), unit: '' }, reason: 'help_too_long', message: /metadata help too long \(limit 12\)/, metric: 'myelin_discarded_metadata_total' },
    'metadata unit too long': { md: { type: 1, metricFamilyName: 'up', help: '', unit: 'u'.repeat(13) }, reason: 'unit_too_long', message: /metadata unit too long/, metric: 'myelin_discarded_metadata_total' },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const tenant = `t-${name.replace(/ /g, '-')}`;
      const before = ing.received.length;
      const res = await h.push(tenant, { timeseries: [good(), ...(c.ts ? [c.ts] : [])], metadata: c.md ? [c.md] : [] });
      assert.equal(res.status, 400);
      assert.match(await res.text(), c.message);
      const metric = c.metric ?? 'myelin_discarded_samples_total';
      assert.equal(await metricValue(h.registry, metric, { reason: c.reason, user: tenant }), c.ts ? 2 : 1);
      const got = ing.received.slice(before);
      assert.deepEqual(got.map((r) => [r.tenant, r.req.timeseries.length, r.req.metadata.length]), [[tenant, 1, 0]], 'the good series is stored');
      assert.equal(await metricValue(h.registry, 'myelin_distributor_received_samples_total', { user: tenant }), 1);
    });
  }
});

test('exemplars: good ones forwarded with their series; each bad one dropped, counted by reason and named in a 400, its series kept', async (t) => {
  const h = await startDistributor({
    ring: ringOver([ing], 1),
    limits: (l) => {
      l.rejectOldSamples = true;
      l.rejectOldSamplesMaxAge = 3600_000;
    },
  });
  t.after(() => h.close());
  const now = Date.now();
  const ex = (labels: Record<string, string>, timestamp = now) => ({ labels: Object.entries(labels).map(([name, value]) => ({ name, value })), value: 1.5, timestamp });
  const withEx = (name: string, exemplars: ReturnType<typeof ex>[]) => ({ ...series(name, {}), exemplars });

  let before = ing.received.length;
  let res = await h.push('ex', { timeseries: [withEx('ok', [ex({ trace_id: 'abc' }), ex({ trace_id: 'def' }, now + 1)])], metadata: [] });
  assert.equal(res.status, 200, await res.text());
  assert.deepEqual(ing.received.slice(before).flatMap((r) => r.req.timeseries[0].exemplars.map((e) => e.labels[0].value)), ['abc', 'def']);
  assert.equal(await metricValue(h.registry, 'myelin_distributor_received_exemplars_total', { user: 'ex' }), 2);

  const cases: Record<string, { exemplar: ReturnType<typeof ex>; reason: string; message: RegExp }> = {
    'no labels': { exemplar: ex({}), reason: 'exemplar_labels_missing', message: /exemplar missing labels, timestamp: \d+ series: \{__name__="bad"\} labels: \{\}/ },
    'no timestamp': { exemplar: ex({ trace_id: 'x' }, 0), reason: 'exemplar_timestamp_invalid', message: /exemplar missing timestamp, timestamp: 0 series: \{__name__="bad"\} labels: \{trace_id="x"\}/ },
    'invalid label name': { exemplar: ex({ 'trace-id': 'x' }), reason: 'exemplar_labels_blank', message: /exemplar has a blank or invalid label name/ },
    '129 runes': { exemplar: ex({ trace_id: 'é'.repeat(121) }), reason: 'exemplar_labels_too_long', message: /exemplar combined labelset exceeds 128 characters/ },
    'too old': { exemplar: ex({ trace_id: 'x' }, now - 7200_000), reason: 'exemplar_too_old', message: /exemplar too old \(older than 3600000ms, -validation.reject-old-samples.max-age\)/ },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      before = ing.received.length;
      const good = ex({ trace_id: 'fine' }, now + 10);
      const tenant = c.reason;
      res = await h.push(tenant, { timeseries: [withEx('bad', [c.exemplar, good])], metadata: [] });
      assert.equal(res.status, 400);
      assert.match(await res.text(), c.message);
      assert.equal(await metricValue(h.registry, 'myelin_discarded_exemplars_total', { reason: c.reason, user: tenant }), 1);
      const sent = ing.received.slice(before).flatMap((r) => r.req.timeseries);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].samples.length, 1, 'the series\' samples are stored');
      assert.deepEqual(sent[0].exemplars.map((e) => e.labels[0].value), ['fine'], 'the good exemplar goes on');
    });
  }
  // 128 runes exactly is fine.
  res = await h.push('ex', { timeseries: [withEx('edge', [ex({ trace_id: 'é'.repeat(120) }, now + 20)])], metadata: [] });
  assert.equal(res.status, 200, await res.text());
  // An exemplar-only entry (as Prometheus sends them) whose exemplars all fail is not sent at all.
  before = ing.received.length;
  res = await h.push('ex', { timeseries: [{ ...series('only', {}, []), exemplars: [ex({})] }], metadata: [] });
  assert.equal(res.status, 400);
  assert.equal(ing.received.length, before);
});

test('exemplars and the HA replica label: both rewrites apply', async (t) => {
  const h = await startDistributor({
    ring: ringOver([ing], 1),
    haKV: new MemoryClient(new MemoryStore(), jsonCodec<ReplicaDesc>()),
    cfg: (c) => Object.assign(c.haTracker, { enableHaTracker: true }),
    limits: (l) => {
      l.acceptHaSamples = true;
    },
  });
  t.after(() => h.close());
  const now = Date.now();
  const s = { ...series('m', { __replica__: 'r1', cluster: 'c' }), exemplars: [{ labels: [], value: 1, timestamp: now }, { labels: [{ name: 'trace_id', value: 'ok' }], value: 2, timestamp: now }] };
  const before = ing.received.length;
  const res = await h.push('ha', { timeseries: [s], metadata: [] });
  assert.equal(res.status, 400);
  const sent = ing.received.slice(before).flatMap((r) => r.req.timeseries);
  assert.deepEqual(sent.map((x) => [x.labels.map((l) => l.name), x.exemplars.map((e) => e.value)]), [[['__name__', 'cluster'], [2]]]);
});

test('limits are isolated per tenant and the first error wins', async (t) => {
  const strict: Limits = { ...defaults(limitsConfig), maxLabelNamesPerSeries: 1 };
  const h = await startDistributor({ ring: ringOver([ing], 1), tenantLimits: new Map([['strict', strict]]) });
  t.after(() => h.close());
  const two = series('up', { job: 'a' });
  const res = await h.push('strict', { timeseries: [two, series('up', { job: 'b' })], metadata: [] });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /too many labels \(limit 1\) series: \{__name__="up", job="a"\}/);
  assert.equal((await h.push('relaxed', { timeseries: [two], metadata: [] })).status, 200);
});

test('local and global ingestion rate strategies', async (t) => {
  for (const strategy of ['local', 'global'] as const) {
    await t.test(strategy, async () => {
      let now = Date.now();
      const distributors = new RingView(
        new RingSnapshot([instance('d-1', [1]), instance('d-2', [2])]),
        { replicationFactor: 1, heartbeatTimeout: 0, zoneAwarenessEnabled: false },
        () => now,
      );
      const h = await startDistributor({
        ring: ringOver([ing], 1),
        distributorRing: distributors,
        now: () => now,
        limits: (l) => {
          l.ingestionRate = 20;
          l.ingestionBurstSize = 20;
          l.ingestionRateStrategy = strategy;
        },
      });
      t.after(() => h.close());
      const batch = (n: number, job: string) => ({ timeseries: [series('up', { job }, Array.from({ length: n }, (_, i) => now - 1000 + i))], metadata: [] });
      assert.equal((await h.push('a', batch(20, 'x'))).status, 200, 'the burst is allowed');
      const over = await h.push('a', batch(1, 'y'));
      assert.equal(over.status, 429);
      assert.match(await over.text(), new RegExp(`ingestion rate limit \\(20/s, ${strategy} strategy, burst 20\\) exceeded while adding 1 samples`));
      assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: 'rate_limited', user: 'a' }), 1);
      assert.equal((await h.push('b', batch(20, 'z'))).status, 200, 'another tenant has its own bucket');
      now += 500; // refills 10 samples locally, 5 when the rate is split between two distributors
      assert.equal((await h.push('a', batch(6, 'w'))).status, strategy === 'local' ? 200 : 429);
    });
  }
});

test('request rate limit', async (t) => {
  const h = await startDistributor({ ring: ringOver([ing], 1), limits: (l) => Object.assign(l, { requestRate: 1, requestBurstSize: 2 }) });
  t.after(() => h.close());
  const req = { timeseries: [good()], metadata: [] };
  assert.deepEqual([(await h.push('r', req)).status, (await h.push('r', req)).status, (await h.push('r', req)).status], [200, 200, 429]);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason: 'rate_limited', user: 'r' }), 1);
});

test('RF=3: one ingester down still succeeds, two down answer 5xx; ingester errors are mapped', async (t) => {
  const ings = await Promise.all([0, 1, 2].map(() => FakeIngester.start()));
  t.after(() => ings.forEach((i) => i.stop()));
  const h = await startDistributor({ ring: ringOver(ings, 3) });
  t.after(() => h.close());
  const req = { timeseries: Array.from({ length: 20 }, (_, i) => series('up', { instance: `host-${i}` })), metadata: [] };
  assert.equal((await h.push('t', req)).status, 200);
  assert.deepEqual(ings.map((i) => i.samples()), [20, 20, 20], 'RF=3 over 3 ingesters: each has every series');

  for (const code of [status.INVALID_ARGUMENT, status.FAILED_PRECONDITION]) {
    for (const i of ings) i.failWith = { code, details: 'per-user series limit of 1 exceeded' };
    const res = await h.push('t', req);
    assert.equal(res.status, 400, `gRPC ${code} → 400`);
    assert.match(await res.text(), /per-user series limit/);
  }
  // gRPC's own answer to a message over the ingester's receive limit says nothing about the data.
  for (const i of ings) i.failWith = { code: status.RESOURCE_EXHAUSTED, details: 'Received message larger than max (5000000 vs. 4194304)' };
  const exhausted = await h.push('t', req);
  assert.equal(exhausted.status, 500, 'RESOURCE_EXHAUSTED → 500 (Prometheus retries)');
  assert.match(await exhausted.text(), /larger than max.*-server\.grpc-max-recv-msg-size-bytes/);
  for (const i of ings) i.failWith = undefined;

  ings[0].stop();
  assert.equal((await h.push('t', req)).status, 200);
  assert.deepEqual(ings.slice(1).map((i) => i.samples()), [40, 40]);
  ings[1].stop();
  const res = await h.push('t', req);
  assert.ok(res.status >= 500, `status ${res.status}`);
  assert.match(await res.text(), /ingester unavailable/);
  assert.ok((await metricValue(h.registry, 'myelin_distributor_ingester_append_failures_total', { ingester: ings[1].addr, status: 'UNAVAILABLE' })) >= 1);
});

test('malformed bodies get 4xx and the distributor keeps working', async (t) => {
  const h = await startDistributor({ ring: ringOver([ing], 1), cfg: (c) => (c.maxRecvMsgSize = 10 << 20) });
  t.after(() => h.close());
  const raw = (body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-scope-orgid': 'm', ...headers }, body });
  const valid = Buffer.from(WriteRequest.encode({ timeseries: [good()], metadata: [] }).finish());
  const cases: Record<string, { res: () => Promise<Response>; status: number; message: RegExp }> = {
    'not snappy': { res: () => raw(Buffer.from('{"hello": "json"}')), status: 400, message: /not snappy/ },
    'truncated protobuf': { res: () => raw(snappyEncode(valid.subarray(0, valid.length - 3))), status: 400, message: /truncated/ },
    'wrong field types': { res: () => raw(snappyEncode(Buffer.from([0x08, 0x96, 0x01]))), status: 400, message: /wrong wire type/ },
    'decoded size over the limit': { res: () => raw(snappyEncode(Buffer.alloc(11 << 20))), status: 413, message: /exceeds the limit of 10485760 bytes/ },
    '50 MB body': { res: () => raw(Buffer.alloc(50 << 20, 0xff)), status: 413, message: /larger than 10485760 bytes \(-distributor.max-recv-msg-size\)/ },
    'gzip encoding': { res: () => raw(valid, { 'content-encoding': 'gzip' }), status: 415, message: /expected snappy/ },
    'json content type': { res: () => raw(valid, { 'content-type': 'application/json' }), status: 415, message: /expected application\/x-protobuf/ },
    'unknown protobuf message': { res: () => raw(valid, { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v3.Request' }), status: 415, message: /unsupported protobuf message "io.prometheus.write.v3.Request": expected prometheus.WriteRequest \(remote write 1.0\) or io.prometheus.write.v2.Request/ },
    'no tenant': { res: () => raw(snappyEncode(valid), { 'x-scope-orgid': '' }), status: 401, message: /no org id/ },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const res = await c.res();
      assert.equal(res.status, c.status);
      assert.match(await res.text(), c.message);
    });
  }
  // A body refused by its size keeps the connection, so the 413 is not lost to a reset.
  assert.notEqual((await raw(Buffer.alloc(20 << 20, 0xff))).headers.get('connection'), 'close');
  // too_large: the decoded size, the 50 MB and the 20 MB raw bodies.
  for (const [reason, n] of [['bad_snappy', 1], ['bad_protobuf', 2], ['too_large', 3]] as const) {
    assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason, user: 'm' }), n, reason);
  }
  assert.equal((await h.push('m', { timeseries: [good()], metadata: [] }, {})).status, 200);
  const prom = await fetch(`${h.url}/prometheus/api/v1/push`, {
    method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-scope-orgid': 'm' }, body: snappyEncode(valid),
  });
  assert.equal(prom.status, 200);
});

test('all_user_stats: JSON and HTML, divided by the replication factor', async (t) => {
  const ings = await Promise.all([0, 1].map(() => FakeIngester.start()));
  t.after(() => ings.forEach((i) => i.stop()));
  for (const i of ings) i.stats = { stats: [{ userId: 'alice', data: { numSeries: 10, ingestionRate: 4, apiIngestionRate: 4, ruleIngestionRate: 0 } }] };
  const h = await startDistributor({ ring: ringOver(ings, 2) });
  t.after(() => h.close());
  const json = await (await fetch(`${h.url}/distributor/all_user_stats`, { headers: { accept: 'application/json' } })).json();
  assert.deepEqual(json, [{ userId: 'alice', numSeries: 10, ingestionRate: 4, apiIngestionRate: 4, ruleIngestionRate: 0 }]);
  const html = await (await fetch(`${h.url}/distributor/all_user_stats`)).text();
  assert.match(html, /<td>alice<\/td><td>10<\/td><td>4.00<\/td>/);
  // Titled as the status index links it.
  assert.match(html, /<h1>Usage statistics<\/h1>/);
});

test('a push larger than the ingester client\'s max send size goes in several messages, each within it', async (t) => {
  const ing2 = await FakeIngester.start();
  t.after(() => ing2.stop());
  const limit = 4096;
  const h = await startDistributor({ ring: ringOver([ing2], 1), clientCfg: (c) => (c.grpcClientConfig.maxSendMsgSize = limit) });
  t.after(() => h.close());
  const req = { timeseries: Array.from({ length: 500 }, (_, i) => series('up', { instance: `host-${i}` })), metadata: [] };
  assert.ok(WriteRequest.encode(req).finish().length > 5 * limit);
  const res = await h.push('t', req);
  assert.equal(res.status, 200, await res.text());
  assert.ok(ing2.received.length > 5, `${ing2.received.length} messages`);
  for (const r of ing2.received) assert.ok(WriteRequest.encode(r.req).finish().length <= limit);
  assert.equal(new Set(ing2.series()).size, 500, 'every series sent once');
  assert.equal(ing2.series().length, 500);

  const now = Date.now();
  const huge = { timeseries: [series('up', { job: 'long' }, Array.from({ length: 1000 }, (_, i) => now - 1000 + i))], metadata: [] };
  const tooLarge = await h.push('t', huge);
  assert.equal(tooLarge.status, 413);
  assert.match(await tooLarge.text(), /a series of \d+ bytes is larger than the largest message sent to an ingester, 4096 bytes \(-ingester.client.grpc-max-send-msg-size\)/);
});
