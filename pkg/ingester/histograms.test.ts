import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ServiceError } from '@grpc/grpc-js';
import type { IngesterClient, QueryStreamResponse } from '../generated/myelin/ingester.js';
import type { WriteRequest } from '../generated/prometheus/remote.js';
import { LabelMatcher_Type } from '../generated/prometheus/types.js';
import { Histogram as WireHistogramCodec } from '../generated/prometheus/types.js';
import type { Histogram as WireHistogram, TimeSeries } from '../generated/prometheus/types.js';
import { MemoryStore } from '../kv/index.js';
import { ValueType } from '../storage/index.js';
import { Encoding, FloatHistogramIterator, HistogramIterator, XorIterator } from '../tsdb/chunkenc/index.js';
import { tenantMetadata } from '../tenant/index.js';
import { decodeHistogram, histogramToWire } from '../wire/index.js';
import { startTestIngester } from './testing.js';
import { waitUntil } from '../testutil/index.js';

/** The i-th scrape of a 4-bucket histogram; float when `isFloat`. */
function hist(t: number, i: number, isFloat = false): WireHistogram {
  const counts = [i, 2 * i, 3 * i, i];
  return isFloat
    ? { countFloat: 7 * i, sum: i, schema: 1, zeroThreshold: 0.001, zeroCountFloat: 0, negativeSpans: [], negativeDeltas: [], negativeCounts: [], positiveSpans: [{ offset: -1, length: 4 }], positiveDeltas: [], positiveCounts: counts, resetHint: 0, timestamp: t, customValues: [] }
    : { countInt: 7 * i, sum: i, schema: 1, zeroThreshold: 0.001, zeroCountInt: 0, negativeSpans: [], negativeDeltas: [], negativeCounts: [], positiveSpans: [{ offset: -1, length: 4 }], positiveDeltas: [i, i, i, -2 * i], positiveCounts: [], resetHint: 0, timestamp: t, customValues: [] };
}

const ts = (name: string, samples: [number, number][], histograms: WireHistogram[]): TimeSeries => ({
  labels: [{ name: '__name__', value: name }],
  samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
  exemplars: [],
  histograms,
});

function push(c: IngesterClient, tenant: string, req: Partial<WriteRequest>): Promise<void> {
  return new Promise((resolve, reject) => c.push({ timeseries: [], metadata: [], ...req }, tenantMetadata(tenant), (err: ServiceError | null) => (err ? reject(err) : resolve())));
}

