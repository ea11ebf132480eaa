import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { FloatHistogram } from '../../model/histogram/index.js';
import { emptyFloatHistogram } from '../../model/histogram/index.js';
import { Labels } from '../../model/labels/index.js';
import { LimitReason, QueryLimitError, noQueryLimits, type QueryLimits } from '../../limits/index.js';
import { Engine } from '../../promql/index.js';
import { deepQueries } from '../../promql/parser/testing.js';
import { MemoryStorage } from '../../promql/promqltest/memory-storage.js';
import { TenantResolver } from '../../tenant/index.js';
import { prometheusApi } from './plugin.js';

/** A native histogram: one observation in (-1, -0.5], one in the zero bucket, three above 0.5. */
const latency: FloatHistogram = {
  ...emptyFloatHistogram(),
  count: 5,
  sum: 10,
  zeroThreshold: 0.001,
  zeroCount: 1,
  positiveSpans: [{ offset: 0, length: 2 }],
  positiveBuckets: [1, 2],
  negativeSpans: [{ offset: 0, length: 1 }],
  negativeBuckets: [1],
};
const latencyJson = {
  count: '5',
  sum: '10',
  buckets: [
    [1, '-1', '-0.5', '1'],
    [3, '-0.001', '0.001', '1'],
    [0, '0.5', '1', '1'],
    [0, '1', '2', '2'],
  ],
};

/** A label value that takes a backtracking engine forever against the regexes below. */
const longValue = 'a'.repeat(2000);

async function setup(limits?: Partial<QueryLimits>, observed: [string, unknown][] = []) {
  const dbs = new Map<string, MemoryStorage>([
    ['a', new MemoryStorage()],
    ['b', new MemoryStorage()],
    ['c', new MemoryStorage()],
    ['h', new MemoryStorage()],
  ]);
  const a = dbs.get('a') as MemoryStorage;
  for (let i = 0; i <= 10; i++) {
    a.append(Labels.fromRecord({ __name__: 'up', job: 'x' }), i * 15_000, 1);
    a.append(Labels.fromRecord({ __name__: 'req_total', job: 'x' }), i * 15_000, i * 0.1);
  }
  (dbs.get('b') as MemoryStorage).append(Labels.fromRecord({ __name__: 'secret', job: 'y' }), 0, 7);
  (dbs.get('c') as MemoryStorage).append(Labels.fromRecord({ __name__: 'long', v: longValue }), 0, 1);
  for (let i = 0; i <= 10; i++) (dbs.get('h') as MemoryStorage).appendHistogram(Labels.fromRecord({ __name__: 'lat' }), i * 15_000, latency);
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
      // Exemplars of tenant a: the request's arguments are echoed in the trace ID to check them.
      exemplars: async (tenant, start, end, sets) => tenant !== 'a' ? [] : [{
        seriesLabels: Labels.fromRecord({ __name__: 'req_total', job: 'x' }),
        exemplars: [{ labels: Labels.fromRecord({ trace_id: `${start}/${end}/${sets.map((ms) => ms.map(String).join(',')).join(';')}` }), value: 6, ts: 1600096945479 }],
      }],
      ...(limits === undefined ? {} : { limits: () => ({ ...noQueryLimits, ...limits }) }),
      observe: (tenant, _stats, err) => void observed.push([tenant, err instanceof QueryLimitError ? err.reason : err]),
    },
    tenantOf: (req) => new TenantResolver({ authEnabled: true }).tenant(req.headers['x-scope-orgid'] as string | undefined),
    now: () => 150_000,
  });
  return app;
}

