export { BucketStore, type BucketStoreDeps, type OwnsBlock, type SeriesQuery } from './bucket-store.js';
export { INDEX_HEADER_FILENAME, openBucketBlock, type BlockCaches } from './bucket-block.js';
export { newBlockCaches, type OwnedCaches } from './caches.js';
export {
  bucketStoreConfig,
  storeGatewayConfig,
  storeGatewayRingPrefix,
  validateStoreGatewayConfig,
  type BucketStoreConfig,
  type StoreGatewayConfig,
} from './config.js';
export { STORE_GATEWAY_RING_KEY, STORE_GATEWAY_RING_NAME, StoreGateway, type StoreGatewayDeps } from './gateway.js';
export { blockKey, blockOwners, type OwnerLookup } from './sharding.js';
export { StoreGatewayService, serializeSeriesResponse } from './grpc-service.js';