function queryStream(c: IngesterClient, tenant: string, streamSamples: boolean): Promise<QueryStreamResponse[]> {
  return new Promise((resolve, reject) => {
    const out: QueryStreamResponse[] = [];
    const call = c.queryStream({ startTimestampMs: 0, endTimestampMs: 1e13, matchers: [{ type: LabelMatcher_Type.RE, name: '__name__', value: '.+' }], streamSamples, limits: undefined }, tenantMetadata(tenant));
    call.on('data', (m: QueryStreamResponse) => out.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

/** Every sample of a chunk answer as `name → rows` (floats as numbers, histograms as their wire form), and the encodings seen. */
function decode(msgs: QueryStreamResponse[]): { rows: Map<string, unknown[]>; encodings: Set<number> } {
  const rows = new Map<string, unknown[]>();
  const encodings = new Set<number>();
  const its = new Map<number, XorIterator | HistogramIterator | FloatHistogramIterator>([[Encoding.XOR, new XorIterator()], [Encoding.Histogram, new HistogramIterator()], [Encoding.FloatHistogram, new FloatHistogramIterator()]]);
  for (const m of msgs) for (const cs of m.chunkseries) {
    const out = rows.get(cs.labels[0].value) ?? [];
    for (const c of cs.chunks) {
      encodings.add(c.encoding);
      const it = its.get(c.encoding);
      assert.ok(it !== undefined, `encoding ${c.encoding}`);
      it.reset(c.data);
      for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
        if (vt === ValueType.Float) out.push([it.atT(), it.atV()]);
        else out.push(normal(histogramToWire(vt === ValueType.Histogram ? { t: it.atT(), h: it.atHistogram(), fh: undefined } : { t: it.atT(), h: undefined, fh: it.atFloatHistogram() })));
      }
    }
    rows.set(cs.labels[0].value, out);
  }
  return { rows, encodings };
}

/** A wire histogram as the decoder reads it, hint left out (chunks set their own). */
function normal(h: WireHistogram): unknown {
  const buf = Buffer.from(WireHistogramCodec.encode(h).finish());
  const s = decodeHistogram(buf, 0, buf.length);
  const { counterResetHint: _, ...rest } = (s.h ?? s.fh) as { counterResetHint: number };
  return [s.t, s.h === undefined ? 'float' : 'int', rest];
}

const data = (): TimeSeries[] => [
  ts('latency', [], Array.from({ length: 30 }, (_, i) => hist(1000 + i * 15_000, i + 1))),
  ts('ratio', [], Array.from({ length: 5 }, (_, i) => hist(1000 + i * 15_000, i + 1, true))),
  ts('mixed', [[1000, 1], [31_000, 3]], [hist(16_000, 2), hist(46_000, 4)]),
];

function expected(): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const s of data()) {
    const rows: [number, unknown][] = [...s.samples.map((x) => [x.timestamp, [x.timestamp, x.value]] as [number, unknown]), ...s.histograms.map((h) => [h.timestamp, normal(h)] as [number, unknown])];
    out.set(s.labels[0].value, rows.sort((a, b) => a[0] - b[0]).map((r) => r[1]));
  }
  return out;
}

test('pushed histograms are streamed back as histogram chunks and samples, and survive a restart', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const kv = new MemoryStore();
  const tsdb = { flushBlocksOnShutdown: false };
  let ti = await startTestIngester({ id: 'ing-1', kv, bucketDir, tsdb });
  const dataDir = ti.dataDir;
  await push(ti.client, 'h', { timeseries: data() });
  const chunks = decode(await queryStream(ti.client, 'h', false));
  assert.deepEqual(chunks.rows, expected());
  assert.deepEqual([...chunks.encodings].sort(), [Encoding.XOR, Encoding.Histogram, Encoding.FloatHistogram]);
  const streamed = (await queryStream(ti.client, 'h', true)).flatMap((m) => m.timeseries);
  assert.deepEqual(streamed.map((s) => [s.labels[0].value, s.samples.length, s.histograms.length]).sort(), [['latency', 0, 30], ['mixed', 2, 2], ['ratio', 0, 5]]);
  assert.match(await ti.registry.metrics(), /myelin_ingester_ingested_samples_total 39/);
  await ti.stop();

  ti = await startTestIngester({ id: 'ing-1', kv, bucketDir, dataDir, tsdb });
  t.after(() => ti.stop());
  assert.deepEqual(decode(await queryStream(ti.client, 'h', false)).rows, expected(), 'the WAL replay keeps every histogram');
  // Order rules hold for histograms across restarts.
  await assert.rejects(push(ti.client, 'h', { timeseries: [ts('latency', [], [hist(1000, 9)])] }), /out of order sample|duplicate sample/);
});

test('transfer on shutdown carries histogram chunks', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const kv = new MemoryStore();
  const a = await startTestIngester({ id: 'ing-a', kv, bucketDir, transfer: true });
  await push(a.client, 'h', { timeseries: data() });
  const b = await startTestIngester({ id: 'ing-b', kv, bucketDir, joinAfter: 60_000 });
  t.after(b.stop);
  await waitUntil(() => a.ing.lifecycler.ring.snapshot().instances.some((d) => d.id === 'ing-b'), { what: 'ing-a to see ing-b in the ring' });
  await a.stop();
  assert.deepEqual(decode(await queryStream(b.client, 'h', false)).rows, expected());
  assert.match(await b.registry.metrics(), /myelin_ingester_transfers_total\{direction="received",outcome="success"\} 1/);
});
