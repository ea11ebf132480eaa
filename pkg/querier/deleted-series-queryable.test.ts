import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels, MatchType, Matcher } from '../model/labels/index.js';
import type { ActiveDeletion } from '../purger/index.js';
import { parseSeriesSelector } from '../promql/parser/index.js';
import { ValueType } from '../storage/index.js';
import { Head } from '../tsdb/index.js';
import { deletedSeriesQueryable, withoutDeletedExemplars } from './deleted-series-queryable.js';

async function head(): Promise<Head> {
  const h = await Head.open();
  const app = h.appender();
  for (const i of ['1', '2']) for (let t = 1; t <= 10; t++) app.append(0, Labels.fromRecord({ __name__: 'm', i }), t, t);
  await app.commit();
  return h;
}

const del = (selector: string, startTime: number, endTime: number): ActiveDeletion => ({ startTime, endTime, matcherSets: [parseSeriesSelector(selector)] });

async function read(deletions: ActiveDeletion[], mint = 0, maxt = 100): Promise<Record<string, number[]>> {
  const q = await deletedSeriesQueryable(await head(), async () => deletions).querier(mint, maxt);
  const set = q.select({ start: mint, end: maxt, step: 0, func: '', range: 0, sortSeries: true }, new Matcher(MatchType.Equal, '__name__', 'm'));
  const out: Record<string, number[]> = {};
  while (await set.next()) {
    const ts: number[] = [];
    const it = set.at().iterator();
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) ts.push(it.atT());
    out[set.at().labels.get('i')] = ts;
  }
  return out;
}

test('deleted samples are left out, per series and range; emptied series disappear', async () => {
  const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const cases: Record<string, { deletions: ActiveDeletion[]; want: Record<string, number[]> }> = {
    'no deletion': { deletions: [], want: { 1: all, 2: all } },
    'a range of one series, both ends included': { deletions: [del('m{i="1"}', 3, 5)], want: { 1: [1, 2, 6, 7, 8, 9, 10], 2: all } },
    'overlapping requests merge': { deletions: [del('m{i="1"}', 3, 5), del('{i=~"1|3"}', 5, 8)], want: { 1: [1, 2, 9, 10], 2: all } },
    'every sample: the series goes': { deletions: [del('m{i="2"}', 0, 100)], want: { 1: all } },
    'a request outside the query range changes nothing': { deletions: [del('m', 200, 300)], want: { 1: all, 2: all } },
  };
  for (const [name, c] of Object.entries(cases)) assert.deepEqual(await read(c.deletions), c.want, name);
});

test('seek skips deleted samples too', async () => {
  const q = await deletedSeriesQueryable(await head(), async () => [del('m{i="1"}', 4, 6)]).querier(0, 100);
  const set = q.select({ start: 0, end: 100, step: 0, func: '', range: 0, sortSeries: true }, new Matcher(MatchType.Equal, 'i', '1'));
  assert.ok(await set.next());
  const it = set.at().iterator();
  assert.equal(it.seek(5), ValueType.Float);
  assert.equal(it.atT(), 7);
});

test('exemplars of deleted ranges are left out, per tenant of a federated answer; a series left with none goes', async () => {
  const entry = (tenant: string, i: string, ts: number[]) => ({
    seriesLabels: Labels.fromRecord({ __name__: 'm', i, __tenant_id__: tenant }),
    exemplars: ts.map((t) => ({ labels: Labels.EMPTY, value: 1, ts: t })),
  });
  const asked: string[] = [];
  const deletions: Record<string, ActiveDeletion[]> = { a: [del('m{i="1"}', 3, 5), del('m{i="2"}', 0, 100)], b: [] };
  const kept = await withoutDeletedExemplars(
    [entry('a', '1', [2, 3, 5, 6]), entry('a', '2', [4]), entry('b', '1', [3, 4])],
    // Deletion matchers see the tenant's own labels, as its samples' selects do.
    (ls) => ({ tenant: ls.get('__tenant_id__'), labels: ls.drop(new Set(['__tenant_id__'])) }),
    async (tenant) => {
      asked.push(tenant);
      return deletions[tenant];
    });
  assert.deepEqual(kept.map((e) => [e.seriesLabels.get('__tenant_id__'), e.seriesLabels.get('i'), e.exemplars.map((x) => x.ts)]),
    [['a', '1', [2, 6]], ['b', '1', [3, 4]]]);
  assert.deepEqual(asked, ['a', 'b'], 'each tenant\'s requests read once');
});

test('a labels-only read (the series API) is answered from samples when a deletion applies: a series keeps its place only while samples are left', async () => {
  const funcs: string[] = [];
  const inner = await head();
  const recording = {
    querier: async (mint: number, maxt: number) => {
      const q = await inner.querier(mint, maxt);
      return Object.assign(Object.create(q) as typeof q, {
        select: (hints: Parameters<typeof q.select>[0], ...ms: Matcher[]) => {
          funcs.push(hints.func);
          return q.select(hints, ...ms);
        },
      });
    },
  };
  const q = await deletedSeriesQueryable(recording, async () => [del('m{i="2"}', 0, 100), del('m{i="1"}', 3, 5)]).querier(0, 100);
  const set = q.select({ start: 0, end: 100, step: 0, func: 'series', range: 0, sortSeries: true }, new Matcher(MatchType.Equal, '__name__', 'm'));
  const seen: string[] = [];
  while (await set.next()) seen.push(set.at().labels.get('i'));
  assert.deepEqual(seen, ['1']);
  assert.deepEqual(funcs, ['']);
});
