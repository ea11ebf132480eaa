// Block upload end to end with real components: a real Prometheus 2.42 serves blocks that
// `promtool tsdb create-blocks-from openmetrics` made (run with equal min and max block durations,
// so it leaves them as they are); `myelin backfill` and `myelin sidecar` (the compiled binary)
// upload them to a single-process Myelin; Myelin's query API then answers as Prometheus does. A
// second Prometheus takes remote-written samples and cuts a block of its own head while the
// sidecar watches it.
// The upload API's refusals are checked over HTTP on the same Myelin.
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { S3TestServer } from '../pkg/bucket/s3/testing/s3-test-server.js';
import { isUlid } from '../pkg/tsdb/block/index.js';
import { remoteWriteBody } from './e2e/cluster.js';
import { startSingleMyelin, type SingleMyelin } from './e2e/myelin.js';
import { freePort, TestProcess, waitUntil } from '../pkg/testutil/index.js';
import { assertSameResult, type Json } from './promql/compare-results.js';
import { generate } from './promql/dataset.js';
import { PrometheusServer } from './promql/prometheus-server.js';

const binary = fileURLToPath(new URL('../cmd/myelin/main.js', import.meta.url));
const HOUR = 3_600_000;
const now = Date.now();
// 5h of data ending at least an hour ago: three or four 2h blocks, all in the past.
const start = Math.floor((now - 7 * HOUR) / (2 * HOUR)) * 2 * HOUR;
const span = 5 * HOUR;
const series = generate({ series: 12, start, span, scrapeInterval: 15_000, seed: 20 });

let dir: string;
let prom: PrometheusServer;
let myelin: SingleMyelin;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'myelin-backfill-'));
  await writeFile(join(dir, 'runtime.yaml'), 'overrides:\n  no-uploads:\n    compactor_block_upload_enabled: false\n  small:\n    compactor_block_upload_max_block_size_bytes: 1000\n');
  [prom, myelin] = await Promise.all([
    PrometheusServer.start(series, ['--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h']),
    startSingleMyelin(dir, [
      '-compactor.block-upload-enabled=true', `-runtime-config.file=${join(dir, 'runtime.yaml')}`, `-compactor.data-dir=${dir}/compactor`,
      `-blocks-storage.bucket-store.sync-dir=${dir}/sync`, '-blocks-storage.bucket-store.sync-interval=1s',
      '-blocks-storage.bucket-store.bucket-index.update-interval=1s', '-store-gateway.sharding-ring.replication-factor=1',
      '-querier.query-ingesters-within=0', '-querier.query-store-after=0',
    ]),
  ]);
});

after(async () => {
  await Promise.all([prom?.stop(), myelin?.proc.stop()]);
  await rm(dir, { recursive: true, force: true });
});

async function promBlocksIn(dataDir: string): Promise<string[]> {
  return (await readdir(dataDir)).filter(isUlid).sort();
}

const promBlocks = () => promBlocksIn(prom.dataDir);

/** Runs the binary with `args`; resolves with its exit code and output. */
async function runMyelin(args: string[]): Promise<{ code: number | null; output: string }> {
  const p = new TestProcess('myelin-cli', process.execPath, [binary, ...args]);
  const code = await Promise.race([p.exited(), new Promise<null>((r) => setTimeout(() => r(null), 120_000).unref())]);
  if (p.running) await p.stop('SIGKILL');
  return { code, output: p.output };
}

type Check = { path: string; params: Record<string, string> & { query: string } };

/**
 * Every raw sample in [from, to] (a range selector ending at `to`), then range queries over it.
 * Over windows that hold a series' first sample, Prometheus 2.42 extrapolates rate() further back
 * than 2.51+ and Myelin do (docs/promql.md, "rate() at the start of a series"), so the rate()
 * queries start once their windows (10m at most) no longer reach the series' start.
 */
function checksOver(from: number, to: number): Check[] {
  const range = { start: String(from / 1000), end: String(to / 1000), step: '60' };
  const rateRange = { ...range, start: String((from + 10 * 60_000) / 1000) };
  return [
    { path: 'query', params: { query: `{__name__=~"http_.+"}[${Math.ceil((to - from) / 1000) + 1}s]`, time: String(to / 1000) } },
    { path: 'query_range', params: { query: 'http_requests_total', ...range } },
    { path: 'query_range', params: { query: 'sum by (job) (rate(http_requests_total[5m]))', ...rateRange } },
    { path: 'query_range', params: { query: 'sum by (le) (rate(http_request_duration_seconds_bucket[10m]))', ...rateRange } },
  ];
}

