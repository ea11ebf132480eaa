// Times every KV request into myelin_kv_request_duration_seconds{operation,status,kv_name,store}.
// Errors are the observations with status="error".
import type { Registry } from 'prom-client';
import type { CasFn, KVClient, WatchKeyFn, WatchPrefixFn } from './client.js';
import { kvRequestDuration } from './metrics.js';

export class InstrumentedClient<T> implements KVClient<T> {
  readonly #inner: KVClient<T>;
  readonly #duration: ReturnType<typeof kvRequestDuration>;
  readonly #kvName: string;
  readonly #store: string;

  constructor(inner: KVClient<T>, reg: Registry, kvName: string, store: string) {
    this.#inner = inner;
    this.#duration = kvRequestDuration(reg);
    this.#kvName = kvName;
    this.#store = store;
  }

  async #timed<R>(operation: string, fn: () => Promise<R>): Promise<R> {
    const start = performance.now();
    let status = 'error';
    try {
      const r = await fn();
      status = 'success';
      return r;
    } finally {
      this.#duration.observe(
        { operation, status, kv_name: this.#kvName, store: this.#store },
        (performance.now() - start) / 1000,
      );
    }
  }

  get(key: string): Promise<T | null> {
    return this.#timed('get', () => this.#inner.get(key));
  }

  cas(key: string, f: CasFn<T>): Promise<T | null> {
    return this.#timed('cas', () => this.#inner.cas(key, f));
  }

  delete(key: string): Promise<void> {
    return this.#timed('delete', () => this.#inner.delete(key));
  }

  list(prefix: string): Promise<string[]> {
    return this.#timed('list', () => this.#inner.list(prefix));
  }

  watchKey(key: string, signal: AbortSignal, f: WatchKeyFn<T>): Promise<void> {
    return this.#inner.watchKey(key, signal, f);
  }

  watchPrefix(prefix: string, signal: AbortSignal, f: WatchPrefixFn<T>): Promise<void> {
    return this.#inner.watchPrefix(prefix, signal, f);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
