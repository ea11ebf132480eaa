export type { Cache } from './cache.js';
export { cacheBackends, cacheConfig, redisConfig, validateRedisConfig, type CacheBackend, type CacheConfig, type RedisConfig } from './config.js';
export { instrumentedCache } from './instrumented-cache.js';
export { LruCache } from './lru-cache.js';
export { RedisCache } from './redis-cache.js';
export { RedisPool } from './redis-pool.js';
