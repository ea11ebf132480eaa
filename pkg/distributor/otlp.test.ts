// OTLP/HTTP metrics receive against the OTLP specification (opentelemetry.io/docs/specs/otlp,
// "OTLP/HTTP"): bodies built here, a real distributor behind its HTTP server and real gRPC (fake)
// ingesters. Malformed bodies, unsupported encodings and partial success, each counted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { defaults } from '../flagext/index.js';
import { ExportMetricsServiceRequest, ExportMetricsServiceResponse } from '../generated/opentelemetry/proto/collector/metrics/v1/metrics_service.js';
import { AggregationTemporality, type DeepPartial, type Metric } from '../generated/opentelemetry/proto/metrics/v1/metrics.js';
import { limitsConfig } from '../limits/index.js';
import { FakeIngester, metricValue, ringOver, startDistributor, startHaDistributor, type Harness } from './testing.js';

let ing: FakeIngester;
let h: Harness;
before(async () => {
  ing = await FakeIngester.start();
  const suffixed = { ...defaults(limitsConfig), otelMetricSuffixesEnabled: true };
  const limited = { ...defaults(limitsConfig), requestRate: 0.001, requestBurstSize: 1 };
  h = await startDistributor({
    ring: ringOver([ing], 1),
    cfg: (c) => {
      c.maxRecvMsgSize = 64 * 1024;
    },
    limits: (l) => {
      l.maxLabelValueLength = 40;
    },
    tenantLimits: new Map([['suffixed', suffixed], ['limited', limited]]),
  });
});
after(async () => {
  await h.close();
  ing.stop();
});

const cumulative = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

function request(metrics: DeepPartial<Metric>[]): ExportMetricsServiceRequest {
  return ExportMetricsServiceRequest.fromPartial({
    resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] }, scopeMetrics: [{ metrics }] }],
  });
}
const gauge = (name: string, value: number, attrs: Record<string, string> = {}): DeepPartial<Metric> => ({
  name,
  gauge: { dataPoints: [{ timeUnixNano: nowNs(), asDouble: value, attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })) }] },
});

async function post(tenant: string, body: Uint8Array | string, headers: Record<string, string>, path = '/otlp/v1/metrics', base = h.url): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'x-scope-orgid': tenant, ...headers }, body });
}
const postProto = (tenant: string, req: ExportMetricsServiceRequest, path?: string, base?: string) =>
  post(tenant, ExportMetricsServiceRequest.encode(req).finish(), { 'content-type': 'application/x-protobuf' }, path, base);

/** A google.rpc.Status protobuf body: { code = 1, message = 2 }. */
async function status(res: Response): Promise<{ code: number; message: string }> {
  const r = new BinaryReader(new Uint8Array(await res.arrayBuffer()));
  const out = { code: 0, message: '' };
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 8) out.code = r.int32();
    else if (tag === 18) out.message = r.string();
    else r.skip(tag & 7);
  }
  return out;
}

/** Series names (and label pairs) the ingesters got for `tenant` since `from`. */
const receivedSince = (from: number, tenant: string) =>
  ing.received.slice(from).filter((r) => r.tenant === tenant).flatMap((r) => r.req.timeseries.map((s) => s.labels.map((l) => `${l.name}=${l.value}`).join(',')));

