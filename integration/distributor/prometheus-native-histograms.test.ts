// A real Prometheus 2.42 (--enable-feature=native-histograms, send_native_histograms) scrapes a test
// exporter serving native histograms in the protobuf exposition format and remote-writes them to a
// distributor in front of a real ingester. Every histogram sample Prometheus holds (its range query
// JSON) must be in the ingester, read back through QueryStream as histogram chunks. Then the same
// into a single-process Myelin: PromQL over the histograms answers as Prometheus does.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { IngesterClient, QueryStreamResponse } from '../../pkg/generated/myelin/ingester.js';
import { LabelMatcher_Type } from '../../pkg/generated/prometheus/types.js';
import { startDistributor, metricValue } from '../../pkg/distributor/testing.js';
import { startTestIngester } from '../../pkg/ingester/testing.js';
import { MemoryStore } from '../../pkg/kv/index.js';
import type { FloatHistogram, Histogram } from '../../pkg/model/histogram/index.js';
import { CounterResetHint, toFloatHistogram } from '../../pkg/model/histogram/index.js';
import { RingSnapshot, RingView } from '../../pkg/ring/index.js';
import { instance, seededTokens } from '../../pkg/ring/testing.js';
import { ValueType } from '../../pkg/storage/index.js';
import { Encoding, FloatHistogramIterator, HistogramIterator, XorIterator } from '../../pkg/tsdb/chunkenc/index.js';
import { tenantMetadata } from '../../pkg/tenant/index.js';
import { startSingleMyelin } from '../e2e/myelin.js';
import { waitUntil } from '../../pkg/testutil/index.js';
import { type ExposedHistogram, startExporter } from '../tsdb/histogram-exporter.js';
import { RemoteWritingPrometheus } from './remote-writing-prometheus.js';

/** Scrape n: a 20-bucket latency counter (schema 3), a float counter with negative buckets, an integer gauge. */
function exposed(n: number): ExposedHistogram[] {
  const counts = Array.from({ length: 20 }, (_, b) => 3 * n * (b + 1) + ((n * 7 + b) % 3));
  const latency: Histogram = {
    counterResetHint: CounterResetHint.Unknown, schema: 3, zeroThreshold: 2 ** -128, zeroCount: n, count: n + counts.reduce((a, c) => a + c, 0), sum: 0.5 * n,
    positiveSpans: [{ offset: -10, length: 20 }], negativeSpans: [], positiveBuckets: counts.map((c, b) => c - (b === 0 ? 0 : counts[b - 1])), negativeBuckets: [], customValues: [],
  };
  const ratio: FloatHistogram = {
    counterResetHint: CounterResetHint.Unknown, schema: 0, zeroThreshold: 0.001, zeroCount: 0.5 * n + 1, count: 0, sum: n * 1.25,
    positiveSpans: [{ offset: 1, length: 2 }], negativeSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1 + n, 2 + n / 4], negativeBuckets: [1 + n / 2], customValues: [],
  };
  ratio.count = ratio.zeroCount + 1 + n + 2 + n / 4 + 1 + n / 2;
  const g = (n * 5) % 7;
  const gauge: Histogram = {
    counterResetHint: CounterResetHint.Gauge, schema: 1, zeroThreshold: 0, zeroCount: 0, count: 3 + g, sum: 10 - g,
    positiveSpans: [{ offset: 0, length: 2 }], negativeSpans: [], positiveBuckets: [1 + g, 1 - g], negativeBuckets: [], customValues: [],
  };
  return [
    { name: 'e2e_latency_seconds', gauge: false, float: false, h: latency },
    { name: 'e2e_ratio', gauge: false, float: true, h: ratio },
    { name: 'e2e_queue_depth', gauge: true, float: false, h: gauge },
  ];
}

/** A histogram as [|bound|, count] per non-empty bucket (the zero bucket as its threshold), plus count and sum. */
type Shape = { count: number; sum: number; buckets: [number, number][] };

function shapeOf(h: FloatHistogram): Shape {
  const buckets: [number, number][] = [];
  if (h.zeroCount > 0) buckets.push([h.zeroThreshold, h.zeroCount]);
  const side = (spans: FloatHistogram['positiveSpans'], counts: number[]) => {
    let idx = 0;
    let k = 0;
    for (const s of spans) {
      idx += s.offset;
      for (let j = 0; j < s.length; j++, idx++, k++) if (counts[k] !== 0) buckets.push([2 ** (idx * 2 ** -h.schema), counts[k]]);
    }
  };
  side(h.positiveSpans, h.positiveBuckets);
  side(h.negativeSpans, h.negativeBuckets);
  return { count: h.count, sum: h.sum, buckets: sorted(buckets) };
}

function sorted(b: [number, number][]): [number, number][] {
  return b.map(([x, c]) => [Number(x.toPrecision(12)), c] as [number, number]).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
}

interface PromHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

