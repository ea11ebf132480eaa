// One ingester shard, inside its worker thread: a whole ingester (ring member, TSDBs, WALs,
// shipper, transfer) with its own gRPC server, driven by the main thread over the worker's port.
import type { MessagePort } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { newBucket } from '../../bucket/index.js';
import { MultiClient, PortStore, createKVClient } from '../../kv/index.js';
import { Overrides } from '../../limits/index.js';
import { createLogger } from '../../log/index.js';
import { PortRpc } from '../../port-rpc/index.js';
import type { PortLike } from '../../port-rpc/index.js';
import { instanceDescCodec } from '../../ring/index.js';
import { Server } from '../../server/index.js';
import { TenantResolver } from '../../tenant/index.js';
import { ingesterGrpcService, ingesterServiceDefinition } from '../grpc-service.js';
import { Ingester } from '../ingester.js';
import { TransferReceiver, transferOutVia } from '../transfer.js';
import type { ShardConfig, ShardRuntime } from './shard-config.js';

/** What the main thread hands a shard worker (workerData). */
export interface ShardData {
  cfg: ShardConfig;
  runtime: ShardRuntime;
  /** The process's memory KV store, served over this port (serveMemoryStore). */
  kvPort: MessagePort;
}

/** Notices a shard sends the main thread. */
export const ShardNotice = { Running: 'running', Terminated: 'terminated', Failed: 'failed' } as const;

/**
 * Builds and starts the shard. The ring address is known only once the gRPC server is bound, so
 * the server starts first and the ingester's service is added to it after (nothing can call it
 * before the ingester is in the ring).
 */
export async function runShard(data: ShardData, port: PortLike): Promise<void> {
  const { cfg } = data;
  const logger = createLogger({ level: cfg.server.logLevel, format: cfg.server.logFormat }).child({ shard: cfg.shard });
  const registry = new Registry();
  let runtime = data.runtime;
  const overrides = new Overrides(cfg.limits, () => runtime.overrides);
  const kv = createKVClient(cfg.ingester.lifecycler.ring.kvstore, instanceDescCodec, {
    memory: new PortStore(data.kvPort), logger, registry, kvName: 'ingester-ring',
  });
  if (kv instanceof MultiClient) kv.applyRuntimeConfig(runtime.multiKv);
  const tenants = new TenantResolver({ authEnabled: cfg.authEnabled });
  const server = new Server(cfg.server, { logger, registry, tenants, grpcOnly: true });
  const serverService = server.service();
  serverService.startAsync();
  await serverService.awaitRunning();
  cfg.ingester.lifecycler.addr = `${cfg.advertiseHost}:${server.grpcPort()}`;

  const ing = new Ingester(cfg.ingester, cfg.tsdb, {
    overrides,
    kv,
    bucket: newBucket(cfg.bucket, { reg: registry, name: 'ingester' }),
    registry,
    logger,
    transferOut: transferOutVia(cfg.ingesterClient),
  });
  server.addGrpcService(ingesterServiceDefinition, ingesterGrpcService(ing, tenants, new TransferReceiver(ing, logger.child({ component: 'ingester' }))),
    { requireTenant: true, tenantExempt: ['allUserStats', 'transferChunks'] });
  server.setHealthCheck('myelin.ingester.Ingester', () => ing.acceptingWrites());
  server.setHealthCheck('', () => ing.service.state() === 'Running');

  let stopRequested = false;
  const stop = async () => {
    stopRequested = true;
    ing.service.stopAsync();
    try {
      await ing.service.awaitTerminated();
    } finally {
      serverService.stopAsync();
      await serverService.awaitTerminated();
      // Exit once the answer is posted; unlike terminate(), an exit delivers the last log lines.
      setImmediate(() => process.exit(0));
    }
  };
  const rpc = new PortRpc(port, {
    flush: (a: { reason: string; tenants: string[] | undefined }) => ing.flush(a.reason, a.tenants),
    shutdownAndFlush: () => ing.shutdownAndFlush(),
    notReady: () => ing.service.state() === 'Running' ? ing.lifecycler.notReadyReason() : `ingester ${ing.lifecycler.id} is ${ing.service.state()}`,
    metrics: () => registry.getMetricsAsJSON(),
    runtime: (v: ShardRuntime) => {
      runtime = v;
      if (kv instanceof MultiClient) kv.applyRuntimeConfig(v.multiKv);
    },
    stop,
  });

  ing.service.awaitTerminated().then(
    () => { if (!stopRequested) rpc.notify(ShardNotice.Terminated); },
    (err: unknown) => {
      logger.error({ err }, 'ingester shard failed');
      rpc.notify(ShardNotice.Failed, { message: (err as Error).message, stack: (err as Error).stack });
    },
  );
  ing.service.startAsync();
  await ing.service.awaitRunning();
  logger.info({ id: ing.lifecycler.id, addr: cfg.ingester.lifecycler.addr, dir: cfg.tsdb.dir }, 'ingester shard running');
  rpc.notify(ShardNotice.Running, { id: ing.lifecycler.id, addr: cfg.ingester.lifecycler.addr });
}
