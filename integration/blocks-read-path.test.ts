// The whole read path in one `myelin -target=all` process: samples pushed by remote write, flushed
// as blocks to the bucket, indexed by the compactor's bucket-index updater, loaded by the
// store-gateway, and queried through the querier from ingesters and store-gateway at once: every
// sample comes back exactly once, and only to its tenant. Remote read of a range older than
// -querier.query-ingesters-within reads the blocks alone, in both answer types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkedReadResponse, ReadRequest, ReadRequest_ResponseType, ReadResponse, WriteRequest } from '../pkg/generated/prometheus/remote.js';
import { LabelMatcher_Type } from '../pkg/generated/prometheus/types.js';
import { readFrames } from '../pkg/api/prometheus/testing.js';
import { XorIterator } from '../pkg/tsdb/chunkenc/index.js';
import { ValueType } from '../pkg/storage/index.js';
import { snappyDecode, snappyEncode } from '../pkg/wire/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../pkg/testutil/index.js';

test('samples in ingesters and in blocks are each returned once, per tenant', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-blocks-'));
  const [http, grpc] = [await freePort(), await freePort()];
  const p = startMyelinBinary(['-target=all',
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`,
    `-blocks-storage.bucket-store.sync-dir=${dir}/sync`, '-blocks-storage.bucket-store.sync-interval=1s',
    '-blocks-storage.bucket-store.bucket-index.update-interval=1s',
    '-distributor.replication-factor=1', '-store-gateway.sharding-ring.replication-factor=1',
    '-ingester.max-transfer-retries=0', '-querier.query-ingesters-within=90m', '-querier.query-store-after=0']);
  t.after(() => p.stop());
  // After the process stopped (after hooks run in the order registered): it may still write there.
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${http}/ready`)).status === 200, { what: `ready\n${p.output}`, timeoutMs: 60_000 });
  await waitUntil(async () => {
    const r = await fetch(`http://127.0.0.1:${http}/ingester/ring`, { headers: { accept: 'application/json' } });
    return ((await r.json()) as { instances: { state: string }[] }).instances.some((i) => i.state === 'ACTIVE');
  }, { what: 'an ACTIVE ingester' });

  // Three hours of one sample a minute for 5 series, in time order as remote write sends them.
  const H = 3600_000;
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const times = Array.from({ length: 180 }, (_, i) => now - (179 - i) * 60_000);
  for (let i = 0; i < times.length; i += 30) {
    const body = WriteRequest.encode({
      timeseries: Array.from({ length: 5 }, (_, s) => ({
        labels: [{ name: '__name__', value: 'm' }, { name: 's', value: String(s) }],
        samples: times.slice(i, i + 30).map((ts) => ({ timestamp: ts, value: 1 })),
        exemplars: [],
        histograms: [],
      })),
      metadata: [],
    }).finish();
    const res = await fetch(`http://127.0.0.1:${http}/api/v1/push`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'team-a' },
      body: snappyEncode(Buffer.from(body)),
    });
    assert.equal(res.status, 200, await res.text());
  }
  // Flush part of the data to blocks; the rest stays in the head (and the head still has it all).
  const flushed = await fetch(`http://127.0.0.1:${http}/ingester/flush?wait=true`, { method: 'POST' });
  assert.equal(flushed.status, 204);
  await waitUntil(() => existsSync(join(dir, 'blocks', 'team-a', 'bucket-index.json.gz')), { what: 'the bucket index', timeoutMs: 20_000 });

  const query = async (tenant: string, q: string) => {
    const r = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/query?query=${encodeURIComponent(q)}&time=${now / 1000}`, { headers: { 'X-Scope-OrgID': tenant } });
    const body = await r.json() as { status: string; data: { result: { value: [number, string] }[] } };
    return { status: r.status, body };
  };
  // The store-gateway loads the new blocks within its sync interval; until then queries may miss
  // them (they are younger than the upload grace period). Three hours span two or three 2h blocks,
  // and what is older than -querier.query-ingesters-within is in blocks alone: wait for all of them.
  const loaded = async () => Number((await (await fetch(`http://127.0.0.1:${http}/metrics`)).text()).match(/myelin_bucket_store_blocks_loaded ([0-9]+)/)?.[1]);
  const indexed = () => (JSON.parse(gunzipSync(readFileSync(join(dir, 'blocks', 'team-a', 'bucket-index.json.gz'))).toString()) as { blocks: unknown[] }).blocks.length;
  await waitUntil(async () => indexed() > 0 && (await loaded()) >= indexed(), { what: 'the store-gateway loaded every flushed block', timeoutMs: 20_000 });
  const counted = await query('team-a', `sum(count_over_time(m[${3 * H / 1000}s]))`);
  assert.equal(counted.status, 200);
  assert.deepEqual(counted.body.data.result.map((r) => r.value[1]), [String(5 * 180)], 'each sample once, though ingester and blocks both hold it');
  const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  assert.match(metrics, /myelin_bucket_store_blocks_loaded [1-9]/, 'the store-gateway holds the flushed blocks');
  assert.match(metrics, /myelin_objstore_bucket_operations_total\{bucket="store-gateway",operation="get_range"\} [1-9]/, 'and read them for the query');
  const other = await query('team-b', 'count(m)');
  assert.deepEqual(other.body.data.result, [], 'team-b sees nothing of team-a');

  // Remote read of [now-179m, now-100m]: past the ingesters' 90m, so from the store-gateway only.
  const from = now - 179 * 60_000;
  const to = now - 100 * 60_000;
  const want = Array.from({ length: 5 }, (_, s) => [`s=${s}`, times.filter((ts) => ts >= from && ts <= to)]);
  // gRPC calls served (in-process ones included) by route, summed over status codes.
  const calls = async (route: string) => (await (await fetch(`http://127.0.0.1:${http}/metrics`)).text()).split('\n')
    .filter((l) => l.startsWith('myelin_request_duration_seconds_count{') && l.includes(`route="${route}"`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const storeSeries = '/myelin.storegateway.StoreGateway/Series';
  const ingesterStream = '/myelin.ingester.Ingester/QueryStream';
  const before = { store: await calls(storeSeries), ingester: await calls(ingesterStream) };
  assert.ok(before.ingester > 0, 'the PromQL query above, over the last 90m too, asked the ingester');
  const read = async (type: ReadRequest_ResponseType) => {
    const r = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/read`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'team-a' },
      body: snappyEncode(Buffer.from(ReadRequest.encode({
        queries: [{ startTimestampMs: from, endTimestampMs: to, matchers: [{ type: LabelMatcher_Type.EQ, name: '__name__', value: 'm' }], hints: undefined }],
        acceptedResponseTypes: [type],
      }).finish())),
    });
    assert.equal(r.status, 200, await r.clone().text());
    return Buffer.from(await r.arrayBuffer());
  };
  const samples = ReadResponse.decode(snappyDecode(await read(ReadRequest_ResponseType.SAMPLES), 64 << 20)).results[0].timeseries;
  assert.deepEqual(samples.map((ts) => [ts.labels.filter((l) => l.name === 's').map((l) => `s=${l.value}`)[0], ts.samples.map((x) => x.timestamp)]), want, 'SAMPLES: each block sample once');
  const streamed = readFrames(await read(ReadRequest_ResponseType.STREAMED_XOR_CHUNKS)).flatMap((m) => ChunkedReadResponse.decode(m).chunkedSeries);
  assert.deepEqual(streamed.map((cs) => {
    const ts: number[] = [];
    for (const c of cs.chunks) for (const it = new XorIterator(c.data); it.next() !== ValueType.None;) ts.push(it.atT());
    return [cs.labels.filter((l) => l.name === 's').map((l) => `s=${l.value}`)[0], ts];
  }), want, 'STREAMED_XOR_CHUNKS: the same samples as chunks');
  assert.ok(await calls(storeSeries) >= before.store + 2, 'both reads asked the store-gateway');
  assert.equal(await calls(ingesterStream), before.ingester, 'and no ingester');
});
