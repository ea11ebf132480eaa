// The frontend's sharding path end to end in one process: the Frontend with its merge worker pool
// (rewrite and outer evaluation in worker threads) and an in-test querier that evaluates each
// request with the engine over a TSDB head (which selects shards itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ApiRequest } from '../api/prometheus/index.js';
import { ApiOp } from '../api/prometheus/index.js';
import { defaults } from '../flagext/index.js';
import { createLogger } from '../log/index.js';
import { Labels } from '../model/labels/index.js';
import { Engine } from '../promql/index.js';
import { Head } from '../tsdb/index.js';
import { frontendConfig, queryRangeConfig } from './config.js';
import { Frontend } from './frontend.js';
import { MergePool } from './merge-pool.js';
import { answerBody } from './sharding-testing.js';

const logger = createLogger({ level: 'error', format: 'logfmt' });

async function setup(limits: { shards: number; maxSharded: number; parallelism: number }) {
  const registry = new Registry();
  const pool = new MergePool({ logger, registry });
  const svc = pool.service();
  svc.startAsync();
  await svc.awaitRunning();
  const head = await Head.open({}, { registry: new Registry() });
  const app = head.appender();
  for (let k = 0; k <= 20; k++) {
    for (let i = 0; i < 60; i++) app.append(0, Labels.fromRecord({ __name__: 'x', job: `j${i % 4}`, instance: `i${i}` }), k * 60_000, k * (i + 1) + i);
  }
  await app.commit();
  const engine = new Engine();
  const seen: string[] = [];
  let running = 0;
  let peak = 0;
  const frontend = new Frontend({ ...defaults(frontendConfig), parallelizeShardableQueries: true }, { ...defaults(queryRangeConfig), splitQueriesByInterval: 10 * 60_000 }, {
    limits: () => ({ maxQueriersPerTenant: 0, maxQueryParallelism: limits.parallelism, maxQueryLength: 0, maxCacheFreshness: 60_000, resultsCacheTtlForLabelsQuery: 0,
      queryShardingTotalShards: limits.shards, queryShardingMaxShardedQueries: limits.maxSharded }),
    merge: (t, b, d, s) => pool.mergeMatrix(t, b, d, s),
    assemble: (t, task, d, s) => pool.assemble(t, task, d, s),
    planShards: (t, task, d, s) => pool.planShards(t, task, d, s),
    evaluateSharded: (t, task, d, s) => pool.evaluateSharded(t, task, d, s),
    timeout: 30_000, logger, registry,
  });
  const ac = new AbortController();
  // The querier: 8 concurrent workers evaluating with the engine over the head.
  const run = async (r: ApiRequest) => {
    seen.push(String(r.params.query));
    peak = Math.max(peak, ++running);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const q = String(r.params.query);
      const res = r.op === ApiOp.Query
        ? await engine.instantQuery(head, q, Number(r.params.time) * 1000)
        : await engine.rangeQuery(head, q, Number(r.params.start) * 1000, Number(r.params.end) * 1000, Number(r.params.step) * 1000);
      return { status: 200, body: answerBody(res) };
    } finally {
      running--;
    }
  };
  for (let i = 0; i < 8; i++) void frontend.serveQuerier('q', run, ac.signal);
  const direct = async (r: ApiRequest) => String((await run(r)).body);
  return {
    frontend, registry, seen, peak: () => peak, direct,
    close: async () => {
      ac.abort();
      svc.stopAsync();
      await svc.awaitTerminated();
      await head.close();
    },
  };
}

const instant = (query: string, extra: Record<string, string> = {}): ApiRequest => ({ op: ApiOp.Query, tenant: 't', params: { query, time: '900', ...extra }, labelName: '', now: 0 });
const range = (query: string): ApiRequest => ({ op: ApiOp.QueryRange, tenant: 't', params: { query, start: '0', end: '1200', step: '60' }, labelName: '', now: 0 });

/** A counter's value, or a histogram's count. */
async function metric(r: Registry, name: string): Promise<number> {
  const vs = (await r.getSingleMetric(name)?.get())?.values ?? [];
  const count = vs.find((v) => (v as { metricName?: string }).metricName === `${name}_count`);
  return count?.value ?? vs.reduce((n, v) => n + v.value, 0);
}

test('instant and split range queries: sharded through the frontend, the unsharded answer; shard queries bounded by max_query_parallelism', async () => {
  const s = await setup({ shards: 3, maxSharded: 0, parallelism: 2 });
  try {
    for (const q of ['count by (job) (x)', 'max(x) - min(x)', 'topk(2, rate(x[5m])) / 2', 'sum by (job) (x) / ignoring (job) group_left count(x)']) {
      const a = await s.frontend.execute(instant(q), new AbortController().signal);
      assert.equal(a.status, 200, String(a.body));
      assert.equal(String(a.body), await s.direct(instant(q)), q);
      const r = await s.frontend.execute(range(q), new AbortController().signal);
      assert.equal(r.status, 200, String(r.body));
      assert.equal(String(r.body), await s.direct(range(q)), `${q} (range)`);
    }
    assert.ok(s.seen.some((q) => q.includes('__query_shard__="3_of_3"')));
    assert.ok(s.peak() <= 2, `${s.peak()} shard queries ran at once`);
    // 4 instant queries and 4 range queries of 3 parts each (split by 10m): 16 rewrites.
    assert.equal(await metric(s.registry, 'myelin_frontend_query_sharding_rewrites_succeeded_total'), 16);
    assert.equal(await metric(s.registry, 'myelin_frontend_query_sharding_rewrites_attempted_total'), 16);
    assert.equal(await metric(s.registry, 'myelin_frontend_sharded_queries_per_query'), 16);
    assert.ok(await metric(s.registry, 'myelin_frontend_sharded_queries_total') >= 16 * 3);
  } finally {
    await s.close();
  }
});

test('not sharded: nothing shardable, and requests with stats', async () => {
  const s = await setup({ shards: 4, maxSharded: 128, parallelism: 14 });
  try {
    for (const q of ['x', 'quantile(0.5, x)']) {
      const a = await s.frontend.execute(instant(q), new AbortController().signal);
      assert.equal(String(a.body), await s.direct(instant(q)));
    }
    await s.frontend.execute(instant('sum(x)', { stats: 'all' }), new AbortController().signal);
    assert.ok(s.seen.includes('sum(x)'), 'a stats request went unsharded');
    assert.equal(await metric(s.registry, 'myelin_frontend_query_sharding_rewrites_succeeded_total'), 0);
    assert.equal(await metric(s.registry, 'myelin_frontend_query_sharding_rewrites_attempted_total'), 2);
  } finally {
    await s.close();
  }
});
