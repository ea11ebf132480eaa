import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ApiOp, executeApi } from '../api/prometheus/index.js';
import type { ApiRequest } from '../api/prometheus/index.js';
import { Labels } from '../model/labels/index.js';
import { Engine, MemoryStorage } from '../promql/index.js';
import { QueryMetrics } from './query-metrics.js';
import { queryShardQueryable } from './query-shard-queryable.js';

function backend(registry: Registry) {
  const db = new MemoryStorage();
  db.append(Labels.fromRecord({ __name__: 'x', job: 'a' }), 0, 1);
  // The memory storage knows no shards: a valid selector must reach it (and select nothing there).
  const metrics = new QueryMetrics(registry);
  return { engine: new Engine(), queryable: () => queryShardQueryable(db), observe: metrics.observe.bind(metrics) };
}

const query = (q: string, op: ApiRequest['op'] = ApiOp.Query, extra: Record<string, string> = {}): ApiRequest =>
  ({ op, tenant: 't', params: { query: q, time: '10', ...extra }, labelName: 'job', now: 10_000 });

test('a bad __query_shard__ is a 400 naming it, counted per tenant', async () => {
  const registry = new Registry();
  const b = backend(registry);
  for (const q of ['x{__query_shard__="3_of_2"}', 'sum(x{__query_shard__="0_of_2"})', 'x{__query_shard__=~"1_of_2"}', 'x{__query_shard__="1_of_2",__query_shard__="2_of_2"}', 'rate(x{__query_shard__="x"}[5m])']) {
    const a = await executeApi(query(q), b);
    assert.equal(a.status, 400, q);
    const body = JSON.parse(String(a.body)) as { errorType: string; error: string };
    assert.equal(body.errorType, 'bad_data', q);
    assert.match(body.error, /^invalid parameter "query": .*__query_shard__/, q);
  }
  const range = await executeApi(query('x{__query_shard__="2_of_1"}', ApiOp.QueryRange, { start: '0', end: '60', step: '15' }), b);
  assert.equal(range.status, 400);
  const m = await registry.getSingleMetric('myelin_querier_queries_rejected_total')?.get();
  assert.deepEqual(m?.values.map((v) => [v.labels, v.value]), [[{ reason: 'invalid-query-shard', user: 't' }, 6]]);
});

test('a good __query_shard__ goes down to the storage; label names and values ignore it', async () => {
  const b = backend(new Registry());
  const a = await executeApi(query('x{__query_shard__="1_of_2"}'), b);
  assert.equal(a.status, 200);
  const labels = await executeApi({ op: ApiOp.LabelValues, tenant: 't', params: { 'match[]': 'x{__query_shard__="1_of_2"}' }, labelName: 'job', now: 10_000 }, b);
  assert.equal(labels.status, 200);
  assert.deepEqual((JSON.parse(String(labels.body)) as { data: string[] }).data, ['a']);
});
