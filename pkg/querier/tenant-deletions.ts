// Each tenant's series delete requests, listed from the bucket for every query (so a request
// hides its data from the next query on, in every querier) and parsed once per object.
import { tenantBucket, type Bucket } from '../bucket/index.js';
import { activeDeletions, listDeleteRequests, type ActiveDeletion, type DeleteRequest } from '../purger/index.js';

export class TenantDeletions {
  readonly #bucket: Bucket;
  readonly #parsed = new Map<string, Map<string, DeleteRequest>>();

  constructor(bucket: Bucket) {
    this.#bucket = bucket;
  }

  /** The tenant's pending and processed requests: one listing of `<tenant>/tombstones/`. */
  async of(tenant: string): Promise<ActiveDeletion[]> {
    let cache = this.#parsed.get(tenant);
    if (cache === undefined) this.#parsed.set(tenant, (cache = new Map()));
    try {
      return activeDeletions(await listDeleteRequests(tenantBucket(this.#bucket, tenant), cache));
    } catch (err) {
      throw new Error(`read the series delete requests of tenant ${tenant}`, { cause: err });
    }
  }
}
