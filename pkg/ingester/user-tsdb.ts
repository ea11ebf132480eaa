import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { Labels, MetricName } from '../model/labels/index.js';
import type { WriteRequestDecoder } from '../wire/index.js';
import type { ChunkQuerier, Querier } from '../storage/index.js';
import { mergeChunkQueriers, mergeQueriers } from '../storage/index.js';
import { AppendError, Head } from '../tsdb/index.js';
import type { SeriesCreateHook } from '../tsdb/index.js';
import { Block, TENANT_EXTERNAL_LABEL, TMP_FOR_CREATION_SUFFIX, isUlid } from '../tsdb/block/index.js';
import type { BlockMeta, ThanosMeta, UlidGenerator } from '../tsdb/block/index.js';
import { compactHead, mergeOverlappingChunks } from '../tsdb/compact/index.js';
import type { TsdbConfig } from './config.js';

/** Labels every block an ingester writes carries in meta.json (Cortex's external labels). */
export const IngesterIdExternalLabel = '__ingester_id__';

export interface UserTsdbDeps {
  logger: Logger;
  /** The tenant's own registry for its head and WAL metrics (summed by TenantRegistries). */
  registry: Registry;
  ulids: UlidGenerator;
  /** Consulted before a new series is created; returns a refusal reason or undefined. */
  seriesRefusal: (userSeries: number, metricSeries: number) => string | undefined;
  now: () => number;
}

/**
 * One tenant's TSDB inside an ingester (Cortex userTSDB): a head with its WAL under
 * `<dir>/<tenant>/wal` and the blocks cut from it beside, as Prometheus lays out a data dir.
 */
export class UserTsdb {
  readonly tenant: string;
  readonly dir: string;
  readonly head: Head;
  #blocks: Block[];
  readonly #cfg: TsdbConfig;
  readonly #deps: UserTsdbDeps;
  readonly #thanos: ThanosMeta;
  /** When the tenant last wrote or read, for idle closing (ms). */
  lastUsed: number;

  private constructor(tenant: string, dir: string, head: Head, blocks: Block[], cfg: TsdbConfig, deps: UserTsdbDeps, ingesterId: string) {
    this.tenant = tenant;
    this.dir = dir;
    this.head = head;
    this.#blocks = blocks;
    this.#cfg = cfg;
    this.#deps = deps;
    this.lastUsed = deps.now();
    this.#thanos = { labels: { [TENANT_EXTERNAL_LABEL]: tenant, [IngesterIdExternalLabel]: ingesterId }, downsample: { resolution: 0 }, source: 'receive' };
  }

  /** Opens (or creates) the tenant's TSDB: loads its local blocks, then replays the WAL. */
  static async open(baseDir: string, tenant: string, cfg: TsdbConfig, deps: UserTsdbDeps, ingesterId: string): Promise<UserTsdb> {
    const dir = join(baseDir, tenant);
    await mkdir(dir, { recursive: true });
    const blocks = await openLocalBlocks(dir, deps.logger);
    // Half a range before the newest block's end, not its end: after a flush on shutdown, the rest
    // of the writes in flight (and what Prometheus retries) is still taken after the restart, as
    // the head took it before (Head.allowAppendsFrom).
    const minValidTime = blocks.reduce((max, b) => Math.max(max, b.meta.maxTime), -Infinity) - cfg.blockRangesPeriod / 2;
    // The hook needs the head it is passed to; it is set right after the head opens.
    const opened: { head?: Head } = {};
    const beforeSeriesCreate: SeriesCreateHook = (ls, numSeries) =>
      deps.seriesRefusal(numSeries, opened.head === undefined ? 0 : seriesWithMetricName(opened.head, ls.get(MetricName)));
    const head = await Head.open({
      chunkRange: cfg.blockRangesPeriod,
      walDir: join(dir, 'wal'),
      wal: { fsync: cfg.walFsync, segmentSize: cfg.walSegmentSizeBytes },
      minValidTime,
      beforeSeriesCreate,
    }, { logger: deps.logger, registry: deps.registry });
    opened.head = head;
    return new UserTsdb(tenant, dir, head, blocks, cfg, deps, ingesterId);
  }

  blocks(): readonly Block[] {
    return this.#blocks;
  }

