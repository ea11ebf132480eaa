// Remote write 2.0 receive, point by point against the specification
// (prometheus.io/docs/specs/prw/remote_write_spec_2_0): requests built here, a real distributor
// and real gRPC (fake) ingesters. Validation, limits and HA dedupe are those of 1.0.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Request as RequestV2 } from '../generated/io/prometheus/write/v2/types.js';
import { Histogram } from '../generated/prometheus/types.js';
import { snappyEncode } from '../wire/index.js';
import { requestV2, type SeriesV2 } from '../wire/testing.js';
import { contentTypeV2, FakeIngester, metricValue, ringOver, series, startDistributor, startHaDistributor, type Harness } from './testing.js';

let ing: FakeIngester;
let h: Harness;
before(async () => {
  ing = await FakeIngester.start();
  h = await startDistributor({
    ring: ringOver([ing], 1),
    limits: (l) => {
      l.maxLabelNamesPerSeries = 4;
      l.ingestionRate = 1000;
      l.ingestionBurstSize = 1000;
    },
  });
});
after(async () => {
  await h.close();
  ing.stop();
});

const written = (res: Response) => ['samples', 'histograms', 'exemplars'].map((k) => Number(res.headers.get(`x-prometheus-remote-write-${k}-written`)));

/** What the ingesters received for `tenant` since `from`. */
const receivedSince = (from: number, tenant: string) => ing.received.slice(from).filter((r) => r.tenant === tenant).map((r) => r.req);

const histogram = (timestamp: number) => ({
  countInt: 3, sum: 1.5, schema: 0, zeroThreshold: 0.001, zeroCountInt: 1,
  negativeSpans: [], negativeDeltas: [], negativeCounts: [],
  positiveSpans: [{ offset: 0, length: 2 }], positiveDeltas: [1, 0], positiveCounts: [],
  resetHint: 0, timestamp, customValues: [],
});

test('Content-Type negotiation: 2.0 by proto=io.prometheus.write.v2.Request, 1.0 without proto or with proto=prometheus.WriteRequest, 415 otherwise', async () => {
  const now = Date.now();
  const s = series('up', { job: 'neg' }, [now]);
  const before = ing.received.length;
  const v2 = await h.pushV2('neg', [s]);
  assert.equal(v2.status, 204, 'success is 204 No Content (SHOULD)');
  assert.equal(await v2.text(), '', 'the body of a success is empty (SHOULD)');
  assert.deepEqual(written(v2), [1, 0, 0]);
  // Parameter spacing and case of the media type do not matter (RFC 9110).
  assert.equal((await h.pushV2('neg', [s], { 'content-type': 'Application/X-Protobuf; proto=io.prometheus.write.v2.Request' })).status, 204);
  assert.equal((await h.push('neg', { timeseries: [s], metadata: [] })).status, 200);
  assert.equal((await h.push('neg', { timeseries: [s], metadata: [] }, { 'content-type': 'application/x-protobuf;proto=prometheus.WriteRequest' })).status, 200);
  const got = receivedSince(before, 'neg');
  assert.equal(got.length, 4);
  for (const r of got) assert.deepEqual(r.timeseries, got[0].timeseries, 'both versions store the same series');
  assert.deepEqual(got[0].timeseries[0].labels, s.labels);

  for (const [type, msg] of [
    ['application/x-protobuf;proto=io.prometheus.write.v3.Request', /unsupported protobuf message "io.prometheus.write.v3.Request"/],
    ['application/json', /unsupported Content-Type/],
  ] as const) {
    const res = await h.pushV2('neg', [s], { 'content-type': type });
    assert.equal(res.status, 415, type);
    assert.match(await res.text(), msg);
  }
  const zstd = await h.pushV2('neg', [s], { 'content-encoding': 'zstd' });
  assert.equal(zstd.status, 415, 'an unsupported Content-Encoding is 415 (MUST)');
});