/** The answer to a query nested deeper than the parser's limit. */
function tooDeep(param: string, pos: string): unknown {
  return { status: 'error', errorType: 'bad_data', error: `invalid parameter "${param}": ${pos}: parse error: query is nested too deeply: more than 150 levels` };
}
const q = encodeURIComponent;

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
  'partial_response that is not a boolean': {
    url: '/prometheus/api/v1/query?query=up&partial_response=maybe',
    status: 400,
    body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "partial_response": cannot parse "maybe" to a boolean' },
  },
  'exemplars of every selector of the query, Prometheus JSON': {
    url: `/prometheus/api/v1/query_exemplars?query=${q('rate(req_total{job="x"}[5m]) / on() up')}&start=10&end=20`,
    status: 200,
    body: {
      status: 'success',
      data: [{
        seriesLabels: { __name__: 'req_total', job: 'x' },
        exemplars: [{ labels: { trace_id: '10000/20000/__name__="req_total",job="x";__name__="up"' }, value: '6', timestamp: 1600096945.479 }],
      }],
    },
  },
  'exemplars: POST form, default range': {
    method: 'POST',
    url: '/prometheus/api/v1/query_exemplars',
    form: 'query=up',
    status: 200,
    body: { status: 'success', data: [{ seriesLabels: { __name__: 'req_total', job: 'x' }, exemplars: [{ labels: { trace_id: '-62135596800000/253402300799000/__name__="up"' }, value: '6', timestamp: 1600096945.479 }] }] },
  },
  'exemplars: a query without selectors has none': { url: '/prometheus/api/v1/query_exemplars?query=1%2B1', status: 200, body: { status: 'success', data: null } },
  'exemplars: end before start': {
    url: '/prometheus/api/v1/query_exemplars?query=up&start=20&end=10',
    status: 400,
    body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "end": end timestamp must not be before start timestamp' },
  },
  'exemplars: a query that does not parse': {
    url: '/prometheus/api/v1/query_exemplars?query=up{',
    status: 400,
    body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:4: parse error: unexpected end of input inside braces' },
  },
  'buildinfo': {
    url: '/prometheus/api/v1/status/buildinfo',
    status: 200,
    body: {
      status: 'success',
      data: { version: '0.1.0', revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '' },
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
  'query nested 10,000 parentheses deep': {
    url: `/prometheus/api/v1/query?query=${q(deepQueries.parentheses(10_000))}`,
    status: 400,
    body: tooDeep('query', '1:151'),
  },
  'query of 1,000 unary minus': {
    url: `/prometheus/api/v1/query?query=${q(deepQueries['unary minus'](1_000))}`,
    status: 400,
    body: tooDeep('query', '1:151'),
  },
  'range query of a 100,000-term binary chain': {
    method: 'POST',
    url: '/prometheus/api/v1/query_range',
    form: `query=${q(deepQueries['binary chain'](100_000))}&start=0&end=30&step=15`,
    status: 400,
    body: tooDeep('query', '1:1'),
  },
  'range query of 10,000 nested calls': {
    url: `/prometheus/api/v1/query_range?query=${q(deepQueries['function calls'](10_000))}&start=0&end=30&step=15`,
    status: 400,
    body: tooDeep('query', '1:604'),
  },
  'format_query of 10,000 nested aggregations': {
    method: 'POST',
    url: '/prometheus/api/v1/format_query',
    form: `query=${q(deepQueries.aggregations(10_000))}`,
    status: 400,
    body: tooDeep('query', '1:1808'),
  },
  'series with a match[] nested too deeply': {
    url: `/prometheus/api/v1/series?match[]=${q(deepQueries.parentheses(10_000))}`,
    status: 400,
    body: tooDeep('match[]', '1:151'),
  },
  'labels with a match[] nested too deeply': {
    method: 'POST',
    url: '/prometheus/api/v1/labels',
    form: `match[]=up&match[]=${q(deepQueries['function calls'](200))}`,
    status: 400,
    body: tooDeep('match[]', '1:604'),
  },
  'label values with a match[] nested too deeply': {
    url: `/prometheus/api/v1/label/job/values?match[]=${q(deepQueries['or chain'](1_000))}`,
    status: 400,
    body: tooDeep('match[]', '1:1'),
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

test('catastrophic regexes answer at once', async (t) => {
  const app = await setup();
  const cases: Record<string, { url: string; data: unknown }> = {
    'query': { url: `/prometheus/api/v1/query?time=0&query=${q('long{v=~"(a+)+b"}')}`, data: { resultType: 'vector', result: [] } },
    'series match[]': { url: `/prometheus/api/v1/series?match[]=${q('{v=~"(a|aa)+b"}')}`, data: [] },
    'label values match[]': { url: `/prometheus/api/v1/label/__name__/values?match[]=${q('long{v!~"(a*)*b"}')}`, data: ['long'] },
    'label_replace': {
      url: `/prometheus/api/v1/query?time=0&query=${q('count(label_replace(long, "x", "$1", "v", "(a|a)*(b?)"))')}`,
      data: { resultType: 'vector', result: [{ metric: {}, value: [0, '1'] }] },
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const start = performance.now();
      const res = await app.inject({ method: 'GET', url: c.url, headers: { 'x-scope-orgid': 'c' } });
      assert.deepEqual(res.json(), { status: 'success', data: c.data });
      assert.ok(performance.now() - start < 1000, `${name} took ${(performance.now() - start).toFixed(0)} ms`);
    });
  }
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

test('stats: Prometheus\' timings and samples; per step only with stats=all', async () => {
  const app = await setup();
  const get = async (stats: string) => {
    const res = await app.inject({ method: 'GET', url: `/prometheus/api/v1/query?query=sum(req_total)&time=150&stats=${stats}`, headers: { 'x-scope-orgid': 'a' } });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { data: { result: unknown; stats: { timings: Record<string, number>; samples: Record<string, unknown> } } }).data;
  };
  const all = await get('all');
  assert.deepEqual(all.result, [{ metric: {}, value: [150, '1'] }]);
  assert.deepEqual(Object.keys(all.stats), ['timings', 'samples']);
  assert.deepEqual(Object.keys(all.stats.timings), ['evalTotalTime', 'resultSortTime', 'queryPreparationTime', 'innerEvalTime', 'execQueueTime', 'execTotalTime']);
  for (const v of Object.values(all.stats.timings)) assert.ok(typeof v === 'number' && v >= 0);
  assert.deepEqual({ ...all.stats.samples, peakSamples: 0 }, { totalQueryableSamplesPerStep: [[150, 1]], totalQueryableSamples: 1, peakSamples: 0 });
  assert.ok((all.stats.samples.peakSamples as number) >= 1);
  const some = await get('true');
  assert.deepEqual(Object.keys(some.stats.samples), ['totalQueryableSamples', 'peakSamples']);
  await app.close();
});

test('per-query limits: 422 with the limit\'s message, a too long range 400, label caps cut with a warning; each data request observed', async () => {
  const observed: [string, unknown][] = [];
  const app = await setup({ maxEstimatedMemoryConsumptionPerQuery: 50, maxQueryLength: 60_000, maxLabelNamesLimit: 2, maxLabelValuesLimit: 1 }, observed);
  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url: `/prometheus/api/v1/${url}`, headers: { 'x-scope-orgid': 'a' } });
    return { status: res.statusCode, body: res.json() as unknown };
  };
  assert.deepEqual(await get('query?query=up[1m]&time=150'), { status: 422, body: { status: 'error', errorType: 'execution',
    error: 'the query exceeded the maximum allowed estimated amount of memory consumed by a single query (limit: 50 bytes)' } });
  assert.deepEqual(await get('query_range?query=up&start=0&end=61&step=15'), { status: 400, body: { status: 'error', errorType: 'bad_data',
    error: 'the query time range exceeds the limit (query length: 1m1s, limit: 1m0s)' } });
  assert.deepEqual(await get('labels'), { status: 200, body: { status: 'success', data: ['__name__', 'job'] } });
  assert.deepEqual(await get('label/__name__/values'), { status: 200, body: { status: 'success', data: ['req_total'],
    warnings: ['results truncated due to limit (max_label_values_limit is 1)'] } });
  assert.deepEqual((await get('label/__name__/values?limit=5')).body, { status: 'success', data: ['req_total'],
    warnings: ['results truncated due to limit (max_label_values_limit is 1)'] }, 'a larger limit parameter is lowered to the cap');
  assert.deepEqual(observed, [['a', LimitReason.MaxEstimatedMemory], ['a', LimitReason.MaxQueryLength], ['a', undefined], ['a', undefined], ['a', undefined]]);
  await app.close();
});

