// The example configs under configs/ must load: they are documentation that a test keeps true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../pkg/flagext/index.js';
import { myelinConfig } from '../pkg/myelin/index.js';
import { parseRuntimeConfig } from '../pkg/runtime-config/index.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(new URL(p, `file://${repoRoot}`), 'utf8');
const load = (file: string) => loadConfig(myelinConfig, [`-config.file=${file}`, '-config.expand-env=true'], { env: {}, readFile: read });

test('every example config under configs/ loads', () => {
  const files = readdirSync(`${repoRoot}configs`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('single-process.yaml'));
  for (const f of files) {
    if (f === 'runtime.yaml') continue;
    const res = load(`configs/${f}`);
    assert.equal(res.kind, 'config', f);
    if (res.kind !== 'config') continue;
    if (res.config.runtimeConfig.file !== '') {
      const rc = parseRuntimeConfig(read(res.config.runtimeConfig.file), res.config.limits);
      assert.ok(rc.overrides.size > 0, `${res.config.runtimeConfig.file} has overrides`);
    }
  }
});

test('configs/microservices has one config per component, each running only that component on etcd, Redis and GCS', () => {
  const components = ['distributor', 'ingester', 'querier', 'store-gateway', 'compactor', 'ruler', 'query-frontend'];
  assert.deepEqual(readdirSync(`${repoRoot}configs/microservices`).sort(), components.map((c) => `${c}.yaml`).sort());
  for (const c of components) {
    const res = load(`configs/microservices/${c}.yaml`);
    assert.equal(res.kind, 'config', c);
    if (res.kind !== 'config') continue;
    const cfg = res.config;
    assert.deepEqual(cfg.target, [c]);
    assert.equal(cfg.authEnabled, true, `${c}: multi-tenant`);
    if (c === 'distributor' || c === 'querier' || c === 'ingester' || c === 'ruler') {
      assert.deepEqual(cfg.ingester.lifecycler.ring.kvstore.etcd.endpoints, ['etcd:2379'], `${c}: etcd endpoints from MYELIN_ETCD_ENDPOINTS or its default`);
      assert.equal(cfg.ingester.lifecycler.ring.kvstore.store, 'etcd', `${c}: ingester ring in etcd`);
      assert.equal(cfg.ingester.lifecycler.ring.replicationFactor, 3, `${c}: RF=3`);
    }
    if (c === 'querier' || c === 'store-gateway' || c === 'ruler') assert.equal(cfg.storeGateway.shardingRing.kvstore.store, 'etcd', `${c}: store-gateway ring in etcd`);
    if (c === 'ruler') {
      assert.equal(cfg.ruler.enableSharding, true, 'rulers sharded');
      assert.equal(cfg.ruler.ring.kvstore.store, 'etcd', 'ruler ring in etcd');
      assert.equal(cfg.rulerStorage.backend, 'gcs', 'rule groups in GCS');
      assert.notEqual(cfg.rulerStorage.gcs.bucketName, cfg.blocksStorage.gcs.bucketName, 'rule groups in a bucket of their own');
    }
    if (c !== 'distributor' && c !== 'query-frontend') assert.equal(cfg.blocksStorage.backend, 'gcs', `${c}: blocks in GCS`);
    if (c === 'querier') assert.equal(cfg.frontendWorker.frontendAddress, 'query-frontend:9095', 'queriers take work from the query-frontend');
    if (c === 'store-gateway') assert.deepEqual([cfg.blocksStorage.bucketStore.indexCache.backend, cfg.blocksStorage.bucketStore.chunksCache.backend], ['redis', 'redis'], 'store-gateway caches in Redis');
  }
});

test('configs/microservices put blocks in S3 when MYELIN_BLOCKS_BACKEND=s3', () => {
  const env = { MYELIN_BLOCKS_BACKEND: 's3', MYELIN_S3_BUCKET: 'blocks', MYELIN_S3_RULER_BUCKET: 'rules', MYELIN_S3_ENDPOINT: 'minio:9000', MYELIN_S3_INSECURE: 'true' };
  for (const c of ['ingester', 'querier', 'store-gateway', 'compactor', 'ruler']) {
    const res = loadConfig(myelinConfig, [`-config.file=configs/microservices/${c}.yaml`, '-config.expand-env=true'], { env, readFile: read });
    assert.equal(res.kind, 'config', c);
    if (res.kind !== 'config') continue;
    const { backend, s3 } = res.config.blocksStorage;
    assert.deepEqual([backend, s3.bucketName, s3.endpoint, s3.insecure], ['s3', 'blocks', 'minio:9000', true], c);
    if (c === 'ruler') {
      const rules = res.config.rulerStorage;
      assert.deepEqual([rules.backend, rules.s3.bucketName, rules.s3.endpoint, rules.s3.insecure], ['s3', 'rules', 'minio:9000', true], 'rule groups in S3, in their own bucket');
    }
  }
});
