import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { FilesystemBucket, tenantBucket } from '../bucket/index.js';
import { BUCKET_INDEX_FILENAME, BucketIndexCorruptedError, blocksInRange, readBucketIndex } from './bucket-index.js';
import { uploadTestBlock } from './testing.js';
import { deletionMarkName, updateBucketIndex } from './updater.js';
import { BucketIndexUpdater } from './updater-service.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-bucket-index-'));
after(() => fs.rm(root, { recursive: true, force: true }));
const log = pino({ level: 'silent' });
let n = 0;
const newBucket = () => new FilesystemBucket(path.join(root, String(n++)));
const series = (name: string, t0: number) => [{ labels: { __name__: name }, samples: [[t0, 1], [t0 + 1000, 2]] as [number, number][] }];

test('updater indexes blocks and deletion marks per tenant, skips partial blocks', async () => {
  const b = newBucket();
  const m1 = await uploadTestBlock(b, 'a', series('up', 0));
  const m2 = await uploadTestBlock(b, 'a', series('up', 10_000));
  const mb = await uploadTestBlock(b, 'b', series('other', 0));
  const ta = tenantBucket(b, 'a');
  await ta.upload('01HZZZZZZZZZZZZZZZZZZZZZZZ/index', Buffer.from('partial: no meta.json yet'));
  await ta.upload(deletionMarkName(m1.ulid), Buffer.from(JSON.stringify({ id: m1.ulid, deletion_time: 1700000000, version: 1 })));
  const u = new BucketIndexUpdater({ bucket: b, logger: log, registry: new Registry(), now: () => 1_800_000_000_000 });
  await u.updateAll();
  const ia = await readBucketIndex(ta, 'a');
  assert.ok(ia !== undefined);
  assert.deepEqual(ia.blocks.map((x) => x.block_id).sort(), [m1.ulid, m2.ulid].sort());
  assert.deepEqual(ia.block_deletion_marks, [{ block_id: m1.ulid, deletion_time: 1700000000 }]);
  assert.equal(ia.updated_at, 1_800_000_000);
  const blk = ia.blocks.find((x) => x.block_id === m2.ulid);
  assert.equal(blk?.min_time, 10_000);
  assert.equal(blk?.max_time, 11_001);
  assert.deepEqual(blocksInRange(ia, 10_500, 20_000).map((x) => x.block_id), [m2.ulid]);
  const ib = await readBucketIndex(tenantBucket(b, 'b'), 'b');
  assert.deepEqual(ib?.blocks.map((x) => x.block_id), [mb.ulid]);
  // A deleted block leaves the index on the next pass.
  for (const f of ['meta.json', 'index', 'chunks/000001', 'tombstones']) await ta.delete(`${m2.ulid}/${f}`);
  await u.updateAll();
  assert.deepEqual((await readBucketIndex(ta, 'a'))?.blocks.map((x) => x.block_id), [m1.ulid]);
});

test('index is gzipped JSON in Cortex format; a corrupted one is reported and rebuilt', async () => {
  const b = newBucket();
  const m = await uploadTestBlock(b, 't', series('x', 0));
  const tb = tenantBucket(b, 't');
  assert.equal(await readBucketIndex(tb, 't'), undefined);
  await tb.upload(BUCKET_INDEX_FILENAME, gzipSync('{"version": 99}'));
  await assert.rejects(readBucketIndex(tb, 't'), BucketIndexCorruptedError);
  await tb.upload(BUCKET_INDEX_FILENAME, Buffer.from('not gzip'));
  await assert.rejects(readBucketIndex(tb, 't'), BucketIndexCorruptedError);
  await new BucketIndexUpdater({ bucket: b, logger: log, registry: new Registry() }).updateTenant('t');
  const raw = JSON.parse((await import('node:zlib')).gunzipSync(await tb.get(BUCKET_INDEX_FILENAME)).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(raw).sort(), ['block_deletion_marks', 'blocks', 'updated_at', 'version']);
  assert.deepEqual(Object.keys((raw.blocks as object[])[0]).sort(), ['block_id', 'max_time', 'min_time', 'uploaded_at']);
  assert.equal((raw.blocks as { block_id: string }[])[0].block_id, m.ulid);
});

test('an index never holds a compaction\'s marks without its output, whichever listing the compaction falls between', async () => {
  const b = newBucket();
  const ta = tenantBucket(b, 'a');
  const source = await uploadTestBlock(b, 'a', series('up', 0));
  let output: string | undefined;
  // A compactor that uploads its output and then marks the source while the updater lists blocks.
  const racing = new Proxy(ta, {
    get(target, prop) {
      if (prop === 'iter') {
        return async (prefix: string, fn: (name: string) => void | Promise<void>, opts?: Parameters<typeof target.iter>[2]) => {
          await target.iter(prefix, fn, opts);
          if (prefix !== '' || output !== undefined) return;
          output = (await uploadTestBlock(b, 'a', series('up', 0))).ulid;
          await ta.upload(deletionMarkName(source.ulid), Buffer.from(JSON.stringify({ id: source.ulid, deletion_time: 1700000000, version: 1 })));
        };
      }
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const first = (await updateBucketIndex(racing, 'a', undefined, log)).index;
  // The source still answers for its range: it is not marked in this index (the output is not in it yet).
  const marked = new Set(first.block_deletion_marks.map((m) => m.block_id));
  assert.deepEqual(blocksInRange(first, 0, 1000).filter((x) => !marked.has(x.block_id)).map((x) => x.block_id), [source.ulid]);
  const second = (await updateBucketIndex(ta, 'a', first, log)).index;
  assert.deepEqual(second.block_deletion_marks.map((m) => m.block_id), [source.ulid]);
  assert.deepEqual(second.blocks.map((x) => x.block_id).sort(), [source.ulid, output].sort());
});
