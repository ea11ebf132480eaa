import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '../../testutil/index.js';
import { FakeIngester } from '../../distributor/testing.js';
import { defaults } from '../../flagext/index.js';
import { WriteRequest } from '../../generated/prometheus/remote.js';
import { ingesterClientConfig, validateIngesterClientConfig } from './config.js';
import { IngesterConn } from './client.js';

test('pushRaw sends pre-encoded bytes with the tenant; checkHealth follows the server', async (t) => {
  const ing = await FakeIngester.start();
  t.after(() => ing.stop());
  const conn = new IngesterConn(defaults(ingesterClientConfig), ing.addr);
  t.after(() => conn.close());
  await conn.checkHealth(5000);
  const req: WriteRequest = { timeseries: [{ labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 42 }], exemplars: [], histograms: [] }], metadata: [] };
  await conn.pushRaw('team', Buffer.from(WriteRequest.encode(req).finish()), { deadline: Date.now() + 5000 });
  assert.deepEqual(ing.received, [{ tenant: 'team', req }]);
  ing.stop();
  // The client sees the connection close asynchronously; the pool's periodic check does the same.
  let lastErr: unknown;
  await waitUntil(async () => {
    try {
      await conn.checkHealth(300);
      return false;
    } catch (err) {
      lastErr = err;
      return true;
    }
  }, { what: 'health check to fail' });
  assert.match(String(lastErr), /not reachable within 300ms/);
});

test('a client reaches an ingester restarted on its address within connect-backoff-max-delay', async (t) => {
  let ing = await FakeIngester.start();
  const cfg = defaults(ingesterClientConfig);
  cfg.grpcClientConfig.connectBackoffBaseDelay = 100;
  cfg.grpcClientConfig.connectBackoffMaxDelay = 300;
  const conn = new IngesterConn(cfg, ing.addr);
  t.after(() => conn.close());
  const push = () => conn.pushRaw('team', Buffer.alloc(0), { deadline: Date.now() + 2000 });
  await push();
  ing.stop();
  await waitUntil(async () => push().then(() => false, () => true), { what: 'the client to see the ingester gone' });
  // A health check keeps the channel reconnecting while the ingester is down; with the default
  // backoff (1s growing 1.6x) its attempts would be 2-3s apart by the time the ingester is back.
  conn.checkHealth(10_000).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  ing = await FakeIngester.start(ing.port);
  t.after(() => ing.stop());
  const back = Date.now();
  await waitUntil(async () => push().then(() => true, () => false), { what: 'a push to the restarted ingester', timeoutMs: 5_000, intervalMs: 50 });
  const took = Date.now() - back;
  assert.ok(took < 1_000, `reconnected ${took}ms after the restart`);
});

test('the reconnect backoff is refused without a delay or with a ceiling below its start', () => {
  const cfg = defaults(ingesterClientConfig);
  validateIngesterClientConfig(cfg);
  cfg.grpcClientConfig.connectBackoffBaseDelay = 0;
  assert.throws(() => validateIngesterClientConfig(cfg), /^ConfigError: ingester_client\.grpc_client_config\.connect_backoff_base_delay: must be above 0/);
  cfg.grpcClientConfig.connectBackoffBaseDelay = 2_000;
  cfg.grpcClientConfig.connectBackoffMaxDelay = 1_000;
  assert.throws(() => validateIngesterClientConfig(cfg), /^ConfigError: ingester_client\.grpc_client_config\.connect_backoff_max_delay: must be at least/);
});
