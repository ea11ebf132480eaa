// Cache config: which backend, the in-memory sizes, and one Redis section shared by every cache
// that uses Redis (each cache keeps its own key prefix there).
import { bool, bytes, duration, int, oneOf, section, string, type ConfigOf } from '../flagext/index.js';

export const cacheBackends = ['inmemory', 'redis'] as const;
export type CacheBackend = (typeof cacheBackends)[number];

export function redisConfig(flagPrefix: string) {
  const f = (n: string) => `${flagPrefix}redis.${n}`;
  return section({
    address: string({ flag: f('address'), default: '', help: 'Redis address (host:port).' }),
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

export function validateRedisConfig(cfg: RedisConfig, what: string): void {
  if (cfg.address === '') throw new Error(`${what}: redis.address is required with the redis backend`);
}

/** Backend plus in-memory size of the store-gateway's caches (postings, series, chunks). */
export function cachesConfig(flagPrefix: string) {
  const f = (n: string) => `${flagPrefix}${n}`;
  return section({
    backend: oneOf<CacheBackend>(cacheBackends, {
      flag: f('cache.backend'),
      default: 'inmemory',
      help: 'Where the postings, series and chunks caches live: inmemory (per process) or redis (shared).',
    }),
    postingsMaxSizeBytes: bytes({ flag: f('cache.postings-max-size-bytes'), default: 64 << 20, help: 'Size of the in-memory postings cache.' }),
    seriesMaxSizeBytes: bytes({ flag: f('cache.series-max-size-bytes'), default: 64 << 20, help: 'Size of the in-memory series cache.' }),
    chunksMaxSizeBytes: bytes({ flag: f('cache.chunks-max-size-bytes'), default: 256 << 20, help: 'Size of the in-memory chunks cache.' }),
    redis: redisConfig(flagPrefix),
  });
}
export type CachesConfig = ConfigOf<ReturnType<typeof cachesConfig>>;
