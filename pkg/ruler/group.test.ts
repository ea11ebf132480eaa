import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { TimeSeries } from '../generated/prometheus/types.js';
import { createLogger } from '../log/index.js';
import { isStaleNaN } from '../tsdb/chunkenc/index.js';
import { RuleGroup } from './group.js';
import { RulerMetrics } from './metrics.js';
import type { RuleSample } from './rule-query.js';
import { parseRuleGroup } from './rulefmt.js';

const logger = createLogger({ level: 'error', format: 'logfmt' });

function harness(yaml: string, results: (expr: string, ts: number) => RuleSample[], delay = 0) {
  const registry = new Registry();
  const metrics = new RulerMetrics(registry);
  const queried: Array<[string, number]> = [];
  const written: TimeSeries[][] = [];
  const group = new RuleGroup('t1', 'ns', parseRuleGroup(yaml), {
    defaultInterval: 60_000, resendDelay: 60_000, forGracePeriod: 600_000, forOutageTolerance: 3_600_000, template: { externalLabels: {}, externalURL: '' },
  }, {
    query: async (_t, expr, ts) => {
      queried.push([expr, ts]);
      return results(expr, ts);
    },
    select: async () => [],
    append: async (_t, series) => {
      written.push(series);
    },
    metrics, logger, evaluationDelay: () => delay, now: () => 0,
  });
  return { group, queried, written, registry };
}

const flat = (series: TimeSeries[]) => series.map((s) => ({
  labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])), ts: s.samples[0].timestamp, stale: isStaleNaN(s.samples[0].value), value: s.samples[0].value,
}));

test('rules run in order at the evaluation time less the tenant\'s evaluation delay; results are written with that timestamp', async () => {
  const h = harness('name: g\nrules:\n  - record: a\n    expr: up\n  - record: b\n    expr: a * 2\n', (expr) => [{ labels: { __name__: 'x', job: expr }, value: 1 }], 30_000);
  await h.group.evaluate(120_000);
  assert.deepEqual(h.queried, [['up', 90_000], ['a * 2', 90_000]]);
  assert.deepEqual(flat(h.written[0]), [{ labels: { __name__: 'a', job: 'up' }, ts: 90_000, stale: false, value: 1 }]);
  assert.equal(h.group.lastEvaluation, 120_000);
  assert.deepEqual(h.group.rules.map((r) => r.health), ['ok', 'ok']);
});

test('a series a rule stops producing gets a staleness marker', async () => {
  let jobs = ['a', 'b'];
  const h = harness('name: g\nrules:\n  - record: r\n    expr: up\n', () => jobs.map((job) => ({ labels: { job }, value: 1 })));
  await h.group.evaluate(60_000);
  jobs = ['a'];
  await h.group.evaluate(120_000);
  assert.deepEqual(flat(h.written[1]).map((s) => [s.labels.job, s.stale]), [['a', false], ['b', true]]);
});

test('a failing query, a result over the group limit, or two samples with one label set fail the rule and are counted', async (t) => {
  const cases: Record<string, [string, () => RuleSample[], RegExp]> = {
    queryError: ['name: g\nrules:\n  - record: r\n    expr: up\n', () => {
      throw new Error('execution: query timed out');
    }, /query timed out/],
    overLimit: ['name: g\nlimit: 1\nrules:\n  - record: r\n    expr: up\n', () => [{ labels: { job: 'a' }, value: 1 }, { labels: { job: 'b' }, value: 1 }], /exceeded limit 1 with 2 series/],
    sameLabels: ['name: g\nrules:\n  - record: r\n    expr: up\n', () => [{ labels: { __name__: 'x' }, value: 1 }, { labels: { __name__: 'y' }, value: 1 }], /same labelset after applying rule labels/],
  };
  for (const [name, [yaml, results, re]] of Object.entries(cases)) {
    await t.test(name, async () => {
      const h = harness(yaml, results);
      await h.group.evaluate(60_000);
      assert.equal(h.group.rules[0].health, 'err');
      assert.match(h.group.rules[0].lastError, re);
      assert.deepEqual(h.written, []);
      const failures = (await h.registry.getSingleMetric('myelin_prometheus_rule_evaluation_failures_total')?.get())?.values;
      assert.deepEqual(failures?.map((v) => [v.labels, v.value]), [[{ user: 't1', rule_group: 'ns;g' }, 1]]);
    });
  }
});

test('groups are evaluated at interval-aligned timestamps, offset by the group', () => {
  const h = harness('name: g\ninterval: 10s\nrules: []\n', () => []);
  const first = h.group.nextEvaluation(1_000_003);
  assert.ok(first > 1_000_003 && first <= 1_010_003);
  assert.equal(h.group.nextEvaluation(first), first + 10_000);
});
