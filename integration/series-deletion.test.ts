// Series deletion on one Myelin process (-target=all, filesystem bucket, the store-gateway asked
// for every range): a delete request hides the samples it covers from the next query, whether they
// come from the ingester's head, its blocks or the store-gateway, and the exemplars in its range;
// it is listed and can be cancelled (the data comes back); it survives a kill and restart; past its
// cancel period the compactor rewrites the shipped blocks, the answers stay the same and promtool
// finds no deleted sample in the blocks left in the bucket; refusals are 400s naming what was
// wrong, counted per tenant and reason. (Replicas, a compaction in between and crashes:
// pkg/compactor/compactor.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilesystemBucket } from '../pkg/bucket/index.js';
import { WriteRequest } from '../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../pkg/wire/index.js';
import type { TestSeries } from './e2e/cluster.js';
import { pushSeries, startSingleMyelin } from './e2e/myelin.js';
import type { SingleMyelin } from './e2e/myelin.js';
import { waitUntil } from '../pkg/testutil/index.js';
import { assertSameDump, dumpBucketBlocks } from './tsdb/promtool.js';

const runtimeConfig = `overrides:
  team:
    series_deletion_enabled: true
`;

/** Raw sample timestamps (ms) of each series of `selector` in the 5 minutes up to `end`, by its `i` label or name. */
async function samples(m: SingleMyelin, selector: string, end: number): Promise<Record<string, number[]>> {
  const qs = new URLSearchParams({ query: `${selector}[5m]`, time: String(end / 1000) });
  const r = await fetch(`${m.base}/prometheus/api/v1/query?${qs}`, { headers: { 'X-Scope-OrgID': 'team' } });
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  const out: Record<string, number[]> = {};
  for (const s of body.data.result) out[s.metric.i ?? s.metric.__name__] = s.values.map(([t]) => Math.round(t * 1000));
  return out;
}

