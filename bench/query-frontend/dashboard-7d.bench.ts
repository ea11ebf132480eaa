// The 7-day Grafana dashboard through the query-frontend: the node-exporter range panels
// (bench/query/dashboard-calls.ts) over the last 7 days, step 5 m, split by 24 h, on a
// single-process Myelin (the binary, -target=all) whose bucket holds the 7 days as day blocks.
// Loading 7 days by remote write would take hours here, so the blocks are written directly
// (pkg/tsdb/block writeBlock, as the compactor and `myelin backfill` make them) into the
// filesystem bucket with its bucket index, before Myelin starts; the queriers read them through
// the store-gateway. It prints Myelin's CPU (utime + stime from /proc) per dashboard load:
//   cold  every panel with `Cache-Control: no-store` (split, not cached)
//   warm  Grafana's refresh every 30 s: the window ends at the wall clock plus 30 s per load, so
//         each load asks the queriers only for what the cache cannot hold (the newest minute,
//         -frontend.max-cache-freshness, and the step the window moved)
// and checks that the last warm answers equal no-store answers of the same window. It does so with
// 1 and then 2 queriers (query workers, -querier.max-concurrent, that the frontend splits the
// panels' days across) and prints how much faster a cold load is with 2. A second querier needs a
// core of its own to show: on 2 cores the store-gateway and frontend share them with the queriers.
//
//   npx tsc -b && node dist/bench/query-frontend/dashboard-7d.bench.js        BENCH_HOSTS hosts × 7 d at 60 s
//   BENCH_SMOKE=1 node dist/bench/query-frontend/dashboard-7d.bench.js        1 host × 2 d
//
// Env: BENCH_HOSTS (10; 424 series each), BENCH_DAYS (7), BENCH_SCRAPE_SECONDS (60), BENCH_COLD_LOADS
// (3; 0 skips the cold phase, to profile the warm one), BENCH_WARM_LOADS (10), BENCH_QUERIERS (1,2), BENCH_PIN_CPU,
// BENCH_CPU_PROF (a directory: profiles of Myelin's threads), BENCH_SMOKE=1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemBucket, tenantBucket } from '../../pkg/bucket/index.js';
import { updateBucketIndex, writeBucketIndex } from '../../pkg/bucket-index/index.js';
import { createLogger } from '../../pkg/log/index.js';
import { Labels } from '../../pkg/model/labels/index.js';
import type { ChunkSeries, ChunkSeriesSet } from '../../pkg/storage/index.js';
import { TENANT_EXTERNAL_LABEL, UlidGenerator, chunkSeriesFromSamples, writeBlock } from '../../pkg/tsdb/block/index.js';
import { nodeExporterSeries, SERIES_PER_HOST } from '../ingest/node-exporter-series.js';
import { startMyelin, type BenchServer } from '../lib/servers.js';
import { dashboardCalls } from '../query/dashboard-calls.js';
import { coldAndWarm, loadDashboard, type LoadFn } from './dashboard-load.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const HOSTS = env('BENCH_HOSTS', 10, 1);
const DAYS = env('BENCH_DAYS', 7, 2);
const SCRAPE = env('BENCH_SCRAPE_SECONDS', 60, 60) * 1000;
const COLD_LOADS = env('BENCH_COLD_LOADS', 3, 1);
const WARM_LOADS = env('BENCH_WARM_LOADS', 10, 2);
const QUERIERS = (process.env.BENCH_QUERIERS ?? '1,2').split(',').filter((x) => x !== '').map(Number);
const DAY = 86_400_000;
const STEP = 300_000;
const TENANT = 'tenant-0';
const REFRESH = 30_000;

const sets = nodeExporterSeries(HOSTS * SERIES_PER_HOST);
const dataEnd = Math.floor(Date.now() / SCRAPE) * SCRAPE;
const dataStart = dataEnd - DAYS * DAY;
const host = sets[0].find(([n]) => n === 'instance')?.[1] ?? '';

/** The range panels of the dashboard for a window of DAYS ending at `end`. */
function panels(end: number) {
  return dashboardCalls({ end, range: DAYS * DAY - 10 * 60_000, step: STEP, host }).filter((c) => c.class === 'range');
}

