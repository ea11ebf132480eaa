// The remote-write load generator: requests are encoded and compressed before the clock starts,
// then sent round by round with bounded concurrency over keep-alive connections. Only 127.0.0.1
// targets are allowed. The same series go as remote write 1.0, 2.0 or OTLP.
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { ExportMetricsServiceRequest } from '../../pkg/generated/opentelemetry/proto/collector/metrics/v1/metrics_service.js';
import type { DeepPartial, NumberDataPoint } from '../../pkg/generated/opentelemetry/proto/metrics/v1/metrics.js';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../../pkg/wire/index.js';
import { encodeV2 } from '../../pkg/wire/testing.js';
import { nodeExporterSeries } from './node-exporter-series.js';

export interface LoadOptions {
  /** Active series, split evenly over the tenants. */
  series: number;
  /** Samples per series (rounds; one sample per series per round, 15 s apart). */
  samples: number;
  /** Samples per request. */
  batch: number;
  concurrency: number;
  tenants: number;
  /** Stop sending after this many seconds even if requests remain. */
  maxSeconds: number;
  /** Send a request again after a 5xx answer this many times (as Prometheus' remote write does); 0 by default. */
  retries?: number;
  /**
   * Remote write 1.0 (prometheus.WriteRequest, the default), 2.0 (io.prometheus.write.v2.Request,
   * a symbols table per request) or OTLP (a gzipped protobuf ExportMetricsServiceRequest of gauges).
   */
  protocol?: LoadProtocol;
}

export type LoadProtocol = '1.0' | '2.0' | 'otlp';

/** The headers Prometheus (an OpenTelemetry Collector for OTLP) sends with each protocol. */
const protocolHeaders: Record<LoadProtocol, Record<string, string>> = {
  '1.0': { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
  '2.0': { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '2.0.0' },
  otlp: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
};

/** The path a protocol is pushed to, given the server's remote write path. */
export function pushPath(protocol: LoadProtocol, remoteWritePath: string): string {
  return protocol === 'otlp' ? '/otlp/v1/metrics' : remoteWritePath;
}

export interface EncodedRequest {
  tenant: string;
  body: Buffer;
  samples: number;
  /** Which slice of the series the request carries: the same slot in every round. */
  slot: number;
  /** 0 for the requests that create the series. */
  round: number;
  protocol: LoadProtocol;
}

/** What the rounds carry; by default node-exporter-like series, 15 s apart, ending now. */
export interface Rounds {
  /** Timestamp of round 0 in ms. */
  start?: number;
  intervalMs?: number;
  /** Label sets (sorted pairs); `nodeExporterSeries(o.series)` when not given. */
  sets?: [string, string][][];
  /** The value of series `series` (index into the sets) at `round`. */
  value?: (series: number, round: number) => number;
}

/** Encodes every request of the run, in send order (round-major, so a series' samples stay in order). */
export function buildRequests(o: LoadOptions, r: Rounds = {}): EncodedRequest[] {
  const intervalMs = r.intervalMs ?? 15_000;
  const start = r.start ?? Date.now() - o.samples * intervalMs;
  const value = r.value ?? ((series: number, round: number) => round * 7 + series);
  const labels = (r.sets ?? nodeExporterSeries(o.series)).map((s, index) => ({ index, labels: s.map(([name, value]) => ({ name, value })) }));
  const out: EncodedRequest[] = [];
  for (let round = 0; round < o.samples; round++) {
    const t = start + round * intervalMs;
    let slot = 0;
    for (let tenant = 0; tenant < o.tenants; tenant++) {
      const mine = labels.filter((_, i) => i % o.tenants === tenant);
      for (let b = 0; b < mine.length; b += o.batch, slot++) {
        const timeseries = mine.slice(b, b + o.batch).map((s) => ({ labels: s.labels, samples: [{ value: value(s.index, round), timestamp: t }], exemplars: [], histograms: [] }));
        const protocol = o.protocol ?? '1.0';
        const body = protocol === 'otlp' ? gzipSync(otlpRequest(timeseries))
          : snappyEncode(protocol === '2.0' ? encodeV2(timeseries) : Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish()));
        out.push({ tenant: `tenant-${tenant}`, body, samples: timeseries.length, slot, round, protocol });
      }
    }
  }
  return out;
}