/** Waits until Myelin (at `base`) answers every check for `tenant` as Prometheus (`source`) does. */
async function assertAnswersLikePrometheus(tenant: string, base = myelin.base, checks = checksOver(start, start + span), source = prom): Promise<void> {
  for (const { path, params } of checks) {
    const qs = new URLSearchParams(params);
    const theirs = (await (await fetch(`${source.url}/api/v1/${path}?${qs}`)).json()) as Json;
    assert.ok(((theirs.data as { result: unknown[] }).result).length > 0, `${params.query}: Prometheus has data`);
    await waitUntil(async () => {
      const mine = (await (await fetch(`${base}/prometheus/api/v1/${path}?${qs}`, { headers: { 'X-Scope-OrgID': tenant } })).json()) as Json;
      assertSameResult(params.query, mine, theirs);
      return true;
    }, { timeoutMs: 60_000, intervalMs: 500, what: `${tenant}: ${params.query} answered as Prometheus` }).catch((err: Error) => {
      throw new Error(`${err.message}: ${String((err.cause as Error | undefined)?.message)}`);
    });
  }
}

test('myelin backfill uploads a Prometheus data directory; queries answer as Prometheus; a second run finds every block present', async () => {
  const blocks = await promBlocks();
  assert.ok(blocks.length >= 3, `promtool made ${blocks.length} blocks`);
  const first = await runMyelin(['backfill', '--tenant', 'backfilled', '--address', myelin.base, prom.dataDir]);
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, new RegExp(`summary: ${blocks.length} uploaded \\(\\d+ bytes\\), 0 already present, 0 refused or failed`));
  assert.match(first.output, /\[1\/\d+\] .*: sent index \(\d+ bytes\)/);
  await assertAnswersLikePrometheus('backfilled');
  const again = await runMyelin(['backfill', '--tenant', 'backfilled', '--address', myelin.base, prom.dataDir]);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, new RegExp(`summary: 0 uploaded \\(0 bytes\\), ${blocks.length} already present, 0 refused or failed`));
});

test('on the S3 backend (a local S3-compatible server, not AWS), uploaded blocks reach the store-gateway through the bucket index', async () => {
  const s3 = new S3TestServer();
  await s3.start();
  let onS3: SingleMyelin | undefined;
  try {
    await s3.createBucket('blocks');
    const s3dir = join(dir, 's3');
    onS3 = await startSingleMyelin(s3dir, [
      '-blocks-storage.backend=s3', '-blocks-storage.s3.bucket-name=blocks', `-blocks-storage.s3.endpoint=${s3.endpoint}`,
      '-blocks-storage.s3.insecure=true', '-blocks-storage.s3.access-key-id=test', '-blocks-storage.s3.secret-access-key=test',
      '-compactor.block-upload-enabled=true', `-compactor.data-dir=${s3dir}/compactor`,
      `-blocks-storage.bucket-store.sync-dir=${s3dir}/sync`, '-blocks-storage.bucket-store.sync-interval=1s',
      '-blocks-storage.bucket-store.bucket-index.update-interval=1s', '-store-gateway.sharding-ring.replication-factor=1',
      '-querier.query-ingesters-within=0', '-querier.query-store-after=0',
    ]);
    const res = await runMyelin(['backfill', '--tenant', 'on-s3', '--address', onS3.base, prom.dataDir]);
    assert.equal(res.code, 0, res.output);
    await assertAnswersLikePrometheus('on-s3', onS3.base);
  } finally {
    await onS3?.proc.stop();
    await s3.stop();
  }
});

test('myelin backfill refuses broken blocks with the reason and uploads the others', async () => {
  const [good, broken, lying] = (await promBlocks()).slice(0, 3);
  const work = join(dir, 'broken');
  await mkdir(work, { recursive: true });
  for (const b of [good, broken, lying]) await cp(join(prom.dataDir, b), join(work, b), { recursive: true });
  await truncate(join(work, broken, 'chunks', '000001'), 100);
  const metaPath = join(work, lying, 'meta.json');
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { stats: { numSeries: number } };
  meta.stats.numSeries += 1;
  await writeFile(metaPath, JSON.stringify(meta));
  const res = await runMyelin(['backfill', '--tenant', 'partly', '--address', myelin.base, work, join(dir, 'no-such-dir')]);
  assert.equal(res.code, 1, res.output);
  assert.match(res.output, /summary: 1 uploaded \(\d+ bytes\), 0 already present, 3 refused or failed/);
  assert.match(res.output, new RegExp(`${broken}: refused: invalid block ${broken}: `));
  assert.match(res.output, new RegExp(`${lying}: refused: invalid block ${lying}: holds \\d+ series, .*meta.json says`));
  assert.match(res.output, /no-such-dir: cannot read the directory/);
});

