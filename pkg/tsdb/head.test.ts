import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Labels, Matcher, MatchType } from '../model/labels/index.js';
import { labelBytesOf } from '../model/labels/testing.js';
import type { SelectHints } from '../storage/index.js';
import { ValueType } from '../storage/index.js';
import { StaleNaN, XorIterator, isStaleNaN } from './chunkenc/index.js';
import { AppendError, AppendErrorCode } from './errors.js';
import { Head } from './head.js';
import { dumpHead } from './head-testutil.js';

const hints: SelectHints = { start: 0, end: 0, step: 0, func: '', range: 0, sortSeries: true };
const L = (rec: Record<string, string>) => Labels.fromRecord(rec);
const eq = (n: string, v: string) => new Matcher(MatchType.Equal, n, v);

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof AppendError && err.code === code);
}

test('every append error, with Prometheus meaning', async (t) => {
  const cases: Record<string, { setup: [number, number][]; batch: [number, number][]; code: string | undefined }> = {
    'out of order against committed': { setup: [[100, 1]], batch: [[99, 1]], code: AppendErrorCode.OutOfOrderSample },
    'out of order within the batch': { setup: [], batch: [[100, 1], [99, 1]], code: AppendErrorCode.OutOfOrderSample },
    'duplicate timestamp, other value': { setup: [[100, 1]], batch: [[100, 2]], code: AppendErrorCode.DuplicateSampleForTimestamp },
    'duplicate within the batch': { setup: [], batch: [[100, 1], [100, 2]], code: AppendErrorCode.DuplicateSampleForTimestamp },
    'duplicate timestamp, same value: no-op': { setup: [[100, 1]], batch: [[100, 1]], code: undefined },
    'duplicate stale marker: no-op': { setup: [[100, StaleNaN]], batch: [[100, StaleNaN]], code: undefined },
    'stale marker after NaN is another value': { setup: [[100, NaN]], batch: [[100, StaleNaN]], code: AppendErrorCode.DuplicateSampleForTimestamp },
    '-0 after 0 is another value': { setup: [[100, 0]], batch: [[100, -0]], code: AppendErrorCode.DuplicateSampleForTimestamp },
    'out of bounds: older than half a chunk range behind max time': {
      setup: [[10 * 3600_000, 1]],
      batch: [[9 * 3600_000 - 1, 1]],
      code: AppendErrorCode.OutOfBounds,
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const h = await Head.open({}, { registry: new Registry() });
      const ls = L({ __name__: 'm', job: 'a' });
      const app = h.appender();
      for (const [ts, v] of tc.setup) app.append(0, ls, ts, v);
      await app.commit();
      const a = h.appender();
      const last = tc.batch.length - 1;
      for (let i = 0; i < last; i++) a.append(0, ls, tc.batch[i][0], tc.batch[i][1]);
      if (tc.code === undefined) a.append(0, ls, tc.batch[last][0], tc.batch[last][1]);
      else assertCode(() => a.append(0, ls, tc.batch[last][0], tc.batch[last][1]), tc.code);
      await a.commit();
      const got = (await dumpHead(h)).get(ls.toString()) ?? [];
      assert.equal(got.length, new Set([...tc.setup, ...tc.batch.slice(0, last)].map(([ts]) => ts)).size);
    });
  }
  await t.test('min valid time after truncation', async () => {
    const h = await Head.open({}, { registry: new Registry() });
    await h.truncate(1000);
    assertCode(() => h.appender().append(0, L({ a: '1' }), 999, 1), AppendErrorCode.OutOfBounds);
  });
  await t.test('empty label set', async () => {
    const h = await Head.open({}, { registry: new Registry() });
    assertCode(() => h.appender().append(0, Labels.EMPTY, 1, 1), AppendErrorCode.EmptyLabelset);
  });
  await t.test('series limit hook refuses with its code', async () => {
    const reg = new Registry();
    const h = await Head.open({ beforeSeriesCreate: (_ls, n) => (n >= 2 ? 'per_user_series_limit' : undefined) }, { registry: reg });
    const a = h.appender();
    a.append(0, L({ i: '1' }), 1, 1);
    a.append(0, L({ i: '2' }), 1, 1);
    assertCode(() => a.append(0, L({ i: '3' }), 1, 1), 'per_user_series_limit');
    a.append(0, L({ i: '1' }), 2, 1); // existing series are not limited
    await a.commit();
    assert.equal(h.numSeries(), 2);
    assert.match(await reg.metrics(), /myelin_tsdb_head_rejected_samples_total\{reason="per_user_series_limit"\} 1/);
  });
});

