import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastify } from 'fastify';
import { Registry } from 'prom-client';
import { defaults } from '../flagext/index.js';
import type { State } from '../services/index.js';
import { myelinConfig } from './config.js';
import { registerStatusRoutes } from './status.js';

test('/ready answers 503 with the reason until every module is Running and ready (an ingester ACTIVE)', async () => {
  let states = new Map<string, State>();
  let notReady: string | undefined = 'instance ing-1 is PENDING in the ingester ring, not ACTIVE';
  const app = fastify();
  registerStatusRoutes(app, {
    config: defaults(myelinConfig), registry: new Registry(), workerMetrics: async () => [], states: () => states, runtimeConfigYaml: () => '', notReady: () => notReady,
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
