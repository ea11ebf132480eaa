// Remote-write decode and per-ingester re-assembly: the hand-written columnar decoder and byte-range
// assembler (pkg/wire) against the generated ts-proto code, on one 2,000-series request of
// node-exporter-like series (1 sample each), split RF=3 over 6 ingesters; the same request with one
// exemplar per series (a trace ID), to show what exemplars cost; then the same series as a remote
// write 2.0 request (with and without per-series metadata, as Prometheus 3 sends it): decode, and
// the 1.0 series made for the ingesters. BENCH_SMOKE=1 runs a few iterations.
import { Request as RequestV2 } from '../../pkg/generated/io/prometheus/write/v2/types.js';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { RingSnapshot, RingView, Write } from '../../pkg/ring/index.js';
import { instance, seededTokens } from '../../pkg/ring/testing.js';
import { RequestAssembler, WriteRequestDecoder, WriteV2Decoder } from '../../pkg/wire/index.js';
import { encodeV2 } from '../../pkg/wire/testing.js';
import { seriesToken } from '../../pkg/distributor/index.js';
import { nodeExporterSeries } from '../ingest/node-exporter-series.js';

const smoke = process.env.BENCH_SMOKE === '1';
const iters = smoke ? 20 : 1000;
const now = Date.now();
const req: WriteRequest = {
  timeseries: nodeExporterSeries(2000).map((s, i) => ({ labels: s.map(([name, value]) => ({ name, value })), samples: [{ value: i * 1.5, timestamp: now }], exemplars: [], histograms: [] })),
  metadata: [],
};
const buf = Buffer.from(WriteRequest.encode(req).finish());

/** CPU time (user + system, GC threads included) per call: steadier than wall time on a busy host. */
function time(name: string, fn: () => void): number {
  for (let i = 0; i < Math.min(iters, 50); i++) fn();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) fn();
  const cpu = process.cpuUsage(cpu0);
  const us = (cpu.user + cpu.system) / iters;
  console.log(`${name.padEnd(44)} ${us.toFixed(1).padStart(8)} µs CPU/request  ${((us * 1000) / req.timeseries.length).toFixed(0).padStart(5)} ns/series`);
  return us;
}

console.log(`request: ${req.timeseries.length} series, ${buf.length} bytes`);
const d = new WriteRequestDecoder();
const dec = time('decode: pkg/wire columnar', () => d.decode(buf));
const bytesOnly = new WriteRequestDecoder({ labelStrings: false });
time('decode: pkg/wire columnar, no label strings', () => bytesOnly.decode(buf));
const withExemplars = Buffer.from(WriteRequest.encode({
  timeseries: req.timeseries.map((s, i) => ({ ...s, exemplars: [{ labels: [{ name: 'trace_id', value: (0x1234567890abc + i).toString(16).padStart(16, '0') }], value: i, timestamp: now }] })),
  metadata: [],
}).finish());
time('decode: no label strings, 1 exemplar/series', () => bytesOnly.decode(withExemplars));
const gen = time('decode: ts-proto objects', () => WriteRequest.decode(buf));
console.log(`decode speed-up: ${(gen / dec).toFixed(2)}×`);

// Owners of each series, as the distributor computes them.
const ring = new RingView(
  new RingSnapshot(Array.from({ length: 6 }, (_, i) => instance(`ingester-${i}`, seededTokens(i + 1, 128)))),
  { replicationFactor: 3, heartbeatTimeout: 0, zoneAwarenessEnabled: false },
  Date.now,
);
bytesOnly.decode(buf);
time('shard tokens from label bytes', () => {
  for (let i = 0; i < bytesOnly.seriesCount; i++) seriesToken('tenant', bytesOnly.buf, bytesOnly.labelRanges, bytesOnly.labelsStart[i], bytesOnly.labelsStart[i + 1], '');
});
const byIngester = new Map<string, number[]>();
for (let i = 0; i < d.seriesCount; i++) {
  const token = seriesToken('tenant', bytesOnly.buf, bytesOnly.labelRanges, bytesOnly.labelsStart[i], bytesOnly.labelsStart[i + 1], '');
  for (const inst of ring.get(token, Write).instances) {
    let l = byIngester.get(inst.id);
    if (l === undefined) byIngester.set(inst.id, (l = []));
    l.push(i);
  }
}
const decoded = WriteRequest.decode(buf);
let sink = 0;
const asm = time('6 per-ingester requests: byte ranges', () => {
  for (const idx of byIngester.values()) {
    const a = new RequestAssembler();
    for (const i of idx) a.add(buf, bytesOnly.seriesFrom[i], bytesOnly.seriesTo[i]);
    sink += a.finish().length;
  }
});
const enc = time('6 per-ingester requests: ts-proto encode', () => {
  for (const idx of byIngester.values()) sink += WriteRequest.encode({ timeseries: idx.map((i) => decoded.timeseries[i]), metadata: [] }).finish().length;
});
console.log(`re-assembly speed-up: ${(enc / asm).toFixed(2)}× (sink ${sink})`);

const v2 = encodeV2(req.timeseries);
const v2md = encodeV2(req.timeseries.map((s) => ({ ...s, metadata: { type: 2, help: `Help of ${s.labels[0].value}.`, unit: '' } })));
console.log(`2.0 request: ${v2.length} bytes, ${v2md.length} bytes with metadata per series`);
const d2 = new WriteV2Decoder();
time('decode 2.0: pkg/wire columnar (label bytes)', () => d2.decode(v2));
time('decode 2.0 with metadata per series', () => d2.decode(v2md));
time('decode 2.0: ts-proto objects', () => RequestV2.decode(v2));
d2.decode(v2md);
const all = Array.from({ length: d2.seriesCount }, (_, i) => i);
time('2.0 -> 1.0 series for the ingesters', () => {
  sink += d2.v1Pieces(all, [], '').bufs.length;
});