test('commit makes samples visible; rollback drops them', async () => {
  const h = await Head.open({}, { registry: new Registry() });
  const ls = L({ __name__: 'up' });
  const a = h.appender();
  const ref = a.append(0, ls, 1, 1);
  assert.equal((await dumpHead(h)).size, 0, 'nothing visible before commit');
  a.rollback();
  a.append(ref, ls, 1, 5);
  a.append(ref, ls, 2, StaleNaN);
  await a.commit();
  const set = (await h.querier(0, 10)).select(hints, eq('__name__', 'up'));
  assert.ok(await set.next());
  const it = set.at().iterator();
  assert.equal(it.next(), ValueType.Float);
  assert.deepEqual([it.atT(), it.atV()], [1, 5]);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.atT(), 2);
  // Checked straight from atV(): storing it in a plain array could canonicalise the NaN.
  assert.ok(isStaleNaN(it.atV()), 'stale marker bit-exact through the head');
});

test('chunks are cut at 120 samples and at block range ends', async () => {
  const h = await Head.open({}, { registry: new Registry() });
  const ls = L({ a: 'x' });
  const a = h.appender();
  for (let i = 0; i < 480; i++) a.append(0, ls, i * 15_000, i);
  await a.commit();
  const cq = await h.chunkQuerier(0, Infinity);
  const set = cq.select(hints, eq('a', 'x'));
  assert.ok(await set.next());
  const it = set.at().chunks();
  const counts: number[] = [];
  const it2 = new XorIterator();
  while (it.next()) {
    const m = it.at();
    it2.reset(m.bytes);
    let n = 0;
    while (it2.next() !== ValueType.None) n++;
    counts.push(n);
    assert.equal(m.encoding, 1);
  }
  // 2h at 15s is 480 samples: four chunks of 120 (the predicted end splits the range evenly).
  assert.deepEqual(counts, [120, 120, 120, 120]);
});

test('select, label names and values agree with a brute-force scan (property)', async () => {
  const labelSet = fc
    .array(fc.tuple(fc.constantFrom('a', 'b', '__name__'), fc.constantFrom('x', 'y', 'z1', 'é')), { minLength: 1, maxLength: 3 })
    .map((p) => Labels.fromPairs(p.flat()));
  const matcher = fc
    .tuple(fc.constantFrom(MatchType.Equal, MatchType.NotEqual, MatchType.Regexp, MatchType.NotRegexp), fc.constantFrom('a', 'b', 'c'), fc.constantFrom('', 'x', 'x|y', 'z.*', '.*'))
    .map(([ty, n, v]) => new Matcher(ty, n, v));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(labelSet, fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 20 }), fc.array(matcher, { minLength: 1, maxLength: 3 }), async (rows, ms) => {
      const h = await Head.open({}, { registry: new Registry() });
      const a = h.appender();
      const times = new Map<string, { ls: Labels; ts: Set<number> }>();
      for (const [ls, t] of rows) {
        const e = times.get(ls.key) ?? { ls, ts: new Set<number>() };
        times.set(ls.key, e);
        if (t > Math.max(-1, ...e.ts)) {
          a.append(0, ls, t, t);
          e.ts.add(t);
        }
      }
      await a.commit();
      const mint = 20;
      const maxt = 80;
      const want = [...times.values()]
        // Series whose time span overlaps [mint, maxt] (chunk granularity; one chunk each here), samples clipped.
        .filter((e) => ms.every((m) => m.matches(e.ls.get(m.name))) && Math.max(...e.ts) >= mint && Math.min(...e.ts) <= maxt)
        .sort((x, y) => Labels.compare(x.ls, y.ls));
      const q = await h.querier(mint, maxt);
      const set = q.select(hints, ...ms);
      const got: string[] = [];
      while (await set.next()) {
        const s = set.at();
        const it = s.iterator();
        const ts: number[] = [];
        for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) ts.push(it.atT());
        got.push(`${s.labels.toString()} ${ts.join(',')}`);
      }
      assert.deepEqual(got, want.map((e) => `${e.ls.toString()} ${[...e.ts].filter((t) => t >= mint && t <= maxt).sort((x, y) => x - y).join(',')}`));
      const names = new Set(want.flatMap((e) => e.ls.pairs().filter((_, i) => i % 2 === 0)));
      assert.deepEqual(await q.labelNames({ limit: 0 }, ...ms), [...names].sort());
      const values = new Set(want.map((e) => e.ls.get('a')).filter((v) => v !== ''));
      assert.deepEqual(await q.labelValues('a', { limit: 0 }, ...ms), [...values].sort());
    }),
    { numRuns: 60 },
  );
});

