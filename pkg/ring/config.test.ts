import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyYaml, defaults, flagBindings } from '../flagext/index.js';
import { lifecyclerConfig, ringConfig } from './config.js';

describe('ring config', () => {
  it('uses Cortex flag names for the ingester ring and per-ring prefixes for the others', () => {
    const ingester = flagBindings(ringConfig(''));
    assert.equal(ingester.get('ring.heartbeat-timeout')?.yamlPath, 'heartbeat_timeout');
    assert.equal(ingester.get('distributor.replication-factor')?.yamlPath, 'replication_factor');
    assert.equal(ingester.get('ring.store')?.yamlPath, 'kvstore.store');
    assert.equal(ingester.get('etcd.endpoints')?.yamlPath, 'kvstore.etcd.endpoints');
    const sg = flagBindings(ringConfig('store-gateway.sharding-ring.'));
    assert.equal(sg.get('store-gateway.sharding-ring.replication-factor')?.yamlPath, 'replication_factor');
    assert.equal(sg.get('store-gateway.sharding-ring.etcd.endpoints')?.yamlPath, 'kvstore.etcd.endpoints');
    const lc = flagBindings(lifecyclerConfig('ingester.'));
    for (const f of ['ingester.num-tokens', 'ingester.heartbeat-period', 'ingester.tokens-file-path', 'ingester.auto-forget-unhealthy-periods']) {
      assert.ok(lc.has(f), f);
    }
  });

  it('has Cortex defaults and reads YAML durations', () => {
    const spec = lifecyclerConfig('ingester.');
    const cfg = defaults(spec);
    assert.equal(cfg.numTokens, 128);
    assert.equal(cfg.heartbeatPeriod, 5000);
    assert.equal(cfg.unregisterOnShutdown, true);
    applyYaml(spec, cfg, { heartbeat_period: '250ms', observe_period: '10s', availability_zone: 'zone-a' });
    assert.deepEqual([cfg.heartbeatPeriod, cfg.observePeriod, cfg.availabilityZone], [250, 10_000, 'zone-a']);
    const ring = defaults(ringConfig(''));
    assert.deepEqual([ring.heartbeatTimeout, ring.replicationFactor, ring.kvstore.store], [60_000, 3, 'inmemory']);
  });
});
