// The postings, series and chunks caches of a store-gateway, from config: the index cache holds
// postings and series, the chunks cache chunks; each in memory (an LRU) or in Redis (a key prefix
// per cache, one connection pool per cache).
import type { Registry } from 'prom-client';
import { LruCache, RedisCache, RedisPool, instrumentedCache, type Cache, type CacheConfig } from '../cache/index.js';
import type { Logger } from '../log/index.js';
import type { BlockCaches } from './bucket-block.js';

export interface OwnedCaches {
  caches: BlockCaches;
  close(): Promise<void>;
}

export function newBlockCaches(cfg: { indexCache: CacheConfig; chunksCache: CacheConfig }, deps: { logger: Logger; registry: Registry }): OwnedCaches {
  const pools: RedisPool[] = [];
  const cache = (c: CacheConfig, name: string, size: number): Cache => {
    if (c.backend !== 'redis') return instrumentedCache(new LruCache(name, size), deps.registry);
    const pool = new RedisPool(c.redis);
    pools.push(pool);
    // Keys are `<tenant>/<block>/<file>:<subrange>`; the cache name in front keeps the caches apart.
    return instrumentedCache(new PrefixedCache(new RedisCache(name, pool, c.redis.expiration, deps), `sg:${name}:`), deps.registry);
  };
  const indexHalf = Math.floor(cfg.indexCache.inmemory.maxSizeBytes / 2);
  return {
    caches: {
      postings: cache(cfg.indexCache, 'postings', indexHalf),
      series: cache(cfg.indexCache, 'series', indexHalf),
      chunks: cache(cfg.chunksCache, 'chunks', cfg.chunksCache.inmemory.maxSizeBytes),
    },
    close: async () => {
      await Promise.all(pools.map((p) => p.close()));
    },
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
