// Test and benchmark helpers: a store-gateway with its own gRPC server on 127.0.0.1, sharing a ring
// KV with its peers. Not used by production code.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { BucketReader } from '../bucket/index.js';
import { defaults } from '../flagext/index.js';
import { StoreGatewayService } from './grpc-service.js';
import { createKVClient, kvConfig, type MemoryStore } from '../kv/index.js';
import { instanceDescCodec } from '../ring/index.js';
import { bucketStoreConfig, storeGatewayConfig, type BucketStoreConfig, type StoreGatewayConfig } from './config.js';
import { StoreGateway } from './gateway.js';
import type { OwnedCaches } from './caches.js';

export interface TestGateway {
  gateway: StoreGateway;
  addr: string;
  registry: Registry;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  id: string;
  bucket: BucketReader;
  ring: MemoryStore;
  syncDir: string;
  replicationFactor: number;
  caches?: OwnedCaches;
  store?: Partial<BucketStoreConfig>;
}

export function testGatewayConfig(id: string, addr: string, replicationFactor: number): StoreGatewayConfig {
  const cfg = defaults(storeGatewayConfig);
  cfg.shardingRing.replicationFactor = replicationFactor;
  cfg.shardingRing.heartbeatTimeout = 60_000;
  Object.assign(cfg.shardingRing, { id, addr, numTokens: 64, heartbeatPeriod: 200, observePeriod: 0, joinAfter: 0 });
  return cfg;
}

export async function startTestGateway(o: TestGatewayOptions): Promise<TestGateway> {
  const server = new Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const addr = `127.0.0.1:${port}`;
  const registry = new Registry();
  const logger = pino({ level: 'silent' });
  const storeCfg = { ...defaults(bucketStoreConfig), syncDir: o.syncDir, syncInterval: 60_000, ...o.store };
  const kv = createKVClient(defaults(kvConfig('store-gateway.sharding-ring.')), instanceDescCodec, { memory: o.ring, logger, registry, kvName: 'store-gateway' });
  const gateway = new StoreGateway(testGatewayConfig(o.id, addr, o.replicationFactor), storeCfg, {
    bucket: o.bucket,
    ringKV: kv,
    logger,
    registry,
    ...(o.caches !== undefined ? { caches: o.caches } : {}),
  });
  server.addService(StoreGatewayService, gateway.grpcHandlers());
  gateway.service.startAsync();
  await gateway.service.awaitRunning();
  let stopped = false;
  return {
    gateway,
    addr,
    registry,
    async stop() {
      if (stopped) return;
      stopped = true;
      gateway.service.stopAsync();
      await gateway.service.awaitTerminated();
      server.forceShutdown();
    },
  };
}
