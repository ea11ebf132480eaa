import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { FilesystemBucket, tenantBucket, type BucketReader } from '../bucket/index.js';
import { BUCKET_INDEX_VERSION, writeBucketIndex, type BucketIndex } from './bucket-index.js';
import { CachedBucketIndexReader } from './cached-reader.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-cached-index-'));
after(() => fs.rm(root, { recursive: true, force: true }));

const index = (updatedAt: number, blocks: string[]): BucketIndex => ({
  version: BUCKET_INDEX_VERSION,
  blocks: blocks.map((id, i) => ({ block_id: id, min_time: i * 1000, max_time: (i + 1) * 1000, uploaded_at: updatedAt })),
  block_deletion_marks: [],
  updated_at: updatedAt,
});

/** The tenant's view of `bucket`, counting the downloads. */
function counting(reader: BucketReader): { reader: BucketReader; gets: () => number } {
  let gets = 0;
  const r = Object.create(reader) as BucketReader;
  r.get = async (name: string) => {
    gets++;
    return reader.get(name);
  };
  return { reader: r, gets: () => gets };
}

test('the index is parsed again only when its object changed; a missing index is undefined', async () => {
  const bucket = new FilesystemBucket(path.join(root, 'a'));
  const tb = tenantBucket(bucket, 'team');
  const { reader, gets } = counting(tb);
  const now = Date.now() + 60_000; // every write below is settled
  const cache = new CachedBucketIndexReader(() => now);

  assert.equal(await cache.read(reader, 'team'), undefined);

  await writeBucketIndex(tb, index(1, ['01HAAAAAAAAAAAAAAAAAAAAAAA']));
  const first = await cache.read(reader, 'team');
  assert.deepEqual(first?.blocks.map((b) => b.block_id), ['01HAAAAAAAAAAAAAAAAAAAAAAA']);
  assert.equal(await cache.read(reader, 'team'), first, 'unchanged object: the parsed index is reused');
  assert.equal(gets(), 1);

  await writeBucketIndex(tb, index(2, ['01HAAAAAAAAAAAAAAAAAAAAAAA', '01HBBBBBBBBBBBBBBBBBBBBBBB']));
  const second = await cache.read(reader, 'team');
  assert.equal(second?.blocks.length, 2, 'a rewritten index is seen at once');
  assert.equal(gets(), 2);

  await fs.rm(path.join(root, 'a', 'team', 'bucket-index.json.gz'));
  assert.equal(await cache.read(reader, 'team'), undefined, 'a deleted index is gone at once');
});

test('an index written within the last few milliseconds is read again (a same-size rewrite in the same tick would look unchanged)', async () => {
  const bucket = new FilesystemBucket(path.join(root, 'b'));
  const tb = tenantBucket(bucket, 'team');
  const { reader, gets } = counting(tb);
  await writeBucketIndex(tb, index(1, ['01HAAAAAAAAAAAAAAAAAAAAAAA']));
  const { lastModified } = await tb.attributes('bucket-index.json.gz');
  const cache = new CachedBucketIndexReader(() => lastModified.getTime() + 1);
  await cache.read(reader, 'team');
  await cache.read(reader, 'team');
  assert.equal(gets(), 2);
});

test('only the most recently read tenants keep their parsed index', async () => {
  const bucket = new FilesystemBucket(path.join(root, 'c'));
  const now = Date.now() + 60_000;
  const cache = new CachedBucketIndexReader(() => now, 2);
  const readers = new Map<string, ReturnType<typeof counting>>();
  for (const tenant of ['t1', 't2', 't3']) {
    const tb = tenantBucket(bucket, tenant);
    await writeBucketIndex(tb, index(1, ['01HAAAAAAAAAAAAAAAAAAAAAAA']));
    readers.set(tenant, counting(tb));
  }
  const read = (t: string) => cache.read(readers.get(t)?.reader as BucketReader, t);
  await read('t1');
  await read('t2');
  await read('t1'); // t1 is now the most recent: t2 goes when t3 comes
  await read('t3');
  await read('t1');
  await read('t2');
  assert.equal(readers.get('t1')?.gets(), 1, 't1 stayed cached');
  assert.equal(readers.get('t2')?.gets(), 2, 't2 was dropped for t3 and read again');
});
