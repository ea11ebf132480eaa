// One ingester shard, inside its worker thread: a whole ingester (ring member, TSDBs, WALs,
// shipper, transfer) with its own gRPC server, driven by the main thread over the worker's port.
import { Writable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { newBucket } from '../../bucket/index.js';
import { MultiClient, PortStore, createKVClient } from '../../kv/index.js';
import { Overrides } from '../../limits/index.js';
import { createLogger } from '../../log/index.js';
import { instanceDescCodec } from '../../ring/index.js';
import { Server } from '../../server/index.js';
import { TenantResolver } from '../../tenant/index.js';
import { RpcChannel } from '../../workers/index.js';
import type { Port } from '../../workers/index.js';
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
export const ShardNotice = { Running: 'running', Terminated: 'terminated', Failed: 'failed', Log: 'log' } as const;

/**
 * Builds and starts the shard. The ring address is known only once the gRPC server is bound, so
 * the server starts first and the ingester's service is added to it after (nothing can call it
 * before the ingester is in the ring).
 */
export async function runShard(data: ShardData, port: Port): Promise<void> {
  const { cfg } = data;
  const registry = new Registry();
  let runtime = data.runtime;
  // Set once built: the port answers from the start, the ingester exists only after the server is bound.
  const live: { ing?: Ingester; stop?: () => Promise<void> } = {};
  const started = (): Ingester => live.ing ?? unavailable();
  const rpc = new RpcChannel(port);
  rpc.handle('flush', (args) => {
    const a = args as { reason: string; tenants: string[] | undefined };
    return started().flush(a.reason, a.tenants);
  });
  rpc.handle('shutdownAndFlush', () => started().shutdownAndFlush());
  rpc.handle('allUserStats', () => started().allUserStats());
  rpc.handle('notReady', () => live.ing === undefined ? `ingester shard ${cfg.shard} is starting`
    : live.ing.service.state() === 'Running' ? live.ing.notReadyReason() : `ingester ${live.ing.lifecycler.id} is ${live.ing.service.state()}`);
  rpc.handle('metrics', () => registry.getMetricsAsJSON());
  rpc.handle('runtime', (v) => {
    runtime = v as ShardRuntime;
    if (kv instanceof MultiClient) kv.applyRuntimeConfig(runtime.multiKv);
  });
  rpc.handle('stop', () => (live.stop ?? unavailable)());
  // Log lines go to the main thread's logger: one output, one format, with the shard's number.
  const logger = createLogger({ level: cfg.server.logLevel, format: 'json' }, new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') rpc.notify(ShardNotice.Log, line);
      done();
    },
  })).child({ shard: cfg.shard });
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

  const shard = new Ingester(cfg.ingester, cfg.tsdb, {
    overrides,
    kv,
    bucket: newBucket(cfg.bucket, { reg: registry, name: 'ingester' }),
    registry,
    logger,
    transferOut: transferOutVia(cfg.ingesterClient),
    deleteRequestCancelPeriod: cfg.deleteRequestCancelPeriod,
  });
  server.addGrpcService(ingesterServiceDefinition, ingesterGrpcService(shard, tenants, new TransferReceiver(shard, logger.child({ component: 'ingester' }))),
    { requireTenant: true, tenantExempt: ['allUserStats', 'transferChunks'] });
  // The main thread's distributor pushes to this shard over the worker's port, not the socket.
  server.inProcess.advertise(cfg.ingester.lifecycler.addr);
  await server.inProcess.serve(rpc); // before the ring can name the address
  server.setHealthCheck('myelin.ingester.Ingester', () => shard.acceptingWrites());
  server.setHealthCheck('', () => shard.service.state() === 'Running');

  let stopRequested = false;
  live.stop = async () => {
    stopRequested = true;
    shard.service.stopAsync();
    try {
      await shard.service.awaitTerminated();
    } finally {
      serverService.stopAsync();
      await serverService.awaitTerminated();
      // Exit once the answer is posted, so the thread ends even with idle client channels open.
      setImmediate(() => process.exit(0));
    }
  };
  live.ing = shard;
  shard.service.awaitTerminated().then(
    () => { if (!stopRequested) rpc.notify(ShardNotice.Terminated, undefined); },
    (err: unknown) => {
      logger.error({ err }, 'ingester shard failed');
      rpc.notify(ShardNotice.Failed, { message: (err as Error).message, stack: (err as Error).stack });
    },
  );
  shard.service.startAsync();
  await shard.service.awaitRunning();
  logger.info({ id: shard.lifecycler.id, addr: cfg.ingester.lifecycler.addr, dir: cfg.tsdb.dir }, 'ingester shard running');
  rpc.notify(ShardNotice.Running, { id: shard.lifecycler.id, addr: cfg.ingester.lifecycler.addr });
}

function unavailable(): never {
  throw new Error('the ingester shard is still starting');
}
