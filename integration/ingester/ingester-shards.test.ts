// Ingester shard workers in the real binary: `myelin` with configs/single-process.yaml and
// -ingester.shards=2 runs two ingesters of the ring in worker threads. Remote-written series are
// spread over both and all queryable, /ingester/flush cuts blocks in both, and every acknowledged
// sample comes back after a SIGTERM restart and after a SIGKILL restart (both shards' WALs replayed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../../pkg/wire/index.js';
import type { TestProcess} from '../../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../../pkg/testutil/index.js';

const config = fileURLToPath(new URL('../../../configs/single-process.yaml', import.meta.url));
const seriesCount = 2000;

interface RingPage {
  instances: { id: string; state: string; address: string }[];
}

async function startMyelin(dir: string, http: number, grpc: number): Promise<TestProcess> {
  const p = startMyelinBinary([`-config.file=${config}`, '-ingester.shards=2',
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`,
    '-ingester.lifecycler.ID=sharded', '-runtime-config.file=',
    // Restarts must find the samples in the WALs, not in blocks cut at shutdown.
    '-blocks-storage.tsdb.flush-blocks-on-shutdown=false']);
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${http}/ready`)).status === 200, { what: `myelin ready\n${p.output}`, timeoutMs: 60_000, intervalMs: 100 });
  return p;
}

async function ring(http: number): Promise<RingPage> {
  const r = await fetch(`http://127.0.0.1:${http}/ingester/ring`, { headers: { accept: 'application/json' } });
  return (await r.json()) as RingPage;
}

/** One sample at `t` for every series; resolves with the HTTP status. */
async function writeRound(http: number, t: number, value: number): Promise<number> {
  const timeseries = Array.from({ length: seriesCount }, (_, i) => ({
    labels: [{ name: '__name__', value: 'shard_test' }, { name: 'series', value: String(i) }],
    samples: [{ timestamp: t, value }],
    exemplars: [],
    histograms: [],
  }));
  const res = await fetch(`http://127.0.0.1:${http}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
    body: snappyEncode(Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish())),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Per series, how many samples the process answers with between `from` and `to`. */
async function samplesPerSeries(http: number, from: number, to: number): Promise<Map<string, number>> {
  const range = `${Math.ceil((to - from) / 1000) + 1}s`;
  const q = `count_over_time(shard_test[${range}])`;
  const r = await fetch(`http://127.0.0.1:${http}/prometheus/api/v1/query?query=${encodeURIComponent(q)}&time=${to / 1000}`);
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as { data: { result: { metric: { series: string }; value: [number, string] }[] } };
  return new Map(body.data.result.map((s) => [s.metric.series, Number(s.value[1])]));
}

function assertAllBack(got: Map<string, number>, acked: number, when: string): void {
  assert.equal(got.size, seriesCount, `${when}: series found`);
  for (const [series, n] of got) assert.equal(n, acked, `${when}: samples of series ${series}`);
}

test('two ingester shards: ring, spread, flush, and every acknowledged sample back after SIGTERM and SIGKILL restarts', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-shards-'));
  let p: TestProcess | undefined;
  t.after(async () => {
    await p?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const [http, grpc] = [await freePort(), await freePort()];
  p = await startMyelin(dir, http, grpc);

  const members = (await ring(http)).instances;
  assert.deepEqual(members.map((i) => [i.id, i.state]).sort(), [['sharded-shard-0', 'ACTIVE'], ['sharded-shard-1', 'ACTIVE']]);
  assert.equal(new Set(members.map((i) => i.address)).size, 2, 'each shard has its own gRPC address');
  assert.ok(members.every((i) => i.address !== `127.0.0.1:${grpc}`), 'no shard is on the main thread\'s port');

  const start = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  let acked = 0;
  const round = async () => {
    assert.equal(await writeRound(http, start + acked * 1000, acked), 200);
    acked++;
  };
  for (let i = 0; i < 3; i++) await round();
  const until = () => start + acked * 1000;
  assertAllBack(await samplesPerSeries(http, start, until()), acked, 'after writing');
  for (const k of [0, 1]) assert.ok(existsSync(join(dir, 'tsdb', `shard-${k}`, 'anonymous', 'wal')), `shard ${k} holds series`);
  const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  assert.match(metrics, new RegExp(`^myelin_ingester_memory_series ${seriesCount}$`, 'm'), 'the shards\' series add up in /metrics');

  // Flush: both shards cut their heads into blocks and ship them.
  const flushed = await fetch(`http://127.0.0.1:${http}/ingester/flush?wait=true`, { method: 'POST' });
  assert.equal(flushed.status, 204);
  for (const k of [0, 1]) {
    const blocks = readdirSync(join(dir, 'tsdb', `shard-${k}`, 'anonymous')).filter((f) => /^[0-9A-Z]{26}$/.test(f));
    assert.ok(blocks.length >= 1, `shard ${k} cut a block`);
  }
  assert.ok(readdirSync(join(dir, 'blocks', 'anonymous')).length >= 2, 'blocks of both shards shipped');
  for (let i = 0; i < 2; i++) await round();
  assertAllBack(await samplesPerSeries(http, start, until()), acked, 'after flush and more writes');

  // SIGTERM: both shards leave cleanly; a restart on the same directory replays both WALs.
  await p.stop('SIGTERM');
  assert.equal(p.child.exitCode, 0, p.output);
  p = await startMyelin(dir, http, grpc);
  assertAllBack(await samplesPerSeries(http, start, until()), acked, 'after SIGTERM restart');

  // SIGKILL after acknowledged writes: the same.
  for (let i = 0; i < 2; i++) await round();
  await p.stop('SIGKILL');
  p = await startMyelin(dir, http, grpc);
  assertAllBack(await samplesPerSeries(http, start, until()), acked, 'after SIGKILL restart');
  assert.deepEqual((await ring(http)).instances.map((i) => i.id).sort(), ['sharded-shard-0', 'sharded-shard-1'], 'the same two ring members');
});
