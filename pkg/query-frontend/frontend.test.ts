import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { ApiAnswer, ApiRequest } from '../api/prometheus/index.js';
import { ApiOp } from '../api/prometheus/index.js';
import { createLogger } from '../log/index.js';
import { defaults } from '../flagext/index.js';
import { frontendConfig, queryRangeConfig } from './config.js';
import { Frontend, QuerierGoneError } from './frontend.js';
import type { QuerierRun } from './frontend.js';
import { RequestQueue, TooManyRequestsError, shuffleShard } from './request-queue.js';
import { waitUntil } from '../testutil/index.js';

const unusedMerge = (): Promise<never> => Promise.reject(new Error('no range query here'));
const logger = createLogger({ level: 'error', format: 'logfmt' });

function newFrontend(o: { maxOutstanding?: number; maxRetries?: number; maxQueriers?: number } = {}): Frontend {
  return new Frontend({ ...defaults(frontendConfig), maxOutstandingPerTenant: o.maxOutstanding ?? 100 },
    { ...defaults(queryRangeConfig), maxRetries: o.maxRetries ?? 5 }, {
      limits: () => ({ maxQueriersPerTenant: o.maxQueriers ?? 0, maxQueryParallelism: 14, maxQueryLength: 0, maxCacheFreshness: 60_000, resultsCacheTtlForLabelsQuery: 0, queryShardingTotalShards: 16, queryShardingMaxShardedQueries: 128 }),
      merge: unusedMerge,
      assemble: unusedMerge, planShards: unusedMerge, evaluateSharded: unusedMerge,
      timeout: 10_000,
      logger,
      registry: new Registry(),
    });
}

const req = (tenant: string, query = 'up'): ApiRequest => ({ op: ApiOp.Query, tenant, params: { query }, labelName: '', now: 0 });
const ok = (body: string): ApiAnswer => ({ status: 200, body });

/** A querier whose requests wait until the test releases them, in arrival order. */
function heldQuerier(): { run: QuerierRun; taken: ApiRequest[]; release: () => void } {
  const taken: ApiRequest[] = [];
  const waiting: (() => void)[] = [];
  return {
    taken,
    run: (r) => new Promise((resolve) => {
      taken.push(r);
      waiting.push(() => resolve(ok(`${r.tenant}:${String(r.params.query)}`)));
    }),
    release: () => waiting.shift()?.(),
  };
}

test('tenants are served round-robin: a burst of one tenant does not delay another tenant', async () => {
  const f = newFrontend();
  const ac = new AbortController();
  const q = heldQuerier();
  const signal = new AbortController().signal;
  const answers: Promise<ApiAnswer>[] = [];
  for (let i = 0; i < 5; i++) answers.push(f.execute(req('a', `q${i}`), signal));
  answers.push(f.execute(req('b', 'q0'), signal));
  void f.serveQuerier('querier-1', q.run, ac.signal);
  // The querier takes a's first, then b's, before a's second.
  for (let i = 0; i < 6; i++) {
    await waitUntil(() => q.taken.length === i + 1, { what: `querier to take request ${i + 1}`, intervalMs: 2 });
    q.release();
  }
  assert.deepEqual(q.taken.map((r) => `${r.tenant}:${String(r.params.query)}`), ['a:q0', 'b:q0', 'a:q1', 'a:q2', 'a:q3', 'a:q4']);
  assert.equal((await answers[5]).body, 'b:q0');
  ac.abort();
});

test('a tenant with a full queue gets 429 and the discard is counted; others are still queued', async () => {
  const registry = new Registry();
  const f = new Frontend({ ...defaults(frontendConfig), maxOutstandingPerTenant: 2 }, defaults(queryRangeConfig), {
    limits: () => ({ maxQueriersPerTenant: 0, maxQueryParallelism: 14, maxQueryLength: 0, maxCacheFreshness: 60_000, resultsCacheTtlForLabelsQuery: 0, queryShardingTotalShards: 16, queryShardingMaxShardedQueries: 128 }), merge: unusedMerge, assemble: unusedMerge, planShards: unusedMerge, evaluateSharded: unusedMerge, timeout: 10_000, logger, registry,
  });
  const signal = new AbortController().signal;
  const queued = [f.execute(req('a'), signal), f.execute(req('a'), signal)];
  const refused = await f.execute(req('a'), signal);
  assert.equal(refused.status, 429);
  assert.match(String(refused.body), /too many outstanding requests/);
  assert.match(await registry.metrics(), /myelin_query_frontend_discarded_requests_total\{user="a"\} 1/);
  const ac = new AbortController();
  void f.serveQuerier('q', async (r) => ok(r.tenant), ac.signal);
  assert.deepEqual((await Promise.all(queued)).map((a) => a.status), [200, 200]);
  assert.equal((await f.execute(req('b'), signal)).status, 200);
  ac.abort();
});

test('a request whose querier goes away is retried on another querier', async () => {
  const f = newFrontend();
  const ac = new AbortController();
  void f.serveQuerier('dies', async () => {
    throw new QuerierGoneError('dies');
  }, ac.signal);
  const answer = f.execute(req('a'), new AbortController().signal);
  await new Promise((r) => setImmediate(r));
  void f.serveQuerier('lives', async (r) => ok(`answered ${r.tenant}`), ac.signal);
  assert.deepEqual(await answer, ok('answered a'));
  ac.abort();
});

