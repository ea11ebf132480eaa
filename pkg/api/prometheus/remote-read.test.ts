import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ChunkedReadResponse, ReadRequest, ReadRequest_ResponseType, ReadResponse, type Query } from '../../generated/prometheus/remote.js';
import { LabelMatcher_Type } from '../../generated/prometheus/types.js';
import { emptyFloatHistogram, type FloatHistogram } from '../../model/histogram/index.js';
import { Labels } from '../../model/labels/index.js';
import { Engine } from '../../promql/index.js';
import { MemoryStorage } from '../../promql/promqltest/memory-storage.js';
import { ValueType } from '../../storage/index.js';
import { TenantResolver } from '../../tenant/index.js';
import { EncodedChunkIterator, Encoding, XorIterator } from '../../tsdb/chunkenc/index.js';
import { snappyDecode, snappyEncode } from '../../wire/index.js';
import { ApiOp, executeApi } from './execute.js';
import { prometheusApi } from './plugin.js';
import { readFrames } from './testing.js';

/** A float histogram of 2 + 2i observations in two buckets of schema 0. */
function histogramAt(i: number): FloatHistogram {
  return { ...emptyFloatHistogram(0), count: 2 + 2 * i, sum: 3 * i, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1 + i, 1 + i] };
}

/** Tenant a's data; `bigSamples`: a series `big` of that many random values (XOR chunks of ~10 bytes per sample). */
function tenantA(opts: { bigSamples?: number }): MemoryStorage {
  const a = new MemoryStorage();
  for (let i = 0; i < 150; i++) {
    a.append(Labels.fromRecord({ __name__: 'up', job: 'x', instance: 'a' }), i * 1000, i);
    a.append(Labels.fromRecord({ __name__: 'up', job: 'y', instance: 'b' }), i * 1000, 2 * i);
  }
  for (let i = 0; i < (opts.bigSamples ?? 0); i++) a.append(Labels.fromRecord({ __name__: 'big' }), i * 1000, Math.random());
  return a;
}

async function setup(opts: { maxSamples?: number; bigSamples?: number } = {}, a = tenantA(opts)) {
  for (let i = 0; i < 3; i++) a.appendHistogram(Labels.fromRecord({ __name__: 'latency', job: 'h' }), i * 1000, histogramAt(i));
  const other = new MemoryStorage();
  other.append(Labels.fromRecord({ __name__: 'up', job: 'x', instance: 'secret' }), 0, 7);
  const app = Fastify();
  await app.register(prometheusApi, {
    prefix: '/prometheus',
    backend: { engine: new Engine({ maxSamples: opts.maxSamples }), queryable: (t) => (t === 'a' ? a : other) },
    tenantOf: (req) => new TenantResolver({ authEnabled: true }).tenant(req.headers['x-scope-orgid'] as string | undefined),
  });
  return app;
}

const eq = (name: string, value: string) => ({ type: LabelMatcher_Type.EQ, name, value });
const query = (start: number, end: number, ...matchers: Query['matchers']): Query => ({ startTimestampMs: start, endTimestampMs: end, matchers, hints: undefined });

function read(app: Awaited<ReturnType<typeof setup>>, body: Buffer, tenant = 'a') {
  return app.inject({
    method: 'POST',
    url: '/prometheus/api/v1/read',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-read-version': '0.1.0', ...(tenant === '' ? {} : { 'x-scope-orgid': tenant }) },
    payload: body,
  });
}

const request = (queries: Query[], types: ReadRequest_ResponseType[] = []) => snappyEncode(Buffer.from(ReadRequest.encode({ queries, acceptedResponseTypes: types }).finish()));

test('SAMPLES: one result per query, series sorted, samples within [start, end], the tenant\'s own data', async () => {
  const app = await setup();
  const res = await read(app, request([query(10_000, 12_000, eq('__name__', 'up')), query(0, 1000, eq('job', 'x'))]));
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/x-protobuf');
  assert.equal(res.headers['content-encoding'], 'snappy');
  const got = ReadResponse.decode(snappyDecode(res.rawPayload, 1 << 20));
  const flat = got.results.map((r) => r.timeseries.map((s) => [s.labels.map((l) => `${l.name}=${l.value}`).join(','), s.samples.map((x) => [x.timestamp, x.value])]));
  assert.deepEqual(flat, [
    [
      ['__name__=up,instance=a,job=x', [[10_000, 10], [11_000, 11], [12_000, 12]]],
      ['__name__=up,instance=b,job=y', [[10_000, 20], [11_000, 22], [12_000, 24]]],
    ],
    [['__name__=up,instance=a,job=x', [[0, 0], [1000, 1]]]],
  ]);
});

