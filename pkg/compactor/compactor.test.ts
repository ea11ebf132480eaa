import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { FilesystemBucket, tenantBucket, type Bucket } from '../bucket/index.js';
import { deletionMarkName, readBucketIndex } from '../bucket-index/index.js';
import { startTestCluster } from '../querier/testing.js';
import { waitUntil } from '../testutil/index.js';
import { Block } from '../tsdb/block/index.js';
import { dumpPlain, dumpQuerier, dumpQueryable } from '../tsdb/block/block-test-util.js';
import { BLOCK_DELETION_MARK } from './deletion-mark.js';
import { HOUR, blockDirs, replicaSeries, shipIngesterBlock, testCompactor } from './testing.js';
import { downloadBlock } from './block-files.js';
import { MetaCache } from './tenant-blocks.js';
import { DeleteRequestState, deleteRequestId, listDeleteRequests, writeDeleteRequest, type DeleteRequest } from '../purger/index.js';
import { pino } from 'pino';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-compactor-'));
after(() => fs.rm(root, { recursive: true, force: true }));
let seq = 0;
const fresh = () => {
  const dir = path.join(root, String(seq++));
  return { bucket: new FilesystemBucket(path.join(dir, 'bucket')), dataDir: path.join(dir, 'data') };
};
const T = 't1';
const log = pino({ level: 'silent' });

/** Live (unmarked, complete) blocks of the tenant. */
async function liveBlocks(bucket: Bucket) {
  const { metas, marks } = await new MetaCache().read(tenantBucket(bucket, T), T, log);
  return [...metas.values()].filter((m) => !marks.has(m.ulid));
}

async function marked(bucket: Bucket, id: string): Promise<boolean> {
  const tb = tenantBucket(bucket, T);
  const local = await tb.exists(`${id}/${BLOCK_DELETION_MARK}`);
  const global = await tb.exists(deletionMarkName(id));
  assert.equal(local, global, `both marks of ${id} or neither`);
  return global;
}

/** Every sample of the tenant's block `id`, read from a downloaded copy. */
async function dumpBucketBlock(bucket: Bucket, id: string) {
  const dir = await fs.mkdtemp(path.join(root, 'dl-'));
  await downloadBlock(tenantBucket(bucket, T), id, dir);
  const b = await Block.open(path.join(dir, id));
  try {
    return await dumpQueryable(b, -Infinity, Infinity);
  } finally {
    await b.close();
    await fs.rm(dir, { recursive: true });
  }
}

/** Ships the three replicas of [0, 2h) as three ingesters would; returns the replica metas and the union. */
async function shipReplicas(bucket: Bucket, n = 8) {
  const metas = [];
  for (let r = 0; r < 3; r++) metas.push(await shipIngesterBlock(bucket, T, `ingester-${r}`, replicaSeries(n, 0, 2 * HOUR, 15_000, r), 0, 2 * HOUR));
  return { metas, union: replicaSeries(n, 0, 2 * HOUR, 15_000) };
}

