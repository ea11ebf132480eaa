import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '../../testutil/index.js';
import { FakeIngester } from '../../distributor/testing.js';
import { defaults } from '../../flagext/index.js';
import { WriteRequest } from '../../generated/prometheus/remote.js';
import { ingesterClientConfig } from './config.js';
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
