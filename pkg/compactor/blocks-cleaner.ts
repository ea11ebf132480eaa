// The BlocksCleaner (Cortex's): every cleanup interval, for every tenant, deletes blocks whose
// deletion mark is older than the deletion delay, marks blocks past the tenant's retention period,
// deletes partial blocks left alone longer than the deletion delay, and then rewrites the bucket
// indexes. It is the only writer of bucket indexes while the compactor runs.
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { tenantBucket, type Bucket } from '../bucket/index.js';
import {
  BUCKET_INDEX_FILENAME, deletionMarkName, listTenants, readTenantDeletionMark, writeTenantDeletionMark, type BucketIndexUpdater, type TenantDeletionMark,
} from '../bucket-index/index.js';
import { isUlid } from '../tsdb/block/index.js';
import { TOMBSTONES_DIR } from '../purger/index.js';
import type { Logger } from '../log/index.js';
import { timerService, type Service } from '../services/index.js';
import { blockObjects, deleteBlock } from './block-files.js';
import type { CompactorConfig } from './config.js';
import { markForDeletion } from './deletion-mark.js';
import { MarkReason, markedCounter, runMetrics } from './metrics.js';
import { MetaCache, type TenantBlocks } from './tenant-blocks.js';

export interface BlocksCleanerDeps {
  bucket: Bucket;
  /** Writes the bucket indexes (the updater the compactor module used to run alone). */
  indexUpdater: BucketIndexUpdater;
  /** The tenant's retention in ms (limit compactor_blocks_retention_period); 0 keeps forever. */
  retention: (tenant: string) => number;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

export class BlocksCleaner {
  readonly #cfg: CompactorConfig;
  readonly #deps: BlocksCleanerDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #metas = new MetaCache();
  readonly #runs;
  readonly #marked;
  readonly #cleaned;
  readonly #cleanFailures;