  /**
   * Appends a decoded remote-write request (its label strings are not needed) and commits it to
   * the WAL: resolves only once the accepted samples are durable. The columns are read
   * synchronously before the first await, so
   * the decoder may be reused as soon as this returns its promise. Samples the head refuses are
   * skipped and counted by reason; the first refusal is returned so the caller can answer with it
   * (Cortex's partial error).
   */
  async append(req: WriteRequestDecoder): Promise<{ appended: number; failed: Map<string, number>; firstError: AppendError | undefined }> {
    const app = this.head.appender();
    const failed = new Map<string, number>();
    let firstError: AppendError | undefined;
    let appended = 0;
    const { buf, labelRanges, labelsStart, samplesStart, histogramsStart, hs, t, v } = req;
    const pairs: string[] = [];
    const refuse = (err: unknown) => {
      if (!(err instanceof AppendError)) throw err;
      failed.set(err.code, (failed.get(err.code) ?? 0) + 1);
      firstError ??= err;
    };
    for (let i = 0; i < req.seriesCount; i++) {
      // Known series are found by their label bytes; strings are made only for new ones.
      let ref = this.head.seriesRefByLabelBytes(buf, labelRanges, labelsStart[i], labelsStart[i + 1]);
      const labels = ref === 0 ? Labels.fromPairs(req.labelPairs(i, pairs)) : Labels.EMPTY;
      // Floats and histograms of the series merged by time: a series may switch between them.
      let h = histogramsStart[i];
      const hEnd = histogramsStart[i + 1];
      for (let k = samplesStart[i], kEnd = samplesStart[i + 1]; k < kEnd || h < hEnd;) {
        try {
          if (h < hEnd && (k === kEnd || hs[h].t < t[k])) {
            const s = hs[h++];
            ref = app.appendHistogram(ref, labels, s.t, s.h, s.fh);
          } else {
            const at = k++;
            ref = app.append(ref, labels, t[at], v[at]);
          }
          appended++;
        } catch (err) {
          refuse(err);
        }
      }
    }
    const drops = await app.commitReportingDrops();
    if (drops !== undefined) {
      // Valid at append, out of order at commit (a concurrent push of the series won): refused.
      appended -= drops.count;
      failed.set(drops.first.code, (failed.get(drops.first.code) ?? 0) + drops.count);
      firstError ??= drops.first;
    }
    this.lastUsed = this.#deps.now();
    return { appended, failed, firstError };
  }

  /** Cuts complete block ranges out of the head (or, with `all`, the whole head) into local blocks. */
  async compact(all: boolean): Promise<BlockMeta[]> {
    const metas = await compactHead(this.head, this.dir, { blockRange: this.#cfg.blockRangesPeriod, ulids: this.#deps.ulids, thanos: this.#thanos, all });
    for (const m of metas) this.#blocks.push(await Block.open(join(this.dir, m.ulid)));
    return metas;
  }

  /** Closes and deletes local blocks for which `deletable(meta)` holds (shipped and past retention). */
  async deleteBlocks(deletable: (meta: BlockMeta) => boolean): Promise<string[]> {
    const gone = this.#blocks.filter((b) => deletable(b.meta));
    if (gone.length === 0) return [];
    this.#blocks = this.#blocks.filter((b) => !deletable(b.meta));
    for (const b of gone) {
      await b.close();
      await rm(join(this.dir, b.meta.ulid), { recursive: true, force: true });
    }
    return gone.map((b) => b.meta.ulid);
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    this.lastUsed = this.#deps.now();
    const parts: Querier[] = [await this.head.querier(mint, maxt)];
    for (const b of this.#overlapping(mint, maxt)) parts.push(await b.querier(mint, maxt));
    return mergeQueriers(parts);
  }

  async chunkQuerier(mint: number, maxt: number): Promise<ChunkQuerier> {
    this.lastUsed = this.#deps.now();
    const parts: ChunkQuerier[] = [await this.head.chunkQuerier(mint, maxt)];
    for (const b of this.#overlapping(mint, maxt)) parts.push(await b.chunkQuerier(mint, maxt));
    return mergeChunkQueriers(parts, mergeOverlappingChunks);
  }

  async close(): Promise<void> {
    await this.head.close();
    for (const b of this.#blocks) await b.close();
  }

  #overlapping(mint: number, maxt: number): Block[] {
    return this.#blocks.filter((b) => b.meta.minTime <= maxt && b.meta.maxTime > mint);
  }
}

/** Series in the head with this metric name (for the per-metric series limit). */
function seriesWithMetricName(head: Head, name: string): number {
  return head.postings.postings(MetricName, [name]).length;
}

/** Opens the blocks in a tenant dir, removing leftovers of block writes a crash interrupted. */
async function openLocalBlocks(dir: string, log: Logger): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.endsWith(TMP_FOR_CREATION_SUFFIX)) {
      await rm(join(dir, name), { recursive: true, force: true });
      log.info({ dir: name }, 'removed unfinished block');
    } else if (isUlid(name)) {
      blocks.push(await Block.open(join(dir, name)));
    }
  }
  return blocks;
}
