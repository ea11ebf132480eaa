// Request and hit counters around any cache (dskit's cache_fetched_keys / cache_hits, myelin prefix).
import type { Counter, Histogram, Registry } from 'prom-client';
import { sharedCounter, sharedHistogram } from '../kv/index.js';
import type { Cache } from './cache.js';

class InstrumentedCache implements Cache {
  readonly name: string;
  readonly #inner: Cache;
  readonly #requested: Counter<'name'>;
  readonly #hits: Counter<'name'>;
  readonly #duration: Histogram<'name' | 'operation'>;

  constructor(inner: Cache, reg: Registry) {
    this.name = inner.name;
    this.#inner = inner;
    this.#requested = sharedCounter(reg, { name: 'myelin_cache_fetched_keys_total', help: 'Keys looked up in a cache.', labelNames: ['name'] });
    this.#hits = sharedCounter(reg, { name: 'myelin_cache_hits_total', help: 'Keys found in a cache.', labelNames: ['name'] });
    this.#duration = sharedHistogram(reg, {
      name: 'myelin_cache_operation_duration_seconds',
      help: 'Duration of cache fetches and stores.',
      labelNames: ['name', 'operation'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    });
    this.#requested.inc({ name: this.name }, 0);
    this.#hits.inc({ name: this.name }, 0);
  }

  async fetch(keys: readonly string[]): Promise<Map<string, Buffer>> {
    const start = performance.now();
    const got = await this.#inner.fetch(keys);
    this.#duration.observe({ name: this.name, operation: 'fetch' }, (performance.now() - start) / 1000);
    this.#requested.inc({ name: this.name }, keys.length);
    this.#hits.inc({ name: this.name }, got.size);
    return got;
  }

  async store(items: ReadonlyMap<string, Buffer>): Promise<void> {
    const start = performance.now();
    await this.#inner.store(items);
    this.#duration.observe({ name: this.name, operation: 'store' }, (performance.now() - start) / 1000);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

export function instrumentedCache(c: Cache, reg: Registry): Cache {
  return new InstrumentedCache(c, reg);
}
