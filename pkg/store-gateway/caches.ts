// The postings, series and chunks caches of a store-gateway, from config: three in-memory LRUs, or
// three key prefixes in one Redis (one connection pool shared by the three).
import type { Registry } from 'prom-client';
import { LruCache, RedisCache, RedisPool, instrumentedCache, type Cache, type CachesConfig } from '../cache/index.js';
import type { Logger } from '../log/index.js';
import type { BlockCaches } from './bucket-block.js';

export interface OwnedCaches {
  caches: BlockCaches;
  close(): Promise<void>;
}

export function newBlockCaches(cfg: CachesConfig, deps: { logger: Logger; registry: Registry }): OwnedCaches {
  if (cfg.backend === 'inmemory') {
    const lru = (name: string, max: number): Cache => instrumentedCache(new LruCache(name, max), deps.registry);
    return {
      caches: {
        postings: lru('postings', cfg.postingsMaxSizeBytes),
        series: lru('series', cfg.seriesMaxSizeBytes),
        chunks: lru('chunks', cfg.chunksMaxSizeBytes),
      },
      close: async () => {},
    };
  }
  const pool = new RedisPool(cfg.redis);
  // Keys are `<tenant>/<block>/<file>:<subrange>`; the cache name in front keeps the three apart.
  const redis = (name: string): Cache => instrumentedCache(new PrefixedCache(new RedisCache(name, pool, cfg.redis.expiration, deps), `sg:${name}:`), deps.registry);
  return {
    caches: { postings: redis('postings'), series: redis('series'), chunks: redis('chunks') },
    close: () => pool.close(),
  };
}

class PrefixedCache implements Cache {
  readonly name: string;
  readonly #inner: Cache;
  readonly #prefix: string;

  constructor(inner: Cache, prefix: string) {
    this.name = inner.name;
    this.#inner = inner;
    this.#prefix = prefix;
  }

  async fetch(keys: readonly string[]): Promise<Map<string, Buffer>> {
    const got = await this.#inner.fetch(keys.map((k) => this.#prefix + k));
    const out = new Map<string, Buffer>();
    for (const [k, v] of got) out.set(k.slice(this.#prefix.length), v);
    return out;
  }

  store(items: ReadonlyMap<string, Buffer>): Promise<void> {
    const m = new Map<string, Buffer>();
    for (const [k, v] of items) m.set(this.#prefix + k, v);
    return this.#inner.store(m);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
