// The ruler end to end against the myelin binary (-target=all, RF=1) and a real Alertmanager
// (Debian prometheus-alertmanager), the tenant's own through its limits: rule groups through Cortex's config API (bad ones refused 400
// naming group and rule, what GET returns accepted by promtool), a recording rule and an alert fed
// by remote write, the alert pending → firing after `for` → resolved in Alertmanager, and
// Prometheus' rules and alerts APIs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { TestAlertmanager } from '../e2e/alertmanager.js';
import { remoteWriteBody } from '../e2e/cluster.js';
import { startSingleMyelin, type SingleMyelin } from '../e2e/myelin.js';
import { waitUntil } from '../../pkg/testutil/index.js';

const tenant = 'team-a';
const headers = { 'x-scope-orgid': tenant };

const group = `name: api
interval: 1s
rules:
  - record: job:temperature:max
    expr: max by (job) (temperature)
  - alert: TooHot
    expr: job:temperature:max > 30
    for: 3s
    labels:
      severity: page
    annotations:
      summary: "{{ $labels.job }} is at {{ $value }} degrees"
`;

async function push(m: SingleMyelin, value: number): Promise<void> {
  const res = await fetch(`${m.base}/api/v1/push`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-protobuf' },
    body: remoteWriteBody([{ labels: { __name__: 'temperature', job: 'oven', instance: 'a' }, samples: [[Date.now(), value]] }]),
  });
  assert.equal(res.status, 200, await res.text());
}

