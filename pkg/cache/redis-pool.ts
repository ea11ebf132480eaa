// A small pool of ioredis connections configured from RedisConfig. Commands fail fast while Redis
// is unreachable (no offline queue, no per-command retries); ioredis keeps reconnecting meanwhile.
import { createRequire } from 'node:module';
import type * as IoRedis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { RedisConfig } from './config.js';

// Loaded on first use: ioredis costs a good part of a second to load, which threads that import the
// cache package without a Redis cache (query workers) would otherwise pay.
const ioredis = (): typeof IoRedis => createRequire(import.meta.url)('ioredis') as typeof IoRedis;

export class RedisPool {
  readonly #clients: Redis[];
  #next = 0;

  constructor(cfg: RedisConfig) {
    const options = redisOptions(cfg);
    this.#clients = [];
    for (let i = 0; i < cfg.poolSize; i++) {
      this.#clients.push(new (ioredis().Redis)(options));
      // Errors reach callers as failed commands; the connection's own error events are expected
      // while Redis is away and must not become unhandled 'error' events.
      this.#clients[i].on('error', () => {});
    }
  }

  client(): Redis {
    const c = this.#clients[this.#next];
    this.#next = (this.#next + 1) % this.#clients.length;
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.#clients) c.disconnect();
  }
}

/**
 * ioredis options for `cfg`: one server, or the Sentinels of `master_name`; TLS with the files read
 * here (validateRedisConfig checked they are readable).
 */
export function redisOptions(cfg: RedisConfig): RedisOptions {
  const hosts = cfg.addresses.split(',').map((a) => splitHostPort(a.trim()));
  const tls: ConnectionOptions = {
    rejectUnauthorized: !cfg.tlsInsecureSkipVerify,
    ...(cfg.tlsCaPath === '' ? {} : { ca: readFileSync(cfg.tlsCaPath) }),
    ...(cfg.tlsCertPath === '' ? {} : { cert: readFileSync(cfg.tlsCertPath), key: readFileSync(cfg.tlsKeyPath) }),
    ...(cfg.tlsServerName === '' ? {} : { servername: cfg.tlsServerName }),
  };
  return {
    ...(cfg.masterName === '' ? { host: hosts[0].host, port: hosts[0].port } : { sentinels: hosts, name: cfg.masterName }),
    password: cfg.password === '' ? undefined : cfg.password,
    username: cfg.username === '' ? undefined : cfg.username,
    db: cfg.db,
    connectTimeout: cfg.dialTimeout,
    commandTimeout: cfg.timeout,
    ...(cfg.readTimeout > 0 ? { socketTimeout: cfg.readTimeout } : {}),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
    ...(cfg.tlsEnabled ? { tls } : {}),
  };
}

function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i <= 0) return { host: addr, port: 6379 };
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
}
