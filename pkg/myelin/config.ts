import { bool, section, stringList } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';
import { bucketFields } from '../bucket/index.js';
import { compactorConfig } from '../compactor/index.js';
import { distributorConfig } from '../distributor/index.js';
import { ingesterConfig, tsdbConfig } from '../ingester/index.js';
import { ingesterClientConfig } from '../ingester/client/index.js';
import { limitsConfig } from '../limits/index.js';
import { apiConfig, querierConfig } from '../querier/index.js';
import { runtimeConfigConfig } from '../runtime-config/index.js';
import { serverConfig } from '../server/index.js';
import { bucketStoreConfig, storeGatewayConfig } from '../store-gateway/index.js';

/** The root config: one YAML file with Cortex's top-level sections. */
export const myelinConfig = section({
  target: stringList({ flag: 'target', default: ['all'], help: 'Comma-separated list of modules to run (see /services for names); "all" runs every component in one process.' }),
  authEnabled: bool({ flag: 'auth.enabled', default: true, help: 'Require the X-Scope-OrgID header on every request (401 without it); when false every request belongs to the tenant "anonymous".' }),
  server: serverConfig,
  distributor: distributorConfig,
  ingester: ingesterConfig,
  ingesterClient: ingesterClientConfig,
  querier: querierConfig,
  api: apiConfig,
  blocksStorage: section({ ...bucketFields, tsdb: tsdbConfig, bucketStore: bucketStoreConfig }),
  storeGateway: storeGatewayConfig,
  compactor: compactorConfig,
  limits: limitsConfig,
  runtimeConfig: runtimeConfigConfig,
});
export type MyelinConfig = ConfigOf<typeof myelinConfig>;
