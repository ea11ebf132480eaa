import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyYaml, defaults, flagBindings } from '../flagext/index.js';
import { kvConfig, validateKVConfig } from './config.js';

describe('kvstore config', () => {
  it('uses Cortex flag names, with a per-ring prefix', () => {
    const ingester = [...flagBindings(kvConfig('')).keys()];
    for (const f of ['ring.store', 'ring.prefix', 'etcd.endpoints', 'etcd.dial-timeout', 'etcd.tls-ca-path', 'multi.primary', 'multi.mirror-timeout']) {
      assert.ok(ingester.includes(f), f);
    }
    const distributor = flagBindings(kvConfig('distributor.ring.'));
    assert.equal(distributor.get('distributor.ring.store')?.yamlPath, 'store');
    assert.equal(distributor.get('distributor.ring.etcd.max-retries')?.yamlPath, 'etcd.max_retries');
    assert.equal(distributor.get('distributor.ring.multi.mirror-enabled')?.yamlPath, 'multi.mirror_enabled');
  });

  it('reads YAML and validates the store choice', () => {
    const spec = kvConfig('');
    const cfg = defaults(spec);
    assert.equal(cfg.store, 'inmemory');
    assert.equal(cfg.prefix, 'collectors/');
    applyYaml(spec, cfg, { store: 'etcd', etcd: { endpoints: ['a:2379'], dial_timeout: '3s', tls_enabled: true } });
    assert.equal(cfg.etcd.dialTimeout, 3000);
    validateKVConfig(cfg, 'ring.kvstore');

    const cases: Record<string, { yaml: object; err: RegExp }> = {
      'etcd without endpoints': { yaml: { store: 'etcd' }, err: /^ConfigError: ring\.kvstore\.etcd\.endpoints: the etcd KV store needs at least one endpoint$/ },
      'multi with a bad primary': { yaml: { store: 'multi', multi: { primary: 'consul', secondary: 'etcd' } }, err: /invalid primary/ },
      'multi with twice the same store': { yaml: { store: 'multi', multi: { primary: 'etcd', secondary: 'etcd' } }, err: /must differ/ },
    };
    for (const [name, c] of Object.entries(cases)) {
      const bad = defaults(spec);
      applyYaml(spec, bad, c.yaml);
      assert.throws(() => validateKVConfig(bad, 'ring.kvstore'), c.err, name);
    }
    assert.throws(() => applyYaml(spec, defaults(spec), { store: 'zookeeper' }), /expected one of inmemory, etcd, multi/);
    // Cortex's stores get an error that says what to use instead.
    assert.throws(() => applyYaml(spec, defaults(spec), { store: 'memberlist' }), /^ConfigError: store: memberlist is not supported: Myelin keeps its rings in etcd \(store: etcd\), or in memory for a single process \(store: inmemory\)$/);
    assert.throws(() => applyYaml(spec, defaults(spec), { store: 'consul' }), /consul is not supported: use etcd/);
  });
});
