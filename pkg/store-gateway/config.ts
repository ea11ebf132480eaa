// Config of the store-gateway: its ring (`store_gateway.sharding_ring`, flags
// -store-gateway.sharding-ring.*) and the bucket store (`blocks_storage.bucket_store`, flags
// -blocks-storage.bucket-store.*), as in Cortex.
import { cacheConfig, redisConfig, validateRedisConfig } from '../cache/index.js';
import { bool, bytes, ConfigError, duration, section, string, type ConfigOf } from '../flagext/index.js';
import { ringWithInstanceConfig } from '../ring/index.js';

export const storeGatewayRingPrefix = 'store-gateway.sharding-ring.';

export const storeGatewayConfig = section({
  shardingEnabled: bool({
    flag: 'store-gateway.sharding-enabled',
    default: true,
    help: 'Shard blocks across the store-gateways of the ring. Myelin always does; false (Cortex\'s default) is accepted with a warning: give the ring a replication factor of at least its size to have every store-gateway load every block.',
    notice: (v) => (v ? undefined : 'ignored: Myelin always shards blocks by the store-gateway ring'),
  }),
  // The store-gateways' ring, with this store-gateway's entry (instance_id, instance_addr, ...).
  shardingRing: ringWithInstanceConfig(storeGatewayRingPrefix),
});
export type StoreGatewayConfig = ConfigOf<typeof storeGatewayConfig>;

export const bucketStoreConfig = section({
  syncDir: string({
    flag: 'blocks-storage.bucket-store.sync-dir',
    default: './data/tsdb-sync',
    help: 'Local directory for the index-headers of the blocks this store-gateway serves. Safe to delete while stopped.',
  }),
  syncInterval: duration({
    flag: 'blocks-storage.bucket-store.sync-interval',
    default: '5m',
    help: 'How often the store-gateway re-reads the bucket indexes and loads or drops blocks. Ring changes trigger a sync at once.',
  }),
  ignoreDeletionMarksDelay: duration({
    flag: 'blocks-storage.bucket-store.ignore-deletion-marks-delay',
    yaml: 'ignore_deletion_mark_delay',
    default: '6h',
    help: 'Store-gateways keep serving, and queriers keep querying, a block this long after it was marked for deletion, so a compacted block\'s sources answer until every store-gateway loaded it. Keep it below -compactor.deletion-delay.',
  }),
  bucketIndex: section({
    enabled: bool({
      flag: 'blocks-storage.bucket-store.bucket-index.enabled',
      default: true,
      help: 'Read the per-tenant bucket index instead of listing the bucket. Myelin always does; false (Cortex\'s default) is accepted with a warning.',
      notice: (v) => (v ? undefined : 'ignored: Myelin\'s queriers and store-gateways always read the bucket index'),
    }),
    updateInterval: duration({
      flag: 'blocks-storage.bucket-store.bucket-index.update-interval',
      default: '5m',
      help: 'How often the compactor rewrites every tenant\'s bucket-index.json.gz between its cleanups (-compactor.cleanup-interval), when shorter.',
    }),
  }),
  // Postings and series are the index cache (its size split evenly between them), chunks the
  // chunks cache, as in Cortex.
  indexCache: cacheConfig('blocks-storage.bucket-store.index-cache.', 'index (postings and series)', 128 << 20),
  chunksCache: cacheConfig('blocks-storage.bucket-store.chunks-cache.', 'chunks', 256 << 20),
  // Cortex's cache of bucket listings and block metadata, accepted key by key so its configs load.
  metadataCache: section({
    backend: string({
      flag: 'blocks-storage.bucket-store.metadata-cache.backend',
      default: '',
      help: 'Cortex\'s cache of bucket listings and block metadata. Myelin reads the bucket index instead and has no metadata cache: a backend is accepted with a warning and has no effect.',
      notice: (v) => (v === '' ? undefined : 'ignored: Myelin has no metadata cache (it reads the bucket index)'),
    }),
    inmemory: section({
      maxSizeBytes: bytes({ flag: 'blocks-storage.bucket-store.metadata-cache.inmemory.max-size-bytes', default: 1 << 30, category: 'advanced', help: 'Unused: Myelin has no metadata cache.' }),
    }),
    redis: redisConfig('blocks-storage.bucket-store.metadata-cache.'),
  }),
});
export type BucketStoreConfig = ConfigOf<typeof bucketStoreConfig>;

export function validateStoreGatewayConfig(cfg: StoreGatewayConfig, store: BucketStoreConfig): void {
  if (store.syncDir === '') throw new ConfigError('blocks_storage.bucket_store.sync_dir', 'must not be empty');
  if (store.syncInterval <= 0) throw new ConfigError('blocks_storage.bucket_store.sync_interval', 'must be positive');
  if (store.indexCache.backend === 'redis') validateRedisConfig(store.indexCache.redis, 'blocks_storage.bucket_store.index_cache');
  if (store.chunksCache.backend === 'redis') validateRedisConfig(store.chunksCache.redis, 'blocks_storage.bucket_store.chunks_cache');
  if (cfg.shardingRing.replicationFactor < 1) throw new ConfigError('store_gateway.sharding_ring.replication_factor', 'must be at least 1');
}
