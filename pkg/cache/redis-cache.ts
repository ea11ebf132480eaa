// A cache in Redis: MGET to fetch, SET ... PX in a pipeline to store. Any Redis failure (down,
// timeout, error reply) is logged, counted and answered as a miss.
import type { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { sharedCounter } from '../kv/index.js';
import type { Logger } from '../log/index.js';
import type { Cache } from './cache.js';
import type { RedisPool } from './redis-pool.js';

export class RedisCache implements Cache {
  readonly name: string;
  readonly #pool: RedisPool;
  readonly #ttlMs: number;
  readonly #log: Logger;
  readonly #errors: Counter<'name' | 'operation'>;
  /** When the last failure was logged, to log at most one per second per cache. */
  #lastLog = 0;

  constructor(name: string, pool: RedisPool, ttlMs: number, deps: { logger: Logger; registry: Registry }) {
    this.name = name;
    this.#pool = pool;
    this.#ttlMs = ttlMs;
    this.#log = deps.logger.child({ component: 'redis-cache', cache: name });
    this.#errors = sharedCounter(deps.registry, {
      name: 'myelin_cache_redis_errors_total',
      help: 'Redis cache operations that failed and were answered as misses (fetch) or dropped (store).',
      labelNames: ['name', 'operation'],
    });
    this.#errors.inc({ name, operation: 'fetch' }, 0);
    this.#errors.inc({ name, operation: 'store' }, 0);
  }

  async fetch(keys: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    if (keys.length === 0) return out;
    try {
      const values = await this.#pool.client().mgetBuffer(...keys);
      for (let i = 0; i < keys.length; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) out.set(keys[i], v);
      }
    } catch (err) {
      this.#failed('fetch', err);
    }
    return out;
  }

  async store(items: ReadonlyMap<string, Buffer>): Promise<void> {
    if (items.size === 0) return;
    try {
      const p = this.#pool.client().pipeline();
      for (const [k, v] of items) p.set(k, v, 'PX', this.#ttlMs);
      const res = await p.exec();
      const failed = res?.find(([err]) => err !== null);
      if (failed !== undefined) throw failed[0];
    } catch (err) {
      this.#failed('store', err);
    }
  }

  #failed(operation: 'fetch' | 'store', err: unknown): void {
    this.#errors.inc({ name: this.name, operation });
    const now = Date.now();
    if (now - this.#lastLog < 1000) return;
    this.#lastLog = now;
    this.#log.warn({ operation, err: (err as Error).message }, 'redis cache operation failed, treating as a miss');
  }

  /** The pool is shared between caches and closed by its owner. */
  async close(): Promise<void> {}
}
