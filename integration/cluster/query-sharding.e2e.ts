// Query sharding on a microservices cluster (integration/e2e/cluster.ts): the query-frontend
// (-query-frontend.parallelize-shardable-queries, 3 shards, split by 10m) rewrites shardable
// aggregations into shard queries that two queriers run against the ingesters (recent data) and
// the store-gateways (a block 20 h old). On randomised data (fast-check), sharded answers through
// the frontend equal the unsharded querier's, instant and range, for every aggregation; a bad
// `__query_shard__` is a 400 naming it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GcsBucket } from '../../pkg/bucket/index.js';
import { uploadTestBlock } from '../../pkg/bucket-index/testing.js';
import { Cluster, remoteWriteBody, withLogsOnFailure } from '../e2e/cluster.js';
import type { MyelinProcess, TestSeries } from '../e2e/cluster.js';
import { waitUntil } from '../../pkg/testutil/index.js';

let cluster: Cluster;
let frontend: MyelinProcess;
/** The newest sample pushed (ms), and the start of the block's samples. */
let last: number;
let old: number;
const tenant = 'shards';
const step = 15_000;

/** Random counters: each series its own real rate, some with gaps (seeded: a failure can be replayed). */
function randomSeries(name: string, from: number, to: number, seed: number): TestSeries[] {
  const shape = fc.record({ job: fc.constantFrom('api', 'web', 'db'), zone: fc.constantFrom('a', 'b'), slope: fc.double({ min: 0.5, max: 50, noNaN: true }), gapEvery: fc.integer({ min: 0, max: 9 }) });
  return fc.sample(shape, { numRuns: 120, seed }).map((s, i) => {
    const samples: [number, number][] = [];
    let v = i;
    for (let t = from, k = 0; t <= to; t += step, k++) {
      v += s.slope;
      if (s.gapEvery > 0 && k % 10 === s.gapEvery) continue;
      samples.push([t, v]);
    }
    return { labels: { __name__: name, job: s.job, zone: s.zone, instance: `i-${i}` }, samples };
  });
}

before(async () => {
  cluster = await Cluster.start({
    flags: {
      'query-frontend': ['-query-frontend.parallelize-shardable-queries=true', '-query-frontend.query-sharding-total-shards=3', '-querier.split-queries-by-interval=10m'],
      querier: ['-querier.max-concurrent=2', '-blocks-storage.bucket-store.sync-interval=1s'],
    },
  });
  frontend = cluster.queryFrontends[0];
  last = Math.floor(Date.now() / step) * step - step;
  const series = randomSeries('sh_requests_total', last - 30 * 60_000, last, 17);
  for (let i = 0; i < series.length; i += 40) {
    const r = await cluster.push(tenant, remoteWriteBody(series.slice(i, i + 40)));
    assert.equal(r.status, 200, await r.text());
  }
  // A block 20 h old: only the store-gateways serve it.
  old = Math.floor((Date.now() - 20 * 3_600_000) / 60_000) * 60_000;
  const bucket = new GcsBucket({ bucketName: 'myelin-e2e', serviceAccount: '', endpoint: cluster.gcs.endpoint });
  await uploadTestBlock(bucket, tenant, randomSeries('sh_old_total', old, old + 30 * 60_000, 23).map((s) => ({ labels: s.labels, samples: s.samples })));
  const probe = { query: 'count(sh_old_total)', time: String((old + 20 * 60_000) / 1000) };
  await waitUntil(async () => (await (await cluster.query(tenant, '/api/v1/query', probe, cluster.queriers[0])).text()).includes('"120"'),
    { what: 'the block served by the store-gateways', timeoutMs: 30_000, intervalMs: 250 });
});

after(async () => {
  await cluster?.stop();
});

async function json(r: Response): Promise<Answer> {
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text) as Answer;
}

interface Answer { data: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }> } }

