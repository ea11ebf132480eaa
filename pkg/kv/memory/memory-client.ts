// KVClient over a KVStore: the process's MemoryStore, or a worker thread's bridge to it. Watches
// are fed by the store's notifications and delivered asynchronously (never inside the writer's call).
import { CasConflictError, type CasFn, type KVClient, type WatchKeyFn, type WatchPrefixFn } from '../client.js';
import { casBackoff } from '../cas-backoff.js';
import type { Codec } from '../codec.js';
import type { KVStore } from './memory-store.js';

/** Retries of a compare-and-swap; conflicts only happen when `f` awaits. */
const maxCasRetries = 10;

export class MemoryClient<T> implements KVClient<T> {
  readonly #store: KVStore;
  readonly #codec: Codec<T>;
  readonly #prefix: string;

  constructor(store: KVStore, codec: Codec<T>, prefix = '') {
    this.#store = store;
    this.#codec = codec;
    this.#prefix = prefix;
  }

  async get(key: string): Promise<T | null> {
    const e = await this.#store.get(this.#prefix + key);
    return e === undefined ? null : this.#codec.decode(e.value);
  }

  async cas(key: string, f: CasFn<T>): Promise<T | null> {
    const full = this.#prefix + key;
    for (let attempt = 1; attempt <= maxCasRetries; attempt++) {
      const e = await this.#store.get(full);
      const current = e === undefined ? null : this.#codec.decode(e.value);
      const next = await f(current);
      if (next === null) return current;
      if (await this.#store.compareAndPut(full, this.#codec.encode(next), e?.modRevision ?? 0)) return next;
      await casBackoff(attempt);
    }
    throw new CasConflictError(key, maxCasRetries);
  }

  async delete(key: string): Promise<void> {
    await this.#store.delete(this.#prefix + key);
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.#store.keys(this.#prefix + prefix)).map((k) => k.slice(this.#prefix.length));
  }

  watchKey(key: string, signal: AbortSignal, f: WatchKeyFn<T>): Promise<void> {
    const full = this.#prefix + key;
    return this.#watch(full, (k) => k === full, true, signal, (_k, v) => f(v));
  }

  watchPrefix(prefix: string, signal: AbortSignal, f: WatchPrefixFn<T>): Promise<void> {
    return this.#watch(this.#prefix + prefix, () => true, false, signal, f);
  }

  /**
   * The store's listen() gives the current keys and then every change, with nothing missed in
   * between; a watched key that does not exist is reported as null once those are delivered.
   * Events are delivered from a microtask, in order.
   */
  #watch(
    prefix: string,
    match: (fullKey: string) => boolean,
    reportMissing: boolean,
    signal: AbortSignal,
    f: WatchPrefixFn<T>,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue: Array<[string, Uint8Array | null]> = [];
      let scheduled = false;
      let done = false;
      let seen = false;
      const finish = (err?: unknown): void => {
        if (done) return;
        done = true;
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = (): void => finish();
      const drain = (): void => {
        scheduled = false;
        while (queue.length > 0 && !done) {
          const [k, v] = queue.shift()!;
          try {
            if (f(k.slice(this.#prefix.length), v === null ? null : this.#codec.decode(v)) === false) finish();
          } catch (err) {
            finish(err);
          }
        }
      };
      const push = (k: string, v: Uint8Array | null): void => {
        if (done || !match(k)) return;
        seen = true;
        queue.push([k, v]);
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(drain);
        }
      };
      const unsubscribe = this.#store.listen(prefix, push, () => {
        if (reportMissing && !seen) push(prefix, null);
      });
      if (signal.aborted) finish();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {}
}
