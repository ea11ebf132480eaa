import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { FilesystemBucket, tenantBucket } from '../bucket/index.js';
import { deletionMarkName, readBucketIndex, readTenantDeletionMark, writeTenantDeletionMark } from '../bucket-index/index.js';
import { UPLOADING_META_FILENAME } from './block-upload.js';
import { markForDeletion } from './deletion-mark.js';
import { HOUR, blockDirs, replicaSeries, shipIngesterBlock, testCompactor } from './testing.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-cleaner-'));
after(() => fs.rm(root, { recursive: true, force: true }));
let seq = 0;
const fresh = () => {
  const dir = path.join(root, String(seq++));
  return { bucket: new FilesystemBucket(path.join(dir, 'bucket')), dataDir: path.join(dir, 'data') };
};
const T = 'tenant-a';
const ship = (bucket: FilesystemBucket, b: number) =>
  shipIngesterBlock(bucket, T, 'ingester-0', replicaSeries(2, b * 2 * HOUR, (b + 1) * 2 * HOUR, 60_000), b * 2 * HOUR, (b + 1) * 2 * HOUR);

describe('blocks cleaner', () => {
  it('deletes a marked block only once its mark is older than the deletion delay, marks last', async () => {
    const { bucket, dataDir } = fresh();
    const a = await ship(bucket, 0);
    const b = await ship(bucket, 1);
    const tb = tenantBucket(bucket, T);
    const markedAt = Date.now();
    await markForDeletion(tb, a.ulid, markedAt);
    const c = testCompactor(bucket, dataDir, { now: markedAt + 12 * HOUR - 1000 });
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), [a.ulid, b.ulid].sort());
    let idx = await readBucketIndex(tb, T);
    assert.deepEqual(idx?.block_deletion_marks.map((m) => [m.block_id, m.deletion_time]), [[a.ulid, Math.floor(markedAt / 1000)]]);

    c.clock.now = markedAt + 12 * HOUR + 1000;
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), [b.ulid]);
    assert.ok(!(await tb.exists(deletionMarkName(a.ulid))));
    idx = await readBucketIndex(tb, T);
    assert.deepEqual(idx?.blocks.map((x) => x.block_id), [b.ulid]);
    assert.deepEqual(idx?.block_deletion_marks, []);
    const metrics = await c.registry.metrics();
    assert.match(metrics, /^myelin_compactor_blocks_cleaned_total 1$/m);
    assert.match(metrics, /^myelin_compactor_block_cleanup_completed_total 2$/m);
  });

  it('finishes a deletion interrupted after meta.json, and drops a leftover global mark', async () => {
    const { bucket, dataDir } = fresh();
    const a = await ship(bucket, 0);
    const tb = tenantBucket(bucket, T);
    await markForDeletion(tb, a.ulid, 0);
    await tb.delete(`${a.ulid}/meta.json`);
    await markForDeletion(tb, '01HZZZZZZZZZZZZZZZZZZZZZZZ', 0);
    await tb.delete('01HZZZZZZZZZZZZZZZZZZZZZZZ/deletion-mark.json');
    const c = testCompactor(bucket, dataDir, { now: Date.now() });
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), []);
    const left: string[] = [];
    await tb.iter('', (n) => void left.push(n), { recursive: true });
    assert.deepEqual(left.filter((n) => n !== 'bucket-index.json.gz'), [], 'no block file and no marker left');
  });

  it('marks blocks entirely older than the tenant\'s retention, and deletes them after the delay', async () => {
    const { bucket, dataDir } = fresh();
    const old = await ship(bucket, 0); // [0, 2h)
    const edge = await ship(bucket, 2); // [4h, 6h): ends exactly at the cutoff
    const young = await ship(bucket, 3); // [6h, 8h)
    const c = testCompactor(bucket, dataDir, { now: 30 * HOUR, retention: 24 * HOUR });
    await c.cleaner.cleanUsers();
    const tb = tenantBucket(bucket, T);
    const idx = await readBucketIndex(tb, T);
    assert.deepEqual(idx?.block_deletion_marks.map((m) => m.block_id).sort(), [old.ulid, edge.ulid].sort());
    assert.ok(await tb.exists(`${old.ulid}/deletion-mark.json`));
    assert.match(await c.registry.metrics(), /^myelin_compactor_blocks_marked_for_deletion_total\{reason="retention"\} 2$/m);
    assert.equal((await blockDirs(bucket, T)).length, 3, 'nothing deleted before the delay');
    c.clock.now = 42 * HOUR;
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), [young.ulid]);
  });

  it('deletes every block and the index of a tenant marked for deletion, compacts none, and records when it finished', async () => {
    const { bucket, dataDir } = fresh();
    await ship(bucket, 0);
    await ship(bucket, 1);
    const marked = await ship(bucket, 2);
    const tb = tenantBucket(bucket, T);
    await markForDeletion(tb, marked.ulid, Date.now());
    await tb.upload('01HZZZZZZZZZZZZZZZZZZZZZZZ/index', Buffer.from('partial'));
    const other = await shipIngesterBlock(bucket, 'tenant-b', 'ingester-0', replicaSeries(2, 0, 2 * HOUR, 60_000), 0, 2 * HOUR);
    const c = testCompactor(bucket, dataDir, { now: 10 * HOUR });
    await c.cleaner.cleanUsers();
    assert.ok(await tb.exists('bucket-index.json.gz'));
    await writeTenantDeletionMark(tb, { deletionTime: 36_000 });

    await c.compactor.compactUsers();
    assert.equal((await blockDirs(bucket, T)).length, 4, 'the compactor leaves a tenant being deleted alone');
    await tb.upload('tombstones/0123456789abcdef0123456789abcdef.pending.json', Buffer.from('{}'));
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), []);
    assert.ok(!(await tb.exists('bucket-index.json.gz')), 'no index: readers see no blocks');
    const left: string[] = [];
    await tb.iter('', (n) => void left.push(n), { recursive: true });
    assert.deepEqual(left, ['markers/tenant-deletion-mark.json'], 'only the tenant deletion mark is left');
    assert.deepEqual(await readTenantDeletionMark(tb), { deletionTime: 36_000, finishedTime: 36_000 });
    assert.deepEqual(await blockDirs(bucket, 'tenant-b'), [other.ulid], 'other tenants keep theirs');
    // Later passes neither fail nor write an index again.
    await c.cleaner.cleanUsers();
    assert.ok(!(await tb.exists('bucket-index.json.gz')));
    assert.match(await c.registry.metrics(), /^myelin_compactor_block_cleanup_failed_total 0$/m);
  });

  it('keeps everything when retention is 0, and keeps fresh partial blocks (uploads in progress)', async () => {
    const { bucket, dataDir } = fresh();
    const a = await ship(bucket, 0);
    const tb = tenantBucket(bucket, T);
    await tb.upload('01HZZZZZZZZZZZZZZZZZZZZZZZ/index', Buffer.from('upload in progress'));
    const c = testCompactor(bucket, dataDir, { now: Date.now() + 11 * HOUR });
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), ['01HZZZZZZZZZZZZZZZZZZZZZZZ', a.ulid].sort());
  });

  it('deletes an abandoned block upload (uploading-meta.json, no meta.json) after the deletion delay', async () => {
    const { bucket, dataDir } = fresh();
    const a = await ship(bucket, 0);
    const tb = tenantBucket(bucket, T);
    const upload = '01HYYYYYYYYYYYYYYYYYYYYYYY';
    await tb.upload(`${upload}/${UPLOADING_META_FILENAME}`, Buffer.from('{}'));
    await tb.upload(`${upload}/index`, Buffer.from('half an upload'));
    const c = testCompactor(bucket, dataDir, { now: Date.now() + 11 * HOUR });
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), [upload, a.ulid].sort(), 'kept while it may still be going on');
    c.clock.now = Date.now() + 12 * HOUR + 60_000;
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), [a.ulid]);
  });
});
