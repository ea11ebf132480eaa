// The whole configuration checked in one pass before any module starts (Cortex's Config.Validate),
// so a bad value stops the process before a port is bound; each error names its key path.
import { readFileSync } from 'node:fs';
import { validateBucketConfig } from '../bucket/index.js';
import { validateCompactorConfig } from '../compactor/index.js';
import { validateDistributorConfig } from '../distributor/index.js';
import { ConfigError } from '../flagext/index.js';
import { validateIngesterClientConfig } from '../ingester/client/index.js';
import { validateKVConfig } from '../kv/index.js';
import { validateQueryRangeConfig } from '../query-frontend/index.js';
import { validateRulerConfig } from '../ruler/index.js';
import { parseRuntimeConfig } from '../runtime-config/index.js';
import { validateStoreGatewayConfig } from '../store-gateway/index.js';
import { validateClientTls } from '../tls/index.js';
import type { MyelinConfig } from './config.js';
import { Module, type ModuleName } from './modules.js';

/** Checks every section the modules in `running` (the targets and their dependencies) read. */
export function validateConfig(cfg: MyelinConfig, running: ReadonlySet<ModuleName>): void {
  const bucket = () => validateBucketConfig(cfg.blocksStorage);
  if (running.has(Module.RuntimeConfig)) validateRuntimeConfigFile(cfg);
  if (running.has(Module.Ring)) validateKVConfig(cfg.ingester.lifecycler.ring.kvstore, 'ingester.lifecycler.ring.kvstore');
  if (running.has(Module.Distributor)) {
    validateDistributorConfig(cfg.distributor);
    validateKVConfig(cfg.distributor.ring.kvstore, 'distributor.ring.kvstore');
    if (cfg.distributor.haTracker.enableHaTracker) validateKVConfig(cfg.distributor.haTracker.kvstore, 'distributor.ha_tracker.kvstore');
  }
  if (running.has(Module.Distributor) || running.has(Module.Querier)) validateIngesterClientConfig(cfg.ingesterClient);
  if (running.has(Module.Ingester)) {
    validateIngesterMessageSizes(cfg);
    bucket();
  }
  if (running.has(Module.StoreGateway)) {
    bucket();
    validateStoreGatewayConfig(cfg.storeGateway, cfg.blocksStorage.bucketStore);
  }
  if (running.has(Module.StoreGateway) || running.has(Module.Querier)) {
    validateKVConfig(cfg.storeGateway.shardingRing.kvstore, 'store_gateway.sharding_ring.kvstore');
  }
  if (running.has(Module.Compactor)) {
    bucket();
    validateCompactorConfig(cfg.compactor, cfg.blocksStorage.bucketStore.ignoreDeletionMarksDelay);
  }
  if (running.has(Module.Querier) && cfg.frontendWorker.frontendAddress !== '') {
    validateClientTls(cfg.frontendWorker.grpcClientConfig, 'frontend_worker.grpc_client_config');
  }
  if (running.has(Module.QueryFrontend)) validateQueryRangeConfig(cfg.queryRange);
  if (running.has(Module.Ruler)) {
    validateRulerConfig(cfg.ruler, cfg.rulerStorage);
    if (cfg.ruler.enableSharding) validateKVConfig(cfg.ruler.ring.kvstore, 'ruler.ring.kvstore');
  }
}

/**
 * The runtime config file is read again when its module starts; reading it here too makes a broken
 * file a config error, as it would be once the servers listen.
 */
function validateRuntimeConfigFile(cfg: MyelinConfig): void {
  const file = cfg.runtimeConfig.file;
  if (file === '') return;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('runtime_config.file', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    parseRuntimeConfig(text, cfg.limits);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(`runtime_config.file ${file}: ${err.path}`, err.message.slice(err.path.length + 2));
  }
}

/**
 * Distributors (and ingesters handing over series) send messages of up to the ingester client's
 * max send size, and the ingester's gRPC server refuses anything above its max receive size: an
 * ingester whose own config breaks that order would refuse its peers' valid pushes.
 */
function validateIngesterMessageSizes(cfg: MyelinConfig): void {
  const send = cfg.ingesterClient.grpcClientConfig.maxSendMsgSize;
  const recv = cfg.server.grpcServerMaxRecvMsgSize;
  if (send > recv) {
    throw new ConfigError('ingester_client.grpc_client_config.max_send_msg_size', `-ingester.client.grpc-max-send-msg-size (${send}) is larger than -server.grpc-max-recv-msg-size-bytes (${recv}): this ingester would refuse pushes its distributors split to the larger size; raise the latter or lower the former`);
  }
}