test('the Written headers come with every answer: success, partial write, invalid request, rate limit, ingester failure', async () => {
  const now = Date.now();
  const good = series('up', { job: 'a' }, [now - 1, now]);
  const tooMany = series('up', { a: '1', b: '2', c: '3', d: '4' }, [now]);
  const partial = await h.pushV2('hdr', [good, tooMany]);
  assert.equal(partial.status, 400, 'a partial write is not 2xx (MUST)');
  assert.match(await partial.text(), /too many labels \(limit 4\)/, 'with a human-readable message');
  assert.deepEqual(written(partial), [2, 0, 0], 'the precise number written');

  const bad = requestV2([good]);
  bad.timeseries[0].labelsRefs[1] = 1000;
  const invalid = await fetch(`${h.url}/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': contentTypeV2, 'content-encoding': 'snappy', 'x-scope-orgid': 'hdr' },
    body: snappyEncode(Buffer.from(RequestV2.encode(bad).finish())),
  });
  assert.equal(invalid.status, 400, 'an invalid symbol reference is 400');
  assert.match(await invalid.text(), /labels_refs entry 1000 of series 0 is not in the symbols table/);
  assert.deepEqual(written(invalid), [0, 0, 0]);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason: 'bad_symbol_reference', user: 'hdr' }), 1);

  const many = Array.from({ length: 1001 }, (_, i) => series('up', { job: `r${i}` }, [now]));
  const limited = await h.pushV2('hdr', many);
  assert.equal(limited.status, 429);
  assert.deepEqual(written(limited), [0, 0, 0]);

  ing.failWith = { code: 14, details: 'ingester going away' };
  try {
    const failed = await h.pushV2('hdr', [good]);
    assert.equal(failed.status, 503, 'Senders retry 5xx');
    assert.deepEqual(written(failed), [0, 0, 0]);
  } finally {
    ing.failWith = undefined;
  }
});

test('an ingester refusing part of a push: the Written headers carry what it stored, the message what was not', async () => {
  const now = Date.now();
  ing.failWith = { code: 3, details: 'out of order sample for series up{job="a"}', written: { samples: 1, histograms: 1, exemplars: 0 } };
  try {
    const res = await h.pushV2('part', [series('up', { job: 'a' }, [now - 1, now]), { ...series('h', {}, []), histograms: [histogram(now)] }]);
    assert.equal(res.status, 400, 'a partial write is not 2xx (MUST)');
    assert.deepEqual(written(res), [1, 1, 0], 'what the ingester stored (MUST: the precise number written)');
    assert.match(await res.text(), /^out of order sample for series up\{job="a"\} \(not written: 1 of 2 samples, 0 of 1 histograms, 0 of 0 exemplars\)$/, 'how many were refused and the first reason (SHOULD)');
  } finally {
    ing.failWith = undefined;
  }
});

test('with replication each replica reports what it stored; the count is their average (exact when they refuse the same samples)', async (t) => {
  const ings = await Promise.all([0, 1, 2].map(() => FakeIngester.start()));
  const rf3 = await startDistributor({ ring: ringOver(ings, 3) });
  t.after(async () => {
    await rf3.close();
    for (const i of ings) i.stop();
  });
  const now = Date.now();
  const push = () => rf3.pushV2('rf3', [series('up', { job: 'a' }, [now - 2, now - 1, now])]);
  for (const i of ings) i.failWith = { code: 3, details: 'out of order sample', written: { samples: 2, histograms: 0, exemplars: 0 } };
  assert.deepEqual(written(await push()), [2, 0, 0], 'every replica refused the same sample');
  // One replica stored all three and answered 200, the others two: (3 + 2 + 2) / 3, rounded.
  ings[0].failWith = undefined;
  const res = await push();
  assert.equal(res.status, 400);
  assert.deepEqual(written(res), [2, 0, 0]);
});

test('labels: sorted, unique, non-empty names, validated and limited exactly as 1.0', async (t) => {
  const now = Date.now();
  const lbl = (pairs: [string, string][]): SeriesV2 => ({ labels: pairs.map(([name, value]) => ({ name, value })), samples: [{ value: 1, timestamp: now }], exemplars: [], histograms: [] });
  const cases: Record<string, { s: SeriesV2; reason: string; message: RegExp }> = {
    'unsorted label names (MUST be sorted)': { s: lbl([['__name__', 'up'], ['b', '1'], ['a', '2']]), reason: 'labels_not_sorted', message: /labels not sorted by name at "a"/ },
    'repeated label names (MUST NOT)': { s: lbl([['__name__', 'up'], ['a', '1'], ['a', '2']]), reason: 'duplicate_label_names', message: /duplicate label name: "a"/ },
    'empty label name (MUST NOT)': { s: lbl([['', 'x'], ['__name__', 'up']]), reason: 'label_invalid', message: /invalid label: ""/ },
    'no __name__ (SHOULD have one)': { s: lbl([['job', 'x']]), reason: 'missing_metric_name', message: /missing metric name/ },
    'too many labels (receiver limit)': { s: lbl([['__name__', 'up'], ['a', '1'], ['b', '2'], ['c', '3'], ['d', '4']]), reason: 'max_label_names_per_series', message: /too many labels/ },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const tenant = `lbl-${name.replace(/\W+/g, '-')}`;
      const res = await h.pushV2(tenant, [c.s]);
      assert.equal(res.status, 400);
      assert.match(await res.text(), c.message);
      assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: c.reason, user: tenant }), 1);
    });
  }
  await t.test('UTF-8 names and values pass through', async () => {
    const before = ing.received.length;
    const res = await h.pushV2('utf8', [lbl([['__name__', 'up'], ['city', 'Zürich 東京']])]);
    assert.equal(res.status, 204);
    assert.deepEqual(receivedSince(before, 'utf8')[0].timeseries[0].labels, [{ name: '__name__', value: 'up' }, { name: 'city', value: 'Zürich 東京' }]);
  });
});

test('samples keep their values bit for bit, stale markers included; created timestamps are accepted and not stored', async () => {
  const now = Date.now();
  const stale = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0];
  const s: SeriesV2 = { ...series('requests_total', { job: 'ct' }, []), samples: [{ value: 0.1, timestamp: now - 2 }, { value: stale, timestamp: now - 1 }], createdTimestamp: now - 60_000 };
  const before = ing.received.length;
  const res = await h.pushV2('ct', [s]);
  assert.equal(res.status, 204);
  assert.deepEqual(written(res), [2, 0, 0]);
  const got = receivedSince(before, 'ct')[0].timeseries[0].samples;
  assert.deepEqual(got.map((x) => x.timestamp), [now - 2, now - 1], 'no zero sample at the created timestamp');
  // (An array literal would quiet the signalling NaN: store it through a typed array.)
  const f = new Float64Array(1);
  f[0] = got[1].value;
  const bits = new BigUint64Array(f.buffer)[0];
  assert.equal(bits, 0x7ff0000000000002n, 'the stale marker is the same NaN');
  assert.equal(got[0].value, 0.1);
});

test('native histograms and exemplars are validated and stored as 1.0\'s, and counted in the -Written headers', async () => {
  const now = Date.now();
  const withHistograms: SeriesV2 = { ...series('latency', {}, []), histograms: [histogram(now), histogram(now + 1)] };
  const trace = { labels: [{ name: 'trace_id', value: 'abc' }], value: 1, timestamp: now };
  const withExemplars: SeriesV2 = { ...series('requests', {}, [now]), exemplars: [{ labels: [], value: 2, timestamp: now }, trace] };
  const before = ing.received.length;
  let res = await h.pushV2('hx', [series('up', {}, [now]), withHistograms]);
  assert.equal(res.status, 204);
  assert.deepEqual(written(res), [1, 2, 0]);
  assert.equal(await metricValue(h.registry, 'myelin_distributor_received_samples_total', { user: 'hx' }), 3);
  // The bad exemplar (no labels) is dropped and named; its series and the good exemplar are stored.
  res = await h.pushV2('hx', [withExemplars]);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /exemplar missing labels, timestamp: \d+ series: \{__name__="requests"\} labels: \{\}/);
  assert.deepEqual(written(res), [1, 0, 1]);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_exemplars_total', { reason: 'exemplar_labels_missing', user: 'hx' }), 1);
  assert.equal(await metricValue(h.registry, 'myelin_distributor_received_exemplars_total', { user: 'hx' }), 1);
  const got = receivedSince(before, 'hx').flatMap((r) => r.timeseries);
  assert.deepEqual(got.map((s) => s.labels[0].value), ['up', 'latency', 'requests']);
  assert.deepEqual(got[1].histograms, withHistograms.histograms.map((x) => Histogram.decode(Histogram.encode(x).finish())));
  assert.deepEqual(got[2].exemplars, [trace]);
  // A histogram that is not valid is refused as 1.0 refuses it, with its series.
  res = await h.pushV2('hx', [{ ...series('bad_latency', {}, []), histograms: [{ ...histogram(now), schema: 9 }] }]);
  assert.equal(res.status, 400);
  assert.deepEqual(written(res), [0, 0, 0]);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: 'invalid_native_histogram', user: 'hx' }), 1);
});

test('a series rewritten by validation (histograms of reduced resolution, a dropped exemplar, the HA replica label) reaches the ingesters as the same 1.0 push makes it', async (t) => {
  const { ing2, d } = await startHaDistributor(t, (l) => (l.maxNativeHistogramBuckets = 1));
  const now = Date.now();
  const s: SeriesV2 = {
    ...series('latency', { __replica__: 'r1', cluster: 'prod' }, []),
    // Buckets 1 and 2 of schema 0 are one bucket of schema -1.
    histograms: [{ ...histogram(now), positiveSpans: [{ offset: 1, length: 2 }] }],
    exemplars: [{ labels: [], value: 1, timestamp: now }, { labels: [{ name: 'trace_id', value: 'ok' }], value: 2, timestamp: now }],
  };
  const v1 = await d.push('team', { timeseries: [{ labels: s.labels, samples: s.samples, exemplars: s.exemplars, histograms: s.histograms }], metadata: [] });
  const v2 = await d.pushV2('team', [s]);
  assert.equal(v1.status, 400);
  assert.equal(v2.status, 400);
  assert.deepEqual(written(v2), [0, 1, 1]);
  assert.deepEqual(written(v1), written(v2));
  const [a, b] = ing2.received.map((r) => r.req.timeseries);
  assert.deepEqual(b, a, '2.0 sends what 1.0 sends');
  assert.deepEqual(b[0].labels.map((l) => l.name), ['__name__', 'cluster']);
  assert.deepEqual(b[0].exemplars.map((e) => e.value), [2]);
  assert.ok(b[0].histograms[0].schema < 0, `resolution reduced (schema ${b[0].histograms[0].schema})`);
  assert.equal(await metricValue(d.registry, 'myelin_reduced_resolution_histogram_samples_total', { user: 'team' }), 2);
});

test('metadata per series reaches the ingesters as 1.0 metadata per family, validated as 1.0', async () => {
  const now = Date.now();
  const md = (name: string, type: number, help: string): SeriesV2 => ({ ...series(name, { job: 'md' }, [now]), metadata: { type, help, unit: 'seconds' } });
  const before = ing.received.length;
  const res = await h.pushV2('md', [md('rpc_seconds_bucket', 3, 'RPC latency.'), md('rpc_seconds_count', 3, 'RPC latency.'), md('up', 2, 'Up.')]);
  assert.equal(res.status, 204);
  const got = receivedSince(before, 'md').flatMap((r) => r.metadata);
  assert.deepEqual(got.sort((a, b) => a.metricFamilyName.localeCompare(b.metricFamilyName)), [
    { type: 3, metricFamilyName: 'rpc_seconds', help: 'RPC latency.', unit: 'seconds' },
    { type: 2, metricFamilyName: 'up', help: 'Up.', unit: 'seconds' },
  ]);
  assert.equal(await metricValue(h.registry, 'myelin_distributor_received_metadata_total', { user: 'md' }), 2);
});

test('HA dedupe as 1.0: the replica label is dropped, the other replica gets 202', async (t) => {
  const { ing2, d } = await startHaDistributor(t);
  const from = (replica: string) => [series('up', { __replica__: replica, cluster: 'prod', job: 'node' }, [Date.now()])];
  assert.equal((await d.pushV2('team', from('r1'))).status, 204);
  assert.deepEqual(ing2.series(), ['team:__name__=up,cluster=prod,job=node']);
  const dup = await d.pushV2('team', from('r2'));
  assert.equal(dup.status, 202);
  assert.deepEqual(written(dup), [0, 0, 0]);
  assert.equal(ing2.series().length, 1);
});