  constructor(cfg: CompactorConfig, deps: BlocksCleanerDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'blocks-cleaner' });
    this.#now = deps.now ?? Date.now;
    const reg = deps.registry;
    this.#runs = runMetrics(reg, 'myelin_compactor_block_cleanup', 'myelin_compactor_block_cleanup_last_successful_run_timestamp_seconds', 'Block cleanup');
    this.#marked = markedCounter(reg);
    this.#cleaned = new Counter({ name: 'myelin_compactor_blocks_cleaned_total', help: 'Blocks deleted from the bucket (marked ones after the deletion delay, and partial ones).', registers: [reg] });
    this.#cleanFailures = new Counter({ name: 'myelin_compactor_block_cleanup_failures_total', help: 'Blocks whose deletion failed (tried again on the next run).', registers: [reg] });
  }

  /**
   * Runs cleanUsers at start (so indexes exist at once) and then every cleanup interval. Between
   * cleanups, every `indexUpdateInterval` (when shorter) it only rewrites the bucket indexes, so new
   * blocks reach readers sooner. Everything runs in this one loop: never two index writers at once.
   */
  service(indexUpdateInterval: number): Service {
    const tick = Math.min(indexUpdateInterval, this.#cfg.cleanupInterval);
    let lastCleanup = 0;
    const clean = async (signal?: AbortSignal) => {
      lastCleanup = performance.now();
      await this.cleanUsers(signal);
    };
    return timerService('blocks-cleaner', tick, async (signal) => {
      if (performance.now() - lastCleanup >= this.#cfg.cleanupInterval) await clean(signal);
      else await this.#updateIndexes(signal);
    }, { starting: () => clean() });
  }

  /** One pass over every tenant; a failing tenant is logged and does not stop the others. */
  async cleanUsers(signal?: AbortSignal): Promise<void> {
    this.#runs.started.inc();
    let failed = false;
    let tenants: string[] = [];
    try {
      tenants = await listTenants(this.#deps.bucket);
    } catch (err) {
      failed = true;
      this.#log.error({ err }, 'listing tenants');
    }
    for (const tenant of tenants) {
      if (signal?.aborted === true) return;
      try {
        await this.cleanTenant(tenant);
      } catch (err) {
        failed = true;
        this.#log.error({ tenant, err }, 'cleaning tenant');
      }
    }
    // Then every index, in one pass that also sets the updater's last-success metric.
    if (!(await this.#updateIndexes(signal))) failed = true;
    if (failed) {
      this.#runs.failed.inc();
    } else {
      this.#runs.completed.inc();
      this.#runs.lastSuccess.set(this.#now() / 1000);
    }
  }

  /** Rewrites every tenant's index; false (logged) when the tenants cannot even be listed. */
  async #updateIndexes(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#deps.indexUpdater.updateAll(signal);
      return true;
    } catch (err) {
      this.#log.error({ err }, 'updating bucket indexes');
      return false;
    }
  }

  async cleanTenant(tenant: string): Promise<void> {
    const tb = tenantBucket(this.#deps.bucket, tenant);
    const deletion = await readTenantDeletionMark(tb);
    if (deletion !== undefined) return this.#deleteTenant(tenant, tb, deletion);
    const blocks = await this.#metas.read(tb, tenant, this.#log);
    let failed = 0;
    failed += await this.#deleteMarked(tenant, tb, blocks);
    await this.#applyRetention(tenant, tb, blocks);
    failed += await this.#deletePartial(tenant, tb, blocks);
    if (failed > 0) throw new Error(`${failed} block deletions of tenant ${tenant} failed`);
  }

  /**
   * A tenant marked for deletion (POST /purger/delete_tenant): every block goes at once, complete,
   * partial or marked (Cortex does not wait for the deletion delay either), then the bucket index
   * and the series delete requests;
   * the mark gets its finished time when nothing is left, and stays.
   */
  async #deleteTenant(tenant: string, tb: Bucket, mark: TenantDeletionMark): Promise<void> {
    const ids = new Set<string>();
    await tb.iter('', (name) => {
      const id = name.endsWith('/') ? name.slice(0, -1) : '';
      if (isUlid(id)) ids.add(id);
    });
    let failed = 0;
    for (const block of ids) failed += await this.#delete(tenant, tb, block, 'deleted block of a tenant marked for deletion');
    if (failed > 0) throw new Error(`${failed} block deletions of tenant ${tenant} failed`);
    // The index and the series delete requests go too; only the tenant deletion mark stays.
    const others: string[] = [BUCKET_INDEX_FILENAME];
    await tb.iter(TOMBSTONES_DIR, (n) => void others.push(n));
    for (const name of others) {
      await tb.delete(name).catch((err: unknown) => {
        if (!tb.isObjNotFoundErr(err)) throw new Error(`delete ${name} of tenant ${tenant}`, { cause: err });
      });
    }
    if (mark.finishedTime === undefined) {
      await writeTenantDeletionMark(tb, { ...mark, finishedTime: Math.floor(this.#now() / 1000) });
      this.#log.info({ tenant, blocks: ids.size }, 'tenant deletion finished: every block deleted');
    }
  }

  /** Deletes blocks marked longer than the deletion delay ago; returns the number of failures. */
  async #deleteMarked(tenant: string, tb: Bucket, blocks: TenantBlocks): Promise<number> {
    const cutoff = (this.#now() - this.#cfg.deletionDelay) / 1000;
    let failed = 0;
    for (const [block, time] of blocks.marks) {
      if (time > cutoff) continue;
      failed += await this.#delete(tenant, tb, block, 'deleted block marked for deletion');
    }
    return failed;
  }

  /** Marks blocks whose data is entirely older than the tenant's retention period. */
  async #applyRetention(tenant: string, tb: Bucket, blocks: TenantBlocks): Promise<void> {
    const retention = this.#deps.retention(tenant);
    if (retention <= 0) return;
    const cutoff = this.#now() - retention;
    for (const meta of blocks.metas.values()) {
      if (blocks.marks.has(meta.ulid) || meta.maxTime > cutoff) continue;
      await markForDeletion(tb, meta.ulid, this.#now());
      this.#marked.labels(MarkReason.Retention).inc();
      this.#log.info({ tenant, block: meta.ulid, maxTime: meta.maxTime }, 'marked block past the retention period');
    }
  }

  /**
   * Deletes partial blocks (no meta.json) none of whose objects changed for the deletion delay. Age
   * is judged by the objects' modification times, never by the ULID: an ingester that comes back
   * after a long outage ships blocks with old ULIDs, and its upload must not be cut short.
   */
  async #deletePartial(tenant: string, tb: Bucket, blocks: TenantBlocks): Promise<number> {
    const cutoff = this.#now() - this.#cfg.deletionDelay;
    let failed = 0;
    for (const block of blocks.partial) {
      if (blocks.marks.has(block)) continue; // an interrupted deletion: #deleteMarked finishes it
      let newest = -Infinity;
      for (const name of await blockObjects(tb, block)) {
        try {
          newest = Math.max(newest, (await tb.attributes(name)).lastModified.getTime());
        } catch (err) {
          if (!tb.isObjNotFoundErr(err)) throw new Error(`stat ${name}`, { cause: err });
        }
      }
      if (newest > cutoff || newest === -Infinity) continue;
      failed += await this.#delete(tenant, tb, block, 'deleted partial block');
    }
    return failed;
  }

  async #delete(tenant: string, tb: Bucket, block: string, msg: string): Promise<number> {
    try {
      await deleteBlock(tb, block, deletionMarkName(block));
      this.#cleaned.inc();
      this.#log.info({ tenant, block }, msg);
      return 0;
    } catch (err) {
      this.#cleanFailures.inc();
      this.#log.warn({ tenant, block, err }, 'deleting block');
      return 1;
    }
  }
}