test('iterator seek and range clipping across chunks', async () => {
  const h = await Head.open({ samplesPerChunk: 8 }, { registry: new Registry() });
  const a = h.appender();
  for (let t = 0; t < 100; t++) a.append(0, L({ a: '1' }), t * 10, t);
  await a.commit();
  const q = await h.querier(105, 700);
  const set = q.select(hints, eq('a', '1'));
  assert.ok(await set.next());
  const it = set.at().iterator();
  assert.equal(it.seek(0), ValueType.Float);
  assert.equal(it.atT(), 110);
  assert.equal(it.seek(455), ValueType.Float);
  assert.equal(it.atT(), 460);
  assert.equal(it.seek(300), ValueType.Float, 'seek never moves backwards');
  assert.equal(it.atT(), 460);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.atT(), 470);
  assert.equal(it.seek(700), ValueType.Float);
  assert.equal(it.next(), ValueType.None, 'clipped at maxt');
  assert.equal(it.seek(701), ValueType.None);
});

test('open head chunk snapshots ignore later appends', async () => {
  const h = await Head.open({}, { registry: new Registry() });
  const ls = L({ a: '1' });
  const a = h.appender();
  for (let t = 0; t < 5; t++) a.append(0, ls, t, t);
  await a.commit();
  const set = (await h.querier(0, 1000)).select(hints, eq('a', '1'));
  assert.ok(await set.next());
  const s = set.at();
  for (let t = 5; t < 200; t++) a.append(0, ls, t, t);
  await a.commit();
  const it = s.iterator();
  let n = 0;
  while (it.next() !== ValueType.None) n++;
  assert.equal(n, 5);
});

test('truncation drops old chunks and garbage-collects empty series', async () => {
  const reg = new Registry();
  const h = await Head.open({ samplesPerChunk: 4 }, { registry: reg });
  const a = h.appender();
  for (let t = 0; t < 20; t++) a.append(0, L({ a: 'old' }), t, t);
  for (let t = 0; t < 40; t++) a.append(0, L({ a: 'new' }), t, t);
  await a.commit();
  await h.truncate(25);
  assert.equal(h.numSeries(), 1);
  assert.deepEqual(await (await h.querier(0, 100)).labelValues('a', { limit: 0 }), ['new']);
  const got = (await dumpHead(h)).get('{a="new"}') ?? [];
  assert.ok(got[0][0] <= 25 && got[0][0] > 15, `kept whole chunks overlapping the new min time, first t ${got[0][0]}`);
  assert.equal(h.minTime(), got[0][0]);
  assert.match(await reg.metrics(), /myelin_tsdb_head_series_removed_total 1/);
});