test('protobuf on both paths (Mimir /otlp/v1/metrics, Cortex /api/v1/otlp/v1/metrics): 200 with an empty ExportMetricsServiceResponse', async () => {
  for (const path of ['/otlp/v1/metrics', '/api/v1/otlp/v1/metrics']) {
    const from = ing.received.length;
    const res = await postProto('proto', request([gauge('queue.depth', 3, { queue: 'a' })]), path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    assert.deepEqual(ExportMetricsServiceResponse.decode(new Uint8Array(await res.arrayBuffer())), { partialSuccess: undefined });
    assert.deepEqual(receivedSince(from, 'proto'), ['__name__=queue_depth,job=checkout,queue=a']);
  }
});

test('OTLP/JSON: lowerCamelCase keys, int64 as strings, enums as numbers, hex trace ids; answered in JSON', async () => {
  const from = ing.received.length;
  const t = String(nowNs());
  const body = JSON.stringify({
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'web' } }] },
      scopeMetrics: [{
        metrics: [{
          name: 'http.requests', unit: '1',
          sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: t, asInt: '42', exemplars: [{ timeUnixNano: t, asInt: '1', traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' }] }] },
        }],
      }],
    }],
  });
  const res = await post('json', body, { 'content-type': 'application/json' });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await res.json(), {});
  const got = ing.received.slice(from).filter((r) => r.tenant === 'json').flatMap((r) => r.req.timeseries);
  assert.deepEqual(got.map((s) => s.labels.map((l) => `${l.name}=${l.value}`).join(',')), ['__name__=http_requests,job=web']);
  assert.equal(got[0].samples[0].value, 42);
  assert.deepEqual(got[0].exemplars[0].labels, [{ name: 'trace_id', value: '5b8efff798038103d269b633813fc60c' }, { name: 'span_id', value: 'eee19b7ec3c1b174' }]);
});

test('gzip bodies are accepted; a gzip bomb past -distributor.max-recv-msg-size is 413, a broken gzip stream 400, both counted', async () => {
  const from = ing.received.length;
  const gz = gzipSync(ExportMetricsServiceRequest.encode(request([gauge('zipped', 1)])).finish());
  const ok = await post('gz', gz, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
  assert.equal(ok.status, 200);
  assert.deepEqual(receivedSince(from, 'gz'), ['__name__=zipped,job=checkout']);

  const bomb = gzipSync(Buffer.alloc(1024 * 1024));
  assert.ok(bomb.length < 64 * 1024);
  const big = await post('gz', bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
  assert.equal(big.status, 413);
  assert.match((await status(big)).message, /gzip body decompresses to more than 65536 bytes \(-distributor.max-recv-msg-size\)/);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason: 'too_large', user: 'gz' }), 1);

  const broken = await post('gz', Buffer.from('not gzip at all'), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
  assert.equal(broken.status, 400);
  const brokenStatus = await status(broken);
  assert.equal(brokenStatus.code, 3);
  assert.match(brokenStatus.message, /invalid gzip body/);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason: 'bad_gzip', user: 'gz' }), 1);
});

test('a raw body past -distributor.max-recv-msg-size is 413 with a google.rpc.Status in the request\'s encoding, counted', async () => {
  const body = Buffer.alloc(64 * 1024 + 1);
  const proto = await post('huge', body, { 'content-type': 'application/x-protobuf' });
  assert.equal(proto.status, 413);
  assert.match(proto.headers.get('content-type') ?? '', /^application\/x-protobuf/);
  assert.deepEqual(await status(proto), { code: 3, message: 'request body larger than 65536 bytes (-distributor.max-recv-msg-size)' });
  const json = await post('huge', body, { 'content-type': 'application/json' }, '/api/v1/otlp/v1/metrics');
  assert.equal(json.status, 413);
  assert.deepEqual(await json.json(), { code: 3, message: 'request body larger than 65536 bytes (-distributor.max-recv-msg-size)' });
  assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason: 'too_large', user: 'huge' }), 2);
});

test('malformed bodies are 400 with a google.rpc.Status naming the problem, counted by reason', async () => {
  const badProto = await post('bad', Buffer.from([0x0a, 0xff, 0x01]), { 'content-type': 'application/x-protobuf' });
  assert.equal(badProto.status, 400);
  const s = await status(badProto);
  assert.equal(s.code, 3, 'INVALID_ARGUMENT');
  assert.match(s.message, /invalid protobuf: not an OTLP ExportMetricsServiceRequest/);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason: 'bad_protobuf', user: 'bad' }), 1);

  const badJson = await post('bad', '{"resourceMetrics": [', { 'content-type': 'application/json' });
  assert.equal(badJson.status, 400);
  assert.match((await badJson.json() as { message: string }).message, /invalid JSON body/);
  const badTime = await post('bad', JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: 'soon' }] } }] }] }] }), { 'content-type': 'application/json' });
  assert.equal(badTime.status, 400);
  assert.match((await badTime.json() as { message: string }).message, /invalid OTLP\/JSON body/);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason: 'bad_json', user: 'bad' }), 2);
});

