import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { FilesystemBucket, GcsBucket, tenantBucket, type Bucket } from '../bucket/index.js';
import { FakeGcsServer } from '../bucket/gcs/testing/fake-gcs-server.js';
import { uploadTestBlock } from '../bucket-index/testing.js';
import { waitUntil } from '../testutil/index.js';
import { Matcher, MatchType } from '../model/labels/index.js';
import { dumpPlain, dumpQuerier, type PlainSeries } from '../tsdb/block/block-test-util.js';
import { markForDeletion } from '../compactor/index.js';
import { LimitReason, QueryLimitError, QueryLimiter, noQueryLimits } from '../limits/index.js';
import { ValueType } from '../storage/index.js';
import { fetchLimitsToWire } from '../wire/index.js';
import { BlocksConsistencyError } from './blocks-store-queryable.js';
import { startTestCluster, type TestCluster } from './testing.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-bsq-'));
after(() => fs.rm(root, { recursive: true, force: true }));
let seq = 0;

const HOUR = 3_600_000;
function seriesFor(tenant: string, t0: number, t1: number): PlainSeries[] {
  const out: PlainSeries[] = [];
  for (let i = 0; i < 12; i++) {
    const samples: [number, number][] = [];
    for (let t = t0; t < t1; t += 30_000) samples.push([t, i + t / 1e6]);
    out.push({ labels: { __name__: `${tenant}_metric`, job: `${tenant}-job-${i % 3}`, instance: `i${i}` }, samples });
  }
  return out;
}

interface Fixture {
  bucket: Bucket;
  /** Every sample of each tenant, as written. */
  plain: Map<string, PlainSeries[]>;
  blocks: Map<string, string[]>;
}

/** Tenant a: three 2h ranges, the first shipped twice (two ingester replicas); tenant b: one block. */
async function fixture(bucket: Bucket = new FilesystemBucket(path.join(root, `bucket-${seq++}`))): Promise<Fixture> {
  const plain = new Map<string, PlainSeries[]>();
  const blocks = new Map<string, string[]>();
  const add = async (tenant: string, t0: number, t1: number, copies = 1) => {
    const s = seriesFor(tenant, t0, t1);
    for (let c = 0; c < copies; c++) {
      const meta = await uploadTestBlock(bucket, tenant, s);
      blocks.set(tenant, [...(blocks.get(tenant) ?? []), meta.ulid]);
    }
    const have = plain.get(tenant) ?? [];
    plain.set(tenant, [...have, ...s]);
  };
  await add('a', 0, 2 * HOUR, 2);
  await add('a', 2 * HOUR, 4 * HOUR);
  await add('a', 4 * HOUR, 6 * HOUR);
  await add('b', 0, 2 * HOUR);
  return { bucket, plain, blocks };
}

/** The expected dump: per series the union of its samples in [mint, maxt]. */
function expected(series: PlainSeries[], mint: number, maxt: number, filter: (s: PlainSeries) => boolean = () => true) {
  const merged = new Map<string, PlainSeries>();
  for (const s of series.filter(filter)) {
    const k = JSON.stringify(s.labels);
    const have = merged.get(k);
    if (have === undefined) merged.set(k, { labels: s.labels, samples: [...s.samples] });
    else have.samples.push(...s.samples);
  }
  return dumpPlain([...merged.values()], mint, maxt);
}

async function query(c: TestCluster, tenant: string, mint: number, maxt: number, ...ms: Matcher[]) {
  return dumpQuerier(await c.queryable.forTenant(tenant, new QueryLimiter(c.limits)).querier(mint, maxt), mint, maxt, ...ms);
}

const heldCount = (c: TestCluster) => [...c.gateways.values()].reduce((n, g) => n + g.gateway.store.blockCount(), 0);

