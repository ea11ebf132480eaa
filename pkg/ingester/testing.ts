// Test wiring for ingesters: real gRPC and HTTP servers on 127.0.0.1, an in-memory ring KV shared
// by every ingester of a test, and a filesystem bucket. Used by this package's tests only.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { FilesystemBucket } from '../bucket/index.js';
import { defaults } from '../flagext/index.js';
import { IngesterClient } from '../generated/myelin/ingester.js';
import type { MemoryStore } from '../kv/index.js';
import { MemoryClient } from '../kv/index.js';
import { Overrides, limitsConfig } from '../limits/index.js';
import type { Limits, TenantOverrides } from '../limits/index.js';
import { createLogger } from '../log/index.js';
import { InstanceState, instanceDescCodec } from '../ring/index.js';
import { Server, serverConfig } from '../server/index.js';
import { TenantResolver } from '../tenant/index.js';
import { ingesterClientConfig } from './client/index.js';
import { ingesterConfig, tsdbConfig } from './config.js';
import type { TsdbConfig } from './config.js';
import { ingesterGrpcService, ingesterServiceDefinition } from './grpc-service.js';
import { registerIngesterRoutes } from './http.js';
import { Ingester } from './ingester.js';
import { TransferReceiver, transferOutVia } from './transfer.js';
import { freePort, waitUntil } from '../testutil/index.js';

export const silentLogger = createLogger({ level: 'error', format: 'json' }, { write: () => true } as unknown as NodeJS.WritableStream);

export interface TestIngester {
  ing: Ingester;
  server: Server;
  client: IngesterClient;
  registry: Registry;
  dataDir: string;
  http: string;
  stop: () => Promise<void>;
}

export interface TestIngesterOptions {
  id: string;
  kv: MemoryStore;
  bucketDir: string;
  limits?: Partial<Limits>;
  /** Per-tenant overrides as the runtime config holds them now (read at every lookup). */
  overrides?: () => TenantOverrides;
  tsdb?: Partial<TsdbConfig>;
  dataDir?: string;
  /** Stay PENDING (waiting for a transfer) this long before claiming tokens. */
  joinAfter?: number;
  transfer?: boolean;
  /** Replication factor of the ingester ring (default 1). */
  rf?: number;
}

/** Starts an ingester with its servers and waits until it is ACTIVE (or PENDING with `joinAfter`). */
export async function startTestIngester(o: TestIngesterOptions): Promise<TestIngester> {
  const registry = new Registry();
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), `ingester-${o.id}-`));
  const grpcPort = await freePort();
  const tenants = new TenantResolver({ authEnabled: true });
  const server = new Server({ ...defaults(serverConfig), httpListenAddress: '127.0.0.1', httpListenPort: 0, grpcListenAddress: '127.0.0.1', grpcListenPort: grpcPort },
    { logger: silentLogger, registry, tenants });
  const cfg = defaults(ingesterConfig);
  cfg.lifecycler.id = o.id;
  cfg.lifecycler.addr = `127.0.0.1:${grpcPort}`;
  cfg.lifecycler.numTokens = 16;
  cfg.lifecycler.heartbeatPeriod = 200;
  cfg.lifecycler.joinAfter = o.joinAfter ?? 0;
  cfg.lifecycler.ring.replicationFactor = o.rf ?? 1;
  cfg.maxTransferRetries = o.transfer === true ? 10 : 0;
  cfg.transferTimeout = 1_000;
  const tsdb = { ...defaults(tsdbConfig), dir: dataDir, shipInterval: 0, ...o.tsdb };
  const limits = { ...defaults(limitsConfig), ...o.limits };
  const ing = new Ingester(cfg, tsdb, {
    overrides: new Overrides(limits, o.overrides ?? (() => new Map())),
    kv: new MemoryClient(o.kv, instanceDescCodec, 'collectors/'),
    bucket: new FilesystemBucket(o.bucketDir),
    registry,
    logger: silentLogger,
    transferOut: transferOutVia(defaults(ingesterClientConfig)),
  });
  server.addGrpcService(ingesterServiceDefinition, ingesterGrpcService(ing, tenants, new TransferReceiver(ing, silentLogger)), { requireTenant: true, tenantExempt: ['allUserStats', 'transferChunks'] });
  server.setHealthCheck('myelin.ingester.Ingester', () => ing.acceptingWrites());
  await registerIngesterRoutes(server.http, ing, silentLogger, () => {});
  const serverSvc = server.service();
  serverSvc.startAsync();
  await serverSvc.awaitRunning();
  ing.service.startAsync();
  await ing.service.awaitRunning();
  const want = (o.joinAfter ?? 0) > 0 ? InstanceState.PENDING : InstanceState.ACTIVE;
  await waitUntil(() => ing.lifecycler.state() === want, { what: `ingester ${o.id} to be ${InstanceState[want]}` });
  const client = new IngesterClient(`127.0.0.1:${server.grpcPort()}`, credentials.createInsecure());
  return {
    ing, server, client, registry, dataDir, http: `http://127.0.0.1:${server.httpPort()}`,
    stop: async () => {
      client.close();
      ing.service.stopAsync();
      await ing.service.awaitTerminated().catch(() => {});
      serverSvc.stopAsync();
      await serverSvc.awaitTerminated();
    },
  };
}
