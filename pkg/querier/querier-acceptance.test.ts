// The Querier acceptance suite (pkg/storage/acceptance.ts) against the querier's two sources, each
// over real gRPC: the store-gateways (a block in a filesystem bucket, served by a store-gateway) and
// the ingesters (samples pushed to a running ingester); and against the queriers that combine
// others: the time split between ingesters and store, and tenant federation.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { FilesystemBucket } from '../bucket/index.js';
import { uploadTestBlock } from '../bucket-index/testing.js';
import { defaults } from '../flagext/index.js';
import { IngesterConn, ingesterClientConfig } from '../ingester/client/index.js';
import { startTestIngester, type TestIngester } from '../ingester/testing.js';
import { MemoryStore } from '../kv/index.js';
import type { InstanceDesc, ReadRing } from '../ring/index.js';
import { querierAcceptance, type AcceptanceSeries } from '../storage/acceptance.js';
import { tenantMetadata } from '../tenant/index.js';
import { waitUntil } from '../testutil/index.js';
import { Labels } from '../model/labels/index.js';
import { MemoryStorage } from '../promql/promqltest/memory-storage.js';
import { IngestersQueryable } from './ingesters-queryable.js';
import { federatedQueryable } from './tenant-federation.js';
import { startTestCluster } from './testing.js';
import { timeSplitQueryable } from './time-split-queryable.js';

describe('blocks store queryable (store-gateway over gRPC)', () => {
  querierAcceptance(async (series) => {
    const root = await mkdtemp(join(tmpdir(), 'myelin-querier-acceptance-'));
    const bucket = new FilesystemBucket(join(root, 'bucket'));
    await uploadTestBlock(bucket, 't', series);
    const c = await startTestCluster({ bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
    await waitUntil(() => c.gateways.get('sg-1')?.gateway.store.blockCount() === 1, { what: 'the store-gateway to load the block' });
    await waitUntil(() => c.ring.snapshot().instances.length === 1, { what: 'the querier to see the store-gateway' });
    return { queryable: c.queryable.forTenant('t'), close: async () => {
      await c.close();
      await rm(root, { recursive: true, force: true });
    } };
  });
});

/** Pushes `series` in 10-minute windows, oldest first (the head refuses samples far behind its max time). */
async function pushInTimeOrder(ti: TestIngester, tenant: string, series: readonly AcceptanceSeries[]): Promise<void> {
  const window = 10 * 60_000;
  const end = Math.max(...series.flatMap((s) => s.samples.map(([t]) => t)));
  for (let from = 0; from <= end; from += window) {
    const timeseries = series.map((s) => ({
      labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
      samples: s.samples.filter(([t]) => t >= from && t < from + window).map(([timestamp, value]) => ({ timestamp, value })),
      exemplars: [],
      histograms: [],
    })).filter((s) => s.samples.length > 0);
    await new Promise<void>((resolve, reject) => ti.client.push({ timeseries, metadata: [] }, tenantMetadata(tenant), (err) => (err ? reject(err) : resolve())));
  }
}

describe('ingesters queryable (ingester over gRPC)', () => {
  querierAcceptance(async (series) => {
    const bucketDir = await mkdtemp(join(tmpdir(), 'myelin-querier-acceptance-'));
    const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir });
    await pushInTimeOrder(ti, 't', series);
    const instances = [{ addr: `127.0.0.1:${ti.server.grpcPort()}` } as InstanceDesc];
    const ring = { getReplicationSetForOperation: () => ({ instances, maxErrors: 0 }) } as unknown as ReadRing;
    const conn = new IngesterConn(defaults(ingesterClientConfig), instances[0].addr);
    return { queryable: new IngestersQueryable('t', { ring, timeout: 10_000, client: () => conn }), close: async () => {
      conn.close();
      await ti.stop();
      await rm(bucketDir, { recursive: true, force: true });
    } };
  });
});

/** A storage holding the samples of `series` that `keep` selects. */
function storageOf(series: readonly AcceptanceSeries[], keep: (s: AcceptanceSeries, t: number) => boolean): MemoryStorage {
  const db = new MemoryStorage();
  for (const s of series) for (const [t, v] of s.samples) if (keep(s, t)) db.append(Labels.fromRecord(s.labels), t, v);
  return db;
}

describe('time split queryable (recent from the ingesters, older from the store, overlapping)', () => {
  const minute = 60_000;
  const now = 200 * minute;
  querierAcceptance(async (series) => ({
    // Ingesters are asked from 60m on and hold 55m on; the store is asked up to 70m and holds up to
    // 75m: the merge must take each side's part and the overlap once.
    queryable: timeSplitQueryable(storageOf(series, (_s, t) => t >= 55 * minute), storageOf(series, (_s, t) => t <= 75 * minute), {
      queryIngestersWithin: now - 60 * minute,
      queryStoreAfter: now - 70 * minute,
      now: () => now,
    }),
  }));
});

describe('federated queryable (a|b: each series gets its __tenant_id__)', () => {
  const tenantOf = (s: AcceptanceSeries) => (s.labels.job === 'db' || s.labels.code !== undefined ? 'b' : 'a');
  querierAcceptance(async (series) => {
    const stores = new Map(['a', 'b'].map((tenant) => [tenant, storageOf(series, (s) => tenantOf(s) === tenant)]));
    return { queryable: federatedQueryable(['a', 'b'], (tenant) => stores.get(tenant) as MemoryStorage) };
  }, { addedLabels: (s) => ({ __tenant_id__: tenantOf(s) }) });
});
