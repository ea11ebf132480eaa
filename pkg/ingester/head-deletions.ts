// Series delete requests reaching the ingesters' heads (Prometheus' head tombstones): once a
// request is past its cancel period (it can no longer be cancelled, so deleting is final), each
// ingester deletes its samples from the tenant's head, logged to the WAL, so the blocks it cuts and
// ships no longer hold them. Before that, queriers hide them at read time (pkg/querier).
import { tenantBucket, type Bucket } from '../bucket/index.js';
import type { Logger } from '../log/index.js';
import { DeleteRequestState, activeDeletions, listDeleteRequests } from '../purger/index.js';
import type { UserTsdb } from './user-tsdb.js';

export interface HeadDeletionsDeps {
  bucket: Bucket | undefined;
  cancelPeriod: number;
  logger: Logger;
  now: () => number;
}

export class HeadDeletions {
  readonly #deps: HeadDeletionsDeps;
  /** `tenant request` pairs applied by this process (after a restart the WAL has them; applying again is harmless). */
  readonly #applied = new Set<string>();

  constructor(deps: HeadDeletionsDeps) {
    this.#deps = deps;
  }

  /** One listing of `<tenant>/tombstones/` per open tenant; a failing tenant is logged and retried next pass. */
  async apply(tsdbs: ReadonlyMap<string, UserTsdb>): Promise<void> {
    const bucket = this.#deps.bucket;
    if (bucket === undefined) return;
    for (const [tenant, db] of [...tsdbs]) {
      try {
        const now = this.#deps.now();
        for (const r of await listDeleteRequests(tenantBucket(bucket, tenant))) {
          const due = r.state === DeleteRequestState.Processed || (r.state === DeleteRequestState.Pending && now - r.requestCreatedAt > this.#deps.cancelPeriod);
          const key = `${tenant} ${r.requestId}`;
          if (!due || this.#applied.has(key)) continue;
          let series = 0;
          for (const d of activeDeletions([r])) for (const ms of d.matcherSets) series += await db.head.deleteSeries(d.startTime, d.endTime, ms);
          this.#applied.add(key);
          this.#deps.logger.info({ tenant, request: r.requestId, series }, 'series delete request applied to the head');
        }
      } catch (err) {
        this.#deps.logger.warn({ tenant, err }, 'applying series delete requests to the head');
      }
    }
  }
}
