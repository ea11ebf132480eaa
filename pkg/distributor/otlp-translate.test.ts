// OTLP → Prometheus translation rules, one metric kind or resource rule per case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExportMetricsServiceRequest } from '../generated/opentelemetry/proto/collector/metrics/v1/metrics_service.js';
import type { KeyValue } from '../generated/opentelemetry/proto/common/v1/common.js';
import { AggregationTemporality, type Metric } from '../generated/opentelemetry/proto/metrics/v1/metrics.js';
import type { DeepPartial } from '../generated/opentelemetry/proto/metrics/v1/metrics.js';
import type { TimeSeries } from '../generated/prometheus/types.js';
import { translateMetrics, type OtlpSettings } from './otlp-translate.js';

const cumulative = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
const delta = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
const t0 = 1_700_000_000_123;
const ns = (ms: number) => BigInt(ms) * 1_000_000n + 456n;
const attr = (key: string, value: string | number | boolean): DeepPartial<KeyValue> => ({
  key,
  value: typeof value === 'string' ? { stringValue: value } : typeof value === 'boolean' ? { boolValue: value } : Number.isInteger(value) ? { intValue: BigInt(value) } : { doubleValue: value },
});
const settings: OtlpSettings = { suffixes: true, promote: [], keepIdentifying: false };

function translate(metrics: DeepPartial<Metric>[], resource: DeepPartial<KeyValue>[] = [attr('service.name', 'api')], s = settings) {
  const req = ExportMetricsServiceRequest.fromPartial({ resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ scope: { name: 'lib' }, metrics }] }] });
  return translateMetrics(req, s);
}

/** A series as `name{a="b",...} t=v ...` with its labels in the order sent. */
function show(ts: TimeSeries): string {
  const labels = ts.labels.filter((l) => l.name !== '__name__').map((l) => `${l.name}="${l.value}"`).join(',');
  const name = ts.labels.find((l) => l.name === '__name__')?.value ?? '';
  return `${name}{${labels}}${ts.samples.map((s) => ` ${s.timestamp}=${s.value}`).join('')}`;
}

test('gauges and sums: a monotonic cumulative sum is a counter, a non-monotonic one a gauge', () => {
  const out = translate([
    { name: 'queue.depth', unit: '{item}', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asInt: 7n, attributes: [attr('queue', 'q1')] }] } },
    { name: 'http.requests', unit: '1', sum: { isMonotonic: true, aggregationTemporality: cumulative, dataPoints: [{ timeUnixNano: ns(t0), asDouble: 12.5 }] } },
    { name: 'pool.used', unit: 'By', sum: { isMonotonic: false, aggregationTemporality: cumulative, dataPoints: [{ timeUnixNano: ns(t0), asInt: 3n }] } },
  ]);
  assert.deepEqual(out.write.timeseries.map(show), [
    `queue_depth{job="api",queue="q1"} ${t0}=7`,
    `http_requests_total{job="api"} ${t0}=12.5`,
    `pool_used_bytes{job="api"} ${t0}=3`,
  ]);
  assert.deepEqual(out.write.metadata.map((m) => [m.metricFamilyName, m.type, m.unit]), [['queue_depth', 2, '{item}'], ['http_requests_total', 1, '1'], ['pool_used_bytes', 2, 'By']]);
  assert.equal(out.points, 3);
  assert.equal(out.rejected, 0);
});

test('labels are sorted by name, as remote write requires', () => {
  const out = translate([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asDouble: 1, attributes: [attr('zone', 'z'), attr('alpha', 'a')] }] } }]);
  const names = out.write.timeseries[0].labels.map((l) => l.name);
  assert.deepEqual(names, ['__name__', 'alpha', 'job', 'zone']);
});

test('delta and unspecified temporality of sums and histograms are refused with a message naming the metric', () => {
  const out = translate([
    { name: 'req', sum: { isMonotonic: true, aggregationTemporality: delta, dataPoints: [{ timeUnixNano: ns(t0), asInt: 1n }, { timeUnixNano: ns(t0 + 1), asInt: 1n }] } },
    { name: 'change', sum: { isMonotonic: false, aggregationTemporality: delta, dataPoints: [{ timeUnixNano: ns(t0), asInt: -1n }] } },
    { name: 'lat', histogram: { aggregationTemporality: 0, dataPoints: [{ timeUnixNano: ns(t0), count: 1n }] } },
    { name: 'ok', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asInt: 1n }] } },
  ]);
  assert.equal(out.points, 5);
  assert.equal(out.rejected, 4);
  assert.match(out.firstError, /metric "req": delta aggregation temporality is not supported, only cumulative/);
  assert.deepEqual(out.write.timeseries.map(show), [`ok{job="api"} ${t0}=1`]);
});

