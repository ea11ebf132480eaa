// OTLP receive cost per data point, beside remote write on the same series: the 2,000
// node-exporter-like series of write-request.bench.ts as OTLP gauges (one data point each, the
// series' labels as attributes, one resource), protobuf and JSON. Steps: decode (ts-proto), translate
// to a remote write request (objects), encode it and decode it into the distributor's columns (what
// Distributor.pushOtlp does before validation), and the whole; then remote write 1.0's decode of the
// same series. BENCH_SMOKE=1 runs a few iterations.
import { ExportMetricsServiceRequest } from '../../pkg/generated/opentelemetry/proto/collector/metrics/v1/metrics_service.js';
import type { DeepPartial, Metric } from '../../pkg/generated/opentelemetry/proto/metrics/v1/metrics.js';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { translateMetrics } from '../../pkg/distributor/index.js';
import { WriteRequestDecoder } from '../../pkg/wire/index.js';
import { nodeExporterSeries } from '../ingest/node-exporter-series.js';

const smoke = process.env.BENCH_SMOKE === '1';
const iters = smoke ? 20 : 500;
const now = Date.now();
const series = nodeExporterSeries(2000);

const byName = new Map<string, DeepPartial<Metric>>();
series.forEach((labels, i) => {
  const name = labels.find(([n]) => n === '__name__')?.[1] ?? 'unnamed';
  let m = byName.get(name);
  if (m === undefined) byName.set(name, (m = { name, gauge: { dataPoints: [] } }));
  m.gauge!.dataPoints!.push({
    timeUnixNano: BigInt(now) * 1_000_000n,
    asDouble: i * 1.5,
    attributes: labels.filter(([n]) => n !== '__name__').map(([key, value]) => ({ key, value: { stringValue: value } })),
  });
});
const otlp = ExportMetricsServiceRequest.fromPartial({
  resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'node' } }] }, scopeMetrics: [{ metrics: [...byName.values()] }] }],
});
const proto = Buffer.from(ExportMetricsServiceRequest.encode(otlp).finish());
const json = Buffer.from(JSON.stringify(ExportMetricsServiceRequest.toJSON(otlp)));
const rw = Buffer.from(WriteRequest.encode({
  timeseries: series.map((s, i) => ({ labels: s.map(([name, value]) => ({ name, value })), samples: [{ value: i * 1.5, timestamp: now }], exemplars: [], histograms: [] })),
  metadata: [],
}).finish());
const settings = { suffixes: true, promote: [], keepIdentifying: false };

/** CPU time (user + system, GC threads included) per call: steadier than wall time on a busy host. */
function time(name: string, fn: () => void): number {
  for (let i = 0; i < Math.min(iters, 50); i++) fn();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) fn();
  const cpu = process.cpuUsage(cpu0);
  const us = (cpu.user + cpu.system) / iters;
  console.log(`${name.padEnd(48)} ${us.toFixed(1).padStart(8)} µs CPU/request  ${((us * 1000) / series.length).toFixed(0).padStart(5)} ns/data point`);
  return us;
}

console.log(`${series.length} data points: OTLP protobuf ${proto.length} bytes, OTLP JSON ${json.length} bytes, remote write 1.0 ${rw.length} bytes`);
const d = new WriteRequestDecoder({ labelStrings: false });
time('otlp protobuf decode (ts-proto)', () => ExportMetricsServiceRequest.decode(proto));
time('otlp JSON decode (JSON.parse + ts-proto fromJSON)', () => ExportMetricsServiceRequest.fromJSON(JSON.parse(json.toString('utf8'))));
time('translate to remote write objects', () => translateMetrics(otlp, settings));
const translated = translateMetrics(otlp, settings).write;
time('encode + columnar decode of the translation', () => {
  const bytes = WriteRequest.encode(translated).finish();
  d.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
});
const whole = time('otlp protobuf → distributor columns, whole', () => {
  const bytes = WriteRequest.encode(translateMetrics(ExportMetricsServiceRequest.decode(proto), settings).write).finish();
  d.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
});
const rw1 = time('remote write 1.0 → distributor columns', () => d.decode(rw));
console.log(`otlp protobuf costs ${(whole / rw1).toFixed(1)}× remote write 1.0 before validation`);
