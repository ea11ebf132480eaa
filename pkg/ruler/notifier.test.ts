import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../log/index.js';
import { makeTestCerts } from '../testutil/index.js';
import { AlertmanagerClient, type AlertmanagerClientConfig } from './alertmanager-client.js';
import { RulerMetrics } from './metrics.js';
import { Notifier, type PostableAlert } from './notifier.js';

const logger = createLogger({ level: 'error', format: 'logfmt' });
const noClientSettings: AlertmanagerClientConfig = {
  tlsCertPath: '', tlsKeyPath: '', tlsCaPath: '', tlsServerName: '', tlsInsecureSkipVerify: false, basicAuthUsername: '', basicAuthPassword: '',
};
const client = (over: Partial<AlertmanagerClientConfig> = {}) => new AlertmanagerClient({ ...noClientSettings, ...over }, 5000);
const alert = (name: string): PostableAlert => ({ labels: { alertname: name }, annotations: {}, startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T00:04:00Z', generatorURL: '' });

test('alerts are POSTed to every Alertmanager with the tenant; past the queue capacity the oldest are dropped; failures counted', async (t) => {
  const received: Array<{ tenant: string | string[] | undefined; path: string | undefined; names: string[] }> = [];
  let status = 200;
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ tenant: req.headers['x-scope-orgid'], path: req.url, names: (JSON.parse(body) as PostableAlert[]).map((a) => a.labels.alertname) });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const registry = new Registry();
  const metrics = new RulerMetrics(registry);
  const n = new Notifier({ urls: async () => [url], capacity: 2, client: client() }, 'team-a', metrics.notifier, logger);
  n.send([alert('a'), alert('b'), alert('c')]);
  await n.flush();
  assert.deepEqual(received, [{ tenant: 'team-a', path: '/api/v2/alerts', names: ['b', 'c'] }]);
  const value = async (name: string): Promise<number> => (await registry.getSingleMetric(name)?.get())?.values.reduce((s, v) => s + v.value, 0) ?? NaN;
  assert.equal(await value('myelin_prometheus_notifications_dropped_total'), 1);
  assert.equal(await value('myelin_prometheus_notifications_sent_total'), 2);
  status = 500;
  n.send([alert('d')]);
  await n.flush();
  assert.equal(await value('myelin_prometheus_notifications_errors_total'), 1);
  assert.equal(await value('myelin_prometheus_notifications_queue_length'), 0);
});

/** An Alertmanager stand-in that records each POST's path and headers and answers `status()`. */
async function fakeAlertmanager(t: { after: (fn: () => void) => void }, status: () => number, listen: (handler: RequestListener) => Server = (h) => createServer(h)) {
  const received: Array<{ path: string | undefined; authorization: string | undefined }> = [];
  const server = listen((req: IncomingMessage, res) => {
    received.push({ path: req.url, authorization: req.headers.authorization });
    req.resume();
    req.on('end', () => {
      res.statusCode = status();
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { received, port: (server.address() as { port: number }).port };
}

const metricValues = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values.map((v) => [(v as { metricName?: string }).metricName ?? name, v.labels, v.value]) ?? [];

test('credentials in an Alertmanager URL become basic auth; the settings override them; metrics name the URL without them', async (t) => {
  const am = await fakeAlertmanager(t, () => 200);
  const registry = new Registry();
  const metrics = new RulerMetrics(registry);
  for (const [url, settings] of [
    [`http://alice:s%40cret@127.0.0.1:${am.port}/am`, {}],
    [`http://alice:s%40cret@127.0.0.1:${am.port}/am`, { basicAuthUsername: 'bob', basicAuthPassword: 'pw' }],
  ] as const) {
    const n = new Notifier({ urls: async () => [url], capacity: 10, client: client(settings) }, 'team-a', metrics.notifier, logger);
    n.send([alert('a')]);
    await n.flush();
  }
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.deepEqual(am.received, [{ path: '/am/api/v2/alerts', authorization: basic('alice:s@cret') }, { path: '/am/api/v2/alerts', authorization: basic('bob:pw') }]);
  assert.deepEqual(await metricValues(registry, 'myelin_prometheus_notifications_sent_total'), [
    ['myelin_prometheus_notifications_sent_total', { user: 'team-a', alertmanager: `http://127.0.0.1:${am.port}/am` }, 2],
  ]);
});

test('a batch no Alertmanager accepted is dropped and counted; latency and discovered Alertmanagers are exported', async (t) => {
  let downStatus = 503;
  const [up, down] = await Promise.all([fakeAlertmanager(t, () => 200), fakeAlertmanager(t, () => downStatus)]);
  const registry = new Registry();
  const metrics = new RulerMetrics(registry);
  let urls = [`http://127.0.0.1:${up.port}`, `http://127.0.0.1:${down.port}`];
  const n = new Notifier({ urls: async () => urls, capacity: 10, client: client() }, 'team-a', metrics.notifier, logger);
  const dropped = async () => (await metricValues(registry, 'myelin_prometheus_notifications_dropped_total'))[0]?.[2] ?? 0;
  n.send([alert('a'), alert('b')]);
  await n.flush();
  assert.equal(await dropped(), 0, 'one Alertmanager took it');
  assert.deepEqual((await metricValues(registry, 'myelin_prometheus_notifications_alertmanagers_discovered')).map((v) => v[2]), [2]);
  urls = [`http://127.0.0.1:${down.port}`];
  n.send([alert('c'), alert('d'), alert('e')]);
  await n.flush();
  assert.equal(await dropped(), 3, 'every Alertmanager failed the batch');
  const counts = (await metricValues(registry, 'myelin_prometheus_notifications_latency_seconds')).filter(([m]) => m === 'myelin_prometheus_notifications_latency_seconds_count');
  const byUrl = Object.fromEntries(counts.map(([, l, v]) => [(l as { alertmanager: string }).alertmanager, v]));
  assert.deepEqual(byUrl, { [`http://127.0.0.1:${down.port}`]: 2, [`http://127.0.0.1:${up.port}`]: 1 });
  downStatus = 200;
});

test('https Alertmanagers are verified against alertmanager_client.tls_ca_path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-am-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const certs = makeTestCerts(dir);
  const [key, cert] = [readFileSync(certs.serverKey), readFileSync(certs.serverCrt)];
  const am = await fakeAlertmanager(t, () => 200, (handler) => createHttpsServer({ key, cert }, handler));
  const registry = new Registry();
  const metrics = new RulerMetrics(registry);
  const url = `https://127.0.0.1:${am.port}`;
  for (const settings of [{}, { tlsCaPath: certs.rootCrt }]) {
    const n = new Notifier({ urls: async () => [url], capacity: 10, client: client(settings) }, 'team-a', metrics.notifier, logger);
    n.send([alert('a')]);
    await n.flush();
  }
  assert.equal(am.received.length, 1, 'only the client that trusts the test root got through');
  assert.deepEqual((await metricValues(registry, 'myelin_prometheus_notifications_errors_total')).map((v) => v[2]), [1]);
});
