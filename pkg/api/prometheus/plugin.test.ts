import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Labels } from '../../model/labels/index.js';
import { Engine } from '../../promql/index.js';
import { MemoryStorage } from '../../promql/promqltest/memory-storage.js';
import { TenantResolver } from '../../tenant/index.js';
import { prometheusApi } from './plugin.js';

async function setup() {
  const dbs = new Map<string, MemoryStorage>([['a', new MemoryStorage()], ['b', new MemoryStorage()]]);
  const a = dbs.get('a') as MemoryStorage;
  for (let i = 0; i <= 10; i++) {
    a.append(Labels.fromRecord({ __name__: 'up', job: 'x' }), i * 15_000, 1);
    a.append(Labels.fromRecord({ __name__: 'req_total', job: 'x' }), i * 15_000, i * 0.1);
  }
  (dbs.get('b') as MemoryStorage).append(Labels.fromRecord({ __name__: 'secret', job: 'y' }), 0, 7);
  const app = Fastify();
  await app.register(prometheusApi, {
    prefix: '/prometheus',
    backend: {
      engine: new Engine(),
      queryable: (t) => dbs.get(t) ?? new MemoryStorage(),
      metadata: async () => ({
        up: [{ type: 'gauge', help: 'Up.', unit: '' }],
        req_total: [{ type: 'counter', help: 'Requests.', unit: '' }, { type: 'counter', help: 'Requests served.', unit: '' }],
      }),
    },
    tenantOf: (req) => new TenantResolver({ authEnabled: true }).tenant(req.headers['x-scope-orgid'] as string | undefined),
    now: () => 150_000,
  });
  return app;
}