test('explicit histograms: cumulative _bucket{le} series up to +Inf, _count, _sum; exemplars on the bucket holding them', () => {
  const traceId = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
  const out = translate([{
    name: 'http.server.duration', unit: 'ms',
    histogram: {
      aggregationTemporality: cumulative,
      dataPoints: [{
        timeUnixNano: ns(t0), count: 6n, sum: 123.5, explicitBounds: [10, 100], bucketCounts: [1n, 2n, 3n],
        exemplars: [{ timeUnixNano: ns(t0 - 5), asDouble: 50, traceId, spanId: Buffer.from('0102030405060708', 'hex'), filteredAttributes: [attr('user', 'u1')] }],
      }],
    },
  }]);
  assert.deepEqual(out.write.timeseries.map(show), [
    `http_server_duration_milliseconds_bucket{job="api",le="10"} ${t0}=1`,
    `http_server_duration_milliseconds_bucket{job="api",le="100"} ${t0}=3`,
    `http_server_duration_milliseconds_bucket{job="api",le="+Inf"} ${t0}=6`,
    `http_server_duration_milliseconds_count{job="api"} ${t0}=6`,
    `http_server_duration_milliseconds_sum{job="api"} ${t0}=123.5`,
  ]);
  assert.deepEqual(out.write.timeseries.map((s) => s.exemplars.length), [0, 1, 0, 0, 0]);
  assert.deepEqual(out.write.timeseries[1].exemplars[0], {
    labels: [{ name: 'user', value: 'u1' }, { name: 'trace_id', value: '0102030405060708090a0b0c0d0e0f10' }, { name: 'span_id', value: '0102030405060708' }],
    value: 50,
    timestamp: t0 - 5,
  });
  assert.deepEqual(out.pointOf, [0, 0, 0, 0, 0], 'every series comes from the one data point');
});

test('exponential histograms become native histograms: OTLP bucket i is Prometheus bucket i+1', () => {
  const out = translate([{
    name: 'rpc.duration', unit: 's',
    exponentialHistogram: {
      aggregationTemporality: cumulative,
      dataPoints: [{
        timeUnixNano: ns(t0), count: 10n, sum: 4.5, scale: 2, zeroCount: 1n, zeroThreshold: 1e-9,
        positive: { offset: -1, bucketCounts: [2n, 3n, 0n, 0n, 0n, 0n, 1n] },
        negative: { offset: 0, bucketCounts: [3n] },
      }],
    },
  }]);
  assert.equal(out.write.timeseries.length, 1);
  const s = out.write.timeseries[0];
  assert.equal(show(s), 'rpc_duration_seconds{job="api"}');
  const h = s.histograms[0];
  assert.equal(h.schema, 2);
  assert.equal(h.timestamp, t0);
  assert.equal(h.countInt, 10);
  assert.equal(h.zeroCountInt, 1);
  assert.equal(h.sum, 4.5);
  assert.deepEqual(h.positiveSpans, [{ offset: 0, length: 2 }, { offset: 4, length: 1 }], 'a run of 4 empty buckets starts a new span');
  assert.deepEqual(h.positiveDeltas, [2, 1, -2]);
  assert.deepEqual(h.negativeSpans, [{ offset: 1, length: 1 }]);
  assert.deepEqual(h.negativeDeltas, [3]);
});

test('exponential histograms finer than schema 8 are merged down to 8; coarser than -4 are refused', () => {
  const out = translate([{
    name: 'fine',
    exponentialHistogram: {
      aggregationTemporality: cumulative,
      dataPoints: [
        { timeUnixNano: ns(t0), count: 6n, scale: 10, positive: { offset: 3, bucketCounts: [1n, 2n, 3n] } },
        { timeUnixNano: ns(t0), count: 1n, scale: -5, positive: { offset: 0, bucketCounts: [1n] } },
      ],
    },
  }]);
  const h = out.write.timeseries[0].histograms[0];
  assert.equal(h.schema, 8);
  // Scale 10 buckets 3, 4, 5 are scale 8 buckets 0, 1, 1: Prometheus indexes 1 and 2.
  assert.deepEqual(h.positiveSpans, [{ offset: 1, length: 2 }]);
  assert.deepEqual(h.positiveDeltas, [1, 4]);
  assert.equal(out.rejected, 1);
  assert.match(out.firstError, /scale -5 is below the lowest native histogram schema -4/);
});

test('summaries: {quantile} series, _count and _sum', () => {
  const out = translate([{
    name: 'gc.pause', unit: 's',
    summary: { dataPoints: [{ timeUnixNano: ns(t0), count: 4n, sum: 2, quantileValues: [{ quantile: 0.5, value: 0.4 }, { quantile: 0.99, value: 0.9 }] }] },
  }]);
  assert.deepEqual(out.write.timeseries.map(show), [
    `gc_pause_seconds{job="api",quantile="0.5"} ${t0}=0.4`,
    `gc_pause_seconds{job="api",quantile="0.99"} ${t0}=0.9`,
    `gc_pause_seconds_count{job="api"} ${t0}=4`,
    `gc_pause_seconds_sum{job="api"} ${t0}=2`,
  ]);
});

