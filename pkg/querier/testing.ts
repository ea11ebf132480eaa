// Test and benchmark helpers: a bucket with blocks, store-gateways sharing a ring, and a
// BlocksStoreQueryable asking them over gRPC. Not used by production code.
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Bucket } from '../bucket/index.js';
import { BucketIndexUpdater } from '../bucket-index/index.js';
import { defaults } from '../flagext/index.js';
import { createKVClient, kvConfig, MemoryStore } from '../kv/index.js';
import { Ring, instanceDescCodec, ringConfig } from '../ring/index.js';
import { STORE_GATEWAY_RING_KEY, type OwnedCaches } from '../store-gateway/index.js';
import { StoreGatewayClientPool } from '../store-gateway/client/index.js';
import { startTestGateway, type TestGateway } from '../store-gateway/testing.js';
import { noQueryLimits, type QueryLimits } from '../limits/index.js';
import { BlocksStoreQueryable } from './blocks-store-queryable.js';
import { querierConfig } from './config.js';

export interface TestCluster {
  bucket: Bucket;
  gateways: Map<string, TestGateway>;
  ring: Ring;
  queryable: BlocksStoreQueryable;
  registry: Registry;
  /** The limits `query` helpers give each query (none by default); tests change them. */
  limits: QueryLimits;
  updateIndex(): Promise<void>;
  close(): Promise<void>;
}

export interface TestClusterOptions {
  bucket: Bucket;
  gatewayIds: string[];
  replicationFactor: number;
  caches?: (id: string) => OwnedCaches;
  /** -blocks-storage.bucket-store.ignore-deletion-marks-delay of gateways and querier (default 0: marked blocks are gone at once). */
  ignoreDeletionMarksDelay?: number;
  /** The querier's grace for blocks not loaded yet (default 0). */
  uploadGracePeriod?: number;
}

export async function startTestCluster(o: TestClusterOptions): Promise<TestCluster> {
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const memory = new MemoryStore();
  const syncRoot = await fs.mkdtemp(path.join(tmpdir(), 'myelin-sg-sync-'));
  const updater = new BucketIndexUpdater({ bucket: o.bucket, logger, registry });
  await updater.updateAll();
  const gateways = new Map<string, TestGateway>();
  for (const id of o.gatewayIds) {
    const caches = o.caches?.(id);
    gateways.set(
      id,
      await startTestGateway({
        id,
        bucket: o.bucket,
        ring: memory,
        syncDir: path.join(syncRoot, id),
        replicationFactor: o.replicationFactor,
        store: { ignoreDeletionMarksDelay: o.ignoreDeletionMarksDelay ?? 0 },
        ...(caches !== undefined ? { caches } : {}),
      }),
    );
  }
  const rc = { ...defaults(ringConfig('store-gateway.sharding-ring.')), replicationFactor: o.replicationFactor, heartbeatTimeout: 60_000 };
  const kv = createKVClient(defaults(kvConfig('store-gateway.sharding-ring.')), instanceDescCodec, { memory, logger, registry, kvName: 'querier-sg' });
  const ring = new Ring(rc, 'store-gateway', STORE_GATEWAY_RING_KEY, { kv, logger, registry });
  ring.service.startAsync();
  await ring.service.awaitRunning();
  const clients = new StoreGatewayClientPool({ timeoutMs: 10_000, maxRecvMsgSize: 100 << 20, tls: defaults(querierConfig).storeGatewayClient });
  const limits: QueryLimits = { ...noQueryLimits };
  const queryable = new BlocksStoreQueryable({
    bucket: o.bucket,
    ringSnapshot: () => ring.snapshot(),
    replicationFactor: o.replicationFactor,
    heartbeatTimeout: 60_000,
    clients,
    logger,
    registry,
    ignoreDeletionMarksDelay: o.ignoreDeletionMarksDelay ?? 0,
    uploadGracePeriod: o.uploadGracePeriod ?? 0,
  });
  return {
    bucket: o.bucket,
    gateways,
    ring,
    queryable,
    registry,
    limits,
    updateIndex: () => updater.updateAll(),
    async close() {
      clients.close();
      for (const g of gateways.values()) await g.stop();
      ring.service.stopAsync();
      await ring.service.awaitTerminated();
      await fs.rm(syncRoot, { recursive: true, force: true });
    },
  };
}
