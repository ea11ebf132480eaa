import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { TimeSeries } from '../generated/prometheus/types.js';
import { createLogger } from '../log/index.js';
import { isStaleNaN } from '../tsdb/chunkenc/index.js';
import { RuleGroup } from './group.js';
import { RulerMetrics } from './metrics.js';
import type { PostableAlert } from './notifier.js';
import type { RuleSample } from './rule-query.js';
import { parseRuleGroup } from './rulefmt.js';

const logger = createLogger({ level: 'error', format: 'logfmt' });

interface HarnessOptions {
  delay?: number;
  restoreForState?: boolean;
  resendDelay?: number;
  now?: () => number;
}

function harness(yaml: string, results: (expr: string, ts: number) => RuleSample[], opts: HarnessOptions = {}) {
  const registry = new Registry();
  const metrics = new RulerMetrics(registry);
  const queried: Array<[string, number]> = [];
  const written: TimeSeries[][] = [];
  const sent: PostableAlert[][] = [];
  /** Selector and how many queries had run when the for-state was restored. */
  const restores: Array<[string, number]> = [];
  const group = new RuleGroup('t1', 'ns', parseRuleGroup(yaml), {
    defaultInterval: 60_000, resendDelay: opts.resendDelay ?? 60_000, forGracePeriod: 600_000, forOutageTolerance: 3_600_000,
    template: { externalLabels: {}, externalURL: '' }, restoreForState: opts.restoreForState ?? false,
  }, {
    query: async (_t, expr, ts) => {
      queried.push([expr, ts]);
      return results(expr, ts);
    },
    select: async (_t, selector) => {
      restores.push([selector, queried.length]);
      return [];
    },
    append: async (_t, series) => {
      written.push(series);
    },
    notifier: { send: (alerts) => sent.push(alerts) },
    metrics, logger, evaluationDelay: () => opts.delay ?? 0, now: opts.now ?? (() => 0),
  });
  return { group, queried, written, sent, restores, registry };
}

const flat = (series: TimeSeries[]) => series.map((s) => ({
  labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])), ts: s.samples[0].timestamp, stale: isStaleNaN(s.samples[0].value), value: s.samples[0].value,
}));

test('rules run in order at the evaluation time less the tenant\'s evaluation delay; results are written with that timestamp', async () => {
  const h = harness('name: g\nrules:\n  - record: a\n    expr: up\n  - record: b\n    expr: a * 2\n', (expr) => [{ labels: { __name__: 'x', job: expr }, value: 1 }], { delay: 30_000 });
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

test('a recording rule label with an empty value removes the label', async () => {
  const h = harness('name: g\nrules:\n  - record: r\n    expr: up\n    labels: { job: "", team: a }\n', () => [{ labels: { __name__: 'up', job: 'x', instance: 'i' }, value: 1 }]);
  await h.group.evaluate(60_000);
  assert.deepEqual(flat(h.written[0])[0].labels, { __name__: 'r', instance: 'i', team: 'a' });
});

test('a failed evaluation sends no alerts, not even those due again (Prometheus returns before sendAlerts)', async () => {
  let fail = false;
  const h = harness('name: g\nrules:\n  - alert: Down\n    expr: up == 0\n', () => {
    if (fail) throw new Error('query timed out');
    return [{ labels: { job: 'a' }, value: 0 }];
  }, { resendDelay: 1_000 });
  await h.group.evaluate(60_000);
  assert.equal(h.sent.length, 1, 'firing at once (no for) and sent');
  fail = true;
  await h.group.evaluate(120_000);
  assert.equal(h.sent.length, 1, 'the resend due at 120s is not made by a failed evaluation');
  assert.equal(h.written.length, 1, 'nor are staleness markers written');
  fail = false;
  await h.group.evaluate(180_000);
  assert.equal(h.sent.length, 2);
});

test('the for-state is restored after the second evaluation, and only for groups of the tenant\'s first load', async (t) => {
  const yaml = 'name: g\ninterval: 20ms\nrules:\n  - alert: Down\n    expr: up == 0\n    for: 20m\n';
  for (const restoreForState of [true, false]) {
    await t.test(`restoreForState ${restoreForState}`, async () => {
      const h = harness(yaml, () => [{ labels: { job: 'a' }, value: 0 }], { restoreForState, now: Date.now });
      const stop = new AbortController();
      const done = h.group.run(stop.signal);
      while (h.queried.length < 4) await new Promise((resolve) => setTimeout(resolve, 5));
      stop.abort();
      await done;
      assert.deepEqual(h.restores, restoreForState ? [['ALERTS_FOR_STATE{alertname="Down"}[1h]', 2]] : []);
      const alertsWritten = h.written.map((batch) => batch.some((s) => s.labels.some((l) => l.value === 'ALERTS')));
      assert.deepEqual(alertsWritten.slice(0, 3), restoreForState ? [false, false, true] : [true, true, true], 'ALERTS from the restore on');
    });
  }
});

test('iterations an evaluation overran are counted as missed and skipped, as Prometheus does', async () => {
  let clock = 0;
  const stop = new AbortController();
  const h = harness('name: g\ninterval: 10s\nrules:\n  - record: r\n    expr: up\n', () => {
    clock += 35_000; // every evaluation takes 3.5 intervals
    if (h.queried.length === 3) stop.abort();
    return [];
  }, { now: () => clock });
  clock = h.group.nextEvaluation(0) - 1; // the first evaluation is 1ms away
  await h.group.run(stop.signal);
  const value = async (name: string): Promise<number | undefined> => (await h.registry.getSingleMetric(name)?.get())?.values[0]?.value;
  const ts = h.queried.map(([, at]) => at);
  assert.deepEqual([ts[1] - ts[0], ts[2] - ts[1]], [30_000, 30_000], 'the next evaluation is the last aligned time already due');
  assert.equal(await value('myelin_prometheus_rule_group_iterations_missed_total'), 4, '2 missed after each of the first two evaluations');
  assert.equal(await value('myelin_prometheus_rule_group_iterations_total'), 7, 'missed ones count as scheduled');
});
