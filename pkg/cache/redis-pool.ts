// A small pool of ioredis connections configured from RedisConfig. Commands fail fast while Redis
// is unreachable (no offline queue, no per-command retries); ioredis keeps reconnecting meanwhile.
import { createRequire } from 'node:module';
import type * as IoRedis from 'ioredis';
import type { Redis } from 'ioredis';
import type { RedisConfig } from './config.js';

// Loaded on first use: ioredis costs a good part of a second to load, which threads that import the
// cache package without a Redis cache (query workers) would otherwise pay.
const ioredis = (): typeof IoRedis => createRequire(import.meta.url)('ioredis') as typeof IoRedis;

export class RedisPool {
  readonly #clients: Redis[];
  #next = 0;

  constructor(cfg: RedisConfig) {
    const [host, portText] = splitHostPort(cfg.addresses);
    this.#clients = [];
    for (let i = 0; i < cfg.poolSize; i++) {
      this.#clients.push(
        new (ioredis().Redis)({
          host,
          port: Number(portText),
          password: cfg.password === '' ? undefined : cfg.password,
          username: cfg.username === '' ? undefined : cfg.username,
          db: cfg.db,
          connectTimeout: cfg.dialTimeout,
          commandTimeout: cfg.timeout,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          retryStrategy: (times) => Math.min(times * 100, 2000),
          ...(cfg.tlsEnabled ? { tls: { rejectUnauthorized: !cfg.tlsInsecureSkipVerify } } : {}),
        }),
      );
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

function splitHostPort(addr: string): [string, string] {
  const i = addr.lastIndexOf(':');
  if (i <= 0) return [addr, '6379'];
  return [addr.slice(0, i).replace(/^\[|\]$/g, ''), addr.slice(i + 1)];
}