/** What Prometheus holds: `name → [t ms, shape][]` from its range query JSON. */
async function prometheusHistograms(url: string, name: string): Promise<[number, Shape][]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(`${name}[10m]`)}`);
  const body = (await res.json()) as { data: { result: { histograms?: [number, PromHistogram][] }[] } };
  return (body.data.result[0]?.histograms ?? []).map(([t, h]) => {
    // Bucket [rule, lower, upper, count]: the zero bucket spans ±threshold; others are keyed by the bound away from zero.
    const buckets = (h.buckets ?? []).map(([, lo, up, c]) => [Math.max(Math.abs(Number(lo)), Math.abs(Number(up))), Number(c)] as [number, number]);
    return [Math.round(t * 1000), { count: Number(h.count), sum: Number(h.sum), buckets: sorted(buckets) }];
  });
}

function queryStream(c: IngesterClient, tenant: string, name: string): Promise<QueryStreamResponse[]> {
  return new Promise((resolve, reject) => {
    const out: QueryStreamResponse[] = [];
    const call = c.queryStream({ startTimestampMs: 0, endTimestampMs: 1e13, matchers: [{ type: LabelMatcher_Type.EQ, name: '__name__', value: name }], streamSamples: false, limits: undefined }, tenantMetadata(tenant));
    call.on('data', (m: QueryStreamResponse) => out.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

/** What the ingester holds for `name`, decoded from the histogram chunks it streams. */
async function myelinHistograms(c: IngesterClient, tenant: string, name: string): Promise<{ rows: [number, Shape][]; encodings: Set<number> }> {
  const its = new Map<number, XorIterator | HistogramIterator | FloatHistogramIterator>([[Encoding.XOR, new XorIterator()], [Encoding.Histogram, new HistogramIterator()], [Encoding.FloatHistogram, new FloatHistogramIterator()]]);
  const rows: [number, Shape][] = [];
  const encodings = new Set<number>();
  for (const m of await queryStream(c, tenant, name)) {
    for (const cs of m.chunkseries) {
      for (const ch of cs.chunks) {
        encodings.add(ch.encoding);
        const it = its.get(ch.encoding);
        if (it === undefined) throw new Error(`chunk encoding ${ch.encoding}`);
        it.reset(ch.data);
        for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
          if (vt === ValueType.Float) throw new Error(`${name} has a float sample at ${it.atT()}`);
          rows.push([it.atT(), shapeOf(vt === ValueType.Histogram ? toFloatHistogram(it.atHistogram()) : it.atFloatHistogram())]);
        }
      }
    }
  }
  return { rows, encodings };
}

test('every native histogram sample a real Prometheus scraped and remote-wrote is in the ingester', { timeout: 180_000 }, async (t) => {
  const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir: mkdtempSync(join(tmpdir(), 'bucket-')) });
  t.after(() => ti.stop());
  const ring = new RingView(new RingSnapshot([instance('ing-1', seededTokens(1, 64), { addr: `127.0.0.1:${ti.server.grpcPort()}` })]), { replicationFactor: 1, heartbeatTimeout: 0, zoneAwarenessEnabled: false }, Date.now);
  const h = await startDistributor({ ring });
  t.after(() => h.close());
  let scrapes = 0;
  const exporter = await startExporter((n) => (n < 15 ? (scrapes++, exposed(n)) : undefined));
  t.after(() => exporter.server.close());
  const prom = await RemoteWritingPrometheus.start(`${h.url}/api/v1/push`, 'hist', { scrape: [{ job: 'exporter', target: `127.0.0.1:${exporter.port}` }], nativeHistograms: true });
  t.after(() => prom.stop());
  const names = ['e2e_latency_seconds', 'e2e_ratio', 'e2e_queue_depth'];
  await waitUntil(() => {
    if (!prom.proc.running) throw new Error(`prometheus exited: ${prom.proc.output}`);
    return scrapes >= 15;
  }, { timeoutMs: 90_000, what: '15 scrapes' });
  // Prometheus has all it will get; wait until the ingester has as many samples of each.
  const want = new Map<string, [number, Shape][]>();
  for (const name of names) want.set(name, await prometheusHistograms(prom.url, name));
  for (const name of names) assert.ok((want.get(name)?.length ?? 0) >= 10, `prometheus has ${want.get(name)?.length} ${name} samples`);
  await waitUntil(async () => {
    for (const name of names) if ((await myelinHistograms(ti.client, 'hist', name)).rows.length < (want.get(name)?.length ?? 0)) return false;
    return true;
  }, { timeoutMs: 60_000, what: 'the histograms in the ingester' }).catch((err: unknown) => {
    throw new Error(`prometheus output:\n${prom.proc.output}`, { cause: err });
  });
  for (const name of names) {
    const got = await myelinHistograms(ti.client, 'hist', name);
    assert.deepEqual(got.rows, want.get(name), name);
    assert.deepEqual([...got.encodings], [name === 'e2e_ratio' ? Encoding.FloatHistogram : Encoding.Histogram], name);
  }
  const discarded = (await h.registry.getSingleMetric('myelin_discarded_samples_total')?.get())?.values ?? [];
  assert.deepEqual(discarded, [], 'nothing Prometheus sends is refused');
  assert.ok((await metricValue(h.registry, 'myelin_distributor_received_samples_total', { user: 'hist' })) >= 30);
});

/** An instant query's vector as `labels → value` (floats) or `labels → histogram JSON`, from Prometheus' API shape. */
async function instant(base: string, query: string, t: number, tenant?: string): Promise<Map<string, string>> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}&time=${t / 1000}`, { headers: tenant === undefined ? {} : { 'x-scope-orgid': tenant } });
  const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value?: [number, string]; histogram?: [number, PromHistogram] }[] } };
  assert.equal(body.status, 'success', `${query}: ${body.error}`);
  return new Map(body.data.result.map((r) => {
    const key = JSON.stringify(Object.entries(r.metric).filter(([k]) => k !== 'instance').sort());
    return [key, r.value !== undefined ? r.value[1] : JSON.stringify(r.histogram?.[1])];
  }));
}

