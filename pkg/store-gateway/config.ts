// Config of the store-gateway: its ring (`store_gateway.sharding_ring`, flags
// -store-gateway.sharding-ring.*) and the bucket store (`blocks_storage.bucket_store`, flags
// -blocks-storage.bucket-store.*), as in Cortex.
import { cachesConfig, validateRedisConfig } from '../cache/index.js';
import { duration, section, string, type ConfigOf } from '../flagext/index.js';
import { lifecyclerConfig, ringConfig } from '../ring/index.js';

export const storeGatewayRingPrefix = 'store-gateway.sharding-ring.';

export const storeGatewayConfig = section({
  shardingRing: ringConfig(storeGatewayRingPrefix),
  lifecycler: lifecyclerConfig(storeGatewayRingPrefix),
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
    default: '6h',
    help: 'Store-gateways keep serving, and queriers keep querying, a block this long after it was marked for deletion, so a compacted block\'s sources answer until every store-gateway loaded it. Keep it below -compactor.deletion-delay.',
  }),
  bucketIndex: section({
    updateInterval: duration({
      flag: 'blocks-storage.bucket-store.bucket-index.update-interval',
      default: '5m',
      help: 'How often the compactor rewrites every tenant\'s bucket-index.json.gz between its cleanups (-compactor.cleanup-interval), when shorter.',
    }),
  }),
  caches: cachesConfig('blocks-storage.bucket-store.'),
});
export type BucketStoreConfig = ConfigOf<typeof bucketStoreConfig>;

export function validateStoreGatewayConfig(cfg: StoreGatewayConfig, store: BucketStoreConfig): void {
  if (store.syncDir === '') throw new Error('blocks_storage.bucket_store: sync_dir must not be empty');
  if (store.syncInterval <= 0) throw new Error('blocks_storage.bucket_store: sync_interval must be positive');
  if (store.caches.backend === 'redis') validateRedisConfig(store.caches.redis, 'blocks_storage.bucket_store.caches');
  if (cfg.shardingRing.replicationFactor < 1) throw new Error('store_gateway.sharding_ring: replication_factor must be at least 1');
}
