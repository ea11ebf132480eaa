import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LimitReason, QueryLimitError, QueryLimiter, federatedQueryLimits, noQueryLimits, onlyQueryLimits, queryLengthError } from './query-limiter.js';
import { defaults } from '../flagext/index.js';
import { limitsConfig } from './limits.js';

const limiter = (l: Partial<typeof noQueryLimits>) => new QueryLimiter({ ...noQueryLimits, ...l });

test('series count once across replicas and blocks; the first one past the limit fails and aborts the signal', () => {
  const q = limiter({ maxFetchedSeriesPerQuery: 2 });
  q.addSeries({ key: 'a' });
  q.addSeries({ key: 'a' });
  q.addSeries({ key: 'b' });
  assert.equal(q.signal.aborted, false);
  assert.throws(() => q.addSeries({ key: 'c' }), { name: 'QueryLimitError', message: 'the query hit the max number of series limit (limit: 2 series)' });
  assert.equal(q.signal.aborted, true);
  assert.ok(q.signal.reason instanceof QueryLimitError);
  assert.equal((q.signal.reason as QueryLimitError).reason, LimitReason.MaxFetchedSeries);
});

test('distinct series (one select of one TSDB) count without an identity, and toward the same limit', () => {
  const q = limiter({ maxFetchedSeriesPerQuery: 3 });
  q.addDistinctSeries();
  q.addFetchedSeries(undefined, 2, 100, 10);
  q.addSeries({ key: 'a' });
  assert.deepEqual({ series: q.stats().series, chunks: q.stats().chunks, dataBytes: q.stats().dataBytes }, { series: 3, chunks: 2, dataBytes: 110 });
  assert.throws(() => q.addDistinctSeries(), { message: 'the query hit the max number of series limit (limit: 3 series)' });
  assert.equal(q.signal.aborted, true);
});

test('chunks, chunk bytes and data bytes each name their limit; 0 disables', () => {
  assert.throws(() => limiter({ maxFetchedChunksPerQuery: 3 }).addChunks(4, 10), { message: 'the query hit the max number of chunks limit (limit: 3 chunks)' });
  assert.throws(() => limiter({ maxFetchedChunkBytesPerQuery: 9 }).addChunks(1, 10), { message: 'the query hit the aggregated chunks size limit (limit: 9 bytes)' });
  assert.throws(() => limiter({ maxFetchedDataBytesPerQuery: 9 }).addDataBytes(10), { message: 'the query hit the aggregated data size limit (limit: 9 bytes)' });
  const free = limiter({});
  for (let i = 0; i < 1000; i++) {
    free.addSeries({ key: String(i) });
    free.addChunks(5, 1000);
    free.addDataBytes(2000);
  }
  assert.deepEqual(free.stats(), { series: 1000, chunks: 5000, chunkBytes: 1_000_000, dataBytes: 2_000_000, peakMemoryBytes: 1_000_000, samples: 0 });
  // Without a series limit too, a series fetched from three replicas is one series in the stats.
  for (let i = 0; i < 3; i++) free.addSeries({ key: '7' });
  free.countSamples(42);
  assert.equal(free.stats().series, 1000);
  assert.equal(free.stats().samples, 42);
});

test('the memory estimate holds chunk bytes and reserved samples, released ones leave only the peak', () => {
  const q = limiter({ maxEstimatedMemoryConsumptionPerQuery: 100 });
  q.addChunks(1, 40);
  q.reserveMemory(60);
  q.releaseMemory(60);
  q.reserveMemory(60);
  assert.equal(q.stats().peakMemoryBytes, 100);
  assert.throws(() => q.reserveMemory(1), {
    message: 'the query exceeded the maximum allowed estimated amount of memory consumed by a single query (limit: 100 bytes)',
  });
});

test('a component\'s limit message becomes the same error again; other text does not', () => {
  for (const err of [QueryLimitError.of(LimitReason.MaxFetchedChunkBytes, 7), QueryLimitError.of(LimitReason.MaxSamples, 1), queryLengthError(7_200_000, 3_600_000)]) {
    const back = QueryLimitError.fromMessage(err.message);
    assert.deepEqual([back?.reason, back?.message], [err.reason, err.message]);
  }
  assert.equal(queryLengthError(7_200_000, 3_600_000).message, 'the query time range exceeds the limit (query length: 2h0m0s, limit: 1h0m0s)');
  assert.equal(QueryLimitError.fromMessage('per-user series limit of 5 exceeded'), undefined);
});

test('a read naming several tenants takes the smallest positive value of each limit', () => {
  const got = federatedQueryLimits([
    { ...noQueryLimits, maxFetchedSeriesPerQuery: 10, maxQueryLength: 3_600_000 },
    { ...noQueryLimits, maxFetchedSeriesPerQuery: 5, maxFetchedChunksPerQuery: 7 },
  ]);
  assert.deepEqual(got, { ...noQueryLimits, maxFetchedSeriesPerQuery: 5, maxFetchedChunksPerQuery: 7, maxQueryLength: 3_600_000 });
});

test('onlyQueryLimits keeps exactly the query limits of a tenant\'s whole limits, with its values', () => {
  const all = { ...defaults(limitsConfig), maxFetchedSeriesPerQuery: 7, maxLabelValuesLimit: 3, seriesDeletionEnabled: true };
  const got = onlyQueryLimits(all);
  assert.deepEqual(Object.keys(got).sort(), Object.keys(noQueryLimits).sort());
  for (const k of Object.keys(noQueryLimits) as (keyof typeof noQueryLimits)[]) assert.equal(got[k], all[k], k);
  assert.equal(got.maxFetchedSeriesPerQuery, 7);
});
