// Keeps every tenant's bucket index current: one pass over all tenants per interval (run by the
// compactor's blocks cleaner, as in Cortex).
import type { Registry } from 'prom-client';
import { tenantBucket, type Bucket } from '../bucket/index.js';
import { sharedCounter, sharedGauge } from '../kv/index.js';
import type { Logger } from '../log/index.js';
import { timerService, type Service } from '../services/index.js';
import { tenantIdProblem } from '../tenant/index.js';
import { BUCKET_INDEX_FILENAME, BucketIndexCorruptedError, readBucketIndex, writeBucketIndex } from './bucket-index.js';
import { TENANT_DELETION_MARK } from './tenant-deletion-mark.js';
import { updateBucketIndex } from './updater.js';

export interface BucketIndexUpdaterDeps {
  bucket: Bucket;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

/** Tenants are the top-level directories of the bucket whose names are valid tenant IDs. */
export async function listTenants(bucket: Pick<Bucket, 'iter'>): Promise<string[]> {
  const out: string[] = [];
  await bucket.iter('', (name) => {
    if (!name.endsWith('/')) return;
    const t = name.slice(0, -1);
    if (tenantIdProblem(t) === undefined) out.push(t);
  });
  return out;
}

export class BucketIndexUpdater {
  readonly #deps: BucketIndexUpdaterDeps;
  readonly #log: Logger;
  readonly #updates;
  readonly #failures;
  readonly #lastSuccess;

  constructor(deps: BucketIndexUpdaterDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'bucket-index-updater' });
    this.#updates = sharedCounter(deps.registry, { name: 'myelin_bucket_index_updates_total', help: 'Bucket index updates written, per tenant pass.', labelNames: [] });
    this.#failures = sharedCounter(deps.registry, { name: 'myelin_bucket_index_update_failures_total', help: 'Bucket index updates that failed.', labelNames: [] });
    this.#lastSuccess = sharedGauge(deps.registry, {
      name: 'myelin_bucket_index_last_successful_update_timestamp_seconds',
      help: 'Unix time of the last pass that updated every tenant\'s bucket index.',
      labelNames: [],
    });
  }

  /** Updates the index of one tenant and returns it. */
  async updateTenant(tenant: string): Promise<void> {
    const tb = tenantBucket(this.#deps.bucket, tenant);
    // A tenant being deleted has no index: readers see no blocks at once.
    if (await tb.exists(TENANT_DELETION_MARK)) {
      await tb.delete(BUCKET_INDEX_FILENAME).catch((err: unknown) => {
        if (!tb.isObjNotFoundErr(err)) throw err;
      });
      return;
    }
    let old;
    try {
      old = await readBucketIndex(tb, tenant);
    } catch (err) {
      if (!(err instanceof BucketIndexCorruptedError)) throw err;
      this.#log.warn({ tenant, err }, 'rebuilding corrupted bucket index');
    }
    const { index, partialBlocks } = await updateBucketIndex(tb, tenant, old, this.#log, this.#deps.now);
    await writeBucketIndex(tb, index);
    this.#updates.inc();
    this.#log.debug({ tenant, blocks: index.blocks.length, partial: partialBlocks.length }, 'bucket index updated');
  }

  /** One pass over every tenant; a failing tenant is logged and does not stop the others. */
  async updateAll(signal?: AbortSignal): Promise<void> {
    let failed = false;
    for (const tenant of await listTenants(this.#deps.bucket)) {
      if (signal?.aborted === true) return;
      try {
        await this.updateTenant(tenant);
      } catch (err) {
        failed = true;
        this.#failures.inc();
        this.#log.error({ tenant, err }, 'updating bucket index');
      }
    }
    if (!failed) this.#lastSuccess.set((this.#deps.now ?? Date.now)() / 1000);
  }

  /** A service running updateAll at start and then every `intervalMs`. */
  service(intervalMs: number): Service {
    return timerService('bucket-index-updater', intervalMs, (signal) => this.updateAll(signal), {
      starting: () => this.updateAll(),
    });
  }
}
