import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defaults } from '../flagext/index.js';
import type { Histogram as WireHistogram, Histogram_ResetHint, TimeSeries } from '../generated/prometheus/types.js';
import { limitsConfig } from '../limits/index.js';
import { FakeIngester, metricValue, ringOver, series, startDistributor } from './testing.js';

let ing: FakeIngester;
before(async () => {
  ing = await FakeIngester.start();
});
after(() => ing.stop());

/** A 20-bucket latency histogram (schema 3, buckets 0..19, each count 1) at time t. */
function latency(t: number, over: Partial<WireHistogram> = {}): WireHistogram {
  return {
    countInt: 22, sum: 12.5, schema: 3, zeroThreshold: 0.001, zeroCountInt: 2,
    negativeSpans: [], negativeDeltas: [], negativeCounts: [],
    positiveSpans: [{ offset: 0, length: 20 }], positiveDeltas: [1, ...new Array<number>(19).fill(0)], positiveCounts: [],
    resetHint: 0, timestamp: t, customValues: [], ...over,
  };
}

function withHistograms(name: string, hs: WireHistogram[], floats: number[] = []): TimeSeries {
  return { ...series(name, {}, floats), histograms: hs };
}

function receivedSince(n: number): TimeSeries[] {
  return ing.received.slice(n).flatMap((r) => r.req.timeseries);
}

test('integer, float and custom-bucket histograms are sent to the ingesters and counted as samples', async (t) => {
  const h = await startDistributor({ ring: ringOver([ing], 1) });
  t.after(() => h.close());
  const now = Date.now();
  const float = { ...latency(now + 1), countInt: undefined, countFloat: 22, zeroCountInt: undefined, zeroCountFloat: 2, positiveDeltas: [], positiveCounts: new Array<number>(20).fill(1) };
  const nhcb = { ...latency(now + 2), schema: -53, zeroThreshold: 0, zeroCountInt: 0, countInt: 3, positiveSpans: [{ offset: 0, length: 3 }], positiveDeltas: [1, 0, 0], customValues: [0.1, 0.5] };
  const before = ing.received.length;
  const res = await h.push('h', { timeseries: [withHistograms('latency', [latency(now), float, nhcb], [now - 1])], metadata: [] });
  assert.equal(res.status, 200, await res.text());
  const got = receivedSince(before);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0].histograms.map((x) => x.timestamp), [now, now + 1, now + 2]);
  assert.deepEqual(got[0].histograms[2].customValues, [0.1, 0.5]);
  assert.equal(await metricValue(h.registry, 'myelin_distributor_received_samples_total', { user: 'h' }), 4);
  assert.equal(await metricValue(h.registry, 'myelin_distributor_samples_in_total', { user: 'h' }), 4);
});

test('a tenant with native histograms off is refused 400 naming the series; other tenants and series go on', async (t) => {
  const off = { ...defaults(limitsConfig), enableNativeHistograms: false };
  const h = await startDistributor({ ring: ringOver([ing], 1), tenantLimits: new Map([['off', off]]) });
  t.after(() => h.close());
  const now = Date.now();
  const req = { timeseries: [series('up', {}), withHistograms('latency', [latency(now), latency(now + 1)])], metadata: [] };
  const before = ing.received.length;
  const res = await h.push('off', req);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /native histograms are disabled for this tenant \(-blocks-storage\.tsdb\.enable-native-histograms\): 2 histogram samples refused .*series: \{__name__="latency"\}/);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: 'native_histograms_disabled', user: 'off' }), 2);
  assert.deepEqual(receivedSince(before).map((s) => s.labels[0].value), ['up'], 'only the float series is stored');
  assert.equal((await h.push('on', req)).status, 200, 'the default accepts them');
});

