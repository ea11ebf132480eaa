import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Registry } from 'prom-client';
import { FilesystemBucket, instrumentedBucket, tenantBucketReader } from '../bucket/index.js';
import { uploadTestBlock } from '../bucket-index/testing.js';
import { LruCache, instrumentedCache } from '../cache/index.js';
import { Matcher, MatchType } from '../model/labels/index.js';
import { dumpPlain, dumpQueryable, type PlainSeries } from '../tsdb/block/block-test-util.js';
import { openBucketBlock, INDEX_HEADER_FILENAME } from './bucket-block.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-sg-block-'));
after(() => fs.rm(root, { recursive: true, force: true }));

function testSeries(n: number): PlainSeries[] {
  const out: PlainSeries[] = [];
  for (let i = 0; i < n; i++) {
    const samples: [number, number][] = [];
    for (let t = 0; t < 600; t++) samples.push([t * 15_000, i * 1000 + t]);
    out.push({ labels: { __name__: i % 2 === 0 ? 'up' : 'requests_total', job: `job-${i % 7}`, instance: `host-${i}` }, samples });
  }
  return out;
}

test('a block read from the bucket through index-header and caches returns exactly what was written', async () => {
  const reg = new Registry();
  const raw = new FilesystemBucket(path.join(root, 'bucket'));
  const bucket = instrumentedBucket(raw, reg, 'test');
  const series = testSeries(300);
  const meta = await uploadTestBlock(raw, 'tenant-a', series);
  const caches = {
    postings: instrumentedCache(new LruCache('postings', 1 << 24), reg),
    series: instrumentedCache(new LruCache('series', 1 << 24), reg),
    chunks: instrumentedCache(new LruCache('chunks', 1 << 24), reg),
  };
  const local = path.join(root, 'sync', 'tenant-a', meta.ulid);
  const tb = tenantBucketReader(bucket, 'tenant-a');
  const block = await openBucketBlock(tb, 'tenant-a', meta.ulid, local, caches);
  assert.ok((await fs.stat(path.join(local, INDEX_HEADER_FILENAME))).size > 0);
  const job3 = new Matcher(MatchType.Equal, 'job', 'job-3');
  const want = dumpPlain(series.filter((s) => s.labels.job === 'job-3'), 1_000_000, 5_000_000);
  assert.deepEqual(await dumpQueryable(block, 1_000_000, 5_000_000, job3), want);
  const bytesAfterCold = Number((await reg.getSingleMetricAsString('myelin_objstore_bucket_operation_fetched_bytes_total')).match(/get_range"\} (\d+)/)?.[1]);
  // Warm: the same query is served from the caches, no new range reads.
  assert.deepEqual(await dumpQueryable(block, 1_000_000, 5_000_000, job3), want);
  const bytesAfterWarm = Number((await reg.getSingleMetricAsString('myelin_objstore_bucket_operation_fetched_bytes_total')).match(/get_range"\} (\d+)/)?.[1]);
  assert.equal(bytesAfterWarm, bytesAfterCold);
  assert.match(await reg.metrics(), /myelin_cache_hits_total\{name="chunks"\} [1-9]/);
  assert.deepEqual(await dumpQueryable(block, 0, Infinity), dumpPlain(series));
  await block.close();

  // Reopening uses the index-header on disk: no reads of the symbol or postings offset tables.
  const before = Number((await reg.getSingleMetricAsString('myelin_objstore_bucket_operations_total')).match(/operation="get_range"\} (\d+)/)?.[1]);
  const again = await openBucketBlock(tb, 'tenant-a', meta.ulid, local, caches);
  const afterOps = Number((await reg.getSingleMetricAsString('myelin_objstore_bucket_operations_total')).match(/operation="get_range"\} (\d+)/)?.[1]);
  assert.equal(afterOps - before, 0); // the segment header check of chunks/000001 hits the chunks cache
  const q = await again.querier(0, Infinity);
  assert.deepEqual((await q.labelValues('job', { limit: 0 })).length, 7);
  await q.close();
  await again.close();
});
