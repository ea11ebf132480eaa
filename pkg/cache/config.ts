// Cache config with Cortex's names: per cache, a backend, an in-memory size and a Redis section.
import { accessSync, constants } from 'node:fs';
import { ConfigError, bool, bytes, duration, int, oneOf, section, string, type ConfigOf } from '../flagext/index.js';

export const cacheBackends = ['', 'inmemory', 'redis'] as const;
export type CacheBackend = (typeof cacheBackends)[number];

/** Cortex's redis section of one cache (flags `<prefix>redis.*`), as far as Myelin's client goes. */
export function redisConfig(flagPrefix: string) {
  const f = (n: string) => `${flagPrefix}redis.${n}`;
  return section({
    addresses: string({ flag: f('addresses'), default: '', help: 'Redis address (host:port); with master_name, the comma-separated addresses of the Sentinels. Redis Cluster is not supported.' }),
    masterName: string({ flag: f('master-name'), default: '', help: 'Name of the Redis Sentinel master set: addresses are then the Sentinels, which tell the client where the master is.' }),
    password: string({ flag: f('password'), default: '', secret: true, help: 'Redis password (AUTH); empty sends none.' }),
    username: string({ flag: f('username'), default: '', help: 'Redis ACL username; empty uses the default user.' }),
    db: int({ flag: f('db'), default: 0, min: 0, help: 'Redis database index.' }),
    tlsEnabled: bool({ flag: f('tls-enabled'), default: false, help: 'Connect to Redis over TLS.' }),
    tlsInsecureSkipVerify: bool({ flag: f('tls-insecure-skip-verify'), default: false, category: 'advanced', help: 'Skip verification of Redis\' certificate.' }),
    tlsCaPath: string({ flag: f('tls-ca-path'), default: '', help: 'CA certificates (PEM) Redis\' certificate is verified against; empty uses the system roots.' }),
    tlsCertPath: string({ flag: f('tls-cert-path'), default: '', help: 'Client certificate (PEM) presented to Redis.' }),
    tlsKeyPath: string({ flag: f('tls-key-path'), default: '', help: 'Key (PEM) of the client certificate.' }),
    tlsServerName: string({ flag: f('tls-server-name'), default: '', help: 'Server name expected in Redis\' certificate; empty uses the host of the address.' }),
    dialTimeout: duration({ flag: f('dial-timeout'), default: '5s', help: 'Timeout to connect to Redis.' }),
    readTimeout: duration({
      flag: f('read-timeout'),
      default: '3s',
      help: 'A connection that has commands outstanding and receives nothing for this long is closed and reconnected (ioredis socketTimeout); 0 disables it.',
    }),
    writeTimeout: duration({
      flag: f('write-timeout'),
      default: '3s',
      help: 'Accepted for Cortex configs; the Redis client has no write timeout: timeout bounds each command, writes included.',
      notice: (v) => (v === 3000 ? undefined : 'ignored: the Redis client has no write timeout; timeout bounds each command'),
    }),
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
  if (cfg.addresses.includes(',') && cfg.masterName === '') {
    throw new ConfigError(`${path}.redis.addresses`, 'one address only, or Sentinels with master_name: Redis Cluster is not supported');
  }
  if ((cfg.tlsCertPath === '') !== (cfg.tlsKeyPath === '')) throw new ConfigError(`${path}.redis.tls_key_path`, 'tls_cert_path and tls_key_path go together');
  for (const [key, file] of [['tls_ca_path', cfg.tlsCaPath], ['tls_cert_path', cfg.tlsCertPath], ['tls_key_path', cfg.tlsKeyPath]] as const) {
    if (file === '') continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new ConfigError(`${path}.redis.${key}`, `cannot read ${file}: ${(err as Error).message}`);
    }
  }
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
