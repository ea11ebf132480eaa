import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../log/index.js';
import { AlertmanagerDiscovery } from './alertmanager-discovery.js';

const logger = createLogger({ level: 'error', format: 'logfmt' });

test('plain URLs as given; dns+ one URL per address of the host, its port and path kept', async () => {
  let now = 0;
  const d = new AlertmanagerDiscovery(['http://am-a:9093', 'dns+http://localhost:9093/alertmanager'], 60_000, logger, () => now);
  const urls = await d.urls();
  assert.equal(urls[0], 'http://am-a:9093');
  assert.ok(urls.length >= 2, JSON.stringify(urls));
  for (const u of urls.slice(1)) assert.match(u, /^http:\/\/(127\.0\.0\.1|\[::1\]):9093\/alertmanager$/);
  now = 59_999;
  assert.deepEqual(await d.urls(), urls, 'the same answer within the refresh interval');
});

test('a name that does not resolve yields no Alertmanager and keeps the others', async () => {
  const d = new AlertmanagerDiscovery(['dns+http://no-such-host.invalid:9093', 'dnssrv+http://_am._tcp.no-such-host.invalid', 'http://127.0.0.1:9093'], 60_000, logger);
  assert.deepEqual(await d.urls(), ['http://127.0.0.1:9093']);
});