test('myelin sidecar ships each block once, survives a restart without uploading again, and exposes its metrics', async () => {
  const shipDir = join(dir, 'prom-copy');
  const blocks = await promBlocks();
  // The sidecar watches a data directory in which blocks appear one at a time, as Prometheus cuts them.
  await mkdir(shipDir, { recursive: true });
  await cp(join(prom.dataDir, blocks[0]), join(shipDir, blocks[0]), { recursive: true });
  const port = await freePort();
  const sidecar = (args: string[] = []) => new TestProcess('sidecar', process.execPath, [binary, 'sidecar', '--tenant', 'shipped', '--address', myelin.base,
    '--tsdb.path', shipDir, '--interval', '1s', '--http-address', `127.0.0.1:${port}`, '--prometheus.url', prom.url, ...args]);
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]);
  };
  let p = sidecar();
  try {
    await waitUntil(async () => (await metric('myelin_sidecar_shipper_uploads_total')) === 1, { timeoutMs: 60_000, intervalMs: 200, what: 'first block shipped' });
    for (const b of blocks.slice(1)) await cp(join(prom.dataDir, b), join(shipDir, b), { recursive: true });
    await waitUntil(async () => (await metric('myelin_sidecar_shipper_uploads_total')) === blocks.length, { timeoutMs: 60_000, intervalMs: 200, what: 'every block shipped' });
    // The state file is written after each upload is counted.
    const readState = async () => JSON.parse(await readFile(join(shipDir, 'myelin.shipper.json'), 'utf8')) as { version: number; uploaded: string[] };
    await waitUntil(async () => (await readState()).uploaded.length === blocks.length, { timeoutMs: 10_000, intervalMs: 100, what: 'every block in the state file' });
    assert.deepEqual(await readState(), { version: 1, uploaded: blocks });
    await p.stop();
    p = sidecar();
    const syncs = async () => (await metric('myelin_sidecar_shipper_dir_syncs_total')) ?? 0;
    await waitUntil(async () => (await syncs()) >= 3, { timeoutMs: 30_000, intervalMs: 200, what: 'three passes after the restart' });
    assert.equal(await metric('myelin_sidecar_shipper_uploads_total'), 0, 'nothing uploaded again after the restart');
    assert.equal(await metric('myelin_sidecar_shipper_dir_sync_failures_total'), 0);
  } finally {
    await p.stop();
  }
  await assertAnswersLikePrometheus('shipped');
});

test('myelin sidecar ships the block a live Prometheus cuts from remote-written samples; Myelin answers over it as Prometheus', async () => {
  // 3.5h of samples from a 2h boundary, remote-written in time order (Prometheus' head refuses a
  // sample more than 1h behind its newest). Past 1.5 block ranges, the commit that crossed it
  // makes Prometheus compact its oldest 2h of head into a block at once.
  const from = Math.floor((Date.now() - 8 * HOUR) / (2 * HOUR)) * 2 * HOUR;
  const live = generate({ series: 12, start: from, span: 3.5 * HOUR, scrapeInterval: 15_000, seed: 42 });
  const receiver = await PrometheusServer.startReceiver(['--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h']);
  const port = await freePort();
  const sidecar = new TestProcess('sidecar', process.execPath, [binary, 'sidecar', '--tenant', 'live', '--address', myelin.base,
    '--tsdb.path', receiver.dataDir, '--interval', '1s', '--http-address', `127.0.0.1:${port}`, '--prometheus.url', receiver.url]);
  try {
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined))?.ok === true, { what: 'the sidecar serving its metrics' });
    assert.deepEqual(await promBlocksIn(receiver.dataDir), [], 'no block before the writes');
    const step = 10 * 60_000;
    for (let t = from; t < from + 3.5 * HOUR; t += step) {
      const batch = live.map((s) => ({ labels: s.labels.toRecord(), samples: [...s.ts.keys()].filter((k) => s.ts[k] >= t && s.ts[k] < t + step).map((k): [number, number] => [s.ts[k], s.vs[k]]) }));
      const r = await fetch(`${receiver.url}/api/v1/write`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
        body: remoteWriteBody(batch),
      });
      assert.equal(r.status, 204, `remote write of [${new Date(t).toISOString()}, +10m): ${await r.text()}`);
    }
    let cut: string[] = [];
    await waitUntil(async () => (cut = await promBlocksIn(receiver.dataDir)).length > 0, { timeoutMs: 60_000, intervalMs: 200, what: 'Prometheus cutting a block of its head' });
    const meta = JSON.parse(await readFile(join(receiver.dataDir, cut[0], 'meta.json'), 'utf8')) as { minTime: number; maxTime: number; compaction: { level: number } };
    const first = Math.min(...live.map((s) => s.ts[0]));
    assert.deepEqual([cut.length, meta.minTime, meta.maxTime, meta.compaction.level], [1, first, from + 2 * HOUR, 1], 'the first 2h of the head, uncompacted');
    await waitUntil(async () => JSON.parse(await readFile(join(receiver.dataDir, 'myelin.shipper.json'), 'utf8').catch(() => '{"uploaded":[]}')).uploaded.includes(cut[0]) === true,
      { timeoutMs: 60_000, intervalMs: 200, what: `the sidecar shipping ${cut[0]}` });
    // Prometheus answers over the block's range from the block alone (its head starts where the block ends).
    await assertAnswersLikePrometheus('live', myelin.base, checksOver(from, from + 2 * HOUR - 1), receiver);
  } finally {
    await sidecar.stop();
    await receiver.stop();
  }
});

