// Sections of Cortex 1.21 configs that Myelin accepts key by key: values load, typos are refused
// with their key path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../flagext/index.js';
import { myelinAliases } from './aliases.js';
import { myelinConfig, type MyelinConfig } from './config.js';

function load(argv: string[], file = ''): MyelinConfig {
  const res = loadConfig(myelinConfig, file === '' ? argv : ['-config.file=c.yaml', ...argv], { env: {}, readFile: () => file, aliases: myelinAliases });
  if (res.kind !== 'config') throw new Error('BUG: help');
  return res.config;
}

const refuses = (file: string, path: string) =>
  assert.throws(() => load([], file), (err: unknown) => err instanceof ConfigError && err.path === path && /unknown key/.test(err.message), path);

test('compactor.sharding_ring: Cortex\'s keys and -compactor.ring.* flags load; a typo is refused with its path', () => {
  const cfg = load(['-compactor.ring.instance-id=c-1', '-compactor.auto-forget-delay=5m'],
    'compactor:\n  sharding_ring:\n    kvstore:\n      store: etcd\n      etcd:\n        endpoints: [e:2379]\n    wait_stability_min_duration: 0s\n    instance_interface_names: [eth1]\n');
  const ring = cfg.compactor.shardingRing;
  assert.equal(ring.kvstore.store, 'etcd');
  assert.deepEqual(ring.kvstore.etcd.endpoints, ['e:2379']);
  assert.equal(ring.waitStabilityMinDuration, 0);
  assert.deepEqual(ring.instanceInterfaceNames, ['eth1']);
  assert.equal(ring.instanceId, 'c-1');
  assert.equal(ring.autoForgetDelay, 5 * 60_000);
  refuses('compactor:\n  sharding_ring:\n    heartbeat_perod: 5s\n', 'compactor.sharding_ring.heartbeat_perod');
  refuses('compactor:\n  sharding_ring:\n    kvstore:\n      etcd:\n        endpoint: [x]\n', 'compactor.sharding_ring.kvstore.etcd.endpoint');
});

test('blocks_storage.bucket_store.metadata_cache: Cortex\'s redis settings load (with the backend\'s one warning); a typo is refused', () => {
  const res = loadConfig(myelinConfig, ['-config.file=c.yaml', '-blocks-storage.bucket-store.metadata-cache.redis.master-name=m'], {
    env: {},
    readFile: () => 'blocks_storage:\n  bucket_store:\n    metadata_cache:\n      backend: redis\n      redis:\n        addresses: r:6379\n        read_timeout: 1s\n        tls_ca_path: /ca.pem\n',
    aliases: myelinAliases,
  });
  assert.equal(res.kind, 'config');
  if (res.kind !== 'config') return;
  const redis = res.config.blocksStorage.bucketStore.metadataCache.redis;
  assert.deepEqual([redis.addresses, redis.readTimeout, redis.tlsCaPath, redis.masterName], ['r:6379', 1000, '/ca.pem', 'm']);
  assert.deepEqual(res.warnings.filter((w) => /metadata/.test(w)).length, 1, res.warnings.join('\n'));
  refuses('blocks_storage:\n  bucket_store:\n    metadata_cache:\n      redis:\n        adresses: r:1\n', 'blocks_storage.bucket_store.metadata_cache.redis.adresses');
});
