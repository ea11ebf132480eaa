// The compactor (Cortex's blocks compactor, single instance): for every tenant, merges the RF
// replicas ingesters ship of each 2h range into one block (vertical compaction), then merges
// adjacent blocks into larger ranges (level compaction), and marks the sources for deletion. The
// BlocksCleaner deletes them later.
//
// Crash safety: the new block is uploaded with meta.json last, and the sources are marked only
// after that. A crash before meta.json leaves a partial block nobody reads (the cleaner removes it
// after the deletion delay) and unmarked sources that the next run compacts again. A crash after
// meta.json leaves a complete block whose sources (meta.json `compaction.sources`) include every
// source of its parents: the next run finds them covered and marks them (coveredBlocks).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { tenantBucket, uploadDir, type Bucket } from '../bucket/index.js';
import { TENANT_DELETION_MARK, listTenants } from '../bucket-index/index.js';
import type { Logger } from '../log/index.js';
import { basicService, sleep, type Service } from '../services/index.js';
import { compactBlocks } from '../tsdb/compact/index.js';
import { Block, META_FILENAME, readMeta, type BlockMeta } from '../tsdb/block/index.js';
import { downloadBlock } from './block-files.js';
import type { CompactorConfig } from './config.js';
import { markForDeletion } from './deletion-mark.js';
import { MarkReason, compactionMetrics, markedCounter, runMetrics } from './metrics.js';
import { coveredBlocks, groupByStream, planGroup, streamLabels } from './planner.js';
import { MetaCache } from './tenant-blocks.js';
import { verifyCompactedBlock } from './verify-block.js';
import { SeriesDeleter } from './series-deletion.js';

export interface CompactorDeps {
  bucket: Bucket;
  logger: Logger;
  registry: Registry;
  /** The ingesters' block range (-blocks-storage.tsdb.block-ranges-period); see planGroup. */
  ingesterBlockRange: number;
  /** -purger.delete-request-cancel-period: series delete requests are applied to blocks after it (default 24h). */
  deleteRequestCancelPeriod?: number;
  now?: () => number;
}

/** One pass over every tenant, as the status page shows it. */
export interface CompactionPass {
  /** Unix ms. */
  startedAt: number;
  /** Unix ms; undefined while the pass runs. */
  finishedAt?: number;
  /** Tenants found in the bucket. */
  tenants: number;
  /** Tenants whose compaction failed, with the error ('' names the listing of tenants). */
  failures: { tenant: string; error: string }[];
}

export class Compactor {
  readonly #cfg: CompactorConfig;
  readonly #deps: CompactorDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #metas = new MetaCache();
  readonly #runs;
  readonly #groups;
  readonly #marked;
  readonly #deleter: SeriesDeleter;
  #current: CompactionPass | undefined;
  #last: CompactionPass | undefined;

