// The memory KV across threads: a worker's ring clients and lifecyclers reach the process's one
// MemoryStore over a MessagePort (the single-process ring with ingester shard workers).
import type { MessagePort } from 'node:worker_threads';
import { PortRpc } from '../../port-rpc/index.js';
import type { Entry, KVStore, MemoryStore, StoreListener } from './memory-store.js';

/**
 * The side that owns the store (the main thread): answers the PortStore at the other end of
 * `port` until the port closes, then drops that side's listeners.
 */
export function serveMemoryStore(store: MemoryStore, port: MessagePort): void {
  const listening = new Map<number, () => void>();
  const rpc = new PortRpc(port, {
    get: (key: string) => store.get(key) ?? null,
    compareAndPut: (a: { key: string; value: Uint8Array; expectedRevision: number }) => store.compareAndPut(a.key, a.value, a.expectedRevision),
    delete: (key: string) => store.delete(key),
    keys: (prefix: string) => store.keys(prefix),
    // The current keys are sent before the answer, and changes after them, all in port order.
    listen: (a: { id: number; prefix: string }) => {
      listening.set(a.id, store.listen(a.prefix, (key, value) => rpc.notify('change', { id: a.id, key, value })));
    },
    unlisten: (id: number) => {
      listening.get(id)?.();
      listening.delete(id);
    },
  });
  port.once('close', () => {
    rpc.close(new Error('memory KV port closed'));
    for (const stop of listening.values()) stop();
    listening.clear();
  });
}

/** A worker thread's view of the main thread's MemoryStore (see serveMemoryStore). */
export class PortStore implements KVStore {
  readonly #rpc: PortRpc;
  readonly #listeners = new Map<number, StoreListener>();
  #nextId = 1;

  constructor(port: MessagePort) {
    this.#rpc = new PortRpc(port, {
      change: (a: { id: number; key: string; value: Uint8Array | null }) => this.#listeners.get(a.id)?.(a.key, a.value),
    });
    port.once('close', () => this.#rpc.close(new Error('memory KV port closed')));
  }

  async get(key: string): Promise<Entry | undefined> {
    return (await this.#rpc.call<Entry | null>('get', key)) ?? undefined;
  }

  compareAndPut(key: string, value: Uint8Array, expectedRevision: number): Promise<boolean> {
    return this.#rpc.call('compareAndPut', { key, value, expectedRevision });
  }

  delete(key: string): Promise<void> {
    return this.#rpc.call('delete', key);
  }

  keys(prefix: string): Promise<string[]> {
    return this.#rpc.call('keys', prefix);
  }

  listen(prefix: string, listener: StoreListener, synced?: () => void): () => void {
    const id = this.#nextId++;
    this.#listeners.set(id, listener);
    // A closed port ends the thread's use of the store; its watches just see no more changes.
    this.#rpc.call('listen', { id, prefix }).then(() => synced?.(), () => {});
    return () => {
      if (this.#listeners.delete(id)) this.#rpc.call('unlisten', id).catch(() => {});
    };
  }
}