test('STREAMED_XOR_CHUNKS: CRC-checked frames of XOR chunks of at most 120 samples, each tagged with its query', async () => {
  const app = await setup();
  const types = [ReadRequest_ResponseType.STREAMED_XOR_CHUNKS, ReadRequest_ResponseType.SAMPLES];
  const res = await read(app, request([query(0, 200_000, eq('job', 'x')), query(5000, 6000, eq('job', 'y'))], types));
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse');
  const frames = readFrames(res.rawPayload).map((m) => ChunkedReadResponse.decode(m));
  const corrupt = Buffer.from(res.rawPayload);
  corrupt[corrupt.length - 1] ^= 1;
  assert.throws(() => readFrames(corrupt), /frame checksum mismatch/);
  assert.deepEqual(frames.map((f) => f.queryIndex), [0, 1]);
  const samplesOf = (f: ChunkedReadResponse) => f.chunkedSeries[0].chunks.map((c) => {
    const it = new XorIterator(c.data);
    const out: [number, number][] = [];
    while (it.next() !== ValueType.None) out.push([it.atT(), it.atV()]);
    assert.deepEqual([c.minTimeMs, c.maxTimeMs], [out[0][0], out[out.length - 1][0]]);
    return out;
  });
  const first = samplesOf(frames[0]);
  assert.deepEqual(first.map((c) => c.length), [120, 30]);
  assert.deepEqual(first.flat(), Array.from({ length: 150 }, (_, i) => [i * 1000, i]));
  assert.deepEqual(samplesOf(frames[1]), [[[5000, 10], [6000, 12]]]);
  assert.deepEqual(frames[1].chunkedSeries[0].labels, [{ name: '__name__', value: 'up' }, { name: 'instance', value: 'b' }, { name: 'job', value: 'y' }]);
});

test('native histograms: SAMPLES answers them as the series\' histograms, STREAMED_XOR_CHUNKS as float histogram chunks', async () => {
  const app = await setup();
  const q = query(1000, 2000, eq('__name__', 'latency'));
  let res = await read(app, request([q]));
  assert.equal(res.statusCode, 200, res.body);
  const ts = ReadResponse.decode(snappyDecode(res.rawPayload, 1 << 20)).results[0].timeseries;
  assert.equal(ts.length, 1);
  assert.deepEqual(ts[0].samples, []);
  assert.deepEqual(ts[0].histograms.map((h) => [h.timestamp, h.countFloat, h.sum, h.positiveSpans, h.positiveCounts]), [
    [1000, 4, 3, [{ offset: 0, length: 2 }], [2, 2]],
    [2000, 6, 6, [{ offset: 0, length: 2 }], [3, 3]],
  ]);
  res = await read(app, request([q], [ReadRequest_ResponseType.STREAMED_XOR_CHUNKS]));
  assert.equal(res.statusCode, 200, res.body);
  const chunks = readFrames(res.rawPayload).map((m) => ChunkedReadResponse.decode(m)).flatMap((f) => f.chunkedSeries[0].chunks);
  assert.deepEqual(chunks.map((c) => [c.type, c.minTimeMs, c.maxTimeMs]), [[Encoding.FloatHistogram, 1000, 2000]]);
  const it = new EncodedChunkIterator();
  it.reset(chunks[0].type, chunks[0].data);
  const got: [number, number][] = [];
  while (it.next() === ValueType.FloatHistogram) got.push([it.atT(), it.atFloatHistogram().count]);
  assert.deepEqual(got, [[1000, 4], [2000, 6]]);
});

