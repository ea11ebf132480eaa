import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels, MatchType, Matcher } from '../model/labels/index.js';
import { Head } from './head.js';
import { ResultTooLargeError, TopStats, headStatus, labelNamesAndValues, labelValuesCardinality, selectedSeries } from './head-cardinality.js';

const noPause = () => undefined;

test('TopStats keeps the largest, largest first, ties by name', () => {
  const cases: Record<string, { limit: number; push: [string, number][]; want: [string, number][] }> = {
    'fewer than the limit': { limit: 3, push: [['a', 1], ['b', 2]], want: [['b', 2], ['a', 1]] },
    'the smallest drop out': { limit: 2, push: [['a', 1], ['b', 5], ['c', 3], ['d', 4]], want: [['b', 5], ['d', 4]] },
    'ties by name': { limit: 2, push: [['z', 2], ['y', 2], ['x', 2]], want: [['x', 2], ['y', 2]] },
    'limit 0 keeps nothing': { limit: 0, push: [['a', 1]], want: [] },
  };
  for (const [name, c] of Object.entries(cases)) {
    const top = new TopStats(c.limit);
    for (const [n, v] of c.push) top.push(n, v);
    assert.deepEqual(top.get().map((s) => [s.name, s.value]), c.want, name);
  }
});

async function headWith(series: [Record<string, string>, number][]): Promise<Head> {
  const h = await Head.open();
  const app = h.appender();
  for (const [ls, t] of series) app.append(0, Labels.fromRecord(ls), t, 1);
  await app.commit();
  return h;
}

test('headStatus reads Prometheus\' figures from the postings', async () => {
  const h = await headWith([
    [{ __name__: 'a', job: 'x' }, 1000],
    [{ __name__: 'a', job: 'yy' }, 2000],
    [{ __name__: 'b', job: 'x' }, 3000],
  ]);
  const s = await headStatus(h, '__name__', 10, noPause);
  assert.equal(s.numSeries, 3);
  assert.equal(s.numLabelPairs, 4);
  assert.equal(s.chunkCount, 3);
  assert.equal(s.minTime, 1000);
  assert.equal(s.maxTime, 3000);
  assert.deepEqual(s.seriesCountByMetricName, [{ name: 'a', value: 2 }, { name: 'b', value: 1 }]);
  assert.deepEqual(s.labelValueCountByLabelName, [{ name: '__name__', value: 2 }, { name: 'job', value: 2 }]);
  // Bytes of the distinct values (Prometheus 2.42): job = 1 + 2, __name__ = 1 + 1.
  assert.deepEqual(s.memoryInBytesByLabelName, [{ name: 'job', value: 3 }, { name: '__name__', value: 2 }]);
  assert.deepEqual(s.seriesCountByLabelValuePair, [{ name: '__name__=a', value: 2 }, { name: 'job=x', value: 2 }, { name: '__name__=b', value: 1 }, { name: 'job=yy', value: 1 }]);
  const empty = await headStatus(await Head.open(), '__name__', 10, noPause);
  assert.equal(empty.numSeries, 0);
  assert.ok(empty.minTime > empty.maxTime);
});

test('the filters: matchers, active since, and the size limit', async () => {
  const h = await headWith([
    [{ __name__: 'a', job: 'x' }, 1000],
    [{ __name__: 'a', job: 'y' }, 5000],
    [{ __name__: 'b', job: 'x' }, 5000],
  ]);
  const all = { matchers: [], activeSince: -Infinity };
  const active = { matchers: [], activeSince: 4000 };
  const onlyA = { matchers: [new Matcher(MatchType.Equal, '__name__', 'a')], activeSince: -Infinity };
  assert.deepEqual([...(await labelNamesAndValues(h, all, 0, noPause)).get('job') ?? []].sort(), ['x', 'y']);
  assert.deepEqual([...(await labelNamesAndValues(h, active, 0, noPause)).get('__name__') ?? []].sort(), ['a', 'b']);
  assert.deepEqual([...(await labelNamesAndValues(h, onlyA, 0, noPause)).get('__name__') ?? []], ['a']);

  const card = await labelValuesCardinality(h, ['job', 'missing'], all, noPause);
  assert.equal(card.seriesCount, 3);
  assert.deepEqual(Object.fromEntries(card.byName.get('job') ?? []), { x: 2, y: 1 });
  assert.deepEqual([...card.byName.get('missing') ?? []], []);
  const activeCard = await labelValuesCardinality(h, ['job'], active, noPause);
  assert.equal(activeCard.seriesCount, 2);
  assert.deepEqual(Object.fromEntries(activeCard.byName.get('job') ?? []), { x: 1, y: 1 });

  assert.deepEqual((await selectedSeries(h, { ...onlyA, activeSince: 4000 }, 0, noPause)).map((ls) => ls.toString()), ['a{job="y"}']);
  await assert.rejects(selectedSeries(h, all, 10, noPause), ResultTooLargeError);
  await assert.rejects(labelNamesAndValues(h, all, 5, noPause), ResultTooLargeError);
});
