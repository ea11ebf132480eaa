// One valid remote-write request of 100k series (~7 MB, above the ingesters' 4 MiB gRPC receive
// limit) against the real binary: the distributor splits it into Push messages the ingester takes,
// so it is stored whole, in one process and through a distributor talking to a separate ingester.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snappyEncode } from '../../pkg/wire/index.js';
import { writeRequestBytes, type TestSeries } from '../e2e/cluster.js';
import { EtcdServer, freePort, startMyelinBinary, type TestProcess, waitUntil } from '../../pkg/testutil/index.js';

const singleProcessConfig = fileURLToPath(new URL('../../../configs/single-process.yaml', import.meta.url));
const SERIES = 100_000;
// Room for the whole request in the tenant's rate limit; the time to create 100k series in one
// request is the ingester's, not what this test is about.
const writeFlags = ['-distributor.ingestion-rate-limit=1000000', '-distributor.ingestion-burst-size=1000000', '-distributor.remote-timeout=60s'];

function largeRequest(t: number): Buffer {
  const series: TestSeries[] = [];
  for (let i = 0; i < SERIES; i++) {
    series.push({
      labels: { __name__: `node_large_push_${i % 10}`, instance: `host-${i % 1000}.example.org:9100`, job: 'node', device: `dev-${Math.floor(i / 1000)}`, mode: 'idle' },
      samples: [[t, i]],
    });
  }
  return writeRequestBytes(series);
}

async function startMyelin(name: string, args: string[], http: number): Promise<TestProcess> {
  const p = startMyelinBinary(['-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', ...args], { name: name });
  await waitUntil(async () => !p.running || (await fetch(`http://127.0.0.1:${http}/ready`)).status === 200, { what: `${name} ready`, timeoutMs: 30_000, intervalMs: 100 });
  assert.ok(p.running, `${name} exited:\n${p.output}`);
  return p;
}

async function push(http: number, raw: Buffer): Promise<Response> {
  return fetch(`http://127.0.0.1:${http}/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
    body: snappyEncode(raw),
  });
}

async function metric(http: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

test('a 100k-series request is stored whole by a single process (configs/single-process.yaml)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-large-push-'));
  const http = await freePort();
  const p = await startMyelin('myelin', [`-config.file=${singleProcessConfig}`, `-server.grpc-listen-port=${await freePort()}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`, ...writeFlags], http);
  t.after(async () => {
    await p.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const now = Date.now();
  const raw = largeRequest(now);
  assert.ok(raw.length > 6 << 20, `request of ${raw.length} bytes is above the ingester's 4 MiB gRPC receive limit`);

  const res = await push(http, raw);
  assert.equal(res.status, 200, await res.text());
  assert.ok(await metric(http, 'myelin_distributor_ingester_appends_total') >= 2, 'the request went to the ingester in several messages');

  assert.equal(await metric(http, 'myelin_ingester_memory_series'), SERIES);
  // Values are 0..SERIES-1, one per series: the sum says every sample is there once.
  const q = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/query?${new URLSearchParams({ query: 'sum({job="node"})', time: String(now / 1000) })}`);
  assert.equal(q.status, 200);
  const body = await q.json() as { data: { result: { value: [number, string] }[] } };
  assert.equal(body.data.result[0]?.value[1], String((SERIES * (SERIES - 1)) / 2));
});

test('a 100k-series request is stored whole through a distributor and a separate ingester process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-large-push-ms-'));
  const etcd = await EtcdServer.start();
  const ring = ['-ring.store=etcd', `-etcd.endpoints=127.0.0.1:${etcd.clientPort}`, '-distributor.replication-factor=1', '-auth.enabled=false'];
  const [ingHttp, distHttp] = [await freePort(), await freePort()];
  const ingester = await startMyelin('ingester', ['-target=ingester', ...ring, `-server.grpc-listen-port=${await freePort()}`, '-ingester.lifecycler.ID=ing-1',
    '-ingester.join-after=0s', '-ingester.max-transfer-retries=0', `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`], ingHttp);
  const distributor = await startMyelin('distributor', ['-target=distributor', ...ring, `-server.grpc-listen-port=${await freePort()}`, ...writeFlags], distHttp);
  t.after(async () => {
    await Promise.all([distributor.stop('SIGKILL'), ingester.stop('SIGKILL')]);
    await etcd.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitUntil(async () => {
    const r = await (await fetch(`http://127.0.0.1:${distHttp}/ingester/ring`, { headers: { accept: 'application/json' } })).json() as { instances: { state: string }[] };
    return r.instances.length === 1 && r.instances[0].state === 'ACTIVE';
  }, { what: 'the distributor to see the ingester ACTIVE', timeoutMs: 20_000 });

  const res = await push(distHttp, largeRequest(Date.now()));
  assert.equal(res.status, 200, await res.text());
  assert.equal(await metric(ingHttp, 'myelin_ingester_memory_series'), SERIES);
  assert.equal(await metric(ingHttp, 'myelin_ingester_ingested_samples_total'), SERIES);
});