/** Remote-writes an exemplar of a{i} at each of its timestamps (ms). */
async function pushExemplars(m: SingleMyelin, at: Record<string, number[]>): Promise<void> {
  const body = WriteRequest.encode({
    timeseries: Object.entries(at).map(([i, ts]) => ({
      labels: [{ name: '__name__', value: 'a' }, { name: 'i', value: i }], samples: [], histograms: [],
      exemplars: ts.map((timestamp) => ({ labels: [{ name: 'trace_id', value: `${i}-${timestamp}` }], value: 1, timestamp })),
    })),
    metadata: [],
  }).finish();
  const r = await fetch(`${m.base}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'team' },
    body: snappyEncode(Buffer.from(body)),
  });
  assert.equal(r.status, 200, await r.text());
}

/** Exemplar timestamps (ms) of each a{i} in [start, end], by `i`. */
async function exemplars(m: SingleMyelin, start: number, end: number): Promise<Record<string, number[]>> {
  const qs = new URLSearchParams({ query: 'a', start: String(start / 1000), end: String(end / 1000) });
  const r = await fetch(`${m.base}/prometheus/api/v1/query_exemplars?${qs}`, { headers: { 'X-Scope-OrgID': 'team' } });
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as { data: { seriesLabels: Record<string, string>; exemplars: { timestamp: number }[] }[] };
  return Object.fromEntries(body.data.map((s) => [s.seriesLabels.i, s.exemplars.map((e) => Math.round(e.timestamp * 1000))]));
}

const api = (m: SingleMyelin, path: string, params: Record<string, string | string[]>, method = 'POST', tenant = 'team') => {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  return fetch(`${m.base}/prometheus/api/v1/admin/tsdb/${path}?${qs}`, { method, headers: { 'X-Scope-OrgID': tenant } });
};

test('series deletion: hidden from every read path at once, listed, cancellable, kept across a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-series-deletion-'));
  writeFileSync(join(dir, 'runtime.yaml'), runtimeConfig);
  const flags = [`-runtime-config.file=${join(dir, 'runtime.yaml')}`, '-querier.query-store-after=0s', '-blocks-storage.bucket-store.sync-interval=1s',
    '-ingester.max-global-exemplars-per-user=100',
    '-blocks-storage.bucket-store.bucket-index.update-interval=1s', '-compactor.cleanup-interval=1s'];
  let m = await startSingleMyelin(dir, flags);
  t.after(async () => {
    await m.proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  // A sample every 10s over the last 2 minutes, for a{i=1..3} and b; the first half is flushed into
  // blocks (shipped to the bucket), the second half stays in the head.
  const t0 = Math.floor(Date.now() / 10_000) * 10_000 - 120_000;
  const times = Array.from({ length: 12 }, (_, k) => t0 + k * 10_000);
  const seriesAt = (ts: number[]): TestSeries[] => [
    ...[1, 2, 3].map((i) => ({ labels: { __name__: 'a', i: String(i) }, samples: ts.map((x): [number, number] => [x, i]) })),
    { labels: { __name__: 'b' }, samples: ts.map((x): [number, number] => [x, 0]) },
  ];
  await pushSeries(m.base, 'team', seriesAt(times.slice(0, 6)));
  assert.equal((await fetch(`${m.base}/ingester/flush?wait=true`, { method: 'POST' })).status, 204);
  await pushSeries(m.base, 'team', seriesAt(times.slice(6)));
  // Exemplars (only ever in the head) of a{i="1"} inside and after the range deleted below, and of a{i="2"}.
  await pushExemplars(m, { '1': [times[7], times[10]], '2': [times[7]] });
  const end = times[11];
  const before = await samples(m, '{__name__=~"a|b"}', end);
  assert.deepEqual(await exemplars(m, times[6], end), { '1': [times[7], times[10]], '2': [times[7]] });
  assert.deepEqual(Object.keys(before).sort(), ['1', '2', '3', 'b']);
  assert.deepEqual(before['1'], times);

  // Delete a{i="1"} across the flushed part and the head part, and every sample of b.
  const from = times[3];
  const to = times[8];
  assert.equal((await api(m, 'delete_series', { 'match[]': 'a{i="1"}', start: String(from / 1000), end: String(to / 1000) })).status, 204);
  assert.equal((await api(m, 'delete_series', { 'match[]': 'b' })).status, 204);

  await t.test('the next query no longer sees the deleted samples; other series are untouched', async () => {
    const after = await samples(m, '{__name__=~"a|b"}', end);
    assert.deepEqual(Object.keys(after).sort(), ['1', '2', '3'], 'b is gone');
    // Both ends of the range are deleted; samples on either side, flushed or in the head, stay.
    assert.deepEqual(after['1'], times.filter((x) => x < from || x > to));
    assert.deepEqual(after['2'], before['2']);
    const series = await (await fetch(`${m.base}/prometheus/api/v1/series?match[]=b`, { headers: { 'X-Scope-OrgID': 'team' } })).json() as { data: unknown[] };
    assert.deepEqual(series.data, []);
  });

  await t.test('the exemplars of the deleted range are hidden as their samples are', async () => {
    assert.deepEqual(await exemplars(m, times[6], end), { '1': [times[10]], '2': [times[7]] });
  });

  await t.test('the requests are listed in Cortex\'s shape', async () => {
    const list = (await (await api(m, 'delete_series', {}, 'GET')).json()) as Record<string, unknown>[];
    assert.equal(list.length, 2);
    const a = list.find((r) => (r.selectors as string[])[0] === 'a{i="1"}');
    assert.deepEqual({ ...a, request_id: undefined, request_created_at: undefined, state_created_at: undefined },
      { request_id: undefined, start_time: from, end_time: to, selectors: ['a{i="1"}'], user_id: 'team', request_created_at: undefined, state_created_at: undefined, state: 'pending' });
  });

  await t.test('refusals: 400 naming what was wrong, counted', async () => {
    const future = String(Date.now() / 1000 + 3600);
    const cases: [string, Promise<Response>, RegExp][] = [
      ['disabled tenant', api(m, 'delete_series', { 'match[]': 'a' }, 'POST', 'other'), /series deletion is disabled for the tenant: other/],
      ['no match[]', api(m, 'delete_series', {}), /selectors not set/],
      ['bad selector', api(m, 'delete_series', { 'match[]': 'a{' }), /invalid match\[\] "a\{"/],
      ['bad time', api(m, 'delete_series', { 'match[]': 'a', start: 'yesterday' }), /invalid start "yesterday"/],
      ['end in the future', api(m, 'delete_series', { 'match[]': 'a', end: future }), /deletes in future not allowed/],
      ['start after end', api(m, 'delete_series', { 'match[]': 'a', start: String(to / 1000), end: String(from / 1000) }), /start time cannot be after end time/],
      ['duplicate', api(m, 'delete_series', { 'match[]': 'a{i="1"}', start: String(from / 1000), end: String(to / 1000) }), /same information already exists/],
      ['unknown request', api(m, 'cancel_delete_request', { request_id: 'nope' }, 'PUT'), /could not find delete request/],
    ];
    for (const [name, res, want] of cases) {
      const r = await res;
      assert.equal(r.status, 400, name);
      assert.match(await r.text(), want, name);
    }
    const metrics = await (await fetch(`${m.base}/metrics`)).text();
    assert.match(metrics, /myelin_purger_delete_requests_rejected_total\{reason="disabled",user="other"\} 1/);
    assert.match(metrics, /myelin_purger_delete_requests_rejected_total\{reason="bad_time",user="team"\} 3/);
    assert.match(metrics, /myelin_purger_delete_requests_received_total\{user="team"\} 2/);
  });

  await t.test('a kill and restart keeps the deletion', async () => {
    await m.proc.stop('SIGKILL');
    m = await startSingleMyelin(dir, flags);
    // The store-gateway loads the flushed blocks shortly after the start; until then the querier refuses to answer without them.
    await waitUntil(async () => (await fetch(`${m.base}/prometheus/api/v1/query?query=b`, { headers: { 'X-Scope-OrgID': 'team' } })).status === 200,
      { what: 'the store-gateway serving the blocks again', timeoutMs: 20_000 });
    const after = await samples(m, '{__name__=~"a|b"}', end);
    assert.deepEqual(Object.keys(after).sort(), ['1', '2', '3']);
    assert.deepEqual(after['1'], times.filter((x) => x < from || x > to));
  });

  await t.test('cancelling a request brings its data back; a cancelled one cannot be cancelled again', async () => {
    const list = (await (await api(m, 'delete_series', {}, 'GET')).json()) as { request_id: string; selectors: string[] }[];
    const b = list.find((r) => r.selectors[0] === 'b');
    assert.ok(b !== undefined);
    assert.equal((await api(m, 'cancel_delete_request', { request_id: b.request_id }, 'PUT')).status, 204);
    assert.deepEqual((await samples(m, 'b', end)).b, before.b);
    const again = await api(m, 'cancel_delete_request', { request_id: b.request_id }, 'PUT');
    assert.equal(again.status, 400);
    assert.match(await again.text(), /already been previously deleted/);
  });
  await t.test('past its cancel period the compactor rewrites the shipped blocks and marks the request processed; answers stay the same', async () => {
    await m.proc.stop('SIGKILL');
    const bucket = new FilesystemBucket(join(dir, 'blocks'));
    const { blocks: original } = await dumpBucketBlocks(bucket, 'team', dir);
    assert.ok(original.length > 0);
    // The cleaner deletes the rewritten originals 2s after marking them, so the bucket is checked below.
    m = await startSingleMyelin(dir, [...flags, '-purger.delete-request-cancel-period=1s', '-compactor.compaction-interval=1s',
      '-compactor.deletion-delay=2s', '-blocks-storage.bucket-store.ignore-deletion-marks-delay=1s']);
    const state = async () => ((await (await api(m, 'delete_series', {}, 'GET')).json()) as { selectors: string[]; state: string }[])
      .find((r) => r.selectors[0] === 'a{i="1"}')?.state;
    await waitUntil(async () => (await state()) === 'processed', { what: 'the request processed by the compactor', timeoutMs: 30_000 });
    await waitUntil(async () => (await fetch(`${m.base}/prometheus/api/v1/query?query=b`, { headers: { 'X-Scope-OrgID': 'team' } })).status === 200,
      { what: 'the store-gateway serving the rewritten blocks', timeoutMs: 20_000 });
    const after = await samples(m, '{__name__=~"a|b"}', end);
    assert.deepEqual(after['1'], times.filter((x) => x < from || x > to));
    assert.deepEqual(after['2'], before['2']);
    assert.match(await (await fetch(`${m.base}/metrics`)).text(), /myelin_compactor_blocks_marked_for_deletion_total\{reason="series-deletion"\} [1-9]/);

    // The data is gone from the bucket itself: once the originals are deleted, Prometheus' own
    // promtool reads every block left and finds exactly the flushed samples minus the deleted ones
    // (b's request was cancelled, so b is whole).
    let left: { blocks: string[]; dump: Map<string, [number, number][]> } = { blocks: original, dump: new Map() };
    await waitUntil(async () => (left = await dumpBucketBlocks(bucket, 'team', dir)).blocks.every((b) => !original.includes(b)),
      { what: 'the rewritten blocks\' originals deleted from the bucket', timeoutMs: 30_000 });
    assert.ok(left.blocks.length > 0, 'the rewritten blocks are in the bucket');
    const flushed = times.slice(0, 6);
    const want = new Map<string, [number, number][]>([
      ['{__name__="a", i="1"}', flushed.filter((x) => x < from || x > to).map((x) => [x, 1])],
      ['{__name__="a", i="2"}', flushed.map((x) => [x, 2])],
      ['{__name__="a", i="3"}', flushed.map((x) => [x, 3])],
      ['{__name__="b"}', flushed.map((x) => [x, 0])],
    ]);
    assertSameDump(left.dump, want);
    const cancel = await api(m, 'cancel_delete_request', { request_id: (await (await api(m, 'delete_series', {}, 'GET')).json() as { request_id: string; selectors: string[] }[])
      .find((r) => r.selectors[0] === 'a{i="1"}')?.request_id ?? '' }, 'PUT');
    assert.equal(cancel.status, 400);
    assert.match(await cancel.text(), /already processed is not allowed/);
  });
});
