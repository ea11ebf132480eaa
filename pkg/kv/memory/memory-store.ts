// One process's key-value store: the backend of `-target=all` and of tests. The composition
// root creates one and hands it to every ring, so all rings of the process see the same data.
// Values are kept encoded, so callers never share objects, exactly as with etcd.

interface Entry {
  value: Uint8Array;
  /** Revision of the last write of this key; 0 means "absent" in compare-and-swap. */
  modRevision: number;
}

/** Receives every write (value) and delete (null), synchronously, in revision order. */
export type StoreListener = (key: string, value: Uint8Array | null) => void;

export class MemoryStore {
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

  /** Returns the function that unsubscribes. */
  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
