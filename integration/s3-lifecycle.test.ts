// The data lifecycle on S3, in one Myelin process (-target=all, -blocks-storage.backend=s3) on the
// local S3 test server (fauxqs: an S3 emulator, not AWS), its keys from the AWS environment
// variables: the ingester ships blocks, the compactor merges two overlapping ones and marks them
// for deletion, the cleaner removes them; a series delete request hides its samples at once and,
// past its cancel period, the compactor rewrites the block so that the bucket no longer holds them
// (read back with promtool); a tenant deletion empties the bucket and the ingester of that tenant
// and of no other.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { S3Bucket, tenantBucket } from '../pkg/bucket/index.js';
import { S3TestServer } from '../pkg/bucket/s3/testing/s3-test-server.js';
import type { SampleDump } from '../pkg/tsdb/block/block-test-util.js';
import type { TestSeries } from './e2e/cluster.js';
import { pushSeries, startSingleMyelin, type SingleMyelin } from './e2e/myelin.js';
import { waitUntil } from '../pkg/testutil/index.js';
import { assertSameDump, dumpBucketBlocks } from './tsdb/promtool.js';

const H = 3600_000;
const STEP = 60_000;

/** Object names under `prefix` in the tenant's part of the bucket. */
async function objects(bucket: S3Bucket, tenant: string, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  await tenantBucket(bucket, tenant).iter(prefix, (n) => void names.push(n), { recursive: true });
  return names;
}

async function metric(m: SingleMyelin, re: RegExp): Promise<number> {
  return Number(re.exec(await (await fetch(`${m.base}/metrics`)).text())?.[1] ?? 0);
}

