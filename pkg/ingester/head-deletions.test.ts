import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../testutil/index.js';
import { FilesystemBucket, tenantBucket } from '../bucket/index.js';
import type { QueryResponse } from '../generated/myelin/ingester.js';
import { LabelMatcher_Type } from '../generated/prometheus/types.js';
import { MemoryStore } from '../kv/index.js';
import { DeleteRequestState, deleteRequestId, writeDeleteRequest } from '../purger/index.js';
import { tenantMetadata } from '../tenant/index.js';
import { startTestIngester, type TestIngester } from './testing.js';

function push(ti: TestIngester, i: string, ts: number[]): Promise<void> {
  const timeseries = [{ labels: [{ name: '__name__', value: 'a' }, { name: 'i', value: i }], samples: ts.map((timestamp) => ({ timestamp, value: 1 })), exemplars: [], histograms: [] }];
  return new Promise((resolve, reject) => ti.client.push({ timeseries, metadata: [] }, tenantMetadata('t'), (err) => (err ? reject(err) : resolve())));
}

/** Sample times per `i` label, as the ingester answers a Query call. */
function query(ti: TestIngester): Promise<Record<string, number[]>> {
  const req = { startTimestampMs: 0, endTimestampMs: 1e13, matchers: [{ type: LabelMatcher_Type.EQ, name: '__name__', value: 'a' }], streamSamples: false, limits: undefined };
  return new Promise((resolve, reject) => ti.client.query(req, tenantMetadata('t'), (err: Error | null, res?: QueryResponse) => {
    if (err) return reject(err);
    resolve(Object.fromEntries((res as QueryResponse).timeseries.map((s) => [s.labels.find((l) => l.name === 'i')?.value ?? '', s.samples.map((x) => x.timestamp)])));
  }));
}

test('a delete request past its cancel period reaches the head: the ingester answers without the samples, also after a restart', async (t) => {
  const kv = new MemoryStore();
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'ingester-'));
  const opts = { id: 'a', kv, bucketDir, dataDir, tsdb: { headCompactionInterval: 50 } };
  let ti = await startTestIngester(opts);
  t.after(() => ti.stop());
  const base = Date.now() - 60_000;
  const ts = Array.from({ length: 10 }, (_, k) => base + k * 1000);
  await push(ti, '1', ts);
  await push(ti, '2', ts);
  const tb = tenantBucket(new FilesystemBucket(bucketDir), 't');
  const write = (selector: string, start: number, end: number, createdAt: number) => writeDeleteRequest(tb, {
    requestId: deleteRequestId(start, end, [selector]), tenant: 't', startTime: start, endTime: end, selectors: [selector],
    requestCreatedAt: createdAt, stateCreatedAt: createdAt, state: DeleteRequestState.Pending,
  });
  // Still cancellable: the head keeps the samples (queriers hide them).
  await write('a{i="2"}', ts[0], ts[9], Date.now());
  // Past the 24h cancel period: applied.
  await write('a{i="1"}', ts[2], ts[5], Date.now() - 25 * 3600_000);
  const want = { 1: ts.filter((x) => x < ts[2] || x > ts[5]), 2: ts };
  await waitUntil(async () => JSON.stringify(await query(ti)) === JSON.stringify(want), { what: 'the head without the deleted samples', timeoutMs: 10_000 });
  assert.equal(ti.ing.tsdb('t')?.head.tombstones.size, 1);

  // The WAL keeps the deletion: a restarted ingester answers the same before it lists the requests again.
  await ti.stop();
  ti = await startTestIngester({ ...opts, tsdb: { headCompactionInterval: 3600_000 } });
  assert.deepEqual(await query(ti), want);
});
