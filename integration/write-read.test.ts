// One Myelin process (-target=all, RF=1, auth on): remote write (1.0 and 2.0) in through the
// distributor, PromQL out through the querier, tenants kept apart, and the data still there after a SIGKILL restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteRequest } from '../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../pkg/wire/index.js';
import { encodeV2 } from '../pkg/wire/testing.js';
import type { TestProcess} from '../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../pkg/testutil/index.js';

async function startMyelin(dir: string, http: number, grpc: number): Promise<TestProcess> {
  const p = startMyelinBinary(['-target=all',
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`,
    '-distributor.replication-factor=1', '-ingester.max-transfer-retries=0', '-blocks-storage.tsdb.flush-blocks-on-shutdown=false']);
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${http}/ready`)).status === 200, { what: `myelin ready\n${p.output}`, timeoutMs: 60_000 });
  // The distributor sees the ingester once the ring watch delivered it ACTIVE.
  await waitUntil(async () => {
    const r = await fetch(`http://127.0.0.1:${http}/ingester/ring`, { headers: { accept: 'application/json' } });
    return ((await r.json()) as { instances: { state: string }[] }).instances.some((i) => i.state === 'ACTIVE');
  }, { what: 'an ACTIVE ingester' });
  return p;
}

function remoteWrite(http: number, tenant: string, series: { labels: Record<string, string>; samples: [number, number][] }[]): Promise<Response> {
  const body = WriteRequest.encode({
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })),
      exemplars: [],
      histograms: [],
    })),
    metadata: [],
  }).finish();
  return fetch(`http://127.0.0.1:${http}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'X-Scope-OrgID': tenant },
    body: snappyEncode(Buffer.from(body)),
  });
}

async function query(http: number, tenant: string, q: string, time: number): Promise<unknown> {
  const r = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/query?query=${encodeURIComponent(q)}&time=${time / 1000}`, { headers: { 'X-Scope-OrgID': tenant } });
  assert.equal(r.status, 200, await r.clone().text());
  return ((await r.json()) as { data: unknown }).data;
}

test('remote write in, PromQL out, per tenant, across a SIGKILL restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-e2e-'));
  let p: TestProcess | undefined;
  t.after(async () => {
    // The process first: it may still write into the directory.
    await p?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const [http, grpc] = [await freePort(), await freePort()];
  p = await startMyelin(dir, http, grpc);
  const now = Math.floor(Date.now() / 1000) * 1000;
  const samples = Array.from({ length: 10 }, (_, i) => [now - (9 - i) * 15_000, i * 10] as [number, number]);
  let res = await remoteWrite(http, 'team-a', [
    { labels: { __name__: 'http_requests_total', job: 'api', instance: 'a:1' }, samples },
    { labels: { __name__: 'http_requests_total', job: 'api', instance: 'a:2' }, samples },
  ]);
  assert.equal(res.status, 200, await res.text());
  res = await remoteWrite(http, 'team-b', [{ labels: { __name__: 'http_requests_total', job: 'other', instance: 'b:1' }, samples: [[now, 5]] }]);
  assert.equal(res.status, 200);

  const sum = await query(http, 'team-a', 'sum(http_requests_total)', now);
  assert.deepEqual(sum, { resultType: 'vector', result: [{ metric: {}, value: [now / 1000, '180'] }] });
  const rate = await query(http, 'team-a', 'sum by (job) (rate(http_requests_total[2m]))', now) as { result: { metric: { job: string }; value: [number, string] }[] };
  assert.equal(rate.result[0].metric.job, 'api');
  assert.ok(Math.abs(Number(rate.result[0].value[1]) - 2 * (10 / 15)) < 1e-9, JSON.stringify(rate));
  const b = await query(http, 'team-b', 'http_requests_total', now) as { result: { metric: Record<string, string> }[] };
  assert.deepEqual(b.result.map((r) => r.metric.job), ['other'], 'team-b sees only its own series');
  const fed = await query(http, 'team-a|team-b', 'count by (__tenant_id__) (http_requests_total)', now) as { result: { metric: Record<string, string>; value: [number, string] }[] };
  assert.deepEqual(fed.result.map((r) => [r.metric.__tenant_id__, r.value[1]]), [['team-a', '2'], ['team-b', '1']], 'a federated read labels each tenant');
  // Remote write 2.0 into the same process: the same series reads back as the 1.0 one.
  const v2 = await fetch(`http://127.0.0.1:${http}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '2.0.0', 'X-Scope-OrgID': 'team-c' },
    body: snappyEncode(encodeV2([{
      labels: [{ name: '__name__', value: 'http_requests_total' }, { name: 'instance', value: 'c:1' }, { name: 'job', value: 'v2' }],
      samples: samples.map(([timestamp, value]) => ({ timestamp, value })), exemplars: [], histograms: [],
      metadata: { type: 1, help: 'Requests served.', unit: '' },
    }])),
  });
  assert.equal(v2.status, 204, await v2.text());
  assert.equal(v2.headers.get('x-prometheus-remote-write-samples-written'), '10');
  assert.deepEqual(await query(http, 'team-c', 'sum(http_requests_total)', now), { resultType: 'vector', result: [{ metric: {}, value: [now / 1000, '90'] }] });
  const md = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/metadata`, { headers: { 'X-Scope-OrgID': 'team-c' } });
  assert.deepEqual(((await md.json()) as { data: unknown }).data, { http_requests_total: [{ type: 'counter', help: 'Requests served.', unit: '' }] });
  const missing = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/query?query=up`);
  assert.equal(missing.status, 401);

  await p.stop('SIGKILL');
  p = await startMyelin(dir, http, grpc);
  assert.deepEqual(await query(http, 'team-a', 'sum(http_requests_total)', now), sum, 'acknowledged samples survive SIGKILL');
});