/** The same series and timestamps, values within 1e-9 relative (shards add in another order). */
function assertSame(got: Answer, want: Answer, what: string): void {
  const rows = (a: Answer) => a.data.result.map((s) => ({ key: JSON.stringify(s.metric), points: s.values ?? (s.value === undefined ? [] : [s.value]) }))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const g = rows(got);
  const w = rows(want);
  assert.equal(got.data.resultType, want.data.resultType, what);
  assert.deepEqual(g.map((r) => r.key), w.map((r) => r.key), `${what}: series`);
  assert.ok(g.length > 0, `${what}: empty answer`);
  g.forEach((r, i) => {
    assert.deepEqual(r.points.map((p) => p[0]), w[i].points.map((p) => p[0]), `${what}: timestamps of ${r.key}`);
    r.points.forEach((p, j) => {
      const x = Number(p[1]);
      const y = Number(w[i].points[j][1]);
      assert.ok(p[1] === w[i].points[j][1] || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)), `${what}: ${r.key} ${p[1]}, want ${w[i].points[j][1]}`);
    });
  });
}

const queries = (m: string) => [
  `sum by (job) (rate(${m}[5m]))`,
  `count without (instance) (${m})`,
  `avg by (zone) (${m})`,
  `max(rate(${m}[2m])) - min(rate(${m}[2m]))`,
  `group by (job, zone) (${m})`,
  `topk by (job) (2, rate(${m}[5m]))`,
  `bottomk(3, ${m} offset 3m)`,
  `sum(rate(${m}[5m])) / scalar(count(${m}))`,
  `quantile(0.5, sum by (job, zone) (${m}))`,
];

test('sharded answers through the frontend equal the unsharded querier\'s (ingesters and store-gateways, instant and range)', async () => {
  await withLogsOnFailure(cluster, async () => {
    const rewrites = await frontend.metric('myelin_frontend_query_sharding_rewrites_succeeded_total');
    let n = 0;
    // Ends on the 30 s step grid: the frontend aligns range queries to their step (configs/microservices/query-frontend.yaml).
    const onGrid = (t: number) => Math.floor(t / 30_000) * 30_000;
    for (const [metric, end] of [['sh_requests_total', onGrid(last)], ['sh_old_total', onGrid(old + 30 * 60_000)]] as const) {
      for (const q of queries(metric)) {
        const range = { query: q, start: String((end - 25 * 60_000) / 1000), end: String(end / 1000), step: '30' };
        assertSame(await json(await cluster.query(tenant, '/api/v1/query_range', range, frontend)),
          await json(await cluster.query(tenant, '/api/v1/query_range', range, cluster.queriers[0])), `${q} (range)`);
        const instant = { query: q, time: String((end - 7 * 60_000) / 1000) };
        assertSame(await json(await cluster.query(tenant, '/api/v1/query', instant, frontend)),
          await json(await cluster.query(tenant, '/api/v1/query', instant, cluster.queriers[1])), `${q} (instant)`);
        n++;
      }
    }
    // Every query was rewritten: each of 3 (or 4) split parts of the range query, and the instant query.
    assert.ok(await frontend.metric('myelin_frontend_query_sharding_rewrites_succeeded_total') - rewrites >= n * 4, 'queries were not sharded');
    assert.ok(await frontend.metric('myelin_frontend_sharded_queries_total') >= n * 4 * 3);
    assert.ok(await frontend.metric('myelin_frontend_sharded_queries_per_query_count') >= n * 4);
  });
});

test('a bad __query_shard__ is the request\'s 400, naming it, from the querier and through the frontend', async () => {
  await withLogsOnFailure(cluster, async () => {
    for (const p of [frontend, cluster.queriers[0]]) {
      const r = await cluster.query(tenant, '/api/v1/query', { query: 'sh_requests_total{__query_shard__="4_of_3"}' }, p);
      const text = await r.text();
      assert.equal(r.status, 400, text);
      assert.match(text, /__query_shard__ matcher value \\"4_of_3\\"/);
    }
    // A valid one selects that shard of the series on the ingesters.
    const shards = await Promise.all([1, 2, 3].map(async (i) => json(await cluster.query(tenant, '/api/v1/query', { query: `count(sh_requests_total{__query_shard__="${i}_of_3"})` }, cluster.queriers[0]))));
    const counts = shards.map((a) => Number(a.data.result[0]?.value?.[1] ?? 0));
    assert.equal(counts.reduce((x, y) => x + y, 0), 120, counts.join(','));
    assert.ok(counts.every((c) => c > 0 && c < 120), counts.join(','));
  });
});
