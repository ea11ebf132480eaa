// The OpenTelemetry JS SDK's OTLP metrics exporters (protobuf, gzipped protobuf, and JSON over the http exporter)
// send counters, gauges, up-down counters, explicit and exponential histograms to the myelin
// binary (-target=all, RF=1); PromQL then finds them under the names and values Prometheus' OTLP
// translator gives them, with job/instance from the service attributes, a promoted resource
// attribute and target_info; delta temporality refused as a partial success; exemplars of an
// OTLP/JSON body through query_exemplars.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SingleMyelin } from '../e2e/myelin.js';
import { startSingleMyelin } from '../e2e/myelin.js';

// The exporters' CompressionAlgorithm.GZIP, named through their config type: its package is theirs, not ours.
const gzip = 'gzip' as NonNullable<NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>['compression']>;

/** Records one set of measurements through `exporter` and exports them (forceFlush fails if the export does). */
async function sendMeasurements(exporter: PushMetricExporter): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout', 'service.namespace': 'shop', 'service.instance.id': 'pod-1', 'deployment.environment': 'test', 'host.name': 'h1',
    }),
    views: [
      { instrumentName: 'rpc.duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
      { instrumentName: 'http.server.duration', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [10, 100] } } },
    ],
    readers: [reader],
  });
  try {
    const meter = provider.getMeter('otlp-e2e', '1.0.0');
    const orders = meter.createCounter('orders.placed', { unit: '{order}' });
    orders.add(5, { region: 'eu' });
    orders.add(2, { region: 'eu' });
    meter.createGauge('queue.depth').record(7, { queue: 'q1' });
    meter.createUpDownCounter('pool.used', { unit: 'By' }).add(10);
    const latency = meter.createHistogram('http.server.duration', { unit: 'ms' });
    for (const v of [5, 50, 500]) latency.record(v);
    const rpc = meter.createHistogram('rpc.duration', { unit: 's' });
    for (const v of [0.1, 0.2, 0.4, 3]) rpc.record(v);
    await provider.forceFlush();
  } finally {
    await provider.shutdown();
  }
}

async function query(m: SingleMyelin, tenant: string, q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${m.base}/prometheus/api/v1/query?query=${encodeURIComponent(q)}&time=${Date.now() / 1000}`, { headers: { 'X-Scope-OrgID': tenant } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

test('OpenTelemetry JS SDK exporters (protobuf and JSON) to the myelin binary: PromQL finds every instrument', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-otlp-'));
  const flags = ['-distributor.otel-metric-suffixes-enabled=true', '-distributor.otel-promote-resource-attributes=deployment.environment', '-ingester.max-global-exemplars-per-user=100'];
  const m = await startSingleMyelin(dir, flags).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  try {
      const exporters: Record<string, PushMetricExporter> = {
        'otel-proto': new ProtoExporter({ url: `${m.base}/otlp/v1/metrics`, headers: { 'X-Scope-OrgID': 'otel-proto' } }),
        'otel-json': new JsonExporter({ url: `${m.base}/api/v1/otlp/v1/metrics`, headers: { 'X-Scope-OrgID': 'otel-json' } }),
        'otel-proto-gzip': new ProtoExporter({ url: `${m.base}/otlp/v1/metrics`, headers: { 'X-Scope-OrgID': 'otel-proto-gzip' }, compression: gzip }),
      };
      for (const [tenant, exporter] of Object.entries(exporters)) {
        await t.test(tenant, async () => {
          await sendMeasurements(exporter);
          const ids = { job: 'shop/checkout', instance: 'pod-1', deployment_environment: 'test' };
          const counter = await query(m, tenant, 'orders_placed_total');
          assert.equal(counter.length, 1);
          assert.deepEqual(counter[0].metric, { __name__: 'orders_placed_total', ...ids, region: 'eu' });
          assert.equal(counter[0].value[1], '7');
          const values: Record<string, number> = {
            'queue_depth{queue="q1"}': 7,
            'pool_used_bytes': 10,
            'http_server_duration_milliseconds_bucket{le="10"}': 1,
            'http_server_duration_milliseconds_bucket{le="100"}': 2,
            'http_server_duration_milliseconds_bucket{le="+Inf"}': 3,
            'http_server_duration_milliseconds_count': 3,
            'http_server_duration_milliseconds_sum': 555,
            'histogram_count(rpc_duration_seconds)': 4,
            'histogram_sum(rpc_duration_seconds)': 3.7,
            'target_info{host_name="h1"}': 1,
          };
          for (const [q, want] of Object.entries(values)) {
            const got = await query(m, tenant, q);
            assert.equal(got.length, 1, `${q}: ${JSON.stringify(got)}`);
            // The SDK adds the float observations in its own order: the sum may differ in the last place.
            assert.ok(Math.abs(Number(got[0].value[1]) - want) < 1e-9, `${q}: ${got[0].value[1]}, want ${want}`);
            if (!q.includes('(')) assert.equal(got[0].metric.job, 'shop/checkout', q);
          }
        });
      }
    await t.test('delta temporality: the counter and histograms are refused as a partial success, the rest stored', async () => {
      const exporter = new ProtoExporter({ url: `${m.base}/otlp/v1/metrics`, headers: { 'X-Scope-OrgID': 'otel-delta' }, temporalityPreference: AggregationTemporalityPreference.DELTA });
      // A partial success is a success for the exporter (it logs the rejected count): no retry.
      await sendMeasurements(exporter);
      // The SDK keeps gauges and up-down counters cumulative: they were stored.
      assert.equal((await query(m, 'otel-delta', 'queue_depth')).length, 1);
      assert.deepEqual(await query(m, 'otel-delta', '{__name__=~"orders.*|http.*|rpc.*"}'), []);
      const discarded = await fetch(`${m.base}/metrics`).then((r) => r.text());
      assert.match(discarded, /myelin_discarded_samples_total\{reason="otlp_untranslatable",user="otel-delta"\} 3/);
    });
    await t.test('exemplars (OTLP/JSON, hex trace ids; the JS SDK records none) are answered by query_exemplars', async () => {
      const now = Date.now();
      const ns = String(BigInt(now) * 1_000_000n);
      const body = {
        resourceMetrics: [{
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pay' } }] },
          scopeMetrics: [{ metrics: [{
            name: 'payments', unit: '1',
            sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: ns, asInt: '3', exemplars: [{ timeUnixNano: ns, asDouble: 1, traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' }] }] },
          }] }],
        }],
      };
      const res = await fetch(`${m.base}/otlp/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-scope-orgid': 'otel-ex' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, await res.clone().text());
      const q = await fetch(`${m.base}/prometheus/api/v1/query_exemplars?query=payments_total&start=${(now - 60_000) / 1000}&end=${(now + 60_000) / 1000}`, { headers: { 'x-scope-orgid': 'otel-ex' } });
      assert.equal(q.status, 200);
      const data = ((await q.json()) as { data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[] }).data;
      assert.deepEqual(data, [{
        seriesLabels: { __name__: 'payments_total', job: 'pay' },
        exemplars: [{ labels: { trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174' }, value: '1', timestamp: now / 1000 }],
      }]);
    });
  } finally {
    await m.proc.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