/** The series' samples in [from, to) as chunk series, made one at a time (the writer keeps only chunk references). */
function daySeries(from: number, to: number): ChunkSeriesSet {
  const first = Math.ceil(from / SCRAPE) * SCRAPE;
  const n = Math.ceil((to - first) / SCRAPE);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let i = -1;
  let cur: ChunkSeries | undefined;
  return {
    next: async () => {
      if (++i >= sets.length) return false;
      for (let k = 0; k < n; k++) {
        const t = first + k * SCRAPE;
        ts[k] = t;
        // Counters grow, gauges wander: a value every series has, as load-gen's (round × 7 + series).
        vs[k] = Math.round((t - dataStart) / SCRAPE) * 7 + i;
      }
      cur = chunkSeriesFromSamples(Labels.fromRecord(Object.fromEntries(sets[i])), ts, vs);
      return true;
    },
    at: () => cur as ChunkSeries,
    err: () => undefined,
    warnings: () => [],
  };
}

/** Day blocks (UTC days, the last one up to dataEnd) in the bucket under `root`, and the tenant's bucket index. */
async function writeBlocks(root: string): Promise<number> {
  const bucket = new FilesystemBucket(root);
  const ulids = new UlidGenerator();
  let blocks = 0;
  for (let day = Math.floor(dataStart / DAY) * DAY; day < dataEnd; day += DAY) {
    const from = Math.max(day, dataStart);
    const to = Math.min(day + DAY, dataEnd + 1);
    const meta = await writeBlock(join(root, TENANT), daySeries(from, to), {
      ulids, level: 3, minTime: day, maxTime: day + DAY,
      thanos: { labels: { [TENANT_EXTERNAL_LABEL]: TENANT }, downsample: { resolution: 0 }, source: 'compactor' },
    });
    if (meta !== undefined) blocks++;
  }
  const tb = tenantBucket(bucket, TENANT);
  const { index } = await updateBucketIndex(tb, TENANT, undefined, createLogger({ level: 'warn', format: 'logfmt' }));
  await writeBucketIndex(tb, index);
  return blocks;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-bench-frontend-7d-'));
  try {
    const t0 = performance.now();
    const blocks = await writeBlocks(join(dir, 'blocks'));
    const samples = sets.length * Math.round((dataEnd - dataStart) / SCRAPE);
    console.log(`wrote ${blocks} day blocks: ${sets.length} series (${HOSTS} hosts) × ${DAYS} d at ${SCRAPE / 1000} s = ${(samples / 1e6).toFixed(0)}M samples in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    console.log(`${panels(dataEnd).length} range panels over ${DAYS} d, step ${STEP / 60_000} m, split 24 h`);
    const coldWall = new Map<number, number>();
    for (const queriers of QUERIERS) {
      console.log(`-- ${queriers} querier(s) (-querier.max-concurrent=${queriers})`);
      coldWall.set(queriers, await measure(dir, queriers));
    }
    const [one, two] = [coldWall.get(1), coldWall.get(2)];
    if (one !== undefined && two !== undefined) console.log(`cold load, 2 queriers vs 1: ${(one / two).toFixed(2)}× faster (median wall)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Cold and warm loads on a Myelin (the same bucket) whose frontend has `queriers` query workers to split across; the median cold wall (ms). */
async function measure(dir: string, queriers: number): Promise<number> {
  let s: (BenchServer & { httpPort: number }) | undefined;
  try {
    s = await startMyelin({
      dir,
      flags: [
        `-querier.max-concurrent=${queriers}`,
        '-querier.max-outstanding-requests-per-tenant=1000', '-querier.cache-results=true', '-querier.split-queries-by-interval=24h',
        '-querier.align-querier-with-step=true', '-querier.query-ingesters-within=0', '-querier.query-store-after=0',
        '-querier.max-fetched-chunks-per-query=0', '-querier.max-fetched-series-per-query=0', '-querier.max-samples=1000000000',
        '-querier.timeout=10m',
      ],
    });
    const server = s;
    const load: LoadFn = (end, noStore) => loadDashboard(server, panels(end), TENANT, noStore, 600_000);
    // The first load also warms the store-gateway's caches.
    if (COLD_LOADS > 0) await load(Date.now(), true);
    return (await coldAndWarm(s, load, COLD_LOADS, WARM_LOADS, REFRESH)).coldWallMs;
  } finally {
    await s?.proc.stop('SIGTERM');
  }
}

await main();