test('an empty request is a success (SHOULD)', async () => {
  const res = await postProto('empty', ExportMetricsServiceRequest.fromPartial({}));
  assert.equal(res.status, 200);
  assert.deepEqual(ExportMetricsServiceResponse.decode(new Uint8Array(await res.arrayBuffer())), { partialSuccess: undefined });
  const json = await post('empty', '{}', { 'content-type': 'application/json' });
  assert.equal(json.status, 200);
  assert.deepEqual(await json.json(), {});
});

test('unsupported Content-Type or Content-Encoding is 415', async () => {
  const text = await post('enc', 'x', { 'content-type': 'text/plain' });
  assert.equal(text.status, 415);
  assert.match((await status(text)).message, /unsupported Content-Type "text\/plain": expected application\/x-protobuf or application\/json/);
  const br = await post('enc', 'x', { 'content-type': 'application/json', 'content-encoding': 'br' });
  assert.equal(br.status, 415);
  assert.match((await br.json() as { message: string }).message, /unsupported Content-Encoding "br"/);
});

test('partial success: data points refused by translation or validation are counted in rejected_data_points with the first error, the rest stored', async () => {
  const from = ing.received.length;
  const deltaSum: DeepPartial<Metric> = { name: 'req', sum: { isMonotonic: true, aggregationTemporality: AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, dataPoints: [{ timeUnixNano: nowNs(), asInt: 1n }] } };
  const res = await postProto('partial', request([deltaSum, gauge('ok', 1), gauge('long', 1, { v: 'x'.repeat(41) })]));
  assert.equal(res.status, 200);
  const body = ExportMetricsServiceResponse.decode(new Uint8Array(await res.arrayBuffer()));
  assert.equal(body.partialSuccess?.rejectedDataPoints, 2n);
  assert.match(body.partialSuccess?.errorMessage ?? '', /label value too long/);
  assert.deepEqual(receivedSince(from, 'partial'), ['__name__=ok,job=checkout']);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: 'otlp_untranslatable', user: 'partial' }), 1);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_samples_total', { reason: 'label_value_too_long', user: 'partial' }), 1);

  // Translation refusals alone: their message.
  const onlyDelta = await post('partial', JSON.stringify(ExportMetricsServiceRequest.toJSON(request([deltaSum, gauge('ok', 2)]))), { 'content-type': 'application/json' });
  assert.equal(onlyDelta.status, 200);
  const json = await onlyDelta.json() as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
  assert.equal(json.partialSuccess.rejectedDataPoints, '1');
  assert.match(json.partialSuccess.errorMessage, /metric "req": delta aggregation temporality is not supported/);
});

test('a request whose every data point is refused is 400', async () => {
  const deltaSum: DeepPartial<Metric> = { name: 'req', sum: { isMonotonic: true, aggregationTemporality: AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, dataPoints: [{ timeUnixNano: nowNs(), asInt: 1n }] } };
  const res = await postProto('refused', request([deltaSum]));
  assert.equal(res.status, 400);
  assert.match((await status(res)).message, /delta aggregation temporality is not supported/);
});

test('ingester refusals (out of order, series limits): partial_success when it stored some, a 400 Status when none', async () => {
  const cases: Record<string, { code: number; written?: { samples: number; histograms: number; exemplars: number }; want: number | 'status' }> = {
    'out of order, one of three stored (INVALID_ARGUMENT)': { code: 3, written: { samples: 1, histograms: 0, exemplars: 0 }, want: 2 },
    'series limit, two of three stored (FAILED_PRECONDITION)': { code: 9, written: { samples: 2, histograms: 0, exemplars: 0 }, want: 1 },
    'nothing stored': { code: 3, written: { samples: 0, histograms: 0, exemplars: 0 }, want: 'status' },
    'an ingester that does not say what it stored': { code: 9, want: 'status' },
  };
  for (const [name, c] of Object.entries(cases)) {
    ing.failWith = { code: c.code, details: 'out of order sample', written: c.written };
    try {
      const res = await postProto('refusing', request([gauge('a', 1), gauge('b', 1), gauge('c', 1)]));
      if (c.want === 'status') {
        assert.equal(res.status, 400, name);
        const s = await status(res);
        assert.equal(s.code, 3, `${name}: INVALID_ARGUMENT, not retried`);
        assert.match(s.message, /out of order sample.*not written: 3 of 3 samples/, name);
        continue;
      }
      assert.equal(res.status, 200, name);
      const body = ExportMetricsServiceResponse.decode(new Uint8Array(await res.arrayBuffer()));
      assert.equal(body.partialSuccess?.rejectedDataPoints, BigInt(c.want), name);
      assert.match(body.partialSuccess?.errorMessage ?? '', new RegExp(`out of order sample.*not written: ${c.want} of 3 samples`), name);
    } finally {
      ing.failWith = undefined;
    }
  }
});

