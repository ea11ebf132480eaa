// Differential: the same rule file in a real Prometheus 2.42 (Debian) and in Myelin's ruler, fed the
// same data (Prometheus scrapes an exporter and remote-writes what it scraped to Myelin), each
// notifying its own real Alertmanager. Prometheus' own rule results (room:*, ALERTS,
// ALERTS_FOR_STATE) are dropped from its remote write, so every such series in Myelin is the
// ruler's: a ruler that did nothing fails the first comparison. At every stable point of a scenario (hot → pending → firing
// → cooled, kept firing for keep_firing_for → resolved) both answer the same: recorded series,
// ALERTS, the alerts API, the rules API (less timings and file paths) and the alerts in their
// Alertmanagers. Evaluation phases differ (each aligns its groups by its own hash), so the
// comparison waits for both to reach a state rather than comparing at one instant, and times that
// depend on the phase (activeAt, ALERTS_FOR_STATE, startsAt) may differ by `phaseToleranceS`.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestAlertmanager, type AmAlert } from '../e2e/alertmanager.js';
import { startSingleMyelin } from '../e2e/myelin.js';
import { waitUntil } from '../../pkg/testutil/index.js';
import { RemoteWritingPrometheus } from '../distributor/remote-writing-prometheus.js';

const tenant = 'diff';
/** Seconds two evaluation clocks 1s apart, with remote-write delay in between, may differ by. */
const phaseToleranceS = 3;
const externalUrl = 'http://rules.example:9090';
const rules = `groups:
  - name: temperatures
    interval: 1s
    rules:
      - record: room:temperature:max
        expr: max by (room) (temperature)
      - record: room:temperature:doubled
        expr: room:temperature:max * 2
        labels: { unit: half_degrees }
      - alert: RoomTooHot
        expr: room:temperature:max > 30
        for: 4s
        keep_firing_for: 3s
        labels:
          severity: '{{ if gt $value 50.0 }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: '{{ $labels.room }} at {{ $value | humanize }}°'
          description: 'doubled {{ printf "%.1f" $value }} from {{ $externalLabels.nope }}x'
`;

interface Api<T> { data: T }
type Vec = Array<{ metric: Record<string, string>; value: [number, string] }>;
type ApiAlert = { labels: Record<string, string>; annotations: Record<string, string>; state: string; value: string; activeAt: string };