test('without tenant caps, the limit parameter cuts label answers with Prometheus\' warning', async () => {
  const app = await setup();
  const res = await app.inject({ method: 'GET', url: '/prometheus/api/v1/label/__name__/values?limit=1', headers: { 'x-scope-orgid': 'a' } });
  assert.deepEqual(res.json(), { status: 'success', data: ['req_total'], warnings: ['results truncated due to limit'] });
  await app.close();
});

test('native histograms: "histogram" and "histograms" as Prometheus encodes them, annotations in "infos"', async () => {
  const app = await setup();
  const get = async (url: string): Promise<unknown> => (await app.inject({ method: 'GET', url, headers: { 'x-scope-orgid': 'h' } })).json();
  assert.deepEqual(await get('/prometheus/api/v1/query?query=lat&time=150'), {
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: { __name__: 'lat' }, histogram: [150, latencyJson] }] },
  });
  assert.deepEqual(await get('/prometheus/api/v1/query_range?query=lat&start=0&end=30&step=15'), {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [{ metric: { __name__: 'lat' }, histograms: [[0, latencyJson], [15, latencyJson], [30, latencyJson]] }],
    },
  });
  assert.deepEqual(await get(`/prometheus/api/v1/query?time=150&query=${q('histogram_count(lat) / 5 or lat + 1')}`), {
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [150, '1'] }] },
    infos: ['PromQL info: incompatible sample types encountered for binary operator "+": histogram + float (1:29)'],
  });
  await app.close();
});