/** Raw samples of `selector` in the 2h range ending at `end`, by series (labels as promtool prints them). */
async function query(m: SingleMyelin, tenant: string, selector: string, end: number): Promise<SampleDump> {
  const qs = new URLSearchParams({ query: `${selector}[2h]`, time: String(end / 1000) });
  const r = await fetch(`${m.base}/prometheus/api/v1/query?${qs}`, { headers: { 'X-Scope-OrgID': tenant } });
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  return new Map(body.data.result.map((s) => [
    `{${Object.entries(s.metric).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${v}"`).join(', ')}}`,
    s.values.map(([t, v]): [number, number] => [Math.round(t * 1000), Number(v)]),
  ]));
}

test('S3: blocks shipped, compacted, marked and cleaned; series deletion rewrites them; tenant deletion empties the tenant', { timeout: 180_000 }, async (t) => {
  const server = new S3TestServer();
  await server.start();
  const s3cfg = await server.createBucket('myelin-blocks');
  const bucket = new S3Bucket(s3cfg);
  const dir = mkdtempSync(join(tmpdir(), 'myelin-s3-lifecycle-'));
  writeFileSync(join(dir, 'runtime.yaml'), 'overrides:\n  team:\n    series_deletion_enabled: true\n');
  const flags = [
    '-auth.enabled=true', `-runtime-config.file=${join(dir, 'runtime.yaml')}`,
    '-blocks-storage.backend=s3', `-blocks-storage.s3.endpoint=${server.endpoint}`, '-blocks-storage.s3.bucket-name=myelin-blocks',
    '-blocks-storage.s3.insecure=true', '-blocks-storage.s3.region=us-east-1',
    '-ingester.out-of-order-time-window=2h', '-blocks-storage.tsdb.ship-interval=1s', '-querier.query-store-after=0s',
    '-blocks-storage.bucket-store.sync-interval=1s', '-blocks-storage.bucket-store.bucket-index.update-interval=1s',
    '-compactor.compaction-interval=1s', '-compactor.cleanup-interval=1s', '-compactor.deletion-delay=2s',
    '-blocks-storage.bucket-store.ignore-deletion-marks-delay=1s', '-purger.delete-request-cancel-period=1s',
  ];
  // No key flags: the S3 client takes them from the AWS credential chain's environment variables.
  const m = await startSingleMyelin(dir, flags, undefined, { AWS_ACCESS_KEY_ID: 'lifecycle', AWS_SECRET_ACCESS_KEY: 'lifecycle-secret' });
  t.after(async () => {
    await m.proc.stop('SIGKILL');
    await bucket.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // One 2h range well before the compactor's horizon. Every third sample of `team` comes late, so
  // a flush cuts an in-order and an out-of-order block over the same range: two blocks to merge.
  const R = Math.floor(Date.now() / (2 * H)) * 2 * H - 6 * H;
  const end = R + 2 * H - 1;
  const times = Array.from({ length: (2 * H) / STEP }, (_, k) => R + k * STEP);
  const want: SampleDump = new Map([1, 2].map((i) => [`{__name__="life", i="${i}"}`, times.map((x): [number, number] => [x, i])]));
  const series = (keep: (k: number) => boolean): TestSeries[] =>
    [1, 2].map((i) => ({ labels: { __name__: 'life', i: String(i) }, samples: times.filter((_, k) => keep(k)).map((x): [number, number] => [x, i]) }));
  await pushSeries(m.base, 'team', series((k) => k % 3 !== 1));
  await pushSeries(m.base, 'team', series((k) => k % 3 === 1));
  await pushSeries(m.base, 'gone', series(() => true));
  assert.equal((await fetch(`${m.base}/ingester/flush?wait=true`, { method: 'POST' })).status, 204);

  await t.test('the compactor merges the two shipped blocks in S3, marks them and the cleaner deletes them', async () => {
    let merged: string[] = [];
    await waitUntil(async () => {
      const { blocks, dump } = await dumpBucketBlocks(bucket, 'team', dir);
      merged = blocks;
      return blocks.length === 1 && dump.size === 2;
    }, { what: 'one compacted block left of team\'s two', timeoutMs: 60_000 });
    assertSameDump((await dumpBucketBlocks(bucket, 'team', dir)).dump, want);
    assert.ok(await metric(m, /myelin_compactor_blocks_marked_for_deletion_total\{reason="compaction"\} (\d+)/) >= 2);
    assert.ok(await metric(m, /myelin_compactor_blocks_cleaned_total (\d+)/) >= 2);
    assert.ok((await objects(bucket, 'team')).includes('bucket-index.json.gz'), 'the bucket index is in S3');
    // The store-gateway serves the compacted block.
    await waitUntil(async () => JSON.stringify([...await query(m, 'team', 'life', end)]) === JSON.stringify([...want]),
      { what: `PromQL answered from ${merged.join(', ')}`, timeoutMs: 30_000 });
  });

  await t.test('series deletion: hidden at once, then rewritten out of the block in S3', async () => {
    const from = times[30];
    const to = times[59];
    const qs = new URLSearchParams({ 'match[]': 'life{i="1"}', start: String(from / 1000), end: String(to / 1000) });
    const r = await fetch(`${m.base}/prometheus/api/v1/admin/tsdb/delete_series?${qs}`, { method: 'POST', headers: { 'X-Scope-OrgID': 'team' } });
    assert.equal(r.status, 204, await r.text());
    const kept: SampleDump = new Map(want);
    kept.set('{__name__="life", i="1"}', (want.get('{__name__="life", i="1"}') ?? []).filter(([x]) => x < from || x > to));
    assertSameDump(await query(m, 'team', 'life', end), kept);
    assert.ok((await objects(bucket, 'team', 'tombstones')).length > 0, 'the delete request is kept in S3');

    const { blocks: before } = await dumpBucketBlocks(bucket, 'team', dir);
    let after: { blocks: string[]; dump: SampleDump } = { blocks: before, dump: new Map() };
    await waitUntil(async () => (after = await dumpBucketBlocks(bucket, 'team', dir)).blocks.length > 0 && after.blocks.every((b) => !before.includes(b)),
      { what: 'the block rewritten and its original deleted from S3', timeoutMs: 60_000 });
    assertSameDump(after.dump, kept);
    assert.ok(await metric(m, /myelin_compactor_blocks_marked_for_deletion_total\{reason="series-deletion"\} (\d+)/) >= 1);
    await waitUntil(async () => JSON.stringify([...await query(m, 'team', 'life', end)]) === JSON.stringify([...kept]),
      { what: 'PromQL answered from the rewritten block', timeoutMs: 30_000 });
  });

  await t.test('tenant deletion: every object of the tenant goes from S3, the other tenant keeps its block', async () => {
    assert.ok((await dumpBucketBlocks(bucket, 'gone', dir)).blocks.length > 0);
    const teamBlocks = (await dumpBucketBlocks(bucket, 'team', dir)).blocks;
    const r = await fetch(`${m.base}/purger/delete_tenant`, { method: 'POST', headers: { 'X-Scope-OrgID': 'gone' } });
    assert.equal(r.status, 200, await r.text());
    const status = async () => (await (await fetch(`${m.base}/purger/delete_tenant_status`, { headers: { 'X-Scope-OrgID': 'gone' } })).json()) as { blocks_deleted: boolean; finished_time?: number };
    // finished_time is set once the blocks, the bucket index and the delete requests are gone.
    await waitUntil(async () => (await status()).finished_time !== undefined, { what: 'the tenant deletion finished', timeoutMs: 30_000 });
    assert.equal((await status()).blocks_deleted, true);
    assert.deepEqual(await objects(bucket, 'gone'), ['markers/tenant-deletion-mark.json'], 'only the tenant deletion mark stays');
    // The ingester drops the tenant's TSDB (its head and the blocks it still serves) on its next check of the mark.
    await waitUntil(async () => !existsSync(join(dir, 'tsdb', 'gone')) && (await query(m, 'gone', 'life', end)).size === 0,
      { what: 'nothing of the tenant left to query', timeoutMs: 30_000 });
    assert.deepEqual((await dumpBucketBlocks(bucket, 'team', dir)).blocks, teamBlocks);
  });
});