describe('compactor', () => {
  it('merges three replicas of a 2h range into one block; queries through store-gateways answer the same before and after', async () => {
    const { bucket, dataDir } = fresh();
    const { metas, union } = await shipReplicas(bucket);
    const c = testCompactor(bucket, dataDir, { now: 4 * HOUR });
    const cluster = await startTestCluster({ bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
    try {
      const gw = cluster.gateways.get('sg-1')!.gateway;
      const query = async () => dumpQuerier(await cluster.queryable.forTenant(T).querier(0, 2 * HOUR), 0, 2 * HOUR);
      await waitUntil(() => gw.store.blockCount() === 3, { what: 'the three replicas loaded' });
      const before = await query();
      assert.deepEqual(before, dumpPlain(union));

      await c.compactor.compactUsers();
      const live = await liveBlocks(bucket);
      assert.equal(live.length, 1);
      const out = live[0];
      for (const m of metas) assert.ok(await marked(bucket, m.ulid), `replica ${m.ulid} marked`);
      assert.deepEqual(out.compaction.sources, metas.map((m) => m.ulid).sort());
      assert.deepEqual(out.compaction.parents?.map((p) => p.ulid).sort(), metas.map((m) => m.ulid).sort());
      assert.equal(out.compaction.level, 2);
      assert.deepEqual(out.thanos?.labels, { __org_id__: T }, 'the ingester replica label is gone');
      assert.equal(out.thanos?.source, 'compactor');
      assert.deepEqual([out.minTime, out.maxTime], [0, 2 * HOUR]);
      assert.deepEqual(await dumpBucketBlock(bucket, out.ulid), dumpPlain(union), 'exactly the union of the replicas');
      let total = 0;
      for (const s of union) total += s.samples.length;
      assert.equal(out.stats.numSamples, total);
      assert.deepEqual(await fs.readdir(path.join(dataDir, 'compact')), [], 'local files removed');

      // The cleaner writes the index; the store-gateway then serves the new block only.
      await c.cleaner.cleanUsers();
      const idx = await readBucketIndex(tenantBucket(bucket, T), T);
      assert.equal(idx?.blocks.length, 4);
      assert.deepEqual(idx?.block_deletion_marks.map((m) => m.block_id).sort(), metas.map((m) => m.ulid).sort());
      await gw.sync();
      assert.deepEqual(gw.store.blockIds(T), [out.ulid]);
      assert.deepEqual(await query(), before);

      const metrics = await c.registry.metrics();
      assert.match(metrics, /^myelin_compactor_runs_completed_total 1$/m);
      assert.match(metrics, /^myelin_compactor_group_compactions_total 1$/m);
      assert.match(metrics, /^myelin_compactor_blocks_marked_for_deletion_total\{reason="compaction"\} 3$/m);
      assert.match(metrics, /^myelin_compactor_last_successful_run_timestamp_seconds 14400$/m);
    } finally {
      await cluster.close();
    }
  });

  it('waits until ingesters can no longer ship into a range, then levels six 2h blocks into one 12h block', async () => {
    const { bucket, dataDir } = fresh();
    const shipped = [];
    for (let b = 0; b < 7; b++) {
      const s = replicaSeries(3, b * 2 * HOUR, (b + 1) * 2 * HOUR, 60_000);
      shipped.push(await shipIngesterBlock(bucket, T, 'ingester-0', s, b * 2 * HOUR, (b + 1) * 2 * HOUR));
    }
    const c = testCompactor(bucket, dataDir, { now: 13 * HOUR });
    await c.compactor.compactUsers();
    assert.equal((await liveBlocks(bucket)).length, 7, 'the 12h window ends after now - 2h: not complete yet');
    c.clock.now = 14 * HOUR;
    await c.compactor.compactUsers();
    const live = (await liveBlocks(bucket)).sort((a, b) => a.minTime - b.minTime);
    assert.deepEqual(live.map((m) => [m.minTime, m.maxTime, m.compaction.level]), [[0, 12 * HOUR, 2], [12 * HOUR, 14 * HOUR, 1]]);
    assert.deepEqual(live[0].compaction.sources, shipped.slice(0, 6).map((m) => m.ulid).sort());
    for (const m of shipped.slice(0, 6)) assert.ok(await marked(bucket, m.ulid));
    assert.ok(!(await marked(bucket, shipped[6].ulid)));
    const joined = new Map<string, [number, number][]>();
    for (const id of [live[0].ulid, live[1].ulid]) for (const [k, v] of await dumpBucketBlock(bucket, id)) joined.set(k, [...(joined.get(k) ?? []), ...v]);
    assert.deepEqual(joined, dumpPlain(replicaSeries(3, 0, 14 * HOUR, 60_000)));
  });

  it('converges after a crash between the upload of the new block and the marks', async () => {
    const { bucket, dataDir } = fresh();
    const { metas, union } = await shipReplicas(bucket, 4);
    // Marks cannot be written: the run fails after the new block is complete in the bucket.
    const noMarks: Bucket = Object.assign(Object.create(bucket) as Bucket, {
      upload: (name: string, body: Buffer) => (name.endsWith('deletion-mark.json') ? Promise.reject(new Error('crash')) : bucket.upload(name, body)),
    });
    await testCompactor(noMarks, dataDir, { now: 4 * HOUR }).compactor.compactUsers();
    assert.equal((await blockDirs(bucket, T)).length, 4);
    for (const m of metas) assert.ok(!(await marked(bucket, m.ulid)));

    const c = testCompactor(bucket, dataDir, { now: 4 * HOUR });
    await c.compactor.compactUsers();
    assert.equal((await blockDirs(bucket, T)).length, 4, 'no second compaction: the new block covers the replicas');
    for (const m of metas) assert.ok(await marked(bucket, m.ulid));
    const live = await liveBlocks(bucket);
    assert.equal(live.length, 1);
    assert.deepEqual(await dumpBucketBlock(bucket, live[0].ulid), dumpPlain(union));
    assert.match(await c.registry.metrics(), /^myelin_compactor_group_compactions_total 0$/m);
  });

  it('converges after an upload interrupted before meta.json; the cleaner removes the partial block later', async () => {
    const { bucket, dataDir } = fresh();
    const { metas, union } = await shipReplicas(bucket, 4);
    const before = new Set(await blockDirs(bucket, T));
    const noMeta: Bucket = Object.assign(Object.create(bucket) as Bucket, {
      upload: (name: string, body: Buffer) => (name.endsWith('/meta.json') ? Promise.reject(new Error('crash')) : bucket.upload(name, body)),
    });
    await testCompactor(noMeta, dataDir, { now: 4 * HOUR }).compactor.compactUsers();
    const partial = (await blockDirs(bucket, T)).filter((d) => !before.has(d));
    assert.equal(partial.length, 1);
    assert.ok(!(await tenantBucket(bucket, T).exists(`${partial[0]}/meta.json`)));
    for (const m of metas) assert.ok(!(await marked(bucket, m.ulid)), 'sources untouched');

    const c = testCompactor(bucket, dataDir, { now: Date.now() });
    // A real clock: ranges of 1970 are long complete.
    await c.compactor.compactUsers();
    const live = await liveBlocks(bucket);
    assert.equal(live.length, 1);
    assert.deepEqual(await dumpBucketBlock(bucket, live[0].ulid), dumpPlain(union));
    for (const m of metas) assert.ok(await marked(bucket, m.ulid));
    // The partial block is left while it may still be an upload in progress, removed after the delay.
    await c.cleaner.cleanUsers();
    assert.ok((await blockDirs(bucket, T)).includes(partial[0]));
    c.clock.now = Date.now() + c.cfg.deletionDelay + 1000;
    await c.cleaner.cleanUsers();
    assert.deepEqual(await blockDirs(bucket, T), [live[0].ulid], 'partial block and marked replicas deleted');
  });

  it('series deletion: blocks holding deleted samples are rewritten without them once the cancel period passed; crash safe; late blocks too', async () => {
    const { bucket, dataDir } = fresh();
    const tb = tenantBucket(bucket, T);
    const series = (t0: number, t1: number) => replicaSeries(4, t0, t1, 60_000);
    const a = await shipIngesterBlock(bucket, T, 'ingester-0', series(0, 2 * HOUR), 0, 2 * HOUR);
    const b = await shipIngesterBlock(bucket, T, 'ingester-0', series(2 * HOUR, 4 * HOUR), 2 * HOUR, 4 * HOUR);
    const now = 30 * HOUR;
    const request = (selectors: string[], start: number, end: number, createdAt: number): DeleteRequest => ({
      requestId: deleteRequestId(start, end, selectors), tenant: T, startTime: start, endTime: end, selectors, requestCreatedAt: createdAt, stateCreatedAt: createdAt, state: DeleteRequestState.Pending,
    });
    const due = request(['{instance="i-1"}'], HOUR, 3 * HOUR, now - 25 * HOUR);
    const young = request(['{instance="i-2"}'], 0, 4 * HOUR, now - HOUR);
    await writeDeleteRequest(tb, due);
    await writeDeleteRequest(tb, young);
    const kept = (plain: ReturnType<typeof series>) => dumpPlain(plain.map((x) => ({
      labels: x.labels, samples: x.labels.instance === 'i-1' ? x.samples.filter(([t]) => t < HOUR || t > 3 * HOUR) : x.samples,
    })));

    // A crash after the rewritten blocks are uploaded, before the old ones are marked.
    const noMarks: Bucket = Object.assign(Object.create(bucket) as Bucket, {
      upload: (name: string, body: Buffer) => (name.endsWith('deletion-mark.json') ? Promise.reject(new Error('crash')) : bucket.upload(name, body)),
    });
    await testCompactor(noMarks, dataDir, { now }).compactor.compactUsers();
    assert.ok(!(await marked(bucket, a.ulid)));
    assert.equal((await listDeleteRequests(tb)).find((r) => r.requestId === due.requestId)?.state, 'pending', 'not processed before its blocks are done');

    const c = testCompactor(bucket, dataDir, { now });
    await c.compactor.compactUsers();
    assert.ok(await marked(bucket, a.ulid));
    assert.ok(await marked(bucket, b.ulid));
    // The rewritten blocks were then compacted as usual (into the 12h window); the crash left no duplicate.
    const live = await liveBlocks(bucket);
    assert.deepEqual(live.map((m) => [m.minTime, m.maxTime]), [[0, 4 * HOUR]]);
    assert.deepEqual(await dumpBucketBlock(bucket, live[0].ulid), kept(series(0, 4 * HOUR)));
    const states = new Map((await listDeleteRequests(tb)).map((r) => [r.requestId, r.state]));
    assert.equal(states.get(due.requestId), 'processed');
    assert.equal(states.get(young.requestId), 'pending', 'still cancellable: not applied to blocks');
    assert.match(await c.registry.metrics(), /^myelin_compactor_blocks_marked_for_deletion_total\{reason="series-deletion"\} 2$/m);

    // A replica shipped late still holds the deleted samples: the next pass rewrites it too, then
    // vertical compaction merges it with the compacted block.
    await shipIngesterBlock(bucket, T, 'ingester-1', series(0, 2 * HOUR), 0, 2 * HOUR);
    await c.compactor.compactUsers();
    const after = await liveBlocks(bucket);
    assert.equal(after.length, 1);
    assert.deepEqual(await dumpBucketBlock(bucket, after[0].ulid), kept(series(0, 4 * HOUR)));
    assert.match(await c.registry.metrics(), /^myelin_compactor_blocks_marked_for_deletion_total\{reason="series-deletion"\} 3$/m);
  });

  it('runs as services: the compactor at start, the cleaner writing the indexes; both stop promptly', async () => {
    const { bucket, dataDir } = fresh();
    const { metas } = await shipReplicas(bucket, 2);
    await fs.mkdir(path.join(dataDir, 'compact', T, 'leftover'), { recursive: true });
    const c = testCompactor(bucket, dataDir, { now: 4 * HOUR });
    const services = [c.cleaner.service(60_000), c.compactor.service()];
    for (const svc of services) {
      svc.startAsync();
      await svc.awaitRunning();
    }
    try {
      await waitUntil(async () => /^myelin_compactor_runs_completed_total 1$/m.test(await c.registry.metrics()), { what: 'a compaction run' });
      assert.equal((await liveBlocks(bucket)).length, 1);
      for (const m of metas) assert.ok(await marked(bucket, m.ulid));
      assert.ok((await readBucketIndex(tenantBucket(bucket, T), T)) !== undefined, 'the cleaner wrote the index at start');
    } finally {
      for (const svc of services) svc.stopAsync();
      for (const svc of services) await svc.awaitTerminated();
    }
  });
});
