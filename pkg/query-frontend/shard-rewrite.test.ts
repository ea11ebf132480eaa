import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpr } from '../promql/parser/index.js';
import { planQuery, planShards } from './shard-rewrite.js';

const leg = (i: number): string => `{__myelin_leg__="${i}"}`;
const shards = (q: (s: string) => string, n: number): string[] => Array.from({ length: n }, (_, i) => q(`__query_shard__="${i + 1}_of_${n}"`));

test('each shardable aggregation: shard queries and the merge of their answers', () => {
  const cases: Array<[string, string, string[][]]> = [
    ['sum by (job) (rate(x[5m]))', `sum by (job) (${leg(0)})`, [shards((m) => `sum by (job) (rate(x{${m}}[5m]))`, 2)]],
    ['min(x)', `min(${leg(0)})`, [shards((m) => `min(x{${m}})`, 2)]],
    ['max without (i) (x)', `max without (i, __query_shard__) (${leg(0)})`, [shards((m) => `max without (i) (x{${m}})`, 2)]],
    ['group by (job) (x)', `group by (job) (${leg(0)})`, [shards((m) => `group by (job) (x{${m}})`, 2)]],
    ['count(x)', `sum(${leg(0)})`, [shards((m) => `count(x{${m}})`, 2)]],
    ['topk by (job) (3, x)', `topk by (job) (3, ${leg(0)})`, [shards((m) => `topk by (job) (3, x{${m}})`, 2)]],
    ['bottomk(1, x)', `bottomk(1, ${leg(0)})`, [shards((m) => `bottomk(1, x{${m}})`, 2)]],
    ['avg by (job) (x)',
      `sum without (__query_shard__) (${leg(0)} * (${leg(1)} / ignoring (__query_shard__) group_left () sum without (__query_shard__) (${leg(1)})))`,
      [shards((m) => `avg by (job) (x{${m}})`, 2), shards((m) => `count by (job) (x{${m}})`, 2)]],
  ];
  for (const [query, outer, legs] of cases) {
    const p = planQuery(query, 2, 0);
    assert.ok(p !== undefined, query);
    assert.equal(p.outer, outer, query);
    assert.deepEqual(p.legs.map((l) => l.queries), legs, query);
  }
});

test('topk legs keep their series as they are; the others get the shard label', () => {
  assert.deepEqual(planQuery('topk(2, x)', 2, 0)?.legs.map((l) => l.labelShards), [false]);
  assert.deepEqual(planQuery('sum(x)', 2, 0)?.legs.map((l) => l.labelShards), [true]);
});

test('nesting: the innermost shardable aggregation is sharded, what is around it and other data evaluated once', () => {
  const p = planQuery('max(sum by (job) (rate(x[5m]))) / scalar(y) + on () group_left z', 3, 0);
  assert.ok(p !== undefined);
  assert.equal(p.outer, `max(sum by (job) (${leg(0)})) / scalar(${leg(1)}) + on () group_left () ${leg(2)}`);
  assert.deepEqual(p.legs.map((l) => l.queries), [shards((m) => `sum by (job) (rate(x{${m}}[5m]))`, 3), ['y'], ['z']]);
  assert.equal(p.shardedLegs, 1);
  // Subqueries, offset and @ stay inside the shard queries.
  assert.deepEqual(planQuery('sum(max_over_time(rate(x[1m] offset 5m)[10m:1m] @ 100))', 2, 0)?.legs[0].queries,
    shards((m) => `sum(max_over_time(rate(x{${m}}[1m] offset 5m)[10m:1m] @ 100.000))`, 2));
  // Aggregations over a vector and a number: the number reads no data.
  assert.deepEqual(planQuery('sum(x * 2 > 1)', 2, 0)?.legs[0].queries, shards((m) => `sum(x{${m}} * 2 > 1)`, 2));
  // An aggregation over an aggregation: the inner one is sharded.
  assert.equal(planQuery('sum(sum by (i) (x))', 2, 0)?.outer, `sum(sum by (i) (${leg(0)}))`);
  // An aggregation in a non-shardable one is sharded.
  assert.equal(planQuery('quantile(0.9, sum by (job) (x))', 2, 0)?.outer, `quantile(0.9, sum by (job) (${leg(0)}))`);
});

test('shapes that do not distribute over shards are not rewritten', () => {
  for (const q of [
    'x', 'rate(x[5m])', 'quantile(0.9, x)', 'stddev(x)', 'stdvar(x)', 'count_values("v", x)', 'limitk(2, x)',
    'topk(scalar(y), x)', 'sum(a * on (i) b)', 'sum(a or b)', 'sum(x * scalar(y))', 'sum(-(a + b))',
    'sum(histogram_quantile(0.9, x))', 'sum(absent(x))', 'sum(info(x))', 'max_over_time(sum(x)[10m:1m])',
    'sum by (__name__) (x)', 'sum(x{__query_shard__="1_of_2"})', 'sum({__myelin_leg__="0"})', 'sum(vector(1))', 'sum(', 'absent(x)',
  ]) {
    assert.equal(planQuery(q, 4, 0), undefined, q);
  }
});

test('max_sharded_queries lowers the shards so that all legs\' queries fit; below one shard nothing is sharded', () => {
  assert.equal(planShards(parseExpr('sum(x) + sum(y)'), 16, 20)?.shards, 10);
  assert.equal(planShards(parseExpr('avg(x)'), 16, 0)?.shards, 16);
  assert.equal(planShards(parseExpr('avg(x)'), 16, 9)?.shards, 4);
  assert.equal(planShards(parseExpr('sum(x) + sum(y) + sum(z)'), 16, 2), undefined);
  // Unsharded legs are queries too: 2 of them leave 8 for the shards.
  assert.equal(planShards(parseExpr('sum(x) / scalar(y) + z'), 16, 10)?.shards, 8);
  assert.equal(planShards(parseExpr('sum(x) / scalar(y) + z'), 16, 2), undefined);
});
