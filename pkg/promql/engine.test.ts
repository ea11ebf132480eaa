import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { LimitReason, QueryLimitError, QueryLimiter, noQueryLimits } from '../limits/index.js';
import { Labels } from '../model/labels/index.js';
import type { Querier, Queryable } from '../storage/index.js';
import { Engine } from './engine.js';
import { MemoryStorage } from './promqltest/memory-storage.js';
import { ErrorType, QueryError } from './value.js';

function storage(series: number, samples: number): MemoryStorage {
  const db = new MemoryStorage();
  for (let s = 0; s < series; s++) {
    const ls = Labels.fromRecord({ __name__: 'm', i: String(s) });
    for (let k = 0; k < samples; k++) db.append(ls, k * 15_000, k);
  }
  return db;
}

function rejectsWith(type: ErrorType, message: string | RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof QueryError, String(err));
    assert.equal(err.type, type);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

/** A per-query limit: the API answers it with 422 (errorType execution) and this exact message. */
function rejectsLimit(reason: LimitReason, message: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof QueryLimitError, String(err));
    assert.equal(err.reason, reason);
    assert.equal(err.message, message);
    return true;
  };
}

test('stats count the samples loaded', async () => {
  const res = await new Engine().instantQuery(storage(3, 41), 'sum(rate(m[5m]))', 600_000);
  // (300s, 600s] holds 20 samples of each of the three series.
  assert.equal(res.stats.samplesLoaded, 3 * 21);
  // The windows (300s, 600s] read 20 of them per series.
  assert.equal(res.stats.samplesRead, 3 * 20);
  assert.equal(res.value.type, 'vector');
});

test('max samples per query', async () => {
  const engine = new Engine({ maxSamples: 100 });
  await assert.rejects(
    engine.instantQuery(storage(10, 41), 'm[10m]', 600_000),
    rejectsLimit(LimitReason.MaxSamples, 'query processing would load too many samples into memory in query execution'),
  );
});

test('the memory estimate refuses a query whose decoded samples pass the budget; streamed ones are released', async () => {
  const db = storage(10, 41);
  const budget = (bytes: number) => new QueryLimiter({ ...noQueryLimits, maxEstimatedMemoryConsumptionPerQuery: bytes });
  // 10 series × 21 samples in (300s, 600s] held at once: 210 × 16 bytes.
  await assert.rejects(
    new Engine().instantQuery(db, 'm[5m]', 600_000, { limiter: budget(210 * 16 - 1) }),
    rejectsLimit(LimitReason.MaxEstimatedMemory, `the query exceeded the maximum allowed estimated amount of memory consumed by a single query (limit: ${210 * 16 - 1} bytes)`),
  );
  const limiter = budget(210 * 16);
  await new Engine().instantQuery(db, 'm[5m]', 600_000, { limiter });
  assert.equal(limiter.stats().peakMemoryBytes, 210 * 16);
  // rate() streams: one series' samples at a time.
  const streamed = budget(21 * 16);
  const res = await new Engine().instantQuery(db, 'sum(rate(m[5m]))', 600_000, { limiter: streamed });
  assert.equal(res.value.type, 'vector');
  assert.equal(streamed.stats().peakMemoryBytes, 21 * 16);
});

test('points per series in range queries', async () => {
  await assert.rejects(
    new Engine().rangeQuery(new MemoryStorage(), 'vector(1)', 0, 11_000_000, 1000),
    rejectsWith(ErrorType.BadData, /^exceeded maximum resolution of 11,000 points per timeseries/),
  );
  const ok = await new Engine().rangeQuery(new MemoryStorage(), 'vector(1)', 0, 10_999_000, 1000);
  assert.equal(ok.value.type === 'matrix' && ok.value.matrix[0].ts.length, 11_000);
});

test('range queries need an instant vector or scalar', async () => {
  await assert.rejects(
    new Engine().rangeQuery(new MemoryStorage(), 'm[5m]', 0, 60_000, 15_000),
    rejectsWith(ErrorType.BadData, 'invalid expression type "range vector" for range query, must be Scalar or instant Vector'),
  );
});

test('timeout during evaluation', async () => {
  const engine = new Engine({ timeout: 0 });
  await assert.rejects(
    engine.rangeQuery(storage(300, 5), 'm * 2', 0, 600_000, 1000),
    rejectsWith(ErrorType.Timeout, 'query timed out in query execution'),
  );
});

test('a canceled signal cancels the query', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    new Engine().instantQuery(storage(3, 5), 'm', 60_000, { signal: ac.signal }),
    rejectsWith(ErrorType.Canceled, 'query was canceled'),
  );
});

