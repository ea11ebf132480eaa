import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ApiRequest } from '../api/prometheus/index.js';
import { ApiOp } from '../api/prometheus/index.js';
import { LruCache } from '../cache/index.js';
import { defaults } from '../flagext/index.js';
import { createLogger } from '../log/index.js';
import { frontendConfig, queryRangeConfig } from './config.js';
import { Frontend } from './frontend.js';

const unused = (): Promise<never> => Promise.reject(new Error('no range query here'));
const hour = 3_600_000;

/** A frontend with the results cache on, the TTL given per tenant, and one querier that counts its requests. */
function setup(ttl: Record<string, number>) {
  const registry = new Registry();
  let now = 10 * hour;
  const asked: ApiRequest[] = [];
  const f = new Frontend(defaults(frontendConfig), { ...defaults(queryRangeConfig), cacheResults: true }, {
    limits: (t) => ({ maxQueriersPerTenant: 0, maxQueryParallelism: 14, maxQueryLength: 0, maxCacheFreshness: 60_000, resultsCacheTtlForLabelsQuery: ttl[t] ?? 0, queryShardingTotalShards: 16, queryShardingMaxShardedQueries: 128 }),
    merge: unused, assemble: unused, planShards: unused, evaluateSharded: unused, cache: new LruCache('test', 1 << 20), timeout: 10_000,
    logger: createLogger({ level: 'error', format: 'logfmt' }), registry, now: () => now,
  });
  const ac = new AbortController();
  void f.serveQuerier('q', async (r) => {
    asked.push(r);
    if (r.params.start === 'bad') return { status: 400, body: '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"start\\""}' };
    return { status: 200, body: `{"status":"success","data":["answer ${asked.length}"]}` };
  }, ac.signal);
  const run = async (op: ApiRequest['op'], params: ApiRequest['params'], o: { tenant?: string; noStore?: boolean; labelName?: string } = {}) => {
    const a = await f.execute({ op, tenant: o.tenant ?? 'a', params, labelName: o.labelName ?? '', now, noStore: o.noStore }, new AbortController().signal);
    return { status: a.status, body: String(a.body) };
  };
  const metric = async (name: string) => {
    const m = new RegExp(`^${name}\\{request_type="label_names_and_values"\\} (\\S+)$`, 'm').exec(await registry.metrics());
    return m === null ? 0 : Number(m[1]);
  };
  return { run, asked, metric, advance: (ms: number) => { now += ms; }, stop: () => ac.abort() };
}

const secs = (ms: number) => String(ms / 1000);

test('labels cache: answers again from the cache within the TTL, per 2h block-aligned range, selectors in any order', async () => {
  const s = setup({ a: 60_000 });
  const first = await s.run(ApiOp.Labels, { start: secs(10 * hour + 60_000), end: secs(11 * hour), 'match[]': ['up', '{job="x"}'] });
  assert.equal(first.status, 200);
  // Same 2h blocks (10h-12h), the selectors in another order: the cached answer.
  const again = await s.run(ApiOp.Labels, { start: secs(10 * hour + 120_000), end: secs(11 * hour + 30_000), 'match[]': ['{job="x"}', 'up'] });
  assert.deepEqual(again, first);
  assert.equal(s.asked.length, 1);
  assert.equal(await s.metric('myelin_frontend_query_result_cache_requests_total'), 2);
  assert.equal(await s.metric('myelin_frontend_query_result_cache_hits_total'), 1);
  // Anything else in the key misses: another block, limit, endpoint, label name, tenant-less TTL.
  await s.run(ApiOp.Labels, { start: secs(10 * hour), end: secs(12 * hour + 1), 'match[]': ['up', '{job="x"}'] });
  await s.run(ApiOp.Labels, { start: secs(10 * hour + 60_000), end: secs(11 * hour), 'match[]': ['up', '{job="x"}'], limit: '5' });
  await s.run(ApiOp.LabelValues, { start: secs(10 * hour + 60_000), end: secs(11 * hour), 'match[]': ['up', '{job="x"}'] }, { labelName: 'job' });
  await s.run(ApiOp.LabelValues, { start: secs(10 * hour + 60_000), end: secs(11 * hour), 'match[]': ['up', '{job="x"}'] }, { labelName: 'instance' });
  assert.equal(s.asked.length, 5);
  // Past the TTL the querier is asked again.
  s.advance(60_001);
  const later = await s.run(ApiOp.Labels, { start: secs(10 * hour + 60_000), end: secs(11 * hour), 'match[]': ['up', '{job="x"}'] });
  assert.equal(s.asked.length, 6);
  assert.notDeepEqual(later, first);
  s.stop();
});

test('labels cache: series answers are keyed on their exact range; no-store and failures are never served from or kept in the cache', async () => {
  const s = setup({ a: 60_000 });
  const params = { start: secs(10 * hour), end: secs(11 * hour), 'match[]': 'up' };
  await s.run(ApiOp.Series, params);
  await s.run(ApiOp.Series, params);
  assert.equal(s.asked.length, 1);
  await s.run(ApiOp.Series, { ...params, end: secs(11 * hour + 1000) });
  assert.equal(s.asked.length, 2);
  // Cache-Control: no-store goes to the querier.
  await s.run(ApiOp.Series, params, { noStore: true });
  assert.equal(s.asked.length, 3);
  // A start the frontend cannot parse is the querier's 400, asked every time and not counted.
  const before = await s.metric('myelin_frontend_query_result_cache_requests_total');
  for (let i = 0; i < 2; i++) assert.equal((await s.run(ApiOp.Labels, { start: 'bad' })).status, 400);
  assert.equal(s.asked.length, 5);
  assert.equal(await s.metric('myelin_frontend_query_result_cache_requests_total'), before);
  s.stop();
});

test('labels cache: off for tenants without a TTL (the default), and for federated requests unless every tenant has one', async () => {
  const s = setup({ a: 60_000 });
  for (const tenant of ['b', 'b', 'a|b', 'a|b']) await s.run(ApiOp.Labels, {}, { tenant });
  assert.equal(s.asked.length, 4);
  assert.equal(await s.metric('myelin_frontend_query_result_cache_requests_total'), 0);
  s.stop();
});