test('label names and values: sorted by UTF-8 bytes, limited, restricted by time', async () => {
  const h = await Head.open({}, { registry: new Registry() });
  const a = h.appender();
  a.append(0, L({ __name__: 'm', v: '\uffff' }), 10, 1);
  a.append(0, L({ __name__: 'm', v: '😀' }), 10, 1);
  a.append(0, L({ __name__: 'm', v: 'b', old: 'yes' }), 1, 1);
  await a.commit();
  const q = await h.querier(5, 20);
  assert.deepEqual(await q.labelValues('v', { limit: 0 }), ['b', '\uffff', '😀']);
  assert.deepEqual(await q.labelValues('v', { limit: 2 }), ['b', '\uffff']);
  assert.deepEqual(await q.labelValues('v', { limit: 0 }, eq('__name__', 'm')), ['\uffff', '😀'], 'series without data in range left out');
  assert.deepEqual(await q.labelNames({ limit: 0 }, eq('__name__', 'm')), ['__name__', 'v']);
  assert.deepEqual(await (await h.querier(100, 200)).labelNames({ limit: 0 }), [], 'no overlap with the head');
});

test('truncation never collects a series another appender still has samples for', async () => {
  const h = await Head.open({}, { registry: new Registry() });
  const ls = L({ a: 'shared' });
  const a = h.appender();
  const b = h.appender();
  a.append(0, ls, 100, 1);
  b.append(0, ls, 50, 1); // b takes the series over (checked against committed state: none)
  b.rollback();
  await h.truncate(10);
  assert.equal(h.numSeries(), 1, 'a still holds a sample for it');
  await a.commit();
  assert.deepEqual((await dumpHead(h)).get(ls.toString())?.map(([t]) => t), [100]);
});

test('a sample that lost the commit race to a newer one of its series is dropped and reported', async () => {
  const h = await Head.open({}, { registry: new Registry() });
  const ls = L({ __name__: 'raced' });
  const a = h.appender();
  const b = h.appender();
  a.append(0, ls, 200, 2);
  b.append(0, ls, 100, 1); // valid against the committed state (none), but a commits first
  b.append(0, L({ __name__: 'other' }), 100, 1);
  assert.equal(await a.commitReportingDrops(), undefined);
  const drops = await b.commitReportingDrops();
  assert.equal(drops?.count, 1);
  assert.equal(drops?.first.code, AppendErrorCode.OutOfOrderSample);
  assert.match(drops?.first.message ?? '', /out of order sample: raced t=100 last=200/);
  const got = await dumpHead(h);
  assert.deepEqual(got.get(ls.toString())?.map(([t]) => t), [200]);
  assert.equal(got.get(L({ __name__: 'other' }).toString())?.length, 1, 'the rest of the batch went in');
});

test('series are found by their UTF-8 label bytes; a ref needs no labels', async () => {
  const h = await Head.open({}, { registry: new Registry() });
  const ls = L({ __name__: 'mé', job: '日本' });
  const app = h.appender();
  const ref = app.append(0, ls, 1000, 1);
  await app.commit();
  const { buf, ranges } = labelBytesOf(['__name__', 'mé', 'job', '日本']);
  assert.equal(h.seriesRefByLabelBytes(buf, ranges, 0, 2), ref);
  assert.equal(h.seriesRefByLabelBytes(buf, ranges, 0, 1), 0);
  const { buf: buf2, ranges: ranges2 } = labelBytesOf(['__name__', 'mé', 'job', '日']);
  assert.equal(h.seriesRefByLabelBytes(buf2, ranges2, 0, 2), 0);
  assert.equal(app.append(ref, Labels.EMPTY, 2000, 2), ref);
  await app.commit();
  assert.equal((await dumpHead(h)).get(ls.toString())?.length, 2);
  // An error for a sample appended by ref names the series.
  assert.throws(() => app.append(ref, Labels.EMPTY, -10 * 3600_000, 1), { message: /mé/ });
});
