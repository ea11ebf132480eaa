// Test and benchmark helpers: blocks shipped the way ingesters ship them (one per replica, with the
// ingester's replica label), a compactor and cleaner on a bucket. Not used by production code.
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { tenantBucket, type Bucket } from '../bucket/index.js';
import { BucketIndexUpdater } from '../bucket-index/index.js';
import { uploadBlockDir } from '../bucket-index/testing.js';
import { defaults } from '../flagext/index.js';
import { TENANT_EXTERNAL_LABEL, listChunkSeriesSet, writeBlock, type BlockMeta } from '../tsdb/block/index.js';
import { toChunkSeries, withTempDir, type PlainSeries } from '../tsdb/block/block-test-util.js';
import { BlocksCleaner } from './blocks-cleaner.js';
import { Compactor } from './compactor.js';
import { compactorConfig, type CompactorConfig } from './config.js';
import { INGESTER_ID_LABEL } from './planner.js';

export const HOUR = 3_600_000;

/** Writes `series` as an ingester's block of [minTime, maxTime) and uploads it, meta.json last. */
export async function shipIngesterBlock(bucket: Bucket, tenant: string, ingester: string, series: readonly PlainSeries[], minTime: number, maxTime: number): Promise<BlockMeta> {
  return withTempDir(async (tmp) => {
    const meta = await writeBlock(tmp, listChunkSeriesSet(toChunkSeries(series)), {
      minTime,
      maxTime,
      thanos: { labels: { [TENANT_EXTERNAL_LABEL]: tenant, [INGESTER_ID_LABEL]: ingester }, downsample: { resolution: 0 }, source: 'receive' },
    });
    if (meta === undefined) throw new Error('BUG: test block without samples');
    await uploadBlockDir(bucket, tenant, join(tmp, meta.ulid), meta.ulid);
    return meta;
  });
}

/**
 * `n` series sampled every `step` over [t0, t1). Replica `r` of `replicas` misses every sample
 * whose index is `r` modulo `replicas + 2`, as if it had been down for a scrape: together the
 * replicas hold every sample, no single one does.
 */
export function replicaSeries(n: number, t0: number, t1: number, step: number, r?: number, replicas = 3): PlainSeries[] {
  const out: PlainSeries[] = [];
  for (let i = 0; i < n; i++) {
    const samples: [number, number][] = [];
    for (let t = t0, k = 0; t < t1; t += step, k++) if (r === undefined || k % (replicas + 2) !== r) samples.push([t, i * 1000 + (t % 7919)]);
    out.push({ labels: { __name__: 'http_requests_total', job: `job-${i % 4}`, instance: `i-${i}` }, samples });
  }
  return out;
}

export interface TestCompactor {
  cfg: CompactorConfig;
  compactor: Compactor;
  cleaner: BlocksCleaner;
  registry: Registry;
  /** The injected clock (ms); tests move it. */
  clock: { now: number };
}

export function testCompactor(bucket: Bucket, dataDir: string, o: { retention?: number; now?: number } = {}): TestCompactor {
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const cfg = { ...defaults(compactorConfig), dataDir };
  const clock = { now: o.now ?? Date.now() };
  const now = () => clock.now;
  return {
    cfg,
    registry,
    clock,
    compactor: new Compactor(cfg, { bucket, logger, registry, ingesterBlockRange: 2 * HOUR, now }),
    cleaner: new BlocksCleaner(cfg, {
      bucket,
      indexUpdater: new BucketIndexUpdater({ bucket, logger, registry, now }),
      retention: () => o.retention ?? 0,
      logger,
      registry,
      now,
    }),
  };
}

/** Block directories of a tenant in the bucket, complete or not. */
export async function blockDirs(bucket: Bucket, tenant: string): Promise<string[]> {
  const out: string[] = [];
  await tenantBucket(bucket, tenant).iter('', (n) => {
    if (n.endsWith('/') && n !== 'markers/') out.push(n.slice(0, -1));
  });
  return out.sort();
}
