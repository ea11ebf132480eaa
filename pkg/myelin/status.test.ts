import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastify } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import { defaults } from '../flagext/index.js';
import type { State } from '../services/index.js';
import { myelinConfig } from './config.js';
import { registerStatusRoutes } from './status.js';

test('/ready answers 503 with the reason until every module is Running and ready (an ingester ACTIVE)', async () => {
  let states = new Map<string, State>();
  let notReady: string | undefined = 'instance ing-1 is PENDING in the ingester ring, not ACTIVE';
  const app = fastify();
  registerStatusRoutes(app, {
    config: defaults(myelinConfig), registry: new Registry(), workerMetrics: async () => [], states: () => states, runtimeConfigYaml: () => '', notReady: async () => notReady,
  }, () => [{ section: 'Ingester', title: 'Ring status', path: '/ingester/ring' }]);

  let res = await app.inject('/ready');
  assert.equal(res.statusCode, 503);
  assert.match(res.body, /not initialised/);

  states = new Map<string, State>([['server', 'Running'], ['ingester', 'Starting']]);
  res = await app.inject('/ready');
  assert.equal(res.statusCode, 503);
  assert.equal(res.body, 'Some services are not Running:\ningester: Starting');

  states.set('ingester', 'Running');
  res = await app.inject('/ready');
  assert.equal(res.statusCode, 503);
  assert.equal(res.body, 'instance ing-1 is PENDING in the ingester ring, not ACTIVE');

  notReady = undefined;
  res = await app.inject('/ready');
  assert.equal(res.statusCode, 200);

  states.set('ingester', 'Stopping');
  assert.equal((await app.inject('/ready')).statusCode, 503);

  const index = await app.inject('/');
  assert.match(index.body, /<h2>Ingester<\/h2>\n<ul>\n<li><a href="\/ingester\/ring">Ring status<\/a><\/li>/);
});

test('/metrics adds the worker threads\' registries to the main one, by label set', async () => {
  const main = new Registry();
  const worker = (n: number) => {
    const reg = new Registry();
    new Counter({ name: 'myelin_ingester_ingested_samples_total', help: 'h', registers: [reg] }).inc(n);
    return reg;
  };
  new Counter({ name: 'myelin_ingester_ingested_samples_total', help: 'h', registers: [main] }).inc(1);
  // Aggregated as `omit` by prom-client's default metrics: a main-only metric is kept anyway.
  new Gauge({ name: 'process_start_time_seconds', help: 'h', registers: [main], aggregator: 'omit' }).set(42);
  const workers = [worker(10), worker(100)];
  const app = fastify();
  registerStatusRoutes(app, {
    config: defaults(myelinConfig), registry: main, states: () => new Map(), runtimeConfigYaml: () => '', notReady: async () => undefined,
    workerMetrics: async () => Promise.all(workers.map((r) => r.getMetricsAsJSON())),
  }, () => []);
  const body = (await app.inject('/metrics')).body;
  assert.match(body, /^myelin_ingester_ingested_samples_total 111$/m);
  assert.match(body, /^process_start_time_seconds 42$/m);
});

test('/status is the index; / is the home page when there is one, else the index too', async () => {
  let home: string | undefined = undefined;
  const app = fastify();
  registerStatusRoutes(app, {
    config: defaults(myelinConfig), registry: new Registry(), workerMetrics: async () => [], states: () => new Map(), runtimeConfigYaml: () => '', notReady: async () => undefined,
    home: () => home,
  }, () => [{ section: 'Distributor', title: 'Usage <stats>', path: '/distributor/all_user_stats' }]);
  const status = await app.inject('/status');
  assert.match(status.body, /<h1>Status<\/h1>/);
  assert.match(status.body, /<li><a href="\/distributor\/all_user_stats">Usage &lt;stats&gt;<\/a><\/li>/);
  assert.match(status.body, /<li><a href="\/services">Services status<\/a><\/li>/);
  assert.equal((await app.inject('/')).body, status.body);
  home = '<p>query page</p>';
  assert.equal((await app.inject('/')).body, home);
});

test('/config and /runtime_config: plain YAML for scripts, the layout around it for a browser', async () => {
  const app = fastify();
  registerStatusRoutes(app, {
    config: defaults(myelinConfig), registry: new Registry(), workerMetrics: async () => [], states: () => new Map([['server', 'Running' as const]]), notReady: async () => undefined,
    runtimeConfigYaml: (mode) => `overrides:\n  "<t>": {}  # ${mode}\n`,
  }, () => []);
  const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
  const plain = await app.inject('/config');
  assert.match(plain.headers['content-type'] as string, /^text\/plain/);
  assert.match(plain.body, /^auth_enabled: true$/m);
  const html = await app.inject({ url: '/config?mode=diff', headers: browser });
  assert.match(html.headers['content-type'] as string, /^text\/html/);
  assert.match(html.body, /<a href="\/config">current<\/a> · <strong>changes from defaults<\/strong> · <a href="\/config\?mode=defaults">defaults<\/a>/);
  assert.equal((await app.inject({ url: '/config?mode=bogus', headers: browser })).statusCode, 400);
  assert.equal((await app.inject('/runtime_config?mode=diff')).body, 'overrides:\n  "<t>": {}  # diff\n');
  const rc = await app.inject({ url: '/runtime_config', headers: browser });
  assert.ok(rc.body.includes('<pre>overrides:\n  &quot;&lt;t&gt;&quot;: {}  # all\n</pre>'), rc.body);
  assert.match(rc.body, /Auto-refresh/);
  const services = await app.inject({ url: '/services', headers: browser });
  assert.match(services.body, /<tr><td>server<\/td><td>Running<\/td><\/tr>/);
});
