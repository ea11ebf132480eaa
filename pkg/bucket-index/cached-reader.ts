// Bucket indexes as a querier reads them on every query: each call checks the object's attributes
// (a stat, or one metadata request) and parses the index again only when it changed, so a query
// sees exactly what a fresh read would show without paying for the download, gunzip and JSON parse
// (Cortex's querier caches the index for minutes instead; a check per call keeps "flush, then
// query the blocks" exact).
import type { BucketReader } from '../bucket/index.js';
import { BUCKET_INDEX_FILENAME, readBucketIndex, type BucketIndex } from './bucket-index.js';

interface Cached {
  size: number;
  lastModified: number;
  index: BucketIndex;
}

/**
 * An index whose object was modified less than this before it was read is read again next time: a
 * second write in the same clock tick and of the same size would not change the attributes. (Were
 * such a write missed anyway, the compactor's next pass rewrites the index: the view is never older
 * than one -blocks-storage.bucket-store.bucket-index.update-interval, Cortex's own bound.)
 */
const SETTLE_MS = 5;

/** Tenants whose parsed index is kept by default (least recently read dropped first): a worker's memory stays bounded however many tenants it serves. */
const MAX_TENANTS = 1_000;

export class CachedBucketIndexReader {
  readonly #cache = new Map<string, Cached>();
  readonly #now: () => number;
  readonly #maxTenants: number;

  constructor(now: () => number = Date.now, maxTenants = MAX_TENANTS) {
    this.#now = now;
    this.#maxTenants = maxTenants;
  }

  /** The tenant's index, or undefined when it has none; `tenantBucket` is the tenant's view. */
  async read(tenantBucket: BucketReader, tenant: string): Promise<BucketIndex | undefined> {
    const readAt = this.#now();
    let size: number;
    let lastModified: number;
    try {
      const attrs = await tenantBucket.attributes(BUCKET_INDEX_FILENAME);
      size = attrs.size;
      lastModified = attrs.lastModified.getTime();
    } catch (err) {
      if (!tenantBucket.isObjNotFoundErr(err)) throw new Error(`read bucket index of ${tenant}`, { cause: err });
      this.#cache.delete(tenant);
      return undefined;
    }
    const hit = this.#cache.get(tenant);
    this.#cache.delete(tenant); // re-inserted last below when kept: the Map's order is recency
    if (hit !== undefined && hit.size === size && hit.lastModified === lastModified) {
      this.#cache.set(tenant, hit);
      return hit.index;
    }
    const index = await readBucketIndex(tenantBucket, tenant);
    if (index !== undefined && readAt - lastModified >= SETTLE_MS) {
      this.#cache.set(tenant, { size, lastModified, index });
      if (this.#cache.size > this.#maxTenants) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    return index;
  }
}