test('myelin sidecar refuses a Prometheus whose min and max block durations differ', async () => {
  const other = await PrometheusServer.start(series.slice(0, 1));
  try {
    const res = await runMyelin(['sidecar', '--tenant', 't', '--address', myelin.base, '--tsdb.path', other.dataDir, '--prometheus.url', other.url, '--http-address', `127.0.0.1:${await freePort()}`]);
    assert.equal(res.code, 1, res.output);
    assert.match(res.output, /--storage.tsdb.min-block-duration=2h and --storage.tsdb.max-block-duration=\S+: they must be equal/);
  } finally {
    await other.stop();
  }
});

test('the block upload API refuses bad requests with a 4xx naming the problem, and counts them', async () => {
  const [block] = await promBlocks();
  const meta = JSON.parse(await readFile(join(prom.dataDir, block, 'meta.json'), 'utf8')) as Record<string, unknown>;
  const withFiles = { ...meta, thanos: { labels: {}, downsample: { resolution: 0 }, source: '', files: [{ rel_path: 'index', size_bytes: 10 }, { rel_path: 'chunks/000001', size_bytes: 20 }] } };
  const call = async (tenant: string, method: string, path: string, body?: string) => {
    const r = await fetch(`${myelin.base}/api/v1/upload/block/${path}`, { method, headers: { 'X-Scope-OrgID': tenant, 'Content-Type': 'application/json' }, body });
    return { status: r.status, text: await r.text() };
  };
  const expect = async (p: Promise<{ status: number; text: string }>, status: number, text: RegExp) => {
    const r = await p;
    assert.equal(r.status, status, r.text);
    assert.match(r.text, text);
  };
  await expect(call('no-uploads', 'POST', `${block}/start`, JSON.stringify(withFiles)), 400, /block upload is disabled for tenant no-uploads/);
  await expect(call('api', 'POST', 'not-a-ulid/start', JSON.stringify(withFiles)), 400, /invalid block ID "not-a-ulid"/);
  await expect(call('api', 'POST', `${block}/start`, '{nope'), 400, /meta.json is not valid JSON/);
  await expect(call('api', 'POST', `${block}/start`, JSON.stringify(meta)), 400, /meta.json has no thanos.files list/);
  await expect(call('api', 'POST', `${block}/start`, JSON.stringify({ ...withFiles, ulid: '01ARZ3NDEKTSV4RRFFQ69G5FAV' })), 400, /does not match block ID/);
  await expect(call('api', 'POST', `${block}/start`, JSON.stringify({ ...withFiles, maxTime: now + HOUR })), 400, /is in the future/);
  await expect(call('api', 'POST', `${block}/start`, JSON.stringify({ ...withFiles, minTime: (meta.maxTime as number) - 30 * 24 * HOUR })), 400, /more than the largest compaction range/);
  await expect(call('api', 'POST', `${block}/start`, JSON.stringify({ ...withFiles, thanos: { ...withFiles.thanos, labels: { replica: 'a' } } })), 400, /unsupported external label replica/);
  await expect(call('api', 'POST', `${block}/start`, JSON.stringify({ ...withFiles, thanos: { ...withFiles.thanos, labels: { __org_id__: 'other' } } })), 400, /__org_id__=other is not the tenant api/);
  await expect(call('small', 'POST', `${block}/start`, JSON.stringify(withFiles)), 200, /^$/);
  await expect(call('small', 'POST', `${block}/start`, JSON.stringify({ ...withFiles, thanos: { ...withFiles.thanos, files: [{ rel_path: 'index', size_bytes: 5000 }] } })), 400, /exceeds the tenant's limit of 1000 bytes/);
  await expect(call('api', 'POST', `${block}/files?path=index`, 'x'), 404, /no upload of block .* was started/);
  await expect(call('api', 'POST', `${block}/finish`), 404, /no upload of block .* was started/);
  await expect(call('api', 'GET', `${block}/check`), 404, /not found/);
  // A started upload: bad paths and sizes, finishing before every file is there.
  await expect(call('api', 'POST', `${block}/start`, JSON.stringify(withFiles)), 200, /^$/);
  await expect(call('api', 'GET', `${block}/check`), 200, /^\{"result":"uploading"\}$/);
  await expect(call('api', 'POST', `${block}/files?path=../meta.json`, 'x'), 400, /invalid file path "..\/meta.json"/);
  await expect(call('api', 'POST', `${block}/files?path=chunks/000002`, 'x'), 400, /file chunks\/000002 is not listed/);
  await expect(call('api', 'POST', `${block}/files?path=index`, 'x'.repeat(11)), 400, /file index is larger than the 10 bytes/);
  await expect(call('api', 'POST', `${block}/files?path=index`, 'x'.repeat(9)), 400, /file index has 9 bytes, meta.json declares 10/);
  await expect(call('api', 'POST', `${block}/files?path=index`, 'x'.repeat(10)), 200, /^$/);
  await expect(call('api', 'POST', `${block}/finish`), 400, /file chunks\/000001 of block .* was not uploaded/);
  // All files there but not a block: validation fails, and check says why.
  await expect(call('api', 'POST', `${block}/files?path=chunks/000001`, 'y'.repeat(20)), 200, /^$/);
  await expect(call('api', 'POST', `${block}/finish`), 200, /^$/);
  await waitUntil(async () => {
    const r = await call('api', 'GET', `${block}/check`);
    const state = JSON.parse(r.text) as { result: string; error?: string };
    assert.equal(state.result, 'failed', r.text);
    assert.match(state.error ?? '', /invalid block .*cannot open/);
    return true;
  }, { timeoutMs: 30_000, intervalMs: 200, what: 'validation failed' });
  const metrics = await (await fetch(`${myelin.base}/metrics`)).text();
  assert.match(metrics, /myelin_block_upload_rejections_total\{reason="disabled",user="no-uploads"\} 1/);
  assert.match(metrics, /myelin_block_upload_rejections_total\{reason="invalid_block",user="api"\} 1/);
  // The failed block never became visible: no query of tenant api finds anything.
  const q = await (await fetch(`${myelin.base}/prometheus/api/v1/query?query=http_requests_total&time=${(start + HOUR) / 1000}`, { headers: { 'X-Scope-OrgID': 'api' } })).json() as { data: { result: unknown[] } };
  assert.deepEqual(q.data.result, []);
});

test('myelin backfill and sidecar refuse bad arguments with exit status 2 and the usage', async () => {
  for (const [args, msg] of [
    [['backfill', '--address', 'http://127.0.0.1:1', dir], /--tenant is required/],
    [['backfill', '--tenant', 't', '--address', 'http://127.0.0.1:1'], /no DIR given/],
    [['backfill', '--tenant', 't', '--address', 'http://127.0.0.1:1', '--validation-timeout', 'soon', dir], /--validation-timeout: invalid duration soon/],
    [['backfill', '--tenant', 't', '--bogus', dir], /Unknown option '--bogus'/],
    [['sidecar', '--tenant', 't', '--address', 'http://127.0.0.1:1'], /--tsdb.path is required/],
    [['sidecar', '--tenant', 't', '--address', 'http://127.0.0.1:1', '--tsdb.path', dir, '--interval', '0s'], /--interval: invalid duration 0s/],
    [['sidecar', '--tenant', 't', '--address', 'http://127.0.0.1:1', '--tsdb.path', dir, '--http-address', 'nowhere'], /--http-address: expected host:port/],
  ] as const) {
    const res = await runMyelin([...args]);
    assert.equal(res.code, 2, res.output);
    assert.match(res.output, msg);
    assert.match(res.output, /usage: myelin (backfill|sidecar)/);
  }
});
