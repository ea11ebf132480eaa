import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyYaml, defaults } from '../flagext/index.js';
import { limitsConfig } from '../limits/index.js';
import { alertmanagerUrls, rulerConfig, rulerStorageConfig, validateRulerConfig } from './config.js';

const load = (doc: unknown) => {
  const cfg = defaults(rulerConfig);
  const warnings: string[] = [];
  applyYaml(rulerConfig, cfg, doc, 'ruler', warnings);
  return { cfg, warnings };
};

test('Cortex ruler keys without meaning in Myelin are accepted, each changed one with one warning naming it', () => {
  const { warnings } = load({ rule_path: '/data/rules', flush_period: '30s', search_pending_for: '1m', enable_alertmanager_v2: false, sharding_strategy: 'default' });
  assert.deepEqual(warnings.map((w) => w.split(':')[0]), ['ruler.rule_path', 'ruler.flush_period', 'ruler.search_pending_for', 'ruler.enable_alertmanager_v2']);
  assert.deepEqual(load({ rule_path: '/rules', enable_alertmanager_v2: true }).warnings, [], 'Cortex\'s defaults warn of nothing');
  const limits = defaults(limitsConfig);
  const limitWarnings: string[] = [];
  applyYaml(limitsConfig, limits, { ruler_tenant_shard_size: 3 }, 'limits', limitWarnings);
  assert.match(limitWarnings.join(), /^limits\.ruler_tenant_shard_size: ignored/);
});

test('shuffle-sharding is refused naming the key; bad alertmanager_client TLS files are config errors', () => {
  assert.throws(() => load({ sharding_strategy: 'shuffle-sharding' }), /ruler\.sharding_strategy.*shuffle-sharding is not supported yet/);
  const { cfg } = load({ alertmanager_client: { tls_cert_path: '/nonexistent/client.crt' } });
  assert.throws(() => validateRulerConfig(cfg, defaults(rulerStorageConfig)), /ruler\.alertmanager_client\.tls_key_path/);
});

test('with enable_alertmanager_discovery plain Alertmanager URLs are SRV names', () => {
  const list = 'http://_http._tcp.am.svc/alertmanager, dns+http://am2:9093';
  assert.deepEqual(alertmanagerUrls(list), ['http://_http._tcp.am.svc/alertmanager', 'dns+http://am2:9093']);
  assert.deepEqual(alertmanagerUrls(list, true), ['dnssrv+http://_http._tcp.am.svc/alertmanager', 'dns+http://am2:9093']);
});
