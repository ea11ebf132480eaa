import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BucketConfig } from '../../bucket/index.js';
import type { Limits, TenantOverrides } from '../../limits/index.js';
import type { MultiKvRuntime } from '../../runtime-config/index.js';
import type { ServerConfig } from '../../server/index.js';
import type { IngesterClientConfig } from '../client/index.js';
import type { IngesterConfig, TsdbConfig } from '../config.js';

/** Everything one shard worker needs to build its ingester; structured-cloned into the worker. */
export interface ShardConfig {
  shard: number;
  ingester: IngesterConfig;
  tsdb: TsdbConfig;
  bucket: BucketConfig;
  ingesterClient: IngesterClientConfig;
  /** The gRPC listen address and port, message sizes and log settings of the shard's own server. */
  server: ServerConfig;
  limits: Limits;
  authEnabled: boolean;
  /** The host other processes reach this one on; the shard's ring address is this host and its bound port. */
  advertiseHost: string;
  /** -purger.delete-request-cancel-period (ms). */
  deleteRequestCancelPeriod: number;
}

/** The runtime config values a shard follows; sent again whenever the file changes. */
export interface ShardRuntime {
  overrides: TenantOverrides;
  multiKv: MultiKvRuntime | undefined;
}

/**
 * The shards `-ingester.shards` asks for. 0 means one per core when the distributor runs in the
 * same process (the single-process setup, where the shards are the only ingesters), and 1 for an
 * ingester of its own (microservices scale ingesters by process, and a container's core count is
 * not the CPU it may use).
 */
export function shardCount(configured: number, withDistributor: boolean): number {
  if (configured > 0) return configured;
  return withDistributor ? availableParallelism() : 1;
}

/**
 * Each shard's config: the process's ingester config with the shard's own ring ID, tokens file,
 * TSDB directory and gRPC port (base + k, or 0 for a free one).
 */
export function shardConfigs(base: Omit<ShardConfig, 'shard'>, count: number): ShardConfig[] {
  const basePort = base.ingester.shardsGrpcBasePort;
  return Array.from({ length: count }, (_, k) => {
    const c: ShardConfig = { ...structuredClone(base), shard: k };
    const lc = c.ingester.lifecycler;
    lc.id = `${lc.id}-shard-${k}`;
    if (lc.tokensFilePath !== '') lc.tokensFilePath = `${lc.tokensFilePath}-shard-${k}`;
    lc.addr = ''; // the worker sets it once its server is bound
    c.tsdb.dir = join(c.tsdb.dir, `shard-${k}`);
    c.server.grpcListenPort = basePort === 0 ? 0 : basePort + k;
    return c;
  });
}
