// KVClient over a MemoryStore. Watches are fed by the store's in-process notifications and
// delivered asynchronously (never inside the writer's call).
import { CasConflictError, type CasFn, type KVClient, type WatchKeyFn, type WatchPrefixFn } from '../client.js';
import { casBackoff } from '../cas-backoff.js';
import type { Codec } from '../codec.js';
import type { MemoryStore } from './memory-store.js';

/** Retries of a compare-and-swap; conflicts only happen when `f` awaits. */
const maxCasRetries = 10;

export class MemoryClient<T> implements KVClient<T> {
  readonly #store: MemoryStore;
  readonly #codec: Codec<T>;
  readonly #prefix: string;

  constructor(store: MemoryStore, codec: Codec<T>, prefix = '') {
    this.#store = store;
    this.#codec = codec;
    this.#prefix = prefix;
  }

  async get(key: string): Promise<T | null> {
    const e = this.#store.get(this.#prefix + key);
    return e === undefined ? null : this.#codec.decode(e.value);
  }

  async cas(key: string, f: CasFn<T>): Promise<T | null> {
    const full = this.#prefix + key;
    for (let attempt = 1; attempt <= maxCasRetries; attempt++) {
      const e = this.#store.get(full);
      const current = e === undefined ? null : this.#codec.decode(e.value);
      const next = await f(current);
      if (next === null) return current;
      if (this.#store.compareAndPut(full, this.#codec.encode(next), e?.modRevision ?? 0)) return next;
      await casBackoff(attempt);
    }
    throw new CasConflictError(key, maxCasRetries);
  }

  async delete(key: string): Promise<void> {
    this.#store.delete(this.#prefix + key);
  }

  async list(prefix: string): Promise<string[]> {
    return this.#store.keys(this.#prefix + prefix).map((k) => k.slice(this.#prefix.length));
  }

  watchKey(key: string, signal: AbortSignal, f: WatchKeyFn<T>): Promise<void> {
    const full = this.#prefix + key;
    const initial = this.#store.get(full);
    return this.#watch(
      (k) => k === full,
      [[full, initial === undefined ? null : initial.value]],
      signal,
      (_k, v) => f(v),
    );
  }

  watchPrefix(prefix: string, signal: AbortSignal, f: WatchPrefixFn<T>): Promise<void> {
    const full = this.#prefix + prefix;
    const initial: Array<[string, Uint8Array | null]> = [];
    for (const k of this.#store.keys(full)) initial.push([k, this.#store.get(k)!.value]);
    return this.#watch((k) => k.startsWith(full), initial, signal, f);
  }

  /**
   * Subscribes first and queues the initial state, so no write between the snapshot and the
   * subscription can be missed. Events are delivered from a microtask, in order.
   */
  #watch(
    match: (fullKey: string) => boolean,
    initial: Array<[string, Uint8Array | null]>,
    signal: AbortSignal,
    f: WatchPrefixFn<T>,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue: Array<[string, Uint8Array | null]> = [];
      let scheduled = false;
      let done = false;
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
        queue.push([k, v]);
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(drain);
        }
      };
      const unsubscribe = this.#store.subscribe(push);
      for (const [k, v] of initial) push(k, v);
      if (signal.aborted) finish();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {}
}
