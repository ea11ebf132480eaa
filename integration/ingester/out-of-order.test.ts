// The out-of-order window end to end, in the single-process binary: shuffled late samples within
// -ingester.out-of-order-time-window read back exactly through PromQL, across a SIGKILL restart
// (WAL + WBL replay), after a flush cut them into two overlapping blocks (promtool reads them,
// PromQL merges them), and after the
// compactor merged the out-of-order block with the in-order one. Outside the window: 400, too old
// (with remote write 2.0, the -Written headers count what the ingester stored of the push).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SampleDump } from '../../pkg/tsdb/block/block-test-util.js';
import { encodeV2 } from '../../pkg/wire/testing.js';
import { snappyEncode } from '../../pkg/wire/index.js';
import { remoteWriteBody, type TestSeries } from '../e2e/cluster.js';
import { startSingleMyelin, type SingleMyelin } from '../e2e/myelin.js';
import { waitUntil } from '../../pkg/testutil/index.js';
import { PROMTOOL, assertSameDump, parseDump } from '../tsdb/promtool.js';

const run = promisify(execFile);
const H = 3600_000;
const TENANT = 'late';
const FLAGS = [
  '-auth.enabled=true', '-ingester.out-of-order-time-window=2h', '-blocks-storage.tsdb.ship-interval=1s',
  '-compactor.compaction-interval=1s', '-blocks-storage.bucket-store.sync-interval=1s',
];

