// A real Prometheus (Debian's 2.42) with remote_read pointed at Myelin (-target=all, RF=1) through
// the gateway that sets X-Scope-OrgID: its PromQL answers over Myelin's data equal Myelin's own, for
// its tenant only. Prometheus 2.42 asks for SAMPLES; STREAMED_XOR_CHUNKS is checked against a
// running Myelin by frames decoded here: whole through the query-frontend of -target=all, written
// as made by a querier's own API.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChunkedReadResponse, ReadRequest, ReadRequest_ResponseType } from '../pkg/generated/prometheus/remote.js';
import { WriteRequest } from '../pkg/generated/prometheus/remote.js';
import { LabelMatcher_Type } from '../pkg/generated/prometheus/types.js';
import { readFrames } from '../pkg/api/prometheus/testing.js';
import { snappyEncode } from '../pkg/wire/index.js';
import { tenantGateway } from './distributor/remote-writing-prometheus.js';
import { freePort, startMyelinBinary, TestProcess, waitUntil } from '../pkg/testutil/index.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/** A STREAMED_XOR_CHUNKS remote read of `tenant`'s series with label `eq` in [start, end]. */
function streamedRead(base: string, tenant: string, start: number, end: number, [name, value]: [string, string]): Promise<Response> {
  return fetch(`${base}/prometheus/api/v1/read`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-scope-orgid': tenant },
    body: snappyEncode(Buffer.from(ReadRequest.encode({
      queries: [{ startTimestampMs: start, endTimestampMs: end, matchers: [{ type: LabelMatcher_Type.EQ, name, value }], hints: undefined }],
      acceptedResponseTypes: [ReadRequest_ResponseType.STREAMED_XOR_CHUNKS],
    }).finish())),
  });
}

