// Cortex's tenant deletion on one Myelin process (-target=all, filesystem bucket): POST
// /purger/delete_tenant marks the tenant; the ingester drops its head and WAL, the compactor's
// cleaner deletes its blocks and bucket index, GET /purger/delete_tenant_status says when the
// blocks are gone; another tenant keeps everything, and a restart brings nothing back.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestSeries } from './e2e/cluster.js';
import { pushSeries, startSingleMyelin } from './e2e/myelin.js';
import type { SingleMyelin } from './e2e/myelin.js';
import { waitUntil } from '../pkg/testutil/index.js';

const flags = ['-auth.enabled=true', '-blocks-storage.tsdb.head-compaction-interval=200ms', '-compactor.cleanup-interval=500ms',
  '-blocks-storage.bucket-store.bucket-index.update-interval=500ms'];

function series(metric: string, now: number): TestSeries[] {
  return [1, 2, 3].map((i) => ({ labels: { __name__: metric, i: String(i) }, samples: [[now - 1000, i], [now, i]] }));
}

async function seriesCount(m: SingleMyelin, tenant: string, metric: string): Promise<number> {
  const r = await fetch(`${m.base}/prometheus/api/v1/query?query=${metric}`, { headers: { 'X-Scope-OrgID': tenant } });
  assert.equal(r.status, 200);
  return ((await r.json()) as { data: { result: unknown[] } }).data.result.length;
}

const status = async (m: SingleMyelin, tenant: string) =>
  (await (await fetch(`${m.base}/purger/delete_tenant_status`, { headers: { 'X-Scope-OrgID': tenant } })).json()) as Record<string, unknown>;

const blockDirs = (dir: string, tenant: string): string[] =>
  existsSync(join(dir, 'blocks', tenant)) ? readdirSync(join(dir, 'blocks', tenant)).filter((n) => /^[0-9A-Z]{26}$/.test(n)) : [];

test('tenant deletion: head, WAL, blocks and bucket index of one tenant go; the other tenant keeps its data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-tenant-deletion-'));
  let m = await startSingleMyelin(dir, flags);
  t.after(async () => {
    await m.proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const now = Date.now();
  await pushSeries(m.base, 'doomed', series('doomed_metric', now));
  await pushSeries(m.base, 'kept', series('kept_metric', now));
  // Cut and ship blocks of both tenants, so there is something in the bucket to delete.
  assert.equal((await fetch(`${m.base}/ingester/flush?wait=true`, { method: 'POST' })).status, 204);
  assert.ok(blockDirs(dir, 'doomed').length > 0);
  assert.equal(await seriesCount(m, 'doomed', 'doomed_metric'), 3);
  assert.deepEqual(await status(m, 'doomed'), { tenant_id: 'doomed', blocks_deleted: false, deletion_requested: false });

  await t.test('bad requests: no tenant is 401, an invalid one 400', async () => {
    assert.equal((await fetch(`${m.base}/purger/delete_tenant`, { method: 'POST' })).status, 401);
    assert.equal((await fetch(`${m.base}/purger/delete_tenant`, { method: 'POST', headers: { 'X-Scope-OrgID': '..' } })).status, 400);
    const metrics = await (await fetch(`${m.base}/metrics`)).text();
    assert.match(metrics, /myelin_tenant_rejected_requests_total\{protocol="http",reason="missing"\} 1/);
  });

  await t.test('the deletion runs: ingester and bucket are emptied of the tenant', async () => {
    assert.equal((await fetch(`${m.base}/purger/delete_tenant`, { method: 'POST', headers: { 'X-Scope-OrgID': 'doomed' } })).status, 200);
    assert.equal((await status(m, 'doomed')).deletion_requested, true);
    // blocks_deleted turns true once the blocks are gone; finished_time once the cleaner has also
    // deleted the bucket index and recorded the end in the mark.
    await waitUntil(async () => {
      const st = await status(m, 'doomed');
      return st.blocks_deleted === true && typeof st.finished_time === 'number' && !existsSync(join(dir, 'tsdb', 'doomed'));
    }, { what: 'blocks, bucket index and local TSDB of the tenant deleted', timeoutMs: 20_000 });
    assert.deepEqual(blockDirs(dir, 'doomed'), []);
    assert.ok(!existsSync(join(dir, 'blocks', 'doomed', 'bucket-index.json.gz')));
    assert.equal(await seriesCount(m, 'doomed', 'doomed_metric'), 0);
    assert.match(await (await fetch(`${m.base}/metrics`)).text(), /myelin_ingester_deleted_tenants_total 1/);
    // The other tenant is untouched.
    assert.equal(await seriesCount(m, 'kept', 'kept_metric'), 3);
    assert.ok(blockDirs(dir, 'kept').length > 0);
    assert.equal((await status(m, 'kept')).blocks_deleted, false);
  });

  await t.test('a restart (after a kill) brings nothing of the deleted tenant back', async () => {
    await m.proc.stop('SIGKILL');
    m = await startSingleMyelin(dir, flags);
    assert.equal(await seriesCount(m, 'doomed', 'doomed_metric'), 0);
    assert.equal(await seriesCount(m, 'kept', 'kept_metric'), 3);
    assert.equal((await status(m, 'doomed')).blocks_deleted, true);
  });
});
