// In-memory LRU by total bytes (keys + values). A Map keeps insertion order: a hit re-inserts the
// entry at the end, eviction takes from the front.
import type { Cache } from './cache.js';

export class LruCache implements Cache {
  readonly name: string;
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(name: string, maxBytes: number) {
    this.name = name;
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get items(): number {
    return this.#entries.size;
  }

  async fetch(keys: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const k of keys) {
      const v = this.#entries.get(k);
      if (v === undefined) continue;
      this.#entries.delete(k);
      this.#entries.set(k, v);
      out.set(k, v);
    }
    return out;
  }

  async store(items: ReadonlyMap<string, Buffer>): Promise<void> {
    for (const [k, v] of items) {
      const size = k.length + v.length;
      if (size > this.#maxBytes) continue; // would evict everything and still not fit
      const old = this.#entries.get(k);
      if (old !== undefined) {
        this.#bytes -= k.length + old.length;
        this.#entries.delete(k);
      }
      this.#entries.set(k, v);
      this.#bytes += size;
    }
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= k.length + v.length;
    }
  }

  async close(): Promise<void> {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
