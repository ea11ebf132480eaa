// The Querier acceptance suite (pkg/storage/acceptance.ts) against the querier's two sources, each
// over real gRPC: the store-gateways (a block in a filesystem bucket, served by a store-gateway) and
// the ingesters (samples pushed to a running ingester).
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
import { IngestersQueryable } from './ingesters-queryable.js';
import { startTestCluster } from './testing.js';

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