test('5xx answers are retried up to -querier.max-retries-per-request times, then the last answer is returned', async () => {
  const f = newFrontend({ maxRetries: 2 });
  const ac = new AbortController();
  let calls = 0;
  void f.serveQuerier('q', async () => {
    calls++;
    return { status: 500, body: '{"status":"error"}', errorType: 'internal', error: 'boom' };
  }, ac.signal);
  const a = await f.execute(req('a'), new AbortController().signal);
  assert.equal(a.status, 500);
  assert.equal(calls, 3);
  ac.abort();
});

test('a canceled request leaves the queue and is answered at once', async () => {
  const f = newFrontend();
  const caller = new AbortController();
  const answer = f.execute(req('a'), caller.signal);
  caller.abort();
  assert.equal((await answer).status, 499);
});

test('shuffle sharding: a tenant limited to 1 querier is served by the same one only', async () => {
  const f = newFrontend({ maxQueriers: 1 });
  const ac = new AbortController();
  const served = new Map<string, string[]>();
  for (const id of ['q1', 'q2', 'q3']) {
    void f.serveQuerier(id, async (r) => {
      served.set(r.tenant, [...(served.get(r.tenant) ?? []), id]);
      return ok(id);
    }, ac.signal);
  }
  const signal = new AbortController().signal;
  for (let i = 0; i < 20; i++) await Promise.all([f.execute(req('a'), signal), f.execute(req('b'), signal)]);
  for (const tenant of ['a', 'b']) {
    const ids = new Set(served.get(tenant));
    assert.deepEqual([...ids], shuffleShard(tenant, ['q1', 'q2', 'q3'], 1));
  }
  ac.abort();
});

test('shuffleShard is stable and picks distinct queriers', () => {
  const queriers = ['q1', 'q2', 'q3', 'q4', 'q5'];
  const a = shuffleShard('tenant-a', queriers, 3);
  assert.equal(new Set(a).size, 3);
  assert.deepEqual(shuffleShard('tenant-a', [...queriers].reverse(), 3), a);
  // Removing a querier outside the shard does not move the tenant.
  const outside = queriers.find((q) => !a.includes(q)) ?? '';
  assert.deepEqual(shuffleShard('tenant-a', queriers.filter((q) => q !== outside), 3), a);
});

test('RequestQueue refuses the request past max outstanding', () => {
  const q = new RequestQueue<number>(1);
  q.enqueue('t', 1, 0);
  assert.throws(() => q.enqueue('t', 2, 0), TooManyRequestsError);
  assert.equal(q.length('t'), 1);
  assert.equal(q.remove('t', 1), true);
  assert.equal(q.length('t'), 0);
});

test('query stats: one log line per request with what it fetched and how long it waited; slow queries are logged as such', async () => {
  const lines: Record<string, unknown>[] = [];
  const out = new Writable({ write: (chunk: Buffer, _enc, cb) => { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); cb(); } });
  const f = new Frontend({ ...defaults(frontendConfig), queryStatsEnabled: true }, defaults(queryRangeConfig), {
    limits: () => ({ maxQueriersPerTenant: 0, maxQueryParallelism: 14, maxQueryLength: 0, maxCacheFreshness: 60_000, resultsCacheTtlForLabelsQuery: 0, queryShardingTotalShards: 16, queryShardingMaxShardedQueries: 128 }),
    merge: unusedMerge, assemble: unusedMerge, planShards: unusedMerge, evaluateSharded: unusedMerge, timeout: 10_000, logger: createLogger({ level: 'info', format: 'json' }, out), registry: new Registry(),
  });
  const ac = new AbortController();
  void f.serveQuerier('q', async () => ({ ...ok('{}'), stats: { series: 3, chunks: 4, chunkBytes: 500, dataBytes: 600, peakMemoryBytes: 0, samples: 70 } }), ac.signal);
  await f.execute(req('a', 'up'), new AbortController().signal);
  assert.equal(lines.length, 1);
  assert.deepEqual({ ...lines[0], wall_seconds: undefined, queue_seconds: undefined, time: undefined }, {
    ...lines[0], msg: 'query stats', tenant: 'a', op: 'query', query: 'up', status: 200, response_bytes: 2, querier_requests: 1, cached_parts: 0,
    fetched_series_count: 3, fetched_chunks_count: 4, fetched_chunk_bytes: 500, fetched_data_bytes: 600, samples_processed: 70, wall_seconds: undefined, queue_seconds: undefined, time: undefined,
  });
  ac.abort();
  // A request taking longer than log_queries_longer_than (5 ms here) is the slow query log's.
  const slow = new Frontend({ ...defaults(frontendConfig), logQueriesLongerThan: 5 }, defaults(queryRangeConfig), {
    limits: () => ({ maxQueriersPerTenant: 0, maxQueryParallelism: 14, maxQueryLength: 0, maxCacheFreshness: 60_000, resultsCacheTtlForLabelsQuery: 0, queryShardingTotalShards: 16, queryShardingMaxShardedQueries: 128 }),
    merge: unusedMerge, assemble: unusedMerge, planShards: unusedMerge, evaluateSharded: unusedMerge, timeout: 10_000, logger: createLogger({ level: 'info', format: 'json' }, out), registry: new Registry(),
  });
  const ac2 = new AbortController();
  void slow.serveQuerier('q', () => new Promise((r) => setTimeout(() => r(ok('{}')), 20)), ac2.signal);
  await slow.execute(req('b', 'up'), new AbortController().signal);
  ac2.abort();
  assert.equal(lines.length, 2);
  assert.equal(lines[1].msg, 'slow query detected');
  assert.ok((lines[1].wall_seconds as number) >= 0.005);
});
