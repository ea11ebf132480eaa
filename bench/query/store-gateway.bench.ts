// Latency of dashboard-style PromQL queries over blocks in a bucket, read through a store-gateway
// (gRPC on 127.0.0.1) by the blocks-store queryable, with cold and warm caches.
//
//   node dist/bench/query/store-gateway.bench.js                 2,000 counter series (+ histograms, gauges), 6h in three 2h blocks
//   BENCH_SMOKE=1 node dist/bench/query/store-gateway.bench.js   100 series, one run
//
// "cold": the postings, series and chunks caches are emptied before the query (the index-headers
// stay on local disk, as after a store-gateway restart); "warm": the same query again, median of
// the runs. The filesystem bucket sits in the OS page cache, so the time is the store-gateway's and
// the querier's own work plus gRPC, not object storage latency. The bucket reads column counts
// range requests of the cold run.
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generate } from '../../integration/promql/dataset.js';
import { FilesystemBucket, instrumentedBucket } from '../../pkg/bucket/index.js';
import { uploadBlockDir } from '../../pkg/bucket-index/testing.js';
import { LruCache } from '../../pkg/cache/index.js';
import { Engine } from '../../pkg/promql/index.js';
import { startTestCluster } from '../../pkg/querier/testing.js';
import { TENANT_EXTERNAL_LABEL, chunkSeriesFromSamples, listChunkSeriesSet, writeBlock } from '../../pkg/tsdb/block/index.js';
import { Labels } from '../../pkg/model/labels/index.js';
import { Registry } from 'prom-client';

const smoke = process.env.BENCH_SMOKE === '1';
const seriesCount = smoke ? 100 : 2_000;
const runs = smoke ? 1 : 5;
const HOUR = 3_600_000;
const start = 1_699_999_200_000 - (1_699_999_200_000 % (2 * HOUR));
const span = 6 * HOUR;
const end = start + span - 60_000;
const tenant = 'bench';

const queries: Array<{ name: string; q: string; from: number; step: number }> = [
  { name: 'sum rate, 6h / 5m step', q: 'sum(rate(http_requests_total[5m]))', from: start, step: 300_000 },
  { name: 'sum by job of rate, 1h / 60s', q: 'sum by (job) (rate(http_requests_total[5m]))', from: end - HOUR, step: 60_000 },
  {
    name: 'histogram_quantile, 3h / 60s',
    q: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
    from: end - 3 * HOUR,
    step: 60_000,
  },
  { name: 'topk rate, 1h / 60s', q: 'topk(10, rate(http_requests_total[5m]))', from: end - HOUR, step: 60_000 },
  { name: 'regex matcher, 6h / 5m', q: 'sum(rate(http_requests_total{instance=~"host-1.*",method!="GET"}[5m]))', from: start, step: 300_000 },
];

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-bench-query-'));
try {
  const t0 = performance.now();
  const data = generate({ series: seriesCount, start, span, scrapeInterval: 15_000, seed: 7 });
  const reg = new Registry();
  const raw = new FilesystemBucket(path.join(root, 'bucket'));
  const bucket = instrumentedBucket(raw, reg, 'bench');
  let samples = 0;
  let blocks = 0;
  for (let w = start; w < start + span; w += 2 * HOUR) {
    const list = [];
    for (const s of data) {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let i = 0; i < s.ts.length; i++) {
        if (s.ts[i] < w || s.ts[i] >= w + 2 * HOUR) continue;
        ts.push(s.ts[i]);
        vs.push(s.vs[i]);
      }
      if (ts.length > 0) list.push(chunkSeriesFromSamples(s.labels, ts, vs));
      samples += ts.length;
    }
    list.sort((a, b) => Labels.compare(a.labels, b.labels));
    const meta = await writeBlock(path.join(root, 'local'), listChunkSeriesSet(list), {
      thanos: { labels: { [TENANT_EXTERNAL_LABEL]: tenant }, downsample: { resolution: 0 }, source: 'bench' },
    });
    if (meta === undefined) throw new Error('BUG: empty bench block');
    await uploadBlockDir(raw, tenant, path.join(root, 'local', meta.ulid), meta.ulid);
    blocks++;
  }
  console.log(`data: ${data.length} series, ${samples} samples in ${blocks} blocks, built in ${Math.round(performance.now() - t0)} ms`);

  const lrus = { postings: new LruCache('postings', 256 << 20), series: new LruCache('series', 256 << 20), chunks: new LruCache('chunks', 1 << 30) };
  const cluster = await startTestCluster({ bucket, gatewayIds: ['sg-1'], replicationFactor: 1, caches: () => ({ caches: lrus, close: async () => {} }) });
  try {
    while (cluster.gateways.get('sg-1')?.gateway.store.blockCount() !== blocks) await new Promise((r) => setTimeout(r, 20));
    const engine = new Engine({ maxSamples: 500_000_000 });
    const queryable = cluster.queryable.forTenant(tenant);
    const rangeReads = async () => Number((await reg.getSingleMetricAsString('myelin_objstore_bucket_operations_total')).match(/operation="get_range"\} (\d+)/)?.[1] ?? 0);
    console.log(`${'query'.padEnd(34)} ${'cold ms'.padStart(9)} ${'warm ms'.padStart(9)} ${'bucket reads'.padStart(13)} ${'series'.padStart(7)}`);
    for (const { name, q, from, step } of queries) {
      const cold: number[] = [];
      const warm: number[] = [];
      let reads = 0;
      let series = 0;
      for (let i = 0; i < runs; i++) {
        for (const c of Object.values(lrus)) await c.close(); // empties the LRU
        const before = await rangeReads();
        let t = performance.now();
        const res = await engine.rangeQuery(queryable, q, from, end, step);
        cold.push(performance.now() - t);
        reads = (await rangeReads()) - before;
        series = res.value.type === 'matrix' ? res.value.matrix.length : 0;
        t = performance.now();
        await engine.rangeQuery(queryable, q, from, end, step);
        warm.push(performance.now() - t);
      }
      console.log(`${name.padEnd(34)} ${median(cold).toFixed(1).padStart(9)} ${median(warm).toFixed(1).padStart(9)} ${String(reads).padStart(13)} ${String(series).padStart(7)}`);
    }
  } finally {
    await cluster.close();
  }
} finally {
  await fs.rm(root, { recursive: true, force: true });
}