describe('blocks store queryable over store-gateways', () => {
  it('two store-gateways share the blocks through their ring; one stops and the other takes its blocks', async () => {
    const f = await fixture();
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1', 'sg-2'], replicationFactor: 1 });
    try {
      const total = [...f.blocks.values()].flat().length;
      await waitUntil(() => heldCount(c) === total, { what: 'every block held by exactly one store-gateway' });
      const held = new Set([...c.gateways.values()].flatMap((g) => [...g.gateway.store.blockIds('a'), ...g.gateway.store.blockIds('b')]));
      assert.equal(held.size, total);
      // A query spanning all blocks returns every sample exactly once (the replica block deduped).
      const job = new Matcher(MatchType.Equal, 'job', 'a-job-1');
      assert.deepEqual(await query(c, 'a', 0, 6 * HOUR, job), expected(f.plain.get('a') ?? [], 0, 6 * HOUR, (s) => s.labels.job === 'a-job-1'));
      assert.deepEqual(await query(c, 'a', HOUR, 3 * HOUR), expected(f.plain.get('a') ?? [], HOUR, 3 * HOUR));

      await c.gateways.get('sg-2')?.stop();
      await waitUntil(() => c.gateways.get('sg-1')?.gateway.store.blockCount() === total, { what: 'sg-1 to hold every block' });
      await waitUntil(() => c.ring.snapshot().instances.length === 1, { what: 'the querier to see sg-2 leave' });
      assert.deepEqual(await query(c, 'a', 0, 6 * HOUR), expected(f.plain.get('a') ?? [], 0, 6 * HOUR));
    } finally {
      await c.close();
    }
  });

  it('with replication factor 2, queries keep working right after a store-gateway stops', async () => {
    const f = await fixture();
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1', 'sg-2'], replicationFactor: 2 });
    try {
      const total = [...f.blocks.values()].flat().length;
      await waitUntil(() => heldCount(c) === 2 * total, { what: 'every block held twice' });
      const want = expected(f.plain.get('a') ?? [], 0, 6 * HOUR);
      assert.deepEqual(await query(c, 'a', 0, 6 * HOUR), want);
      await c.gateways.get('sg-1')?.stop();
      // The querier's ring may still list sg-1: its calls fail and the blocks are asked of sg-2.
      assert.deepEqual(await query(c, 'a', 0, 6 * HOUR), want);
    } finally {
      await c.close();
    }
  });

  it('keeps tenants apart: series, label names and label values', async () => {
    const f = await fixture();
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
    try {
      await waitUntil(() => heldCount(c) === 5, { what: 'blocks loaded' });
      const all = new Matcher(MatchType.Regexp, '__name__', '.+');
      assert.deepEqual(await query(c, 'b', 0, 6 * HOUR, all), expected(f.plain.get('b') ?? [], 0, 6 * HOUR));
      const qb = await c.queryable.forTenant('b').querier(0, 6 * HOUR);
      assert.deepEqual(await qb.labelValues('__name__', { limit: 0 }), ['b_metric']);
      assert.deepEqual(await qb.labelValues('job', { limit: 0 }), ['b-job-0', 'b-job-1', 'b-job-2']);
      assert.deepEqual(await qb.labelNames({ limit: 0 }), ['__name__', 'instance', 'job']);
      assert.deepEqual(await qb.labelValues('job', { limit: 0 }, new Matcher(MatchType.Equal, '__name__', 'a_metric')), []);
      assert.deepEqual((await query(c, 'b', 0, 6 * HOUR, new Matcher(MatchType.Equal, '__name__', 'a_metric'))).size, 0);
      // A tenant without blocks sees nothing and no error.
      assert.deepEqual((await query(c, 'nobody', 0, 6 * HOUR, all)).size, 0);
    } finally {
      await c.close();
    }
  });

  it('per-query limits stop a query with a clear error', async () => {
    const f = await fixture();
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
    try {
      await waitUntil(() => heldCount(c) === 5, { what: 'blocks loaded' });
      const cases: [Partial<typeof c.limits>, string, RegExp][] = [
        [{ maxFetchedSeriesPerQuery: 5 }, LimitReason.MaxFetchedSeries, /^the query hit the max number of series limit \(limit: 5 series\)$/],
        [{ maxFetchedChunksPerQuery: 10 }, LimitReason.MaxFetchedChunks, /^the query hit the max number of chunks limit \(limit: 10 chunks\)$/],
        [{ maxFetchedChunkBytesPerQuery: 1000 }, LimitReason.MaxFetchedChunkBytes, /^the query hit the aggregated chunks size limit \(limit: 1000 bytes\)$/],
        [{ maxFetchedDataBytesPerQuery: 1000 }, LimitReason.MaxFetchedDataBytes, /^the query hit the aggregated data size limit \(limit: 1000 bytes\)$/],
        [{ maxEstimatedMemoryConsumptionPerQuery: 1000 }, LimitReason.MaxEstimatedMemory, /^the query exceeded the maximum allowed estimated amount of memory consumed by a single query \(limit: 1000 bytes\)$/],
      ];
      for (const [limit, reason, msg] of cases) {
        Object.assign(c.limits, noQueryLimits, limit);
        await assert.rejects(query(c, 'a', 0, 6 * HOUR), (err) => err instanceof QueryLimitError && err.reason === reason && msg.test(err.message));
      }
      Object.assign(c.limits, noQueryLimits);
      assert.ok((await query(c, 'a', 0, 6 * HOUR)).size > 5, 'without limits the query answers');
    } finally {
      await c.close();
    }
  });

  it('a store-gateway given the query\'s limits stops streaming once its answer passes them', async () => {
    const f = await fixture();
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
    try {
      await waitUntil(() => heldCount(c) === 5, { what: 'blocks loaded' });
      const gw = c.gateways.get('sg-1');
      const blocks = gw?.gateway.store.blockIds('a') ?? [];
      const all = [{ type: 0, name: '__name__', value: 'a_metric' }];
      const req = { minTime: 0, maxTime: 6 * HOUR, matchers: all, blockIds: blocks, skipChunks: false, limits: undefined };
      let received = 0;
      const full = await c.queryable.clients.series(gw?.addr ?? '', 'a', req, (b) => void (received += b.length));
      assert.ok(full.series.length > 3, `the blocks hold more than 3 series (${full.series.length})`);
      received = 0;
      const limits = fetchLimitsToWire({ ...noQueryLimits, maxFetchedSeriesPerQuery: 3 });
      await assert.rejects(c.queryable.clients.series(gw?.addr ?? '', 'a', { ...req, limits }, (b) => void (received += b.length)),
        (err) => err instanceof QueryLimitError && err.reason === LimitReason.MaxFetchedSeries && /limit: 3 series/.test(err.message));
      assert.ok(received <= 3, `the store-gateway sent ${received} series before it stopped`);
      // Label requests carry the (capped) limit: the store-gateway answers the first values only.
      const lv = { labelName: 'instance', minTime: 0, maxTime: 6 * HOUR, matchers: all, blockIds: blocks };
      assert.equal((await c.queryable.clients.labelValues(gw?.addr ?? '', 'a', { ...lv, limit: 0 })).values.length, 12);
      assert.deepEqual((await c.queryable.clients.labelValues(gw?.addr ?? '', 'a', { ...lv, limit: 2 })).values, ['i0', 'i1']);
      const ln = { minTime: 0, maxTime: 6 * HOUR, matchers: all, blockIds: blocks };
      assert.deepEqual((await c.queryable.clients.labelNames(gw?.addr ?? '', 'a', { ...ln, limit: 1 })).values, ['__name__']);
    } finally {
      await c.close();
    }
  });

  it('the series API reads labels only: the store-gateway sends the same series without chunks', async () => {
    const f = await fixture();
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
    try {
      await waitUntil(() => heldCount(c) === 5, { what: 'blocks loaded' });
      const gw = c.gateways.get('sg-1');
      const req = { minTime: HOUR, maxTime: 3 * HOUR, matchers: [{ type: 0, name: '__name__', value: 'a_metric' }], blockIds: gw?.gateway.store.blockIds('a') ?? [], limits: undefined };
      const full = await c.queryable.clients.series(gw?.addr ?? '', 'a', { ...req, skipChunks: false }, () => {});
      const bare = await c.queryable.clients.series(gw?.addr ?? '', 'a', { ...req, skipChunks: true }, () => {});
      assert.ok(full.series.length > 0 && full.series.every((x) => x.chunks.length > 0));
      assert.deepEqual(bare.series.map((x) => ({ labels: x.labels, chunks: x.chunks.length })), full.series.map((x) => ({ labels: x.labels, chunks: 0 })));

      const labelsOf = async (func: string): Promise<string[]> => {
        const q = await c.queryable.forTenant('a').querier(HOUR, 3 * HOUR);
        const ss = q.select({ start: HOUR, end: 3 * HOUR, step: 0, func, range: 0, sortSeries: true }, new Matcher(MatchType.Regexp, '__name__', '.+'));
        const out: string[] = [];
        while (await ss.next()) out.push(ss.at().labels.toString());
        assert.equal(ss.err(), undefined);
        return out;
      };
      const series = await labelsOf('series');
      assert.ok(series.length > 0);
      assert.deepEqual(series, await labelsOf(''));
    } finally {
      await c.close();
    }
  });

  it('a block deleted under a running store-gateway is dropped without errors; a block nobody serves fails the query', async () => {
    const f = await fixture();
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
    try {
      await waitUntil(() => heldCount(c) === 5, { what: 'blocks loaded' });
      const gw = c.gateways.get('sg-1');
      const [, , b2] = f.blocks.get('a') ?? [];
      const ta = tenantBucket(f.bucket, 'a');
      const objects: string[] = [];
      await ta.iter(b2, (n) => void objects.push(n), { recursive: true });
      for (const o of objects) await ta.delete(o);
      // The index still lists the block: the store-gateway finds its objects gone, drops it and
      // does not report it as queried, so the querier fails the consistency check, not silently.
      await assert.rejects(query(c, 'a', 0, 6 * HOUR), BlocksConsistencyError);
      assert.equal(gw?.gateway.store.blockIds('a').includes(b2), false);
      // partial_response: the blocks served answer, and a warning names the one missing.
      const partial = (await c.queryable.forTenant('a', new QueryLimiter(c.limits, { partialResponse: true })).querier(0, 6 * HOUR))
        .select({ start: 0, end: 6 * HOUR, step: 0, func: '', range: 0, sortSeries: true }, new Matcher(MatchType.Regexp, '__name__', '.+'));
      let samples = 0;
      while (await partial.next()) {
        const it = partial.at().iterator();
        while (it.next() !== ValueType.None) samples++;
      }
      assert.equal(partial.err(), undefined);
      assert.equal(samples, 12 * (4 * HOUR / 30_000), 'the two ranges still served, replicas deduplicated');
      assert.deepEqual(partial.warnings(), [`partial response: consistency check failed because some blocks were not queried: ${b2}`]);
      // Once the index is updated, queries work again, without the deleted range.
      await c.updateIndex();
      await gw?.gateway.sync();
      assert.equal(heldCount(c), 4);
      const want = expected(f.plain.get('a') ?? [], 0, 6 * HOUR, () => true);
      const got = await query(c, 'a', 0, 6 * HOUR);
      for (const [k, samples] of got) {
        assert.deepEqual(samples, (want.get(k) ?? []).filter(([t]) => t < 2 * HOUR || t >= 4 * HOUR));
      }
      assert.match(await (gw?.registry.metrics() ?? Promise.resolve('')), /myelin_bucket_store_block_load_failures_total 0/);
    } finally {
      await c.close();
    }
  });

  it('a block marked for deletion is served until the ignore delay; a block younger than the upload grace may be missed', async () => {
    const f = await fixture();
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1'], replicationFactor: 1, ignoreDeletionMarksDelay: HOUR, uploadGracePeriod: HOUR });
    try {
      await waitUntil(() => heldCount(c) === 5, { what: 'blocks loaded' });
      const gw = c.gateways.get('sg-1');
      const [, , b2] = f.blocks.get('a') ?? [];
      const ta = tenantBucket(f.bucket, 'a');
      const want = expected(f.plain.get('a') ?? [], 0, 6 * HOUR);
      // Just marked (as a compactor marks the sources of a new block): still loaded and queried.
      await markForDeletion(ta, b2, Date.now());
      await c.updateIndex();
      await gw?.gateway.sync();
      assert.equal(gw?.gateway.store.blockIds('a').includes(b2), true, 'a freshly marked block stays loaded');
      assert.deepEqual(await query(c, 'a', 0, 6 * HOUR), want);
      // Marked longer ago than the delay: dropped by the store-gateway, skipped by the querier.
      await markForDeletion(ta, b2, Date.now() - 2 * HOUR);
      await c.updateIndex();
      await gw?.gateway.sync();
      assert.equal(gw?.gateway.store.blockIds('a').includes(b2), false, 'an old mark drops the block');
      const got = await query(c, 'a', 0, 6 * HOUR);
      for (const [k, samples] of got) assert.deepEqual(samples, (want.get(k) ?? []).filter(([t]) => t < 2 * HOUR || t >= 4 * HOUR));
      // A block just uploaded and indexed, not loaded by any store-gateway yet: the query answers
      // without it (its data is still elsewhere) instead of failing the consistency check.
      const late = await uploadTestBlock(f.bucket, 'a', seriesFor('a', 6 * HOUR, 8 * HOUR));
      await c.updateIndex();
      assert.equal(gw?.gateway.store.blockIds('a').includes(late.ulid), false);
      await query(c, 'a', 0, 8 * HOUR);
      assert.match(await c.registry.metrics(), /myelin_querier_blocks_consistency_checks_failed_total 0/);
    } finally {
      await c.close();
    }
  });

  it('serves blocks from the GCS backend (through the real client, against the local fake GCS server)', async () => {
    const server = new FakeGcsServer();
    await server.start();
    const f = await fixture(new GcsBucket({ bucketName: 'blocks', serviceAccount: '', endpoint: server.endpoint }));
    const c = await startTestCluster({ bucket: f.bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
    try {
      await waitUntil(() => heldCount(c) === 5, { what: 'blocks loaded' });
      assert.deepEqual(await query(c, 'a', 0, 6 * HOUR), expected(f.plain.get('a') ?? [], 0, 6 * HOUR));
      assert.ok((server.requests.get('GET media') ?? 0) > 0);
    } finally {
      await c.close();
      await server.stop();
    }
  });
});
