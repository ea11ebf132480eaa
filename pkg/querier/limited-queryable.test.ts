import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LimitReason, QueryLimitError, noQueryLimits } from '../limits/index.js';
import { Labels, MatchType, Matcher } from '../model/labels/index.js';
import { MemoryStorage } from '../promql/promqltest/memory-storage.js';
import { ValueType, type SelectHints } from '../storage/index.js';
import { limitedQueryable } from './limited-queryable.js';

const HOUR = 3_600_000;
const now = 10 * HOUR;
const all = new Matcher(MatchType.Regexp, '__name__', '.+');

function db(): MemoryStorage {
  const s = new MemoryStorage();
  for (let t = 0; t <= now; t += HOUR) s.append(Labels.fromRecord({ __name__: 'm' }), t, t / HOUR);
  return s;
}

async function times(q: Awaited<ReturnType<MemoryStorage['querier']>>, hints: SelectHints): Promise<number[]> {
  const set = q.select(hints, all);
  const out: number[] = [];
  while (await set.next()) {
    const it = set.at().iterator();
    while (it.next() !== ValueType.None) out.push(it.atT() / HOUR);
  }
  const err = set.err();
  if (err !== undefined) throw err;
  return out;
}

const hints = (start: number, end: number, func = ''): SelectHints => ({ start, end, step: 0, func, range: 0, sortSeries: true });

test('max_query_lookback cuts the start of reads; a read entirely before it is empty, not an error', async () => {
  const q = limitedQueryable(db(), { ...noQueryLimits, maxQueryLookback: 3 * HOUR }, () => now);
  assert.deepEqual(await times(await q.querier(0, now), hints(0, now)), [7, 8, 9, 10]);
  assert.deepEqual(await times(await q.querier(0, 2 * HOUR), hints(0, 2 * HOUR)), []);
  assert.deepEqual(await (await q.querier(0, 2 * HOUR)).labelNames({ limit: 0 }), []);
});

test('max_query_length refuses a selector reading a longer range, with Cortex\'s message; the series API is exempt', async () => {
  const q = limitedQueryable(db(), { ...noQueryLimits, maxQueryLength: 2 * HOUR }, () => now);
  const querier = await q.querier(0, now);
  assert.deepEqual(await times(querier, hints(8 * HOUR, now)), [8, 9, 10]);
  await assert.rejects(times(querier, hints(7 * HOUR, now)), (err) =>
    err instanceof QueryLimitError && err.reason === LimitReason.MaxQueryLength
    && err.message === 'the query time range exceeds the limit (query length: 3h0m0s, limit: 2h0m0s)');
  assert.equal((await times(querier, hints(0, now, 'series'))).length, 11);
});

test('without time-range limits the queryable is left as it is', () => {
  const inner = db();
  assert.equal(limitedQueryable(inner, noQueryLimits), inner);
});