  constructor(cfg: CompactorConfig, deps: CompactorDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'compactor' });
    this.#now = deps.now ?? Date.now;
    this.#runs = runMetrics(deps.registry, 'myelin_compactor_runs', 'myelin_compactor_last_successful_run_timestamp_seconds', 'Compaction');
    this.#groups = compactionMetrics(deps.registry);
    this.#marked = markedCounter(deps.registry);
    this.#deleter = new SeriesDeleter({
      cancelPeriod: deps.deleteRequestCancelPeriod ?? 24 * 3600_000,
      logger: this.#log,
      now: this.#now,
      onMarked: () => this.#marked.labels(MarkReason.SeriesDeletion).inc(),
    });
  }

  /** Runs compactUsers at start and then every compaction interval (one run at a time). */
  service(): Service {
    return basicService('compactor', {
      // Leftovers of an interrupted run are never reused. Only our own sub-directory is removed, in
      // case data_dir is shared; it is created when a group is compacted, so an unwritable
      // data_dir fails compactions (logged and counted), not the process.
      starting: () => rm(this.#workDir(), { recursive: true, force: true }),
      running: async (signal) => {
        while (!signal.aborted) {
          await this.compactUsers(signal);
          await sleep(this.#cfg.compactionInterval, signal);
        }
      },
    });
  }

  /** The pass running now and the last one finished, each undefined when there is none. */
  passes(): { current?: CompactionPass; last?: CompactionPass; intervalMs: number } {
    return { current: this.#current, last: this.#last, intervalMs: this.#cfg.compactionInterval };
  }

  /** One pass over every tenant; a failing tenant is logged and does not stop the others. */
  async compactUsers(signal?: AbortSignal): Promise<void> {
    this.#runs.started.inc();
    const pass: CompactionPass = (this.#current = { startedAt: this.#now(), tenants: 0, failures: [] });
    let tenants: string[] = [];
    try {
      tenants = await listTenants(this.#deps.bucket);
      pass.tenants = tenants.length;
    } catch (err) {
      pass.failures.push({ tenant: '', error: errorText(err) });
      this.#log.error({ err }, 'listing tenants');
    }
    for (const tenant of tenants) {
      if (signal?.aborted === true) return;
      try {
        await this.compactTenant(tenant, signal);
      } catch (err) {
        pass.failures.push({ tenant, error: errorText(err) });
        this.#log.error({ tenant, err }, 'compacting tenant');
      }
    }
    pass.finishedAt = this.#now();
    this.#last = pass;
    this.#current = undefined;
    if (pass.failures.length > 0) {
      this.#runs.failed.inc();
    } else {
      this.#runs.completed.inc();
      this.#runs.lastSuccess.set(this.#now() / 1000);
    }
  }

  /** Marks covered blocks, then compacts one group after another until none is due. */
  async compactTenant(tenant: string, signal?: AbortSignal): Promise<void> {
    const tb = tenantBucket(this.#deps.bucket, tenant);
    // Its blocks are the cleaner's to delete, not to merge.
    if (await tb.exists(TENANT_DELETION_MARK)) return;
    const horizon = this.#now() - this.#deps.ingesterBlockRange;
    // Deleted series first, so that what is compacted next no longer holds them.
    const first = await this.#metas.read(tb, tenant, this.#log);
    await this.#deleter.apply(tenant, tb, [...first.metas.values()].filter((m) => !first.marks.has(m.ulid)), this.#workDir());
    for (;;) {
      if (signal?.aborted === true) return;
      const { metas, marks } = await this.#metas.read(tb, tenant, this.#log);
      const live = [...metas.values()].filter((m) => !marks.has(m.ulid));
      let group: BlockMeta[] = [];
      for (const stream of groupByStream(live)) {
        const covered = coveredBlocks(stream);
        for (const m of covered) {
          await markForDeletion(tb, m.ulid, this.#now());
          this.#marked.labels(MarkReason.Compaction).inc();
          this.#log.info({ tenant, block: m.ulid }, 'marked block already covered by a compacted block');
        }
        const doomed = new Set(covered);
        if (group.length === 0) group = planGroup(stream.filter((m) => !doomed.has(m)), this.#cfg.blockRanges, horizon);
      }
      if (group.length === 0) return;
      await this.#compactGroup(tenant, tb, group);
    }
  }

  async #compactGroup(tenant: string, tb: Bucket, group: BlockMeta[]): Promise<void> {
    const start = performance.now();
    const dir = join(this.#workDir(), tenant);
    const sources = group.map((m) => m.ulid);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      const meta = await this.#compactLocally(tb, dir, group);
      if (meta !== undefined) await uploadDir(tb, join(dir, meta.ulid), meta.ulid, [META_FILENAME]);
      // Only now that the new block is complete in the bucket are its sources marked.
      for (const id of sources) {
        await markForDeletion(tb, id, this.#now());
        this.#marked.labels(MarkReason.Compaction).inc();
      }
      const seconds = (performance.now() - start) / 1000;
      this.#groups.compactions.inc();
      this.#groups.duration.observe(seconds);
      this.#log.info({ tenant, sources, block: meta?.ulid, duration: seconds, samples: meta?.stats.numSamples }, 'compacted group');
    } catch (err) {
      this.#groups.failures.inc();
      throw new Error(`compact blocks ${sources.join(',')} of tenant ${tenant}`, { cause: err });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  #workDir(): string {
    return join(this.#cfg.dataDir, 'compact');
  }

  /** Downloads the group, writes the merged block under `dir` and verifies it; undefined if empty. */
  async #compactLocally(tb: Bucket, dir: string, group: readonly BlockMeta[]): Promise<BlockMeta | undefined> {
    const blocks: Block[] = [];
    try {
      for (const m of group) {
        await downloadBlock(tb, m.ulid, dir);
        // Drop the ingester's replica label locally so the replicas form one stream.
        const local = await readMeta(join(dir, m.ulid));
        if (local.thanos !== undefined) local.thanos.labels = streamLabels(local);
        await writeFile(join(dir, m.ulid, META_FILENAME), JSON.stringify(local, null, '\t') + '\n');
        blocks.push(await Block.open(join(dir, m.ulid)));
      }
      const meta = await compactBlocks(dir, blocks, { source: 'compactor' });
      if (meta !== undefined) await verifyCompactedBlock(dir, meta, group);
      return meta;
    } finally {
      await Promise.all(blocks.map((b) => b.close()));
    }
  }
}

/** An error with the causes it wraps: "compact blocks A,B of tenant t: disk full". */
function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 5; e = e instanceof Error ? e.cause : undefined) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(': ');
}