test('Prometheus 2.42 remote_read from Myelin answers PromQL as Myelin does; streamed chunks over HTTP', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-rr-'));
  const [http, grpc, promPort] = [await freePort(), await freePort(), await freePort()];
  const base = `http://127.0.0.1:${http}`;
  const myelin = startMyelinBinary(['-target=all', '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`, '-server.grpc-listen-address=127.0.0.1',
    `-server.grpc-listen-port=${grpc}`, '-distributor.replication-factor=1', `-blocks-storage.tsdb.dir=${dir}/tsdb`,
    `-blocks-storage.filesystem.dir=${dir}/blocks`, '-log.level=warn',
  ]);
  t.after(async () => {
    await myelin.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await waitUntil(async () => {
    if (!myelin.running) throw new Error(`myelin exited: ${myelin.output}`);
    return (await fetch(`${base}/ready`)).ok;
  }, { timeoutMs: 60_000, what: 'myelin ready' });

  // 30 minutes of 15 s samples of three counters for team-a, one series for team-b.
  const end = Math.floor(Date.now() / 15_000) * 15_000;
  const ts = Array.from({ length: 121 }, (_, i) => end - (120 - i) * 15_000);
  const series = (labels: Record<string, string>, rate: number) => ({
    labels: Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => ({ name, value })),
    samples: ts.map((timestamp, i) => ({ timestamp, value: i * rate * 15 + (i % 7) * 0.25 })), exemplars: [], histograms: [],
  });
  const push = async (tenant: string, timeseries: ReturnType<typeof series>[]) => {
    await waitUntil(async () => {
      const res = await fetch(`${base}/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-scope-orgid': tenant },
        body: snappyEncode(Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish())),
      });
      return res.status === 200;
    }, { timeoutMs: 30_000, what: `push for ${tenant}` });
  };
  await push('team-a', [series({ __name__: 'rr_requests_total', job: 'api', instance: 'a:1' }, 2), series({ __name__: 'rr_requests_total', job: 'api', instance: 'a:2' }, 3), series({ __name__: 'rr_requests_total', job: 'db', instance: 'd:1' }, 0.5)]);
  await push('team-b', [series({ __name__: 'rr_requests_total', job: 'api', instance: 'b:1' }, 100)]);

  const gateway = await tenantGateway(base, 'team-a');
  t.after(() => new Promise<void>((resolve) => gateway.close(() => resolve())));
  await writeFile(join(dir, 'prometheus.yml'), [
    'global: { scrape_interval: 1m }',
    'remote_read:',
    `  - url: http://127.0.0.1:${(gateway.address() as { port: number }).port}/prometheus/api/v1/read`,
    '    read_recent: true',
    '',
  ].join('\n'));
  const prom = new TestProcess('prometheus', PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);
  await waitUntil(async () => {
    if (!prom.running) throw new Error(`prometheus exited: ${prom.output}`);
    return (await fetch(`http://127.0.0.1:${promPort}/-/ready`).catch(() => undefined))?.ok === true;
  }, { timeoutMs: 60_000, what: 'prometheus ready' });
  t.after(() => prom.stop());

  const ask = async (url: string, path: string, tenant?: string) => {
    const res = await fetch(`${url}${path}`, { headers: tenant === undefined ? {} : { 'x-scope-orgid': tenant } });
    const body = (await res.json()) as { status: string; data: unknown };
    assert.equal(body.status, 'success', JSON.stringify(body));
    return body.data;
  };
  const q = encodeURIComponent;
  // Evaluation times fall between samples: Prometheus 2.42's range selectors include their left
  // edge, Prometheus 3's (and Myelin's) do not, and the answers must not depend on that.
  const at = (end - 7_500) / 1000;
  const paths = [
    `/api/v1/query?query=${q('sum by (job) (rate(rr_requests_total[5m]))')}&time=${at}`,
    `/api/v1/query?query=${q('rr_requests_total{job="api"}')}&time=${(end - 60_000) / 1000}`,
    `/api/v1/query_range?query=${q('max_over_time(rr_requests_total[2m])')}&start=${at - 1200}&end=${at}&step=60`,
    `/api/v1/series?match[]=${q('rr_requests_total')}&start=${(end - 1_800_000) / 1000}&end=${end / 1000}`,
  ];
  for (const path of paths) {
    const own = await ask(`${base}/prometheus`, path, 'team-a');
    const viaRead = await ask(`http://127.0.0.1:${promPort}`, path);
    assert.deepEqual(viaRead, own, path);
    assert.ok(JSON.stringify(own).includes('rr_requests_total') || JSON.stringify(own).includes('"job":"api"'), `${path}: Myelin answered with data`);
    assert.ok(!JSON.stringify(viaRead).includes('b:1'), 'team-b stays invisible');
  }

  // STREAMED_XOR_CHUNKS straight from the running Myelin: frames of the tenant's series.
  const res = await streamedRead(base, 'team-a', end - 1_800_000, end, ['job', 'api']);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse');
  const instances: string[] = [];
  for (const msg of readFrames(new Uint8Array(await res.arrayBuffer()))) {
    for (const s of ChunkedReadResponse.decode(msg).chunkedSeries) {
      instances.push(s.labels.find((l) => l.name === 'instance')?.value ?? '');
      assert.deepEqual(s.chunks.map((c) => c.type), [1, 1], '121 samples: two XOR chunks');
    }
  }
  assert.deepEqual(instances, ['a:1', 'a:2']);
});

test('a querier serving the API itself streams STREAMED_XOR_CHUNKS from its query worker as the frames are made', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-rr-querier-'));
  const [http, grpc] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${http}`;
  const myelin = startMyelinBinary(['-target=distributor,ingester,querier', '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`, '-distributor.replication-factor=1', `-blocks-storage.tsdb.dir=${dir}/tsdb`,
    `-blocks-storage.filesystem.dir=${dir}/blocks`, '-log.level=warn']);
  t.after(async () => {
    await myelin.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const end = Date.now();
  const samples = Array.from({ length: 300 }, (_, i) => ({ timestamp: end - (299 - i) * 1000, value: i }));
  const body = snappyEncode(Buffer.from(WriteRequest.encode({ timeseries: [{ labels: [{ name: '__name__', value: 'streamed' }], samples, exemplars: [], histograms: [] }], metadata: [] }).finish()));
  await waitUntil(async () => {
    if (!myelin.running) throw new Error(`myelin exited: ${myelin.output}`);
    const r = await fetch(`${base}/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-scope-orgid': 'q' }, body });
    return r.status === 200;
  }, { timeoutMs: 60_000, what: 'a push accepted' });
  const res = await streamedRead(base, 'q', end - 300_000, end, ['__name__', 'streamed']);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked', 'written as it came, not as one body of a known length');
  assert.equal(res.headers.get('content-length'), null);
  const chunks = readFrames(new Uint8Array(await res.arrayBuffer())).flatMap((m) => ChunkedReadResponse.decode(m).chunkedSeries.flatMap((cs) => cs.chunks));
  assert.deepEqual(chunks.map((c) => (c.data[0] << 8) | c.data[1]), [120, 120, 60], 'every sample, in XOR chunks of 120');
});