/**
 * The series as OTLP gauges that translate back into the same series: `job` and `instance` as the
 * resource's service.name and service.instance.id, the other labels as data point attributes, one
 * Metric per name per resource, as a Collector's prometheus receiver groups a scrape.
 */
function otlpRequest(series: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[]): Buffer {
  const resources = new Map<string, { attributes: DeepPartial<NumberDataPoint>['attributes']; metrics: Map<string, DeepPartial<NumberDataPoint>[]> }>();
  for (const s of series) {
    let name = '';
    let job = '';
    let instance = '';
    const attributes: { key: string; value: { stringValue: string } }[] = [];
    for (const l of s.labels) {
      if (l.name === '__name__') name = l.value;
      else if (l.name === 'job') job = l.value;
      else if (l.name === 'instance') instance = l.value;
      else attributes.push({ key: l.name, value: { stringValue: l.value } });
    }
    const key = `${job}\u0000${instance}`;
    let r = resources.get(key);
    if (r === undefined) {
      r = { attributes: [{ key: 'service.name', value: { stringValue: job } }, { key: 'service.instance.id', value: { stringValue: instance } }], metrics: new Map() };
      resources.set(key, r);
    }
    let points = r.metrics.get(name);
    if (points === undefined) r.metrics.set(name, (points = []));
    for (const x of s.samples) points.push({ attributes, timeUnixNano: BigInt(x.timestamp) * 1_000_000n, asDouble: x.value });
  }
  const req = ExportMetricsServiceRequest.fromPartial({
    resourceMetrics: [...resources.values()].map((r) => ({
      resource: { attributes: r.attributes },
      scopeMetrics: [{ metrics: [...r.metrics].map(([name, dataPoints]) => ({ name, gauge: { dataPoints } })) }],
    })),
  });
  return Buffer.from(ExportMetricsServiceRequest.encode(req).finish());
}

export interface LoadResult {
  ackedSamples: number;
  failedRequests: number;
  firstError: string;
  seconds: number;
}

/**
 * Sends `reqs` to `url` (http://127.0.0.1:port/path) and counts the acknowledged samples. Each slot
 * (slice of the series) is sent by one worker in round order, so a series' samples arrive in order.
 */
export async function sendLoad(url: string, reqs: EncodedRequest[], o: LoadOptions): Promise<LoadResult> {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`load generator only targets 127.0.0.1, not ${u.hostname}`);
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const res: LoadResult = { ackedSamples: 0, failedRequests: 0, firstError: '', seconds: 0 };
  const slots = [...new Set(reqs.map((r) => r.slot))];
  const workerOf = new Map(slots.map((slot, i) => [slot, i % o.concurrency]));
  const t0 = performance.now();
  const deadline = t0 + o.maxSeconds * 1000;
  const worker = async (w: number): Promise<void> => {
    for (const r of reqs) {
      if (performance.now() >= deadline) break;
      if (workerOf.get(r.slot) !== w) continue;
      let { status, body } = await post(agent, u, r);
      for (let retry = 0; status >= 500 && retry < (o.retries ?? 0); retry++) ({ status, body } = await post(agent, u, r));
      if (status >= 200 && status < 300) res.ackedSamples += r.samples;
      else {
        res.failedRequests++;
        if (res.firstError === '') res.firstError = `${status}: ${body.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, slots.length) }, (_, w) => worker(w)));
  res.seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return res;
}

function post(agent: Agent, u: URL, r: EncodedRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
        headers: {
          ...protocolHeaders[r.protocol], 'x-scope-orgid': r.tenant, 'content-length': r.body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}
