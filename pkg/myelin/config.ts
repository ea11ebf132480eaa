import { bool, refusedSection, section, string, stringList, unsupported } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';
import { bucketFields } from '../bucket/index.js';
import { compactorConfig } from '../compactor/index.js';
import { distributorConfig } from '../distributor/index.js';
import { ingesterConfig, tsdbConfig } from '../ingester/index.js';
import { ingesterClientConfig } from '../ingester/client/index.js';
import { limitsConfig } from '../limits/index.js';
import { purgerConfig } from '../purger/index.js';
import { apiConfig, querierConfig } from '../querier/index.js';
import { rulerConfig, rulerStorageConfig } from '../ruler/index.js';
import { frontendConfig, frontendWorkerConfig, queryRangeConfig } from '../query-frontend/index.js';
import { runtimeConfigConfig } from '../runtime-config/index.js';
import { serverConfig } from '../server/index.js';
import { bucketStoreConfig, storeGatewayConfig } from '../store-gateway/index.js';

function notYet(key: string, component: string) {
  return unsupported({
    help: `Cortex's \`${key}\` section: accepted so a Cortex config loads, without effect: Myelin has no ${component} yet.`,
    notice: `ignored: Myelin has no ${component} yet`,
  });
}

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
  frontend: frontendConfig,
  queryRange: queryRangeConfig,
  frontendWorker: frontendWorkerConfig,
  blocksStorage: section({ ...bucketFields, tsdb: tsdbConfig, bucketStore: bucketStoreConfig }),
  storeGateway: storeGatewayConfig,
  compactor: compactorConfig,
  purger: purgerConfig,
  limits: limitsConfig,
  runtimeConfig: runtimeConfigConfig,
  ruler: rulerConfig,
  rulerStorage: rulerStorageConfig,
  httpPrefix: string({
    flag: 'http.prefix',
    default: '/api/prom',
    help: 'Cortex\'s legacy HTTP prefix: the Prometheus API (<prefix>/api/v1/query ...), remote write (<prefix>/push) and <prefix>/user_stats are served under it too. Empty serves none of them.',
  }),
  // Cortex's sections for components Myelin does not have yet: accepted, each with one warning.
  alertmanager: notYet('alertmanager', 'alertmanager'),
  alertmanagerStorage: notYet('alertmanager_storage', 'alertmanager'),
  memberlist: refusedSection({
    help: 'Cortex\'s gossip KV store: refused. Myelin keeps its rings in etcd, or in memory for a single process (kvstore.store: etcd | inmemory).',
    reason: 'memberlist is not supported: Myelin keeps its rings in etcd (kvstore.store: etcd), or in memory for a single process (kvstore.store: inmemory); remove this section',
  }),
});
export type MyelinConfig = ConfigOf<typeof myelinConfig>;
