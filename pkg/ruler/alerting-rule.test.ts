import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlertingRule } from './alerting-rule.js';
import type { RuleDesc } from './rulefmt.js';
import { restoreForState } from './restore.js';
import type { RuleSeries } from './rule-query.js';

const ctx = { externalLabels: { cluster: 'eu' }, externalURL: 'http://x' };
const desc = (over: Partial<RuleDesc> = {}): RuleDesc => ({
  record: '', alert: 'Hot', expr: 'temp > 30', for: 10_000, keepFiringFor: 0, labels: { severity: 'page' },
  annotations: { summary: '{{ $labels.room }} {{ $value }} {{ $externalLabels.cluster }}' }, ...over,
});
const hot = (v = 40) => [{ labels: { __name__: 'temp', room: 'lab' }, value: v }];
const states = (r: AlertingRule) => [...r.active.values()].map((a) => a.state);

test('inactive → pending → firing after `for` → resolved, kept 15m for notifications, as Prometheus', () => {
  const r = new AlertingRule(desc(), true);
  let out = r.eval(0, hot(), ctx, 0);
  assert.deepEqual(states(r), ['pending']);
  const [alert] = r.active.values();
  assert.deepEqual(alert.labels, { alertname: 'Hot', room: 'lab', severity: 'page' });
  assert.deepEqual(alert.annotations, { summary: 'lab 40 eu' });
  assert.deepEqual(out, [
    { labels: { alertname: 'Hot', room: 'lab', severity: 'page', __name__: 'ALERTS', alertstate: 'pending' }, value: 1 },
    { labels: { alertname: 'Hot', room: 'lab', severity: 'page', __name__: 'ALERTS_FOR_STATE' }, value: 0 },
  ]);
  assert.deepEqual(r.alertsToSend(0, 60_000, 1000), [], 'pending alerts are not sent');
  r.eval(9_000, hot(41), ctx, 0);
  assert.deepEqual(states(r), ['pending']);
  r.eval(10_000, hot(42), ctx, 0);
  assert.deepEqual(states(r), ['firing']);
  assert.equal(alert.firedAt, 10_000);
  assert.deepEqual(alert.annotations, { summary: 'lab 42 eu' });
  assert.equal(r.alertsToSend(10_000, 60_000, 1000).length, 1);
  assert.equal(r.alertsToSend(11_000, 60_000, 1000).length, 0, 'not again before the resend delay');
  assert.equal(r.alertsToSend(70_001, 60_000, 1000).length, 1, 'again after it');
  out = r.eval(80_000, [], ctx, 0);
  assert.deepEqual(out, []);
  assert.deepEqual(states(r), ['inactive']);
  assert.equal(alert.resolvedAt, 80_000);
  assert.equal(r.alertsToSend(80_000, 60_000, 1000).length, 1, 'the resolution is sent at once');
  r.eval(80_000 + 15 * 60_000 + 1, [], ctx, 0);
  assert.equal(r.active.size, 0, 'forgotten after the resolved retention');
});

test('a pending alert that leaves the result is dropped; keep_firing_for holds a firing one', () => {
  const r = new AlertingRule(desc({ keepFiringFor: 5_000 }));
  r.eval(0, hot(), ctx, 0);
  r.eval(1_000, [], ctx, 0);
  assert.equal(r.active.size, 0);
  r.eval(2_000, hot(), ctx, 0);
  r.eval(12_000, hot(), ctx, 0);
  assert.deepEqual(states(r), ['firing']);
  r.eval(13_000, [], ctx, 0);
  r.eval(17_000, [], ctx, 0);
  assert.deepEqual(states(r), ['firing'], 'kept firing within keep_firing_for');
  r.eval(18_000, [], ctx, 0);
  assert.deepEqual(states(r), ['inactive']);
});

test('ALERTS are written only once the for-state was restored', () => {
  const r = new AlertingRule(desc());
  assert.deepEqual(r.eval(0, hot(), ctx, 0), []);
});

