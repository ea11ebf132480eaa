import { bytes, duration, int, section, string } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';
import { clientTlsFields } from '../tls/index.js';

/** The `querier` section (Cortex's names and defaults). */
export const querierConfig = section({
  queryIngestersWithin: duration({ flag: 'querier.query-ingesters-within', default: '13h', help: 'Only query ingesters for ranges newer than this; older data is served by the store-gateways. 0 always queries ingesters.' }),
  queryStoreAfter: duration({ flag: 'querier.query-store-after', default: '12h', help: 'Only query the blocks storage for ranges older than this. 0 always queries it.' }),
  lookbackDelta: duration({ flag: 'querier.lookback-delta', default: '5m', help: 'How far back an instant vector selector looks for a sample.' }),
  timeout: duration({ flag: 'querier.timeout', default: '2m', help: 'The timeout for a query.' }),
  maxSamples: int({ flag: 'querier.max-samples', default: 50_000_000, min: 1, help: 'Maximum number of samples a single query can load into memory.' }),
  maxConcurrent: int({ flag: 'querier.max-concurrent', default: 0, min: 0,
    help: 'Queries (and series, labels and label-values requests) evaluated at once, each in its own worker thread; more wait, taken round-robin by tenant. 0: one per CPU core. (Cortex: 20 goroutines; a worker thread costs tens of MB, so the default follows the cores.)' }),
  workerMaxHeapSize: bytes({ flag: 'querier.worker-max-heap-size', default: 2 * 1024 ** 3,
    help: 'V8 heap limit of each query worker thread, in bytes; a query that needs more stops only its worker and is answered 422. 0: V8\'s default.' }),
  storeGatewayClient: section(clientTlsFields('querier.store-gateway-client')),
});
export type QuerierConfig = ConfigOf<typeof querierConfig>;

/** The `api` section: where the Prometheus HTTP API is served. */
export const apiConfig = section({
  prometheusHttpPrefix: string({ flag: 'http.prometheus-http-prefix', default: '/prometheus', help: 'HTTP URL path under which the Prometheus API is served (`<prefix>/api/v1/query` ...).' }),
});
export type ApiConfig = ConfigOf<typeof apiConfig>;
