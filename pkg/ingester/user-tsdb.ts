import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { Labels, MetricName } from '../model/labels/index.js';
import type { WriteRequestDecoder } from '../wire/index.js';
import type { ChunkQuerier, Querier } from '../storage/index.js';
import { mergeChunkQueriers, mergeQueriers } from '../storage/index.js';
import { AppendError, Head, missingSeriesError } from '../tsdb/index.js';
import type { HeadAppender } from '../tsdb/index.js';
import type { SeriesCreateHook } from '../tsdb/index.js';
import { Block, TENANT_EXTERNAL_LABEL, TMP_FOR_CREATION_SUFFIX, isUlid } from '../tsdb/block/index.js';
import type { BlockMeta, ThanosMeta, UlidGenerator } from '../tsdb/block/index.js';
import { compactHead, compactOooHead, mergeOverlappingChunks } from '../tsdb/compact/index.js';
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
  /** The size of the tenant's exemplar store now (the limit may change at runtime); 0 keeps none. */
  maxExemplars: () => number;
  /** The tenant's out-of-order time window now in ms (a runtime limit); 0 refuses out-of-order samples. */
  outOfOrderTimeWindow: () => number;
  now: () => number;
}

/** What one append stored and refused. */
export interface AppendResult {
  /** Samples stored, floats and histograms (a duplicate of a stored sample counts: it is there). */
  appended: number;
  /** Of those, histograms. */
  histogramsAppended: number;
  /** Of those, how many went to the out-of-order head. */
  outOfOrderAppended: number;
  /** Refused samples by reason, and the first refusal. */
  failed: Map<string, number>;
  firstError: AppendError | undefined;
  exemplarsAppended: number;
  /** Exemplars not stored by reason (duplicates of stored ones are neither), and the first refusal. */
  exemplarsFailed: Map<string, number>;
  firstExemplarError: AppendError | undefined;
}

/** Exemplars are off for the tenant: dropped and counted under this reason. */
export const ExemplarsDisabledReason = 'exemplars_disabled';

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
  /** The compaction in progress: a flush and the periodic compaction take turns. */
  #compaction: Promise<unknown> = Promise.resolve();

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
      maxExemplars: deps.maxExemplars(),
      outOfOrderTimeWindow: deps.outOfOrderTimeWindow(),
      outOfOrderCapMax: cfg.outOfOrderCapMax,
      wblDir: join(dir, 'wbl'),
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
   * (Cortex's partial error). Exemplars go in after every sample of the request, so an exemplar
   * may come before its series' first sample in the request.
   */
  async append(req: WriteRequestDecoder): Promise<AppendResult> {
    this.head.setOutOfOrderTimeWindow(this.#deps.outOfOrderTimeWindow());
    const app = this.head.appender();
    const res: AppendResult = { appended: 0, histogramsAppended: 0, outOfOrderAppended: 0, failed: new Map(), firstError: undefined, exemplarsAppended: 0, exemplarsFailed: new Map(), firstExemplarError: undefined };
    const { buf, labelRanges, labelsStart, samplesStart, histogramsStart, hs, t, v } = req;
    const pairs: string[] = [];
    const refs = req.exemplarCount > 0 ? new Float64Array(req.seriesCount) : undefined;
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
            res.histogramsAppended++;
          } else {
            const at = k++;
            ref = app.append(ref, labels, t[at], v[at]);
          }
          res.appended++;
        } catch (err) {
          if (!(err instanceof AppendError)) throw err;
          res.failed.set(err.code, (res.failed.get(err.code) ?? 0) + 1);
          res.firstError ??= err;
        }
      }
      if (refs !== undefined) refs[i] = ref;
    }
    if (refs !== undefined) this.#appendExemplars(app, req, refs, res);
    const drops = await app.commitReportingDrops();
    res.outOfOrderAppended = app.oooCommitted;
    if (drops !== undefined) {
      // Valid at append, out of order at commit (a concurrent push of the series won): refused.
      res.appended -= drops.count;
      res.histogramsAppended -= drops.histograms;
      res.failed.set(drops.first.code, (res.failed.get(drops.first.code) ?? 0) + drops.count);
      res.firstError ??= drops.first;
    }
    this.lastUsed = this.#deps.now();
    return res;
  }

  /** Appends the request's exemplars; `refs[i]` is series i's ref after its samples (0: not in the head). */
  #appendExemplars(app: HeadAppender, req: WriteRequestDecoder, refs: Float64Array, res: AppendResult): void {
    const store = this.head.exemplars;
    const max = this.#deps.maxExemplars();
    if (max !== store.size) store.resize(max);
    if (max === 0) {
      res.exemplarsFailed.set(ExemplarsDisabledReason, req.exemplarCount);
      return;
    }
    const pairs: string[] = [];
    const { buf, labelRanges, labelsStart, exemplarsStart } = req;
    for (let i = 0; i < req.seriesCount; i++) {
      const from = exemplarsStart[i];
      const to = exemplarsStart[i + 1];
      if (from === to) continue;
      // A series first seen by a later entry of the request has a ref by now.
      const ref = refs[i] !== 0 ? refs[i] : this.head.seriesRefByLabelBytes(buf, labelRanges, labelsStart[i], labelsStart[i + 1]);
      for (let e = from; e < to; e++) {
        const exemplar = { labels: Labels.fromPairs(req.exemplarLabelPairs(e, pairs)), value: req.exemplarV[e], ts: req.exemplarT[e] };
        try {
          if (ref === 0) throw missingSeriesError(`${Labels.fromPairs(req.labelPairs(i, pairs)).toString()} exemplar=${exemplar.labels.toString()}`);
          if (app.appendExemplar(ref, exemplar)) res.exemplarsAppended++;
        } catch (err) {
          if (!(err instanceof AppendError)) throw err;
          res.exemplarsFailed.set(err.code, (res.exemplarsFailed.get(err.code) ?? 0) + 1);
          res.firstExemplarError ??= err;
        }
      }
    }
  }

  /**
   * Cuts complete block ranges out of the head (or, with `all`, the whole head) into local blocks;
   * whenever that cut a block, the out-of-order head goes into blocks of its own too (as Prometheus).
   */
  compact(all: boolean): Promise<BlockMeta[]> {
    // One at a time: an out-of-order compaction drops the chunks it counted when it started.
    const run = this.#compaction.then(() => this.#compact(all));
    this.#compaction = run.catch(() => {});
    return run;
  }

  async #compact(all: boolean): Promise<BlockMeta[]> {
    const opts = { blockRange: this.#cfg.blockRangesPeriod, ulids: this.#deps.ulids, thanos: this.#thanos };
    const metas = await compactHead(this.head, this.dir, { ...opts, all });
    if (all || metas.length > 0) metas.push(...(await compactOooHead(this.head, this.dir, opts)));
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