test('resource: job from service.namespace/service.name, instance from service.instance.id, target_info for the rest, promoted attributes on every series', () => {
  const resource = [attr('service.name', 'api'), attr('service.namespace', 'shop'), attr('service.instance.id', 'pod-1'), attr('k8s.cluster.name', 'eu'), attr('host.cpus', 4)];
  const metrics = [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asDouble: 1 }, { timeUnixNano: ns(t0 + 1000), asDouble: 2 }] } }];
  const out = translate(metrics, resource, { ...settings, promote: ['k8s.cluster.name'] });
  assert.deepEqual(out.write.timeseries.map(show), [
    `g{instance="pod-1",job="shop/api",k8s_cluster_name="eu"} ${t0}=1`,
    `g{instance="pod-1",job="shop/api",k8s_cluster_name="eu"} ${t0 + 1000}=2`,
    `target_info{host_cpus="4",instance="pod-1",job="shop/api",k8s_cluster_name="eu"} ${t0 + 1000}=1`,
  ]);
  assert.deepEqual(out.pointOf, [0, 1, -1]);
  const kept = translate(metrics, resource, { ...settings, keepIdentifying: true });
  assert.equal(show(kept.write.timeseries[2]),
    `target_info{host_cpus="4",instance="pod-1",job="shop/api",k8s_cluster_name="eu",service_instance_id="pod-1",service_name="api",service_namespace="shop"} ${t0 + 1000}=1`);
  // Only service attributes: no target_info.
  assert.equal(translate(metrics).write.timeseries.length, 2);
});

test('attributes that name the same label are joined with ;, a data point attribute wins over a promoted one; empty values and names are dropped', () => {
  const out = translate(
    [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asDouble: 1, attributes: [attr('a.b', 'x'), attr('a_b', 'y'), attr('region', 'dp'), attr('flag', true), attr('ratio', 0.5), attr('empty', ''), attr('...', 'no name')] }] } }],
    [attr('service.name', 'api'), attr('region', 'res')],
    { ...settings, promote: ['region'] },
  );
  assert.equal(show(out.write.timeseries[0]), `g{a_b="x;y",flag="true",job="api",ratio="0.5",region="dp"} ${t0}=1`);
});

test('a data point without a recorded value is a staleness marker', () => {
  const out = translate([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asDouble: 1, flags: 1 }] } }]);
  const v = out.write.timeseries[0].samples[0].value;
  const bits = Buffer.alloc(8);
  bits.writeDoubleLE(v);
  assert.equal(bits.readBigUInt64LE(), 0x7ff0000000000002n);
});

test('suffixes off: names only have their invalid characters replaced', () => {
  const out = translate([{ name: 'http.requests', unit: 's', sum: { isMonotonic: true, aggregationTemporality: cumulative, dataPoints: [{ timeUnixNano: ns(t0), asInt: 1n }] } }], undefined, { ...settings, suffixes: false });
  assert.equal(show(out.write.timeseries[0]), `http_requests{job="api"} ${t0}=1`);
});

test('many attributes: collisions are still joined in key order', () => {
  const many = Array.from({ length: 20 }, (_, i) => attr(`k${String(i).padStart(2, '0')}`, 'v'));
  const out = translate([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asDouble: 1, attributes: [attr('a_b', 'y'), ...many, attr('a.b', 'x')] }] } }]);
  const labels = out.write.timeseries[0].labels;
  assert.equal(labels.length, 23);
  assert.deepEqual(labels.find((l) => l.name === 'a_b'), { name: 'a_b', value: 'x;y' });
});

test('a request that would translate into more than the byte budget throws too_large', () => {
  const bounds = Array.from({ length: 1000 }, (_, i) => i);
  const metrics = [{ name: 'h', histogram: { aggregationTemporality: cumulative, dataPoints: [{ timeUnixNano: ns(t0), count: 0n, explicitBounds: bounds, attributes: [attr('long', 'x'.repeat(500))] }] } }];
  assert.throws(() => translateMetrics(ExportMetricsServiceRequest.fromPartial({ resourceMetrics: [{ scopeMetrics: [{ metrics }] }] }), settings, 100_000), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'too_large');
    assert.match(err.message, /the OTLP request makes more than 100000 bytes of series once translated/);
    return true;
  });
  assert.equal(translate(metrics).write.timeseries.length, 1002, 'without a budget: 1,001 buckets and _count (no sum sent)');
});
