// One process's key-value store: the backend of `-target=all` and of tests. The composition
// root creates one and hands it to every ring, so all rings of the process see the same data.
// Values are kept encoded, so callers never share objects, exactly as with etcd.

export interface Entry {
  value: Uint8Array;
  /** Revision of the last write of this key; 0 means "absent" in compare-and-swap. */
  modRevision: number;
}

/** Receives writes (value) and deletes (null), in revision order. */
export type StoreListener = (key: string, value: Uint8Array | null) => void;

/**
 * The byte-level store a MemoryClient works on: the process's MemoryStore, or, in a worker
 * thread, a PortStore that reaches it over a MessagePort.
 */
export interface KVStore {
  get(key: string): Entry | undefined | Promise<Entry | undefined>;
  /** Writes `value` if the key's mod revision is `expectedRevision` (0: absent); false when it is not. */
  compareAndPut(key: string, value: Uint8Array, expectedRevision: number): boolean | Promise<boolean>;
  delete(key: string): void | Promise<void>;
  /** Keys starting with `prefix`, sorted. */
  keys(prefix: string): string[] | Promise<string[]>;
  /**
   * Calls `listener` with every key under `prefix` that exists now, then with every later write
   * and delete under it, in order, with nothing missed in between; `synced` is called between the
   * two. Returns the function that stops it.
   */
  listen(prefix: string, listener: StoreListener, synced?: () => void): () => void;
}

export class MemoryStore implements KVStore {
  #data = new Map<string, Entry>();
  #revision = 0;
  #listeners = new Set<StoreListener>();

  get(key: string): Entry | undefined {
    return this.#data.get(key);
  }

  /**
   * Writes `value` if the key's mod revision equals `expectedRevision` (0: the key must not
   * exist). Returns false, writing nothing, when it does not.
   */
  compareAndPut(key: string, value: Uint8Array, expectedRevision: number): boolean {
    if ((this.#data.get(key)?.modRevision ?? 0) !== expectedRevision) return false;
    this.#data.set(key, { value, modRevision: ++this.#revision });
    for (const l of this.#listeners) l(key, value);
    return true;
  }

  delete(key: string): void {
    if (!this.#data.delete(key)) return;
    this.#revision++;
    for (const l of this.#listeners) l(key, null);
  }

  /** Keys starting with `prefix`, sorted. */
  keys(prefix: string): string[] {
    const out: string[] = [];
    for (const k of this.#data.keys()) if (k.startsWith(prefix)) out.push(k);
    return out.sort();
  }

  /** Delivers the current keys synchronously, then every change as it is made. */
  listen(prefix: string, listener: StoreListener, synced?: () => void): () => void {
    for (const k of this.keys(prefix)) listener(k, (this.#data.get(k) as Entry).value);
    synced?.();
    const l: StoreListener = (k, v) => {
      if (k.startsWith(prefix)) listener(k, v);
    };
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
}