test('bounds as Prometheus\'s: SAMPLES past the sample limit (-querier.max-samples) is 400; a long series streams in frames of about 1 MiB', async () => {
  const limited = await setup({ maxSamples: 299 });
  const q = query(0, 200_000, eq('__name__', 'up'));
  const over = await read(limited, request([q]));
  assert.equal(over.statusCode, 400, over.body);
  assert.match(over.body, /remote read: exceeded sample limit \(299, -querier.max-samples\)/);
  const within = await read(await setup({ maxSamples: 300 }), request([q]));
  assert.equal(within.statusCode, 200, 'exactly at the limit');
  const streamed = await read(limited, request([q], [ReadRequest_ResponseType.STREAMED_XOR_CHUNKS]));
  assert.equal(streamed.statusCode, 200, 'chunks are not samples held in memory');

  const app = await setup({ bigSamples: 250_000 });
  const res = await read(app, request([query(0, 250_000_000, eq('__name__', 'big'))], [ReadRequest_ResponseType.STREAMED_XOR_CHUNKS]));
  assert.equal(res.statusCode, 200, res.body);
  const frames = readFrames(res.rawPayload);
  assert.ok(frames.length >= 2, `${frames.length} frames`);
  const chunks = frames.map((m) => ChunkedReadResponse.decode(m).chunkedSeries);
  for (const [i, m] of frames.entries()) {
    assert.equal(chunks[i].length, 1, 'one series per frame');
    assert.deepEqual(chunks[i][0].labels, [{ name: '__name__', value: 'big' }], 'each part of the series carries its labels');
    assert.ok(m.length < (1 << 20) + 4096, `frame ${i}: ${m.length} bytes, the chunk that passed 1 MiB at most over`);
  }
  const all = chunks.flatMap((c) => c[0].chunks);
  // An XOR chunk starts with its sample count, a big-endian uint16.
  assert.equal(all.reduce((n, c) => n + ((c.data[0] << 8) | c.data[1]), 0), 250_000, 'every sample once, in order');
  assert.ok(all.every((c, i) => i === 0 || c.minTimeMs > all[i - 1].maxTimeMs));
});

test('STREAMED_XOR_CHUNKS is written as it is made, 0.5 to 1.5 MiB at a time; a failure after the first write cuts the stream', async (t) => {
  const big = tenantA({ bigSamples: 250_000 });
  const app = await setup({}, big);
  t.after(() => app.close());
  // Straight through executeApi with a sink: several writes, each at most a frame past 0.5 MiB, and an empty body.
  const writes: number[] = [];
  const body = request([query(0, 250_000_000, eq('__name__', 'big'))], [ReadRequest_ResponseType.STREAMED_XOR_CHUNKS]);
  const backend = { engine: new Engine(), queryable: () => big };
  const answer = await executeApi({ op: ApiOp.RemoteRead, tenant: 'a', params: {}, labelName: '', now: Date.now(), body }, backend, undefined, (b) => writes.push(b.length));
  assert.equal(answer.status, 200);
  assert.equal(answer.body.length, 0, 'nothing left for the answer');
  assert.ok(writes.length >= 2, `${writes.length} writes`);
  assert.ok(writes.every((n) => n < 1.5 * (1 << 20) + (1 << 16)), writes.join(', '));

  // Over HTTP: the first query's frames are out when the second fails (a bad regex): the body is cut.
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${url}/prometheus/api/v1/read`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-scope-orgid': 'a' },
    body: request([query(0, 250_000_000, eq('__name__', 'big')), query(0, 1, { type: LabelMatcher_Type.RE, name: 'job', value: '(' })], [ReadRequest_ResponseType.STREAMED_XOR_CHUNKS]),
  });
  assert.equal(res.status, 200, 'sent with the first frames');
  await assert.rejects(res.arrayBuffer(), 'the client sees a broken body, not a complete one');
});

test('bad requests: 400 naming the problem, 401 without a tenant', async () => {
  const app = await setup();
  const cases: [Buffer, string, number, RegExp][] = [
    [Buffer.from('not snappy'), 'a', 400, /remote read: body is not snappy/],
    [snappyEncode(Buffer.from([0x0a, 0x10, 0x01])), 'a', 400, /remote read: invalid prometheus.ReadRequest/],
    [request([query(0, 1, { type: 9 as LabelMatcher_Type, name: 'job', value: 'x' })]), 'a', 400, /remote read query 0: unknown matcher type 9/],
    [request([query(0, 1, { type: LabelMatcher_Type.RE, name: 'job', value: '(' })]), 'a', 400, /missing closing \)/],
    [request([query(0, 1, eq('job', 'x'))]), '', 401, /no org id/],
  ];
  for (const [body, tenant, status, message] of cases) {
    const res = await read(app, body, tenant);
    assert.equal(res.statusCode, status, res.body);
    assert.match(res.body, message);
  }
  const empty = await app.inject({ method: 'POST', url: '/prometheus/api/v1/read', headers: { 'content-type': 'application/x-protobuf', 'x-scope-orgid': 'a' } });
  assert.equal(empty.statusCode, 400);
  assert.match(empty.body, /empty body/);
});
