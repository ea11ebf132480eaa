// Cache config with Cortex's names: per cache, a backend, an in-memory size and a Redis section.
import { ConfigError, bool, bytes, duration, int, oneOf, section, string, type ConfigOf } from '../flagext/index.js';

export const cacheBackends = ['', 'inmemory', 'redis'] as const;
export type CacheBackend = (typeof cacheBackends)[number];

/** Cortex's redis section of one cache (flags `<prefix>redis.*`), as far as Myelin's client goes. */
export function redisConfig(flagPrefix: string) {
  const f = (n: string) => `${flagPrefix}redis.${n}`;
  return section({
    addresses: string({ flag: f('addresses'), default: '', help: 'Redis address (host:port). One server: Redis Cluster and Sentinel are not supported.' }),
    password: string({ flag: f('password'), default: '', secret: true, help: 'Redis password (AUTH); empty sends none.' }),
    username: string({ flag: f('username'), default: '', help: 'Redis ACL username; empty uses the default user.' }),
    db: int({ flag: f('db'), default: 0, min: 0, help: 'Redis database index.' }),
    tlsEnabled: bool({ flag: f('tls-enabled'), default: false, help: 'Connect to Redis over TLS.' }),
    tlsInsecureSkipVerify: bool({ flag: f('tls-insecure-skip-verify'), default: false, category: 'advanced', help: 'Skip verification of Redis\' certificate.' }),
    dialTimeout: duration({ flag: f('dial-timeout'), default: '5s', help: 'Timeout to connect to Redis.' }),
    timeout: duration({
      flag: f('timeout'),
      default: '500ms',
      help: 'Timeout of one Redis command; a command that takes longer counts as a cache miss.',
    }),
    poolSize: int({ flag: f('pool-size'), default: 4, min: 1, help: 'Connections to Redis; commands are spread over them round-robin.' }),
    expiration: duration({ flag: f('expiration'), default: '24h', help: 'Time to live of items stored in Redis.' }),
  });
}
export type RedisConfig = ConfigOf<ReturnType<typeof redisConfig>>;

/** Throws a ConfigError naming `<path>.redis.addresses` when the Redis backend cannot be used. */
export function validateRedisConfig(cfg: RedisConfig, path: string): void {
  if (cfg.addresses === '') throw new ConfigError(`${path}.redis.addresses`, 'required with the redis backend');
  if (cfg.addresses.includes(',')) throw new ConfigError(`${path}.redis.addresses`, 'one address only: Redis Cluster is not supported');
}

const refusedBackends = { memcached: 'memcached is not supported: use inmemory or redis' };

/**
 * One of the store-gateway's caches (Cortex `index_cache`, `chunks_cache`, `metadata_cache`): in
 * memory when no backend is set, or in Redis.
 */
export function cacheConfig(flagPrefix: string, what: string, defaultSize: number) {
  const f = (n: string) => `${flagPrefix}${n}`;
  return section({
    backend: oneOf<CacheBackend>(cacheBackends, {
      flag: f('backend'),
      default: '',
      refused: refusedBackends,
      help: `Where the ${what} cache lives: inmemory (per process; also when empty) or redis (shared).`,
    }),
    inmemory: section({
      maxSizeBytes: bytes({ flag: f('inmemory.max-size-bytes'), default: defaultSize, help: `Size of the in-memory ${what} cache.` }),
    }),
    redis: redisConfig(flagPrefix),
  });
}
export type CacheConfig = ConfigOf<ReturnType<typeof cacheConfig>>;
