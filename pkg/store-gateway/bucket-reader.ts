// RangeReaders over objects in a bucket: every read is a range request. CachingRangeReader puts a
// cache in front, caching aligned subranges of the object (Thanos' caching bucket does the same for
// chunks) so that overlapping reads of different queries share entries.
import type { BucketReader } from '../bucket/index.js';
import type { Cache } from '../cache/index.js';
import { CorruptionError, type RangeReader } from '../tsdb/encoding/index.js';

export class BucketRangeReader implements RangeReader {
  readonly path: string;
  readonly size: number;
  readonly #bucket: BucketReader;

  constructor(bucket: BucketReader, name: string, size: number) {
    this.#bucket = bucket;
    this.path = name;
    this.size = size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.size) {
      throw new CorruptionError(`${this.path}: read [${offset}, ${offset + length}) beyond size ${this.size}`);
    }
    if (length === 0) return Buffer.alloc(0);
    const buf = await this.#bucket.getRange(this.path, offset, length);
    if (buf.length !== length) throw new CorruptionError(`${this.path}: short read at ${offset}: ${buf.length} of ${length} bytes`);
    return buf;
  }


  async close(): Promise<void> {}
}

export const SUBRANGE_SIZE = 16 * 1024;

/**
 * Picks the cache for a read at `offset` (postings, series or chunks), or undefined to read around
 * the cache (the index parts the index-header already holds locally).
 */
export type CachePicker = (offset: number) => Cache | undefined;

export class CachingRangeReader implements RangeReader {
  readonly path: string;
  readonly size: number;
  readonly #inner: RangeReader;
  readonly #keyPrefix: string;
  readonly #pick: CachePicker;

  /** `keyPrefix` names the object for every tenant and block uniquely: `<tenant>/<block>/<file>`. */
  constructor(inner: RangeReader, keyPrefix: string, pick: CachePicker) {
    this.#inner = inner;
    this.path = inner.path;
    this.size = inner.size;
    this.#keyPrefix = keyPrefix;
    this.#pick = pick;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const cache = this.#pick(offset);
    if (cache === undefined || length === 0) return this.#inner.read(offset, length);
    if (offset < 0 || offset + length > this.size) {
      throw new CorruptionError(`${this.path}: read [${offset}, ${offset + length}) beyond size ${this.size}`);
    }
    const first = Math.floor(offset / SUBRANGE_SIZE);
    const last = Math.floor((offset + length - 1) / SUBRANGE_SIZE);
    const keys: string[] = [];
    for (let i = first; i <= last; i++) keys.push(`${this.#keyPrefix}:${i}`);
    const found = await cache.fetch(keys);
    const parts: Uint8Array[] = new Array(keys.length);
    const fetched = new Map<string, Buffer>();
    // Runs of missing subranges become one range request each.
    let i = 0;
    while (i < keys.length) {
      const hit = found.get(keys[i]);
      if (hit !== undefined && hit.length === this.#subrangeLength(first + i)) {
        parts[i] = hit;
        i++;
        continue;
      }
      let j = i + 1;
      while (j < keys.length && !found.has(keys[j])) j++;
      const from = (first + i) * SUBRANGE_SIZE;
      const to = Math.min(this.size, (first + j) * SUBRANGE_SIZE);
      const buf = await this.#inner.read(from, to - from);
      for (let k = i; k < j; k++) {
        const part = buf.subarray((k - i) * SUBRANGE_SIZE, Math.min(buf.length, (k - i + 1) * SUBRANGE_SIZE));
        parts[k] = part;
        fetched.set(keys[k], Buffer.from(part)); // a copy: a view would pin the whole read buffer in the cache
      }
      i = j;
    }
    if (fetched.size > 0) void cache.store(fetched);
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const start = offset - first * SUBRANGE_SIZE;
    return all.subarray(start, start + length);
  }

  #subrangeLength(index: number): number {
    return Math.min(SUBRANGE_SIZE, this.size - index * SUBRANGE_SIZE);
  }


  close(): Promise<void> {
    return this.#inner.close();
  }
}