test('per-tenant otel_metric_suffixes_enabled', async () => {
  const from = ing.received.length;
  const counter: DeepPartial<Metric> = { name: 'jobs.done', unit: 's', sum: { isMonotonic: true, aggregationTemporality: cumulative, dataPoints: [{ timeUnixNano: nowNs(), asInt: 1n }] } };
  assert.equal((await postProto('suffixed', request([counter]))).status, 200);
  assert.equal((await postProto('plain', request([counter]))).status, 200);
  assert.deepEqual(receivedSince(from, 'suffixed'), ['__name__=jobs_done_seconds_total,job=checkout']);
  assert.deepEqual(receivedSince(from, 'plain'), ['__name__=jobs_done,job=checkout']);
});

test('HA dedupe as remote write: cluster and __replica__ attributes elect a replica, its replica label is dropped, the other replica stores nothing', async (t) => {
  const { ing2, d } = await startHaDistributor(t);
  const from = (replica: string) => request([gauge('up', 1, { cluster: 'prod', __replica__: replica })]);
  const r1 = await postProto('team', from('r1'), undefined, d.url);
  assert.equal(r1.status, 200);
  assert.deepEqual(ing2.series(), ['team:__name__=up,cluster=prod,job=checkout']);
  const r2 = await postProto('team', from('r2'), undefined, d.url);
  assert.equal(r2.status, 200, 'OTLP has no 202: a deduplicated request is a success');
  assert.deepEqual(ExportMetricsServiceResponse.decode(new Uint8Array(await r2.arrayBuffer())), { partialSuccess: undefined });
  assert.equal(ing2.series().length, 1);
  assert.equal(await metricValue(d.registry, 'myelin_distributor_deduped_samples_total', { user: 'team', cluster: 'prod' }), 1);
});

test('limits as remote write: over the request rate is 429 with RESOURCE_EXHAUSTED, which OTLP exporters retry', async () => {
  assert.equal((await postProto('limited', request([gauge('g', 1)]))).status, 200);
  const res = await postProto('limited', request([gauge('g', 2)]));
  assert.equal(res.status, 429);
  const s = await status(res);
  assert.equal(s.code, 8);
  assert.match(s.message, /request rate limit/);
});

test('a small request that translates into too many series bytes (histogram buckets repeating long labels) is 413, counted', async () => {
  const bounds = Array.from({ length: 3000 }, (_, i) => i);
  const attributes = Array.from({ length: 10 }, (_, i) => ({ key: `attr${i}`, value: { stringValue: 'v'.repeat(50) } }));
  const req = request([{ name: 'wide', histogram: { aggregationTemporality: cumulative, dataPoints: [{ timeUnixNano: nowNs(), count: 1n, explicitBounds: bounds, bucketCounts: [...bounds.map(() => 0n), 1n], attributes }] } }]);
  assert.ok(ExportMetricsServiceRequest.encode(req).finish().length < 64 * 1024);
  const res = await postProto('wide', req);
  assert.equal(res.status, 413);
  assert.match((await status(res)).message, /makes more than 131072 bytes of series once translated/);
  assert.equal(await metricValue(h.registry, 'myelin_discarded_requests_total', { reason: 'too_large', user: 'wide' }), 1);
});