/**
 * Equal within `tolerance` (relative), numbers compared wherever they sit in the JSON: Prometheus
 * takes bucket bounds of schemas > 0 from a table whose last digits differ from the exact powers of two.
 */
function close(a: string, b: string, tolerance: number): boolean {
  const near = (x: number, y: number) => Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(x), Math.abs(y));
  const nums = (s: string) => [...s.matchAll(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|NaN|[+-]?Inf/g)].map((m) => Number(m[0].replace('Inf', 'Infinity')));
  const shape = (s: string) => s.replace(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|NaN|[+-]?Inf/g, '#');
  if (shape(a) !== shape(b)) return false;
  const x = nums(a);
  const y = nums(b);
  return x.length === y.length && x.every((v, i) => (Number.isNaN(v) ? Number.isNaN(y[i]) : v === y[i] || near(v, y[i])));
}

test('PromQL over native histograms answers the same from Myelin as from the Prometheus that remote-wrote them', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-e2e-native-promql-'));
  const myelin = await startSingleMyelin(dir);
  let scrapes = 0;
  const exporter = await startExporter((n) => (n < 12 ? (scrapes++, exposed(n)) : undefined));
  let prom: RemoteWritingPrometheus | undefined;
  t.after(async () => {
    // The writer goes first: its open connections would keep Myelin's HTTP server from closing.
    await prom?.stop();
    await myelin.proc.stop();
    exporter.server.close();
  });
  const writer = (prom = await RemoteWritingPrometheus.start(`${myelin.base}/api/v1/push`, 'hist', { scrape: [{ job: 'exporter', target: `127.0.0.1:${exporter.port}` }], nativeHistograms: true }));
  await waitUntil(() => {
    if (!writer.proc.running) throw new Error(`prometheus exited: ${writer.proc.output}`);
    return scrapes >= 12;
  }, { timeoutMs: 90_000, what: '12 scrapes' });
  const theirs = await prometheusHistograms(writer.url, 'e2e_latency_seconds');
  // Half a scrape interval after the newest sample: no window edge falls on a sample (Prometheus 2.42's
  // windows are closed on the left, Myelin's open, as Prometheus 3's).
  const at = theirs[theirs.length - 1][0] + 500;
  // Relative tolerance per query. Quantiles: Prometheus 3 (Myelin) interpolates exponentially within a
  // native histogram's bucket, 2.42 linearly; both must land in the same bucket (schema 3: 9% wide).
  const queries: [string, number][] = [
    ['e2e_queue_depth', 1e-9],
    ['histogram_count(e2e_latency_seconds)', 1e-9],
    ['histogram_sum(e2e_ratio)', 1e-9],
    ['histogram_fraction(0, 0.5, e2e_latency_seconds)', 1e-9],
    ['histogram_count(rate(e2e_latency_seconds[1m]))', 1e-9],
    ['histogram_sum(rate(e2e_ratio[1m]))', 1e-9],
    ['sum(histogram_count(e2e_ratio))', 1e-9],
    ['histogram_quantile(0.9, e2e_latency_seconds)', 0.01],
    ['histogram_quantile(0.5, rate(e2e_latency_seconds[1m]))', 0.01],
  ];
  await waitUntil(async () => (await myelinLatencySamples(myelin.base, at)).length >= theirs.length, { timeoutMs: 60_000, what: 'every sample in Myelin' });
  for (const [q, tolerance] of queries) {
    const want = await instant(writer.url, q, at);
    const got = await instant(`${myelin.base}/prometheus`, q, at, 'hist');
    assert.ok(want.size > 0, `${q}: Prometheus answers something`);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), q);
    for (const [k, v] of want) assert.ok(close(got.get(k) ?? '', v, tolerance), `${q} ${k}: Myelin ${got.get(k)}, Prometheus ${v}`);
  }
});

/** The e2e_latency_seconds samples Myelin answers over the last 10 minutes before `at`. */
async function myelinLatencySamples(base: string, at: number): Promise<unknown[]> {
  const res = await fetch(`${base}/prometheus/api/v1/query?query=${encodeURIComponent('e2e_latency_seconds[10m]')}&time=${at / 1000}`, { headers: { 'x-scope-orgid': 'hist' } });
  const body = (await res.json()) as { data?: { result: { histograms?: unknown[] }[] } };
  return body.data?.result[0]?.histograms ?? [];
}