test('two samples making the same alert, and more alerts than the limit, fail the evaluation', () => {
  const r = new AlertingRule(desc({ labels: {} }));
  const twins = [{ labels: { __name__: 'a', room: 'x' }, value: 1 }, { labels: { __name__: 'b', room: 'x' }, value: 2 }];
  assert.throws(() => r.eval(0, twins, ctx, 0), /vector contains metrics with the same labelset after applying alert labels/);
  const many = [{ labels: { room: 'x' }, value: 1 }, { labels: { room: 'y' }, value: 1 }];
  assert.throws(() => r.eval(0, many, ctx, 1), /exceeded limit of 1 with 2 alerts/);
  assert.equal(r.active.size, 0);
});

test('a template that fails to execute leaves Prometheus\' error text in the annotation', () => {
  const r = new AlertingRule(desc({ annotations: { summary: '{{ if gt $value 1 }}x{{ end }}' } }));
  r.eval(0, hot(), ctx, 0);
  const [a] = r.active.values();
  assert.match(a.annotations.summary, /^<error expanding template: .*incompatible types for comparison>$/);
});

test('the for-state is restored from ALERTS_FOR_STATE as Prometheus does, within the grace period', async (t) => {
  const hold = 10 * 60_000;
  const grace = 2 * 60_000;
  const ts = 1_000_000_000;
  // [activeAt, down at (last sample)] → restored activeAt
  const cases: Record<string, [number, number, number]> = {
    // Pending 3m when it went down 1m ago: 7m remain (≥ grace), shifted by the downtime.
    shiftedByDowntime: [ts - 4 * 60_000, ts - 60_000, ts - 3 * 60_000],
    // Pending 9m: 1m remains, less than the grace period: it waits the grace period from now.
    graceApplies: [ts - 10 * 60_000, ts - 60_000, ts + grace - hold],
    // Already past `for` when it went down: restored as it was, fires at the next evaluation.
    wasFiring: [ts - 20 * 60_000, ts - 60_000, ts - 20 * 60_000],
  };
  for (const [name, [activeAt, downAt, want]] of Object.entries(cases)) {
    await t.test(name, async () => {
      const r = new AlertingRule(desc({ for: hold }));
      r.eval(ts, hot(), ctx, 0);
      const series: RuleSeries[] = [{ labels: { __name__: 'ALERTS_FOR_STATE', alertname: 'Hot', room: 'lab', severity: 'page' }, points: [[downAt - 60_000, activeAt / 1000], [downAt, activeAt / 1000]] }];
      let asked = '';
      await restoreForState(r, 't', ts, { select: async (_t, sel) => ((asked = sel), series), forGracePeriod: grace, outageTolerance: 3_600_000 });
      assert.equal(asked, 'ALERTS_FOR_STATE{alertname="Hot"}[1h]');
      assert.equal([...r.active.values()][0].activeAt, want);
    });
  }
});

test('ALERTS_FOR_STATE holds activeAt in whole seconds, as Prometheus writes activeAt.Unix()', () => {
  const r = new AlertingRule(desc(), true);
  const out = r.eval(1_700_000_001_750, hot(), ctx, 0);
  assert.equal(out.find((s) => s.labels.__name__ === 'ALERTS_FOR_STATE')?.value, 1_700_000_001);
});

test('templates see $labels.__name__; the alert has no __name__, and a label that expands to "" is dropped', () => {
  const r = new AlertingRule(desc({
    labels: { metric: '{{ $labels.__name__ }}', room: '', empty: '{{ if false }}x{{ end }}', severity: 'page' },
    annotations: { summary: '{{ $labels.__name__ }} in {{ $labels.room }}' },
  }), true);
  r.eval(0, hot(), ctx, 0);
  const [a] = r.active.values();
  assert.deepEqual(a.labels, { alertname: 'Hot', metric: 'temp', severity: 'page' }, 'room: "" removes the sample\'s room, as labels.Builder.Set does');
  assert.deepEqual(a.annotations, { summary: 'temp in lab' });
});