async function instant(m: SingleMyelin, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${m.base}/prometheus/api/v1/query?query=${encodeURIComponent(query)}`, { headers });
  const body = (await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  return body.data.result;
}

async function metric(m: SingleMyelin, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${m.base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('ruler: config API, recording rule, alert pending → firing → resolved in a real Alertmanager', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-ruler-'));
  const am = await TestAlertmanager.start(join(dir, 'am'));
  const started: { myelin?: SingleMyelin } = {};
  t.after(async () => {
    await started.myelin?.proc.stop('SIGKILL');
    await am.stop();
    await rm(dir, { recursive: true, force: true });
  });
  // The tenant's own Alertmanager (limit ruler_alertmanager_config); the ruler's URL sends nowhere useful.
  await writeFile(join(dir, 'runtime.yaml'), `overrides:\n  ${tenant}:\n    ruler_alertmanager_config:\n      alertmanager_url: ${am.url}\n`);
  const flags = [
    `-ruler-storage.filesystem.dir=${dir}/rules`, '-ruler.alertmanager-url=http://127.0.0.1:1', `-runtime-config.file=${join(dir, 'runtime.yaml')}`, '-ruler.poll-interval=1s',
    '-ruler.resend-delay=1s', '-ruler.external.url=http://myelin.example:9009', '-ruler.max-rules-per-rule-group=2', '-ruler.max-rule-groups-per-tenant=1',
    // Below the alert's `for` (3s), so that its for-state is restored after a restart.
    '-ruler.for-grace-period=1s',
  ];
  const m = await startSingleMyelin(dir, flags);
  started.myelin = m;
  const base = m.base;

  await t.test('a bad group is refused 400 naming group and rule, and counted', async () => {
    const bad = group.replace('max by (job) (temperature)', 'max by (job) (temperature');
    const res = await fetch(`${base}/api/v1/rules/ns1`, { method: 'POST', headers: { ...headers, 'content-type': 'application/yaml' }, body: bad });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /namespace "ns1": group "api", rule 1, "job:temperature:max": could not parse expression/);
    assert.equal(await metric(m, 'myelin_ruler_config_api_rejected_total', 'reason="invalid_rule_group"'), 1);
    const noTenant = await fetch(`${base}/api/v1/rules`);
    assert.equal(noTenant.status, 401);
  });

  await t.test('a group is stored, listed, and what GET returns passes promtool check rules', async () => {
    assert.equal((await fetch(`${base}/api/v1/rules`, { headers })).status, 404);
    const res = await fetch(`${base}/api/v1/rules/ns1`, { method: 'POST', headers: { ...headers, 'content-type': 'application/yaml' }, body: group });
    assert.equal(res.status, 202, await res.text());
    const all = parse(await (await fetch(`${base}/api/v1/rules`, { headers })).text()) as Record<string, unknown[]>;
    assert.deepEqual(Object.keys(all), ['ns1']);
    const one = parse(await (await fetch(`${base}/api/v1/rules/ns1/api`, { headers })).text()) as { name: string; rules: unknown[] };
    assert.equal(one.name, 'api');
    assert.deepEqual(all.ns1, [one]);
    await writeFile(join(dir, 'check.yml'), stringify({ groups: all.ns1 }));
    const check = spawnSync('promtool', ['check', 'rules', join(dir, 'check.yml')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.equal((await fetch(`${base}/api/v1/rules/ns1/nope`, { headers })).status, 404);
    // Another tenant sees none of it.
    assert.equal((await fetch(`${base}/api/v1/rules`, { headers: { 'x-scope-orgid': 'other' } })).status, 404);
  });

  await t.test('the tenant\'s limits refuse a larger group and one group more, 400 and counted', async () => {
    const post = (ns: string, body: string) => fetch(`${base}/api/v1/rules/${ns}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/yaml' }, body });
    const three = `${group}  - record: third\n    expr: up\n`;
    const big = await post('ns1', three);
    assert.equal(big.status, 400);
    assert.equal(await big.text(), 'per-user rules per rule group limit (limit: 2 actual: 3) exceeded (group "api")');
    const more = await post('ns2', group.replace('name: api', 'name: other'));
    assert.equal(more.status, 400);
    assert.equal(await more.text(), 'per-user rule groups limit (limit: 1 actual: 2) exceeded');
    assert.equal((await post('ns1', group)).status, 202, 'replacing the one group is no new group');
    assert.equal(await metric(m, 'myelin_ruler_config_api_rejected_total', 'reason="max_rules_per_rule_group"'), 1);
  });

  await t.test('the recording rule writes through the distributor; the alert goes pending, then firing in Alertmanager', async () => {
    await push(m, 35);
    await waitUntil(async () => (await instant(m, 'job:temperature:max'))[0]?.value[1] === '35', { timeoutMs: 20_000, what: 'recorded series' });
    assert.equal((await fetch(`${base}/prometheus/api/v1/rules?type=nope`, { headers })).status, 400);
    const byName = await (await fetch(`${base}/prometheus/api/v1/rules?rule_name[]=job:temperature:max`, { headers })).json() as { data: { groups: Array<{ rules: Array<{ name: string }> }> } };
    assert.deepEqual(byName.data.groups.map((g) => g.rules.map((r) => r.name)), [['job:temperature:max']]);
    const rules = await (await fetch(`${base}/prometheus/api/v1/rules?type=alert`, { headers })).json() as { data: { groups: Array<{ name: string; file: string; rules: Array<Record<string, unknown>> }> } };
    assert.equal(rules.data.groups[0].file, 'ns1');
    assert.deepEqual(rules.data.groups[0].rules.map((r) => r.type), ['alerting']);
    await waitUntil(async () => {
      const alerts = (await (await fetch(`${base}/prometheus/api/v1/alerts`, { headers })).json()) as { data: { alerts: Array<{ state: string }> } };
      return alerts.data.alerts[0]?.state === 'pending';
    }, { timeoutMs: 10_000, what: 'a pending alert' });
    assert.deepEqual(await am.alerts(), [], 'a pending alert is not sent');
    const pendingSince = Date.now();
    await waitUntil(async () => (await am.alerts()).length === 1, { timeoutMs: 20_000, intervalMs: 100, what: 'the alert in Alertmanager' });
    assert.ok(Date.now() - pendingSince >= 2000, 'fired before `for` passed');
    const [a] = await am.alerts();
    assert.deepEqual(a.labels, { alertname: 'TooHot', job: 'oven', severity: 'page' });
    assert.deepEqual(a.annotations, { summary: 'oven is at 35 degrees' });
    assert.match(a.generatorURL, /^http:\/\/myelin\.example:9009\/graph\?g0\.expr=job%3Atemperature%3Amax\+%3E\+30&g0\.tab=1$/);
    const firing = await instant(m, 'ALERTS{alertstate="firing"}');
    assert.deepEqual(firing.map((s) => s.metric), [{ __name__: 'ALERTS', alertname: 'TooHot', alertstate: 'firing', job: 'oven', severity: 'page' }]);
    assert.ok(await metric(m, 'myelin_prometheus_notifications_sent_total', `user="${tenant}"`) >= 1);
    assert.ok(await metric(m, 'myelin_prometheus_rule_evaluations_total', `user="${tenant}"`) >= 2);
  });

  await t.test('after a restart the firing alert keeps its activeAt, restored from ALERTS_FOR_STATE', async () => {
    type Alerts = { data: { alerts: Array<{ state: string; activeAt: string }> } };
    const alerts = async (): Promise<Alerts['data']['alerts']> => ((await (await fetch(`${base}/prometheus/api/v1/alerts`, { headers })).json()) as Alerts).data.alerts;
    const [before] = await alerts();
    assert.equal(before.state, 'firing');
    await m.proc.stop('SIGTERM');
    started.myelin = await startSingleMyelin(dir, flags, { http: m.http, grpc: m.grpc });
    await waitUntil(async () => (await alerts())[0]?.state === 'firing', { timeoutMs: 20_000, what: 'the alert firing again' });
    // ALERTS_FOR_STATE holds seconds; Prometheus restores whole seconds too.
    const seconds = (t: string): number => Math.floor(Date.parse(t) / 1000);
    assert.equal(seconds((await alerts())[0].activeAt), seconds(before.activeAt));
    // Sent again by the restarted ruler (Alertmanager may have let it expire meanwhile).
    await waitUntil(async () => (await am.alerts()).length === 1, { timeoutMs: 20_000, intervalMs: 100, what: 'the alert in Alertmanager again' });
  });

  await t.test('when the condition ends the alert is resolved in Alertmanager', async () => {
    await push(m, 20);
    await waitUntil(async () => (await am.alerts()).length === 0, { timeoutMs: 20_000, intervalMs: 100, what: 'the alert resolved' });
    const alerts = (await (await fetch(`${base}/prometheus/api/v1/alerts`, { headers })).json()) as { data: { alerts: unknown[] } };
    assert.deepEqual(alerts.data.alerts, []);
  });

  await t.test('deleting the namespace stops its groups and marks their series stale', async () => {
    assert.equal((await fetch(`${base}/api/v1/rules/ns1`, { method: 'DELETE', headers })).status, 202);
    await waitUntil(async () => {
      const r = (await (await fetch(`${base}/prometheus/api/v1/rules`, { headers })).json()) as { data: { groups: unknown[] } };
      return r.data.groups.length === 0;
    }, { what: 'no groups' });
    // Its recorded series and ALERTS got staleness markers: no longer in an instant query.
    assert.deepEqual(await instant(m, 'job:temperature:max'), []);
    assert.deepEqual(await instant(m, 'ALERTS_FOR_STATE'), []);
  });
});