test('lookback delta per query', async () => {
  const db = storage(1, 1); // one sample at t=0
  const engine = new Engine();
  const at = async (t: number, lookbackDelta?: number): Promise<number> => {
    const res = await engine.instantQuery(db, 'm', t, { lookbackDelta });
    return res.value.type === 'vector' ? res.value.vector.length : -1;
  };
  assert.equal(await at(299_999), 1);
  assert.equal(await at(300_000), 0, 'the lookback window is left-open');
  assert.equal(await at(60_000, 30_000), 0);
});

test('concurrent queries beyond the limit wait for a slot', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const db = storage(1, 3);
  const slow: Queryable = {
    async querier(mint: number, maxt: number): Promise<Querier> {
      await gate;
      return db.querier(mint, maxt);
    },
  };
  const engine = new Engine({ maxConcurrent: 1 });
  const first = engine.instantQuery(slow, 'm', 30_000);
  const ac = new AbortController();
  const waiting = engine.instantQuery(db, 'm', 30_000, { signal: ac.signal });
  const queued = engine.instantQuery(db, 'm', 30_000);
  ac.abort();
  await assert.rejects(waiting, rejectsWith(ErrorType.Canceled, 'query was canceled while waiting for a query slot'));
  release();
  assert.equal((await first).value.type, 'vector');
  assert.equal((await queued).value.type, 'vector');
});

test('steps wider than the windows load only the windows and agree with instant queries', async () => {
  const db = new MemoryStorage();
  for (let s = 0; s < 3; s++) {
    const ls = Labels.fromRecord({ __name__: 'c_total', i: String(s) });
    for (let t = 0; t <= 6 * 3600_000; t += 15_000 + s) db.append(ls, t, t / 1000 + s);
  }
  const engine = new Engine();
  for (const q of ['rate(c_total[5m])', 'c_total', 'sum(increase(c_total[10m] offset 3m))', 'c_total offset -7m']) {
    const range = await engine.rangeQuery(db, q, 3600_000, 5 * 3600_000, 3600_000);
    assert.equal(range.value.type, 'matrix');
    if (range.value.type !== 'matrix') continue;
    // Five windows of at most 10m hold about 5 * 40 samples per series; all 4h would be ~960.
    assert.ok(range.stats.samplesLoaded <= 3 * 5 * 41, `${q}: loaded ${range.stats.samplesLoaded}`);
    for (let t = 3600_000; t <= 5 * 3600_000; t += 3600_000) {
      const inst = await engine.instantQuery(db, q, t);
      const want = inst.value.type === 'vector' ? inst.value.vector.map((s) => `${s.metric.toString()} ${s.f}`).sort() : [];
      const got = range.value.matrix
        .filter((s) => s.ts.includes(t))
        .map((s) => `${s.metric.toString()} ${s.fs[s.ts.indexOf(t)]}`)
        .sort();
      assert.deepEqual(got, want, `${q} at ${t}`);
    }
  }
});

test('functions over plain matrix selectors stream: max samples bounds what is held, not the total', async () => {
  const db = storage(10, 41);
  const engine = new Engine({ maxSamples: 50 });
  const res = await engine.rangeQuery(db, 'sum(rate(m[5m]))', 300_000, 600_000, 60_000);
  assert.ok(res.stats.samplesLoaded > 50, `loaded ${res.stats.samplesLoaded}`);
  assert.equal(res.value.type, 'matrix');
  // Not streamable (its argument is not a literal): the samples are held, and the limit applies.
  await assert.rejects(
    engine.rangeQuery(db, 'sum(quantile_over_time(scalar(vector(0.5)), m[5m]))', 300_000, 600_000, 60_000),
    rejectsLimit(LimitReason.MaxSamples, 'query processing would load too many samples into memory in query execution'),
  );
});

test('engine metrics', async () => {
  const reg = new Registry();
  const engine = new Engine({ maxConcurrent: 7 }, reg);
  await engine.instantQuery(storage(2, 5), 'sum(m)', 60_000);
  await assert.rejects(engine.instantQuery(storage(1, 1), 'm + on(i) m', 0, { signal: AbortSignal.abort() }));
  const text = await reg.metrics();
  assert.match(text, /^myelin_promql_engine_queries 0$/m);
  assert.match(text, /^myelin_promql_engine_queries_concurrent_max 7$/m);
  assert.match(text, /^myelin_promql_engine_query_samples_total 10$/m);
  assert.match(text, /^myelin_promql_engine_query_failures_total\{reason="canceled"\} 1$/m);
  assert.match(text, /^myelin_promql_engine_query_duration_seconds_count\{slice="inner_eval"\} 1$/m);
});
