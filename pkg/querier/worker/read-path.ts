// The querier's read path, assembled: PromQL over the ingesters (recent data) and the
// store-gateways (blocks), split by time and federated over tenants. Built once per query worker;
// everything it reads about the cluster comes from the rings it is given.
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { ApiBackend } from '../../api/prometheus/index.js';
import { newBucket } from '../../bucket/index.js';
import type { BucketConfig } from '../../bucket/index.js';
import { IngesterConn } from '../../ingester/client/index.js';
import type { IngesterClientConfig } from '../../ingester/client/index.js';
import { federatedQueryLimits, type QueryLimiter, type QueryLimits } from '../../limits/index.js';
import type { Logger } from '../../log/index.js';
import { IngesterService, type IngesterClient } from '../../generated/myelin/ingester.js';
import { StoreGatewayService, type StoreGatewayClient } from '../../generated/myelin/storegateway.js';
import { Engine } from '../../promql/index.js';
import type { ReadRing, RingSnapshot } from '../../ring/index.js';
import { ClientPool } from '../../ring/client/index.js';
import type { InProcessGrpcClients } from '../../server/index.js';
import type { Service } from '../../services/index.js';
import type { BucketStoreConfig } from '../../store-gateway/index.js';
import { StoreGatewayClientPool } from '../../store-gateway/client/index.js';
import { TenantLabel, TenantSeparator } from '../../tenant/index.js';
import { BlocksStoreQueryable } from '../blocks-store-queryable.js';
import type { QuerierConfig } from '../config.js';
import { IngestersQueryable, ingestersExemplars, ingestersMetadata } from '../ingesters-queryable.js';
import { IngestersCardinality } from '../ingesters-cardinality.js';
import { limitedQueryable } from '../limited-queryable.js';
import { queryShardQueryable } from '../query-shard-queryable.js';
import { deletedSeriesQueryable, withoutDeletedExemplars } from '../deleted-series-queryable.js';
import { TenantDeletions } from '../tenant-deletions.js';
import { QueryMetrics } from '../query-metrics.js';
import { federatedQueryable } from '../tenant-federation.js';
import { timeSplitQueryable } from '../time-split-queryable.js';

export interface ReadPathConfig {
  querier: QuerierConfig;
  ingesterClient: IngesterClientConfig;
  blocksStorage: BucketConfig & { bucketStore: BucketStoreConfig };
  storeGatewayRing: { replicationFactor: number; heartbeatTimeout: number };
}

export interface ReadPathDeps {
  ingesterRing: ReadRing;
  storeGatewayRing: () => RingSnapshot;
  limits: (tenant: string) => QueryLimits;
  logger: Logger;
  registry: Registry;
  /** Clients of the services this process's main thread serves, reached without a socket. */
  inProcess?: InProcessGrpcClients;
}

export interface ReadPath {
  backend: ApiBackend;
  /** Health checks of the ingester clients; run it while the read path is used. */
  service: Service;
}

export function newReadPath(cfg: ReadPathConfig, deps: ReadPathDeps): ReadPath {
  const qcfg = cfg.querier;
  const ring = deps.ingesterRing;
  const pool = new ClientPool<IngesterConn>(
    { checkInterval: 15_000, healthCheckEnabled: true, healthCheckTimeout: qcfg.timeout },
    { factory: (addr) => new IngesterConn(cfg.ingesterClient, addr, inProcessClient<IngesterClient>(deps, IngesterService, addr)), addresses: () => ring.snapshot().instances.map((i) => i.addr),
      logger: deps.logger, registry: deps.registry, name: 'querier_ingester' },
  );
  const bucket = newBucket(cfg.blocksStorage, { reg: deps.registry, name: 'querier' });
  const blocks = new BlocksStoreQueryable({
    bucket,
    ringSnapshot: deps.storeGatewayRing,
    replicationFactor: cfg.storeGatewayRing.replicationFactor,
    heartbeatTimeout: cfg.storeGatewayRing.heartbeatTimeout,
    clients: new StoreGatewayClientPool({
      timeoutMs: qcfg.timeout,
      maxRecvMsgSize: cfg.ingesterClient.grpcClientConfig.maxRecvMsgSize,
      tls: qcfg.storeGatewayClient,
      inProcess: (addr) => inProcessClient<StoreGatewayClient>(deps, StoreGatewayService, addr),
    }),
    logger: deps.logger,
    registry: deps.registry,
    ignoreDeletionMarksDelay: cfg.blocksStorage.bucketStore.ignoreDeletionMarksDelay,
    uploadGracePeriod: 3 * cfg.blocksStorage.bucketStore.syncInterval,
  });
  const ingesters = { ring, client: (addr: string) => pool.get(addr), timeout: qcfg.timeout };
  // One query at a time per worker: the engine's own concurrency limit is the pool's.
  const engine = new Engine({ lookbackDelta: qcfg.lookbackDelta, timeout: qcfg.timeout, maxSamples: qcfg.maxSamples, maxConcurrent: 1 }, deps.registry);
  const queryMetrics = new QueryMetrics(deps.registry);
  const deletions = new TenantDeletions(bucket);
  return {
    backend: {
      engine,
      // Reads may name several tenants (`a|b`): federated, with `__tenant_id__` on every series.
      // One budget (the request's limiter) for every ingester and store-gateway the request reads.
      queryable: (tenants, limiter: QueryLimiter) => {
        const one = (tenant: string) => {
          const q = timeSplitQueryable(new IngestersQueryable(tenant, ingesters, limiter), blocks.forTenant(tenant, limiter), qcfg);
          return deps.limits(tenant).seriesDeletionEnabled ? deletedSeriesQueryable(q, () => deletions.of(tenant)) : q;
        };
        const ids = tenants.split(TenantSeparator);
        return queryShardQueryable(limitedQueryable(ids.length === 1 ? one(ids[0]) : federatedQueryable(ids, one), limiter.limits));
      },
      metadata: (tenants) => ingestersMetadata(tenants.split(TenantSeparator), ingesters),
      // Exemplars are only in the ingesters (never in blocks, as in Cortex); those of deleted series
      // ranges are hidden as their samples are.
      exemplars: async (tenants, start, end, sets) => {
        const ids = tenants.split(TenantSeparator);
        const found = await ingestersExemplars(ids, ingesters, start, end, sets, TenantLabel);
        const withDeletion = ids.filter((id) => deps.limits(id).seriesDeletionEnabled);
        if (withDeletion.length === 0) return found;
        return withoutDeletedExemplars(found,
          (ls) => ids.length === 1 ? { tenant: ids[0], labels: ls } : { tenant: ls.get(TenantLabel), labels: ls.drop(new Set([TenantLabel])) },
          async (id) => withDeletion.includes(id) ? deletions.of(id) : []);
      },
      // Cardinality is of the ingesters' heads, as in Mimir: blocks are not read.
      cardinality: new IngestersCardinality(ingesters),
      limits: (tenants) => federatedQueryLimits(tenants.split(TenantSeparator).map(deps.limits)),
      observe: (tenants, stats, err) => queryMetrics.observe(tenants, stats, err),
    },
    service: pool.service(),
  };
}

/** A client of this process's own service at `addr` over the worker's channel; undefined for other processes. */
function inProcessClient<C>(deps: ReadPathDeps, def: ServiceDefinition, addr: string): C | undefined {
  const p = deps.inProcess;
  return p?.serves(addr) === true ? (p.client(def) as C) : undefined;
}
