// The store-gateway's caches end to end: Redis as the shared cache (killed mid-test, queries stay
// correct), and cache keys that never mix tenants.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { RedisServer, waitUntil } from '../testutil/index.js';
import { FilesystemBucket } from '../bucket/index.js';
import { uploadTestBlock } from '../bucket-index/testing.js';
import { LruCache, type Cache } from '../cache/index.js';
import { defaults } from '../flagext/index.js';
import { Registry } from 'prom-client';
import { bucketStoreConfig, newBlockCaches } from '../store-gateway/index.js';
import { dumpPlain, dumpQuerier, type PlainSeries } from '../tsdb/block/block-test-util.js';
import { startTestCluster, type TestCluster } from './testing.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-bsq-cache-'));
let redis: RedisServer;
before(async () => {
  redis = await RedisServer.start();
});
after(async () => {
  await redis.stop();
  await fs.rm(root, { recursive: true, force: true });
});

function series(tenant: string): PlainSeries[] {
  return Array.from({ length: 20 }, (_, i) => ({
    labels: { __name__: 'm', tenant_label: tenant, i: String(i) },
    samples: Array.from({ length: 240 }, (_, t) => [t * 30_000, i * t] as [number, number]),
  }));
}

const query = async (c: TestCluster, tenant: string) => dumpQuerier(await c.queryable.forTenant(tenant).querier(0, 8 * 3_600_000), 0, 8 * 3_600_000);
const metric = async (reg: Registry, re: RegExp) => Number((await reg.metrics()).match(re)?.[1] ?? NaN);

test('redis caches: warm queries hit redis; with redis killed, queries still return the right data', async () => {
  const bucket = new FilesystemBucket(path.join(root, 'redis'));
  await uploadTestBlock(bucket, 'a', series('a'));
  const cfg = defaults(bucketStoreConfig);
  for (const c of [cfg.indexCache, cfg.chunksCache]) {
    c.backend = 'redis';
    Object.assign(c.redis, { addresses: redis.address, timeout: 300, poolSize: 2 });
  }
  const registry = new Registry();
  const c = await startTestCluster({
    bucket,
    gatewayIds: ['sg-1'],
    replicationFactor: 1,
    caches: () => newBlockCaches(cfg, { logger: pino({ level: 'silent' }), registry }),
  });
  try {
    await waitUntil(() => c.gateways.get('sg-1')?.gateway.store.blockCount() === 1, { what: 'block loaded' });
    const want = dumpPlain(series('a'));
    assert.deepEqual(await query(c, 'a'), want);
    // Stores are asynchronous: poll until a repeat of the query is served from Redis.
    await waitUntil(async () => {
      const before = await metric(registry, /myelin_cache_hits_total\{name="chunks"\} (\d+)/);
      assert.deepEqual(await query(c, 'a'), want);
      return (await metric(registry, /myelin_cache_hits_total\{name="chunks"\} (\d+)/)) > before;
    }, { what: 'chunk cache hits from redis' });

    await redis.stop();
    assert.deepEqual(await query(c, 'a'), want);
    assert.ok((await metric(registry, /myelin_cache_redis_errors_total\{name="chunks",operation="fetch"\} (\d+)/)) > 0);
    await redis.restart();
    assert.deepEqual(await query(c, 'a'), want);
  } finally {
    await c.close();
  }
});

/** Records the keys stored, to check which tenant's data went where. */
class RecordingCache implements Cache {
  readonly name: string;
  readonly stored: string[] = [];
  readonly #inner: LruCache;
  constructor(name: string) {
    this.name = name;
    this.#inner = new LruCache(name, 1 << 26);
  }
  fetch(keys: readonly string[]) {
    return this.#inner.fetch(keys);
  }
  async store(items: ReadonlyMap<string, Buffer>) {
    this.stored.push(...items.keys());
    await this.#inner.store(items);
  }
  close() {
    return this.#inner.close();
  }
}

test('cache keys carry the tenant and block: one tenant\'s reads never land on another\'s keys', async () => {
  const bucket = new FilesystemBucket(path.join(root, 'iso'));
  const ma = await uploadTestBlock(bucket, 'a', series('a'));
  const mb = await uploadTestBlock(bucket, 'b', series('b'));
  const caches = { postings: new RecordingCache('postings'), series: new RecordingCache('series'), chunks: new RecordingCache('chunks') };
  const c = await startTestCluster({ bucket, gatewayIds: ['sg-1'], replicationFactor: 1, caches: () => ({ caches, close: async () => {} }) });
  try {
    await waitUntil(() => c.gateways.get('sg-1')?.gateway.store.blockCount() === 2, { what: 'blocks loaded' });
    for (const r of Object.values(caches)) {
      r.stored.length = 0;
      await r.close(); // empties the LRU: every read below misses and stores
    }
    assert.deepEqual(await query(c, 'b'), dumpPlain(series('b')));
    await waitUntil(() => caches.chunks.stored.length > 0 && caches.postings.stored.length > 0 && caches.series.stored.length > 0, { what: 'cache stores' });
    for (const r of Object.values(caches)) for (const k of r.stored) assert.ok(k.startsWith(`b/${mb.ulid}/`), `${r.name} key ${k}`);
    assert.deepEqual(await query(c, 'a'), dumpPlain(series('a')));
    assert.ok(caches.chunks.stored.some((k) => k.startsWith(`a/${ma.ulid}/`)));
  } finally {
    await c.close();
  }
});