const cases: Record<string, { method?: 'GET' | 'POST'; url: string; form?: string; status: number; body: unknown }> = {
  'instant vector': {
    url: '/prometheus/api/v1/query?query=up&time=150',
    status: 200,
    body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'x' }, value: [150, '1'] }] } },
  },
  'scalar with special floats': {
    url: '/prometheus/api/v1/query?query=1%2F0&time=1.5',
    status: 200,
    body: { status: 'success', data: { resultType: 'scalar', result: [1.5, '+Inf'] } },
  },
  'POST form range query': {
    method: 'POST',
    url: '/prometheus/api/v1/query_range',
    form: 'query=sum(up)&start=0&end=30&step=15s',
    status: 200,
    body: {
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: {}, values: [[0, '1'], [15, '1'], [30, '1']] }] },
    },
  },
  'parse error is bad_data': {
    url: '/prometheus/api/v1/query?query=sum(',
    status: 400,
    body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis' },
  },
  'bad time': {
    url: '/prometheus/api/v1/query?query=up&time=abc',
    status: 400,
    body: {
      status: 'error',
      errorType: 'bad_data',
      error: `invalid parameter "time": Invalid time value for 'time': cannot parse "abc" to a valid timestamp`,
    },
  },
  'execution error is 422': {
    url: '/prometheus/api/v1/query?query=up%20%2B%20on(job)%20%7Bjob%3D%22x%22%7D&time=150',
    status: 422,
    body: {
      status: 'error',
      errorType: 'execution',
      error:
        'found duplicate series for the match group {job="x"} on the right hand-side of the operation: [{__name__="up", job="x"}, {__name__="req_total", job="x"}];many-to-many matching not allowed: matching labels must be unique on one side',
    },
  },
  'one-to-one matching with on()': {
    url: '/prometheus/api/v1/query?query=up%20%2B%20on()%20req_total&time=150',
    status: 200,
    body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [150, '2'] }] } },
  },
  'series with match[] in form': {
    method: 'POST',
    url: '/prometheus/api/v1/series',
    form: 'match[]=up&match[]=req_total',
    status: 200,
    body: { status: 'success', data: [{ __name__: 'up', job: 'x' }, { __name__: 'req_total', job: 'x' }] },
  },
  'labels with match[]': {
    url: '/prometheus/api/v1/labels?match[]=up',
    status: 200,
    body: { status: 'success', data: ['__name__', 'job'] },
  },
  'label values of the tenant only': {
    url: '/prometheus/api/v1/label/__name__/values',
    status: 200,
    body: { status: 'success', data: ['req_total', 'up'] },
  },
  'metadata from the provider': {
    url: '/prometheus/api/v1/metadata?metric=up',
    status: 200,
    body: { status: 'success', data: { up: [{ type: 'gauge', help: 'Up.', unit: '' }] } },
  },
  'metadata limited to a number of metrics, in name order': {
    url: '/prometheus/api/v1/metadata?limit=1&limit_per_metric=1',
    status: 200,
    body: { status: 'success', data: { req_total: [{ type: 'counter', help: 'Requests.', unit: '' }] } },
  },
  'metadata limit that is not a number': {
    url: '/prometheus/api/v1/metadata?limit=lots',
    status: 400,
    body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "limit": "lots" is not an integer' },
  },
  'exemplars are empty': { url: '/prometheus/api/v1/query_exemplars?query=up', status: 200, body: { status: 'success', data: [] } },
  'buildinfo': {
    url: '/prometheus/api/v1/status/buildinfo',
    status: 200,
    body: {
      status: 'success',
      data: { version: '0.1.0', revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '' },
    },
  },
  'stats report samples': {
    url: '/prometheus/api/v1/query?query=sum(req_total)&time=150&stats=all',
    status: 200,
    body: {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: {}, value: [150, '1'] }],
        stats: { samples: { totalQueryableSamples: 1 } },
      },
    },
  },
  'POST labels with match[]': {
    method: 'POST',
    url: '/prometheus/api/v1/labels',
    form: 'match[]=req_total&start=0&end=200',
    status: 200,
    body: { status: 'success', data: ['__name__', 'job'] },
  },
  'series needs match[]': {
    url: '/prometheus/api/v1/series',
    status: 400,
    body: { status: 'error', errorType: 'bad_data', error: 'no match[] parameter provided' },
  },
  'step as a duration, RFC 3339 times, infos': {
    url: '/prometheus/api/v1/query_range?query=rate(up[1m])&start=1970-01-01T00:01:00Z&end=1970-01-01T00:02:00.000Z&step=1m',
    status: 200,
    body: {
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: { job: 'x' }, values: [[60, '0'], [120, '0']] }] },
      infos: ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "up" (1:6)'],
    },
  },
  'too many points': {
    url: '/prometheus/api/v1/query_range?query=up&start=0&end=100000&step=1',
    status: 400,
    body: {
      status: 'error',
      errorType: 'bad_data',
      error: 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    },
  },
  'format_query': {
    url: '/prometheus/api/v1/format_query?query=sum(rate(x[5m]))by(job)',
    status: 200,
    body: { status: 'success', data: 'sum by (job) (rate(x[5m]))' },
  },
};

test('requests without a tenant are refused', async () => {
  const app = await setup();
  const res = await app.inject({ method: 'GET', url: '/prometheus/api/v1/query?query=up' });
  assert.equal(res.statusCode, 401);
  assert.deepEqual(res.json(), { status: 'error', errorType: 'bad_data', error: 'no org id' });
  const other = await app.inject({ method: 'GET', url: '/prometheus/api/v1/label/__name__/values', headers: { 'x-scope-orgid': 'b' } });
  assert.deepEqual(other.json(), { status: 'success', data: ['secret'] });
  await app.close();
});

test('prometheus API', async (t) => {
  const app = await setup();
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const res = await app.inject({
        method: c.method ?? 'GET',
        url: c.url,
        headers: { 'x-scope-orgid': 'a', ...(c.form !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        payload: c.form,
      });
      assert.equal(res.statusCode, c.status, res.body);
      assert.deepEqual(res.json(), c.body);
    });
  }
  await app.close();
});