test('the same rules in Prometheus 2.42 and in Myelin give the same series, alert states and notifications', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-ruler-diff-'));
  let temperature = 20;
  const exporter = createServer((_req, res) => {
    res.end(`temperature{room="lab"} ${temperature}\ntemperature{room="hall"} 18\n`);
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  const target = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
  const [amProm, amMyelin] = await Promise.all([TestAlertmanager.start(join(dir, 'am-prom')), TestAlertmanager.start(join(dir, 'am-myelin'))]);
  await writeFile(join(dir, 'rules.yml'), rules);
  const started: { prom?: RemoteWritingPrometheus; myelin?: Awaited<ReturnType<typeof startSingleMyelin>> } = {};
  t.after(async () => {
    await started.prom?.stop();
    await started.myelin?.proc.stop('SIGKILL');
    await Promise.all([amProm.stop(), amMyelin.stop()]);
    exporter.close();
    await rm(dir, { recursive: true, force: true });
  });
  const myelin = await startSingleMyelin(dir, [
    `-ruler-storage.filesystem.dir=${dir}/rules`, `-ruler.alertmanager-url=${amMyelin.url}`, '-ruler.poll-interval=1s',
    '-ruler.resend-delay=1m', `-ruler.external.url=${externalUrl}`,
  ]);
  started.myelin = myelin;
  const headers = { 'x-scope-orgid': tenant };
  const post = await fetch(`${myelin.base}/api/v1/rules/rules.yml`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/yaml' }, body: rules.replace(/^groups:\n {2}- /, '').replace(/^ {4}/gm, ''),
  });
  assert.equal(post.status, 202, await post.text());
  const prom = await RemoteWritingPrometheus.start(`${myelin.base}/api/v1/push`, [{
    tenant, writeRelabel: ['{ source_labels: [__name__], regex: "room:.*|ALERTS|ALERTS_FOR_STATE", action: drop }'],
  }], {
    scrape: [{ job: 'oven', target }],
    rules: { files: [join(dir, 'rules.yml')], alertmanagers: [amProm.url], externalUrl },
  });
  started.prom = prom;

  const get = async <T>(base: string, path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`, { headers });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return ((await res.json()) as Api<T>).data;
  };
  const both = async <T>(path: string): Promise<[T, T]> => Promise.all([get<T>(prom.url, `/api/v1${path}`), get<T>(myelin.base, `/prometheus/api/v1${path}`)]);
  const series = (v: Vec): string[] => v.map((s) => `${JSON.stringify(s.metric)} ${s.value[1]}`).sort();
  const alerts = (d: { alerts: ApiAlert[] }): string[] => d.alerts.map((a) => JSON.stringify({ l: a.labels, a: a.annotations, s: a.state, v: a.value })).sort();
  const amAlerts = (as: AmAlert[]): string[] => as.map((a) => JSON.stringify({ l: a.labels, a: a.annotations, g: a.generatorURL })).sort();
  /** Seconds since the epoch of each labelled thing, for comparing phase-dependent times. */
  const secondsBy = <T>(items: T[], key: (x: T) => unknown, seconds: (x: T) => number): Map<string, number> =>
    new Map(items.map((x) => [JSON.stringify(key(x)), seconds(x)]));
  const closeTimes = (m: Map<string, number>, p: Map<string, number>, what: string): void => {
    assert.deepEqual([...m.keys()].sort(), [...p.keys()].sort(), what);
    for (const [k, v] of m) assert.ok(Math.abs(v - (p.get(k) ?? NaN)) <= phaseToleranceS, `${what} ${k}: Myelin ${v}, Prometheus ${p.get(k)}`);
  };
  const query = (q: string): Promise<[Vec, Vec]> => both<{ result: Vec }>(`/query?query=${encodeURIComponent(q)}`).then(([a, b]) => [a.result, b.result]);

  /** Waits until Prometheus and Myelin both show `state` for the alert, then compares everything. */
  const agreeOn = async (state: string | undefined, what: string): Promise<void> => {
    await waitUntil(async () => {
      const [p, m] = await both<{ alerts: ApiAlert[] }>('/alerts');
      return [p, m].every((d) => (state === undefined ? d.alerts.length === 0 : d.alerts.some((a) => a.state === state)));
    }, { timeoutMs: 30_000, intervalMs: 100, what: `${what}: both ${state ?? 'without alerts'}` });
    // Recorded series and ALERTS reach Myelin's store a moment later than Prometheus' (the ruler writes through the distributor; Prometheus' copy is remote-written): poll.
    await waitUntil(async () => {
      for (const q of ['{__name__=~"room:.*"}', 'ALERTS']) {
        const [p, m] = await query(q);
        assert.deepEqual(series(m), series(p), `${what}: ${q}`);
      }
      // activeAt in whole seconds, each alert's from its own ruler's evaluation clock.
      const [pf, mf] = await query('ALERTS_FOR_STATE');
      assert.ok(mf.every((s) => Number.isInteger(Number(s.value[1]))), `${what}: ALERTS_FOR_STATE in whole seconds`);
      closeTimes(secondsBy(mf, (s) => s.metric, (s) => Number(s.value[1])), secondsBy(pf, (s) => s.metric, (s) => Number(s.value[1])), `${what}: ALERTS_FOR_STATE`);
      const [pa, ma] = await both<{ alerts: ApiAlert[] }>('/alerts');
      assert.deepEqual(alerts(ma), alerts(pa), `${what}: /api/v1/alerts`);
      const activeAt = (d: { alerts: ApiAlert[] }) => secondsBy(d.alerts, (a) => a.labels, (a) => Date.parse(a.activeAt) / 1000);
      closeTimes(activeAt(ma), activeAt(pa), `${what}: activeAt`);
      return true;
    }, { timeoutMs: 10_000, intervalMs: 200, what: `${what}: same series and alerts` }).catch((err: Error) => {
      throw new Error(`${err.message}: ${(err.cause as Error | undefined)?.message}`);
    });
  };

  await t.test('the rules APIs describe the same rules', async () => {
    await waitUntil(async () => {
      const [p, m] = await both<{ groups: Array<{ rules: Array<{ health: string }> }> }>('/rules');
      return [p, m].every((d) => d.groups[0]?.rules.every((r) => r.health === 'ok'));
    }, { timeoutMs: 30_000, what: 'every rule evaluated once' });
    const strip = (d: { groups: Array<Record<string, unknown> & { rules: Array<Record<string, unknown>> }> }): unknown =>
      d.groups.map(({ file: _f, evaluationTime: _e, lastEvaluation: _l, rules: rs, ...g }) => ({ ...g, rules: rs.map(({ evaluationTime: _re, lastEvaluation: _rl, ...r }) => r) }));
    const [p, m] = await both<{ groups: Array<Record<string, unknown> & { rules: Array<Record<string, unknown>> }> }>('/rules');
    assert.deepEqual(strip(m), strip(p));
    // Until the first scrape both record nothing: wait for Prometheus' series, so the comparison has something to compare.
    await waitUntil(async () => (await query('room:temperature:max'))[0].length === 2, { timeoutMs: 30_000, what: 'Prometheus recorded both rooms' });
    await agreeOn(undefined, 'cool');
    // Prometheus' rule results do not reach Myelin: these are the ruler's own.
    assert.equal((await query('room:temperature:max'))[1].length, 2, 'Myelin\'s ruler recorded both rooms');
  });

  await t.test('hot: pending, then firing after `for`, notified alike', async () => {
    temperature = 42;
    await agreeOn('pending', 'hot');
    await agreeOn('firing', 'hot');
    await waitUntil(async () => (await amProm.alerts()).length === 1 && (await amMyelin.alerts()).length === 1, { timeoutMs: 20_000, what: 'both Alertmanagers hold the alert' });
    const [mAm, pAm] = [await amMyelin.alerts(), await amProm.alerts()];
    assert.deepEqual(amAlerts(mAm), amAlerts(pAm));
    const startsAt = (as: AmAlert[]) => secondsBy(as, (a) => a.labels, (a) => Date.parse(a.startsAt) / 1000);
    closeTimes(startsAt(mAm), startsAt(pAm), 'Alertmanager startsAt');
  });

  await t.test('hotter: a new value changes the annotations and the templated label starts a new alert', async () => {
    temperature = 61;
    await waitUntil(async () => {
      const [p, m] = await both<{ alerts: ApiAlert[] }>('/alerts');
      return [p, m].every((d) => d.alerts.some((a) => a.labels.severity === 'page' && a.state === 'firing'));
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'severity page firing in both' });
    await agreeOn('firing', 'hotter');
  });

  await t.test('cooled: kept firing for keep_firing_for, then resolved in both Alertmanagers', async () => {
    temperature = 20;
    await agreeOn(undefined, 'cooled');
    await waitUntil(async () => (await amProm.alerts()).length === 0 && (await amMyelin.alerts()).length === 0, { timeoutMs: 30_000, what: 'both Alertmanagers resolved' });
  });
});
