import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../log/index.js';
import { RulerMetrics } from './metrics.js';
import { Notifier, type PostableAlert } from './notifier.js';

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
  const n = new Notifier({ urls: async () => [url], capacity: 2, timeout: 5000 }, 'team-a', metrics.notifier, createLogger({ level: 'error', format: 'logfmt' }));
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