function push(m: SingleMyelin, series: TestSeries[]): Promise<Response> {
  return fetch(`${m.base}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'X-Scope-OrgID': TENANT },
    body: remoteWriteBody(series),
  });
}

/** Every sample of `ooo_test` in (at - 2h, at], by series label, through PromQL. */
async function queryAll(m: SingleMyelin, at: number): Promise<Map<string, [number, number][]>> {
  const r = await fetch(`${m.base}/prometheus/api/v1/query?query=${encodeURIComponent('ooo_test[2h]')}&time=${at / 1000}`, { headers: { 'X-Scope-OrgID': TENANT } });
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  return new Map(body.data.result.map((s) => [s.metric.series, s.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number])]));
}

/** Deterministic shuffle (a seeded LCG). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

test('out-of-order samples within the window: exact through a SIGKILL, a flush into blocks and the compactor', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-ooo-'));
  let m: SingleMyelin | undefined;
  t.after(async () => {
    await m?.proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  // One 2h range that ended well before the compactor's horizon (now - the ingesters' 2h block range).
  const R = Math.floor(Date.now() / (2 * H)) * 2 * H - 6 * H;
  const SERIES = 3;
  const want = new Map<string, [number, number][]>();
  const late: [number, number, number][] = [];
  const onTime: TestSeries[] = [];
  for (let i = 0; i < SERIES; i++) {
    const samples: [number, number][] = [];
    for (let t = R; t < R + 2 * H; t += 30_000) samples.push([t, t / 1000 + i / 4]);
    want.set(String(i), samples);
    // Every third sample comes late, after the series has gone past it.
    onTime.push({ labels: { __name__: 'ooo_test', series: String(i) }, samples: samples.filter((_, k) => k % 3 !== 1) });
    for (const [t, v] of samples.filter((_, k) => k % 3 === 1)) late.push([i, t, v]);
  }
  m = await startSingleMyelin(dir, FLAGS);
  assert.equal((await push(m, onTime)).status, 200);
  const order = shuffled(late, 11);
  for (let k = 0; k < order.length; k += 25) {
    const series = order.slice(k, k + 25).map(([i, t, v]) => ({ labels: { __name__: 'ooo_test', series: String(i) }, samples: [[t, v]] as [number, number][] }));
    const r = await push(m, series);
    assert.equal(r.status, 200, await r.text());
  }
  const end = R + 2 * H - 1;
  assert.deepEqual(await queryAll(m, end), want);

  // Outside the window (2h behind the newest sample): refused, with the reason counted.
  const tooOld = await push(m, [{ labels: { __name__: 'ooo_test', series: '0' }, samples: [[R - 60_000, 1]] }]);
  assert.equal(tooOld.status, 400);
  assert.match(await tooOld.text(), /too old sample/);
  const metrics = await (await fetch(`${m.base}/metrics`)).text();
  assert.match(metrics, /myelin_discarded_samples_total\{reason="too_old_sample",user="late"\} 1/);
  assert.match(metrics, new RegExp(`myelin_ingester_tsdb_out_of_order_samples_appended_total\\{user="late"\\} ${late.length}`));

  // Remote write 2.0, one sample too old and one new in a push of another tenant: the ingester
  // stores the new one, and the -Written headers say so (the spec's partial write).
  const v2 = (samples: [number, number][]) => fetch(`${m?.base}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '2.0.0', 'X-Scope-OrgID': 'late-v2' },
    body: snappyEncode(encodeV2([{ labels: [{ name: '__name__', value: 'v2_test' }], samples: samples.map(([timestamp, value]) => ({ timestamp, value })), exemplars: [], histograms: [] }])),
  });
  assert.equal((await v2([[R + H, 1]])).status, 204);
  const partial = await v2([[R - 2 * H, 2], [R + H + 1000, 3]]);
  assert.equal(partial.status, 400);
  assert.deepEqual(['samples', 'histograms', 'exemplars'].map((k) => partial.headers.get(`x-prometheus-remote-write-${k}-written`)), ['1', '0', '0']);
  assert.match(await partial.text(), /too old sample.*\(not written: 1 of 2 samples, 0 of 0 histograms, 0 of 0 exemplars\)/);

  // SIGKILL: the WAL brings the in-order samples back, the WBL the out-of-order ones.
  await m.proc.stop('SIGKILL');
  m = await startSingleMyelin(dir, FLAGS, { http: m.http, grpc: m.grpc });
  assert.deepEqual(await queryAll(m, end), want);

  // A flush cuts the in-order head and the out-of-order head into blocks, shipped to the bucket.
  assert.equal((await fetch(`${m.base}/ingester/flush?wait=true`, { method: 'POST' })).status, 204);
  const bucket = join(dir, 'blocks', TENANT);
  const metas = () => readdirSync(bucket).filter((b) => existsSync(join(bucket, b, 'meta.json')))
    .map((b) => JSON.parse(readFileSync(join(bucket, b, 'meta.json'), 'utf8')) as { ulid: string; compaction: { level: number; hints?: string[]; sources: string[] } });
  await waitUntil(() => existsSync(bucket) && metas().some((x) => x.compaction.hints?.includes('from-out-of-order') === true), { what: 'an out-of-order block shipped', timeoutMs: 30_000 });
  const shipped = metas().filter((x) => x.compaction.level === 1);
  assert.equal(shipped.length, 2, JSON.stringify(shipped));
  // Between the flush and the compaction: the ingester's head no longer holds the range, its two
  // overlapping level-1 blocks do (the compactor merges the bucket's copies, never the
  // ingester's), and PromQL merges them sample by sample.
  const local = readdirSync(join(dir, 'tsdb', TENANT)).filter((b) => shipped.some((x) => x.ulid === b));
  assert.equal(local.length, 2, `the ingester serves both blocks: ${local.join(', ')}`);
  assert.deepEqual(await queryAll(m, end), want);

  // promtool reads them: analyze each, and a dump of both (Prometheus merges overlapping blocks).
  const promDir = mkdtempSync(join(dir, 'promtool-'));
  for (const b of shipped) cpSync(join(bucket, b.ulid), join(promDir, b.ulid), { recursive: true });
  mkdirSync(join(promDir, 'wal'));
  for (const b of shipped) assert.match((await run(PROMTOOL, ['tsdb', 'analyze', promDir, b.ulid])).stdout, new RegExp(`Block ID: ${b.ulid}`));
  const dumpWant: SampleDump = new Map([...want].map(([i, s]) => [`{__name__="ooo_test", series="${i}"}`, s]));
  assertSameDump(parseDump((await run(PROMTOOL, ['tsdb', 'dump', promDir], { maxBuffer: 64 << 20 })).stdout), dumpWant);

  // The compactor merges the two overlapping blocks into one (vertical compaction).
  await waitUntil(() => metas().some((x) => x.compaction.level === 2 && shipped.every((s) => x.compaction.sources.includes(s.ulid))), { what: 'the blocks compacted into one', timeoutMs: 60_000 });
  const merged = metas().find((x) => x.compaction.level === 2) as { ulid: string };
  const mergedDir = mkdtempSync(join(dir, 'merged-'));
  cpSync(join(bucket, merged.ulid), join(mergedDir, merged.ulid), { recursive: true });
  mkdirSync(join(mergedDir, 'wal'));
  assertSameDump(parseDump((await run(PROMTOOL, ['tsdb', 'dump', mergedDir], { maxBuffer: 64 << 20 })).stdout), dumpWant);
  // And PromQL reads the same from the store-gateway.
  await waitUntil(async () => JSON.stringify([...(await queryAll(m as SingleMyelin, end))]) === JSON.stringify([...want]), { what: 'the compacted block queried', timeoutMs: 30_000 });
});
