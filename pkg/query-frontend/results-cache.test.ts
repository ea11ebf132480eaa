import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ApiAnswer, ApiRequest } from '../api/prometheus/index.js';
import { ApiOp, formatTimestamp } from '../api/prometheus/index.js';
import { LruCache } from '../cache/index.js';
import { decodeExtent, encodeExtent } from './extent.js';
import { MergedMatrix } from './merge.js';
import type { AssembleTask } from './merge-pool.js';
import { RequestStats } from './request-stats.js';
import { ResultsCache, cacheKey } from './results-cache.js';
import { ResultsCacheMetrics } from './results-cache-metrics.js';
import { rangeOf } from './split.js';

const step = 10_000;
const hour = 3_600_000;

/** A querier whose one series has the value t/1000 at every point of the asked range; remembers the ranges asked. */
function fakeQuerier(asked: [number, number][]) {
  return async (req: ApiRequest): Promise<ApiAnswer> => {
    const r = rangeOf(req.params);
    if (r === undefined) throw new Error('bad range');
    asked.push([r.start, r.end]);
    return { status: 200, body: answer(r.start, r.end) };
  };
}

function answer(start: number, end: number): string {
  const pts: string[] = [];
  for (let t = start; t <= end; t += step) pts.push(`[${formatTimestamp(t)},"${t / 1000}"]`);
  return `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[${pts.join(',')}]}]}}`;
}

/** MergePool.assemble, in this thread. */
async function assemble(_tenant: string, t: AssembleTask): Promise<{ answer: Buffer; extent?: Buffer }> {
  const m = new MergedMatrix(t.bodies);
  const extent = t.extent === undefined ? undefined : Buffer.from(encodeExtent(t.extent.from, t.extent.to, Buffer.from(m.render(t.extent.from, t.extent.to))));
  return { answer: Buffer.from(m.render(t.from, t.to)), extent };
}

const req = (start: number, end: number): ApiRequest & { deadline: number } => ({
  op: ApiOp.QueryRange, tenant: 't', params: { query: 'x', start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) },
  labelName: '', now: 0, deadline: Date.now() + 10_000,
});

test('results cache: a moving window asks the queriers only for what is new; answers equal a full evaluation; nothing fresher than max_cache_freshness is kept', async () => {
  const asked: [number, number][] = [];
  const registry = new Registry();
  const cache = new LruCache('test', 1 << 20);
  let now = 10 * hour;
  const rc = new ResultsCache({ cache, assemble, maxCacheFreshness: () => 60_000, metrics: new ResultsCacheMetrics(registry), now: () => now });
  const stats = new RequestStats();
  const part = (s: number, e: number) => rc.part(req(s, e), 'x', { start: s, end: e, step }, 24 * hour, new AbortController().signal, { roundTrip: fakeQuerier(asked), stats });
  const text = (a: ApiAnswer) => String(a.body);

  // Cold: the whole part.
  assert.equal(text(await part(8 * hour, now)), answer(8 * hour, now));
  assert.deepEqual(asked, [[8 * hour, now]]);
  // 30 s later the window moved: only the minute not cached (freshness) plus the new 30 s.
  now += 30_000;
  asked.length = 0;
  assert.equal(text(await part(8 * hour + 30_000, now)), answer(8 * hour + 30_000, now));
  assert.deepEqual(asked, [[10 * hour - 60_000 + step, now]]);
  // The same window again: the gap is what is still too fresh.
  asked.length = 0;
  assert.equal(text(await part(8 * hour + 30_000, now - 2 * 60_000)), answer(8 * hour + 30_000, now - 2 * 60_000));
  assert.deepEqual(asked, [], 'answered from the cache alone');
  assert.match(await registry.metrics(), /myelin_frontend_query_result_cache_hits_total\{request_type="query_range"\} 1/);
  assert.equal(stats.cachedParts, 1);
  // A window starting before the extent: the gap before it is fetched, and the extent grows.
  asked.length = 0;
  assert.equal(text(await part(7 * hour, 9 * hour)), answer(7 * hour, 9 * hour));
  assert.deepEqual(asked, [[7 * hour, 8 * hour - step]]);
});

test('results cache: a failed gap is the answer, and nothing is stored', async () => {
  const cache = new LruCache('test', 1 << 20);
  const rc = new ResultsCache({
    cache, assemble, maxCacheFreshness: () => 0, metrics: new ResultsCacheMetrics(new Registry()), now: () => 10 * hour,
  });
  const failing = async (): Promise<ApiAnswer> => ({ status: 503, body: '{"status":"error"}', errorType: 'unavailable' });
  const a = await rc.part(req(0, hour), 'x', { start: 0, end: hour, step }, 24 * hour, new AbortController().signal, { roundTrip: failing, stats: new RequestStats() });
  assert.equal(a.status, 503);
  assert.equal((await cache.fetch([cacheKey('t', 'x', { start: 0, end: hour, step }, 24 * hour)])).size, 0);
});

test('extent entries round-trip; anything else is no extent', () => {
  const e = decodeExtent(Buffer.from(encodeExtent(1000, 2000, Buffer.from('{}'))));
  assert.deepEqual(e && { start: e.start, end: e.end, body: e.body.toString() }, { start: 1000, end: 2000, body: '{}' });
  assert.equal(decodeExtent(Buffer.from('short')), undefined);
  assert.equal(decodeExtent(Buffer.from(encodeExtent(2000, 1000, Buffer.alloc(0)))), undefined);
});

test('results cache: a merge that fails or is canceled is an error answer, never a rejection', async () => {
  const rc = new ResultsCache({
    cache: new LruCache('test', 1 << 20), maxCacheFreshness: () => 0, metrics: new ResultsCacheMetrics(new Registry()), now: () => 10 * hour,
    assemble: () => Promise.reject(new Error('task was canceled')),
  });
  const ac = new AbortController();
  const via = { roundTrip: fakeQuerier([]), stats: new RequestStats() };
  assert.equal((await rc.part(req(0, hour), 'x', { start: 0, end: hour, step }, 24 * hour, ac.signal, via)).status, 500);
  ac.abort();
  assert.equal((await rc.part(req(0, hour), 'x', { start: 0, end: hour, step }, 24 * hour, ac.signal, via)).status, 499);
});