test('malformed histograms refuse their series with the problem named, and are counted', async (t) => {
  const h = await startDistributor({ ring: ringOver([ing], 1), limits: (l) => Object.assign(l, { rejectOldSamples: true, rejectOldSamplesMaxAge: 3600_000 }) });
  t.after(() => h.close());
  const now = Date.now();
  const cases: [WireHistogram, string, RegExp][] = [
    [latency(now, { positiveDeltas: [1, 0] }), 'invalid_native_histogram', /invalid native histogram at timestamp \d+: positive spans cover 20 buckets but 2 bucket counts are given series: \{__name__="bad"\}/],
    [latency(now, { positiveDeltas: [1, -2, ...new Array<number>(18).fill(0)] }), 'invalid_native_histogram', /positive bucket 1 has a negative count -1/],
    [latency(now, { schema: 9 }), 'invalid_native_histogram', /schema 9 is out of range/],
    [latency(now, { schema: -53, customValues: [2, 1] }), 'invalid_native_histogram', /custom bounds are not increasing at index 1/],
    [latency(now + 3600_000), 'too_far_in_future', /timestamp too new: \d+ .* series: \{__name__="bad"\}/],
    [latency(now - 7200_000), 'greater_than_max_sample_age', /timestamp too old/],
  ];
  for (const [hist, reason, want] of cases) {
    const before = ing.received.length;
    const res = await h.push('bad', { timeseries: [withHistograms('bad', [hist]), series('up', {})], metadata: [] });
    assert.equal(res.status, 400, reason);
    assert.match(await res.text(), want);
    assert.equal(receivedSince(before).length, 1, 'the good series is stored');
  }
  assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: 'invalid_native_histogram', user: 'bad' }), 4);
  // A malformed protobuf inside a histogram refuses the request.
  const res = await h.push('bad', { timeseries: [withHistograms('bad', [latency(now, { resetHint: 7 as Histogram_ResetHint })])], metadata: [] });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /reset hint 7/);
});

test('-validation.max-native-histogram-buckets reduces the resolution, and refuses what cannot fit', async (t) => {
  const h = await startDistributor({ ring: ringOver([ing], 1), limits: (l) => (l.maxNativeHistogramBuckets = 6) });
  t.after(() => h.close());
  const now = Date.now();
  const before = ing.received.length;
  // 20 buckets at schema 3: schema 1 merges them four by four into 6 (indexes 0..5).
  const res = await h.push('b', { timeseries: [withHistograms('latency', [latency(now), latency(now + 1, { schema: 0, positiveSpans: [{ offset: 0, length: 5 }], positiveDeltas: [1, 0, 0, 0, 0], countInt: 7 })], [now - 1])], metadata: [] });
  assert.equal(res.status, 200, await res.text());
  const [got] = receivedSince(before);
  assert.equal(got.samples.length, 1, 'the float sample travels with the reduced series');
  assert.equal(got.histograms[0].schema, 1);
  assert.deepEqual(got.histograms[0].positiveSpans, [{ offset: 0, length: 6 }]);
  const counts: number[] = [];
  got.histograms[0].positiveDeltas.reduce((c, d) => (counts.push(c + d), c + d), 0);
  assert.deepEqual(counts, [1, 4, 4, 4, 4, 3]);
  assert.equal(got.histograms[1].schema, 0, 'a histogram under the limit is kept as it is');
  assert.equal(await metricValue(h.registry, 'myelin_reduced_resolution_histogram_samples_total', { user: 'b' }), 1);

  // Custom buckets cannot be reduced.
  const nhcb = latency(now, { schema: -53, zeroThreshold: 0, zeroCountInt: 0, countInt: 20, customValues: Array.from({ length: 19 }, (_, i) => i + 1) });
  const refused = await h.push('b', { timeseries: [withHistograms('nhcb', [nhcb])], metadata: [] });
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /native histogram at timestamp \d+ has 20 buckets and cannot be reduced below the limit of 6 \(-validation\.max-native-histogram-buckets\) series: \{__name__="nhcb"\}/);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: 'native_histogram_buckets_exceeded', user: 'b' }), 1);
});

test('series with histograms are split below the ingester message limit like float series', async (t) => {
  const limit = 4096;
  const h = await startDistributor({ ring: ringOver([ing], 1), clientCfg: (c) => (c.grpcClientConfig.maxSendMsgSize = limit) });
  t.after(() => h.close());
  const now = Date.now();
  const before = ing.received.length;
  const timeseries = Array.from({ length: 40 }, (_, i) => withHistograms(`h${i}`, [latency(now), latency(now + 1)]));
  assert.equal((await h.push('s', { timeseries, metadata: [] })).status, 200);
  const msgs = ing.received.slice(before);
  assert.ok(msgs.length > 1, `${msgs.length} messages`);
  assert.equal(msgs.flatMap((r) => r.req.timeseries).reduce((n, s) => n + s.histograms.length, 0), 80);
});

test('the ingestion rate limit counts histogram samples', async (t) => {
  const h = await startDistributor({ ring: ringOver([ing], 1), limits: (l) => Object.assign(l, { ingestionRate: 3, ingestionBurstSize: 3 }) });
  t.after(() => h.close());
  const now = Date.now();
  const res = await h.push('r', { timeseries: [withHistograms('latency', [latency(now), latency(now + 1)], [now]), series('up', {})], metadata: [] });
  assert.equal(res.status, 429);
  assert.match(await res.text(), /while adding 4 samples/);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: 'rate_limited', user: 'r' }), 4);
});
