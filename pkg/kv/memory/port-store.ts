// The memory KV across threads: a worker's ring clients and lifecyclers reach the process's one
// MemoryStore over a MessagePort (the single-process ring with ingester shard workers).
import type { MessagePort } from 'node:worker_threads';
import { RpcChannel } from '../../workers/index.js';
import type { Entry, KVStore, MemoryStore, StoreListener } from './memory-store.js';

/**
 * The side that owns the store (the main thread): answers the PortStore at the other end of
 * `port` until the port closes, then drops that side's listeners.
 */
export function serveMemoryStore(store: MemoryStore, port: MessagePort): void {
  const listening = new Map<number, () => void>();
  const rpc = new RpcChannel(port);
  rpc.handle('get', (key) => store.get(key as string) ?? null);
  rpc.handle('compareAndPut', (args) => {
    const a = args as { key: string; value: Uint8Array; expectedRevision: number };
    return store.compareAndPut(a.key, a.value, a.expectedRevision);
  });
  rpc.handle('delete', (key) => store.delete(key as string));
  rpc.handle('keys', (prefix) => store.keys(prefix as string));
  // The current keys are sent before the answer, and changes after them, all in port order.
  rpc.handle('listen', (args) => {
    const a = args as { id: number; prefix: string };
    listening.set(a.id, store.listen(a.prefix, (key, value) => rpc.notify('change', { id: a.id, key, value })));
  });
  rpc.handle('unlisten', (id) => {
    listening.get(id as number)?.();
    listening.delete(id as number);
  });
  port.once('close', () => {
    for (const stop of listening.values()) stop();
    listening.clear();
  });
}

/** A worker thread's view of the main thread's MemoryStore (see serveMemoryStore). */
export class PortStore implements KVStore {
  readonly #rpc: RpcChannel;
  readonly #listeners = new Map<number, StoreListener>();
  #nextId = 1;
  #closed = false;

  constructor(port: MessagePort) {
    this.#rpc = new RpcChannel(port);
    this.#rpc.handle('change', (args) => {
      const a = args as { id: number; key: string; value: Uint8Array | null };
      this.#listeners.get(a.id)?.(a.key, a.value);
    });
    port.once('close', () => {
      this.#closed = true;
      this.#rpc.failAll(closedError());
    });
  }

  async get(key: string): Promise<Entry | undefined> {
    return (await this.#call<Entry | null>('get', key)) ?? undefined;
  }

  compareAndPut(key: string, value: Uint8Array, expectedRevision: number): Promise<boolean> {
    return this.#call('compareAndPut', { key, value, expectedRevision });
  }

  delete(key: string): Promise<void> {
    return this.#call('delete', key);
  }

  keys(prefix: string): Promise<string[]> {
    return this.#call('keys', prefix);
  }

  listen(prefix: string, listener: StoreListener, synced?: () => void): () => void {
    const id = this.#nextId++;
    this.#listeners.set(id, listener);
    // A closed port ends the thread's use of the store; its watches just see no more changes.
    this.#call('listen', { id, prefix }).then(() => synced?.(), () => {});
    return () => {
      if (this.#listeners.delete(id)) this.#call('unlisten', id).catch(() => {});
    };
  }

  /** A message to a closed port is dropped without an error: refuse the call instead. */
  #call<T>(method: string, args: unknown): Promise<T> {
    return this.#closed ? Promise.reject(closedError()) : this.#rpc.call<T>(method, args);
  }
}

const closedError = () => new Error('memory KV port closed');
