import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Labels, Matcher, MatchType } from '../model/labels/index.js';
import { AppendError, AppendErrorCode } from './errors.js';
import { CircularExemplarStorage, type Exemplar } from './exemplars.js';
import { Head } from './head.js';
import { ExemplarRecordEncoder, RecordType, SegmentReader, decodeExemplars, listSegments } from './wal/index.js';

const series = (i: number) => Labels.fromRecord({ __name__: 'req', i: String(i) });
const ex = (ts: number, trace = `t${ts}`, value = ts / 10): Exemplar => ({ labels: Labels.fromRecord({ trace_id: trace }), value, ts });
const all = [[new Matcher(MatchType.Regexp, '__name__', '.+')]];

async function metric(reg: Registry, name: string): Promise<number> {
  const m = reg.getSingleMetric(name);
  return m === undefined ? NaN : ((await m.get()).values[0]?.value ?? 0);
}

test('the ring keeps the newest exemplars of the whole buffer, each series oldest first', () => {
  // Model: the last `size` exemplars added, in order.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(3), { maxLength: 40 }), (size, picks) => {
      const store = new CircularExemplarStorage(size);
      const added: [number, number][] = [];
      let ts = 0;
      for (const s of picks) {
        ts++;
        assert.equal(store.add(series(s), ex(ts)), 'ok');
        added.push([s, ts]);
      }
      const kept = added.slice(-size);
      const got = store.select(-Infinity, Infinity, all);
      const want = [0, 1, 2, 3]
        .map((s) => ({ s, ts: kept.filter(([k]) => k === s).map(([, t]) => t) }))
        .filter((w) => w.ts.length > 0);
      assert.deepEqual(got.map((g) => [g.seriesLabels.get('i'), g.exemplars.map((e) => e.ts)]), want.map((w) => [String(w.s), w.ts]));
      assert.equal(store.count, kept.length);
    }),
    { numRuns: 300 },
  );
});

test('Prometheus rules: duplicates are no-ops, older or equal times are out of order and counted, labels ≤ 128 runes', async () => {
  const reg = new Registry();
  const store = new CircularExemplarStorage(10, reg);
  assert.equal(store.add(series(1), ex(100, 'a')), 'ok');
  assert.equal(store.add(series(1), ex(100, 'a')), 'duplicate');
  const ooo = store.add(series(1), ex(99, 'b'));
  assert.ok(ooo instanceof AppendError && ooo.code === AppendErrorCode.OutOfOrderExemplar, String(ooo));
  assert.match((ooo as AppendError).message, /^out of order exemplar: /);
  const same = store.add(series(1), ex(100, 'c'));
  assert.ok(same instanceof AppendError && same.code === AppendErrorCode.OutOfOrderExemplar);
  // Another series has its own order.
  assert.equal(store.add(series(2), ex(50)), 'ok');
  // 128 runes pass (multi-byte runes count once), 129 do not.
  assert.equal(store.add(series(1), { labels: Labels.fromRecord({ id: 'é'.repeat(126) }), value: 1, ts: 200 }), 'ok');
  const long = store.add(series(1), { labels: Labels.fromRecord({ id: 'é'.repeat(127) }), value: 1, ts: 300 });
  assert.ok(long instanceof AppendError && long.code === AppendErrorCode.ExemplarLabelsTooLong);
  assert.equal(await metric(reg, 'myelin_ingester_tsdb_exemplar_out_of_order_exemplars_total'), 2);
  assert.equal(await metric(reg, 'myelin_ingester_tsdb_exemplar_exemplars_appended_total'), 3);
  assert.equal(await metric(reg, 'myelin_ingester_tsdb_exemplar_exemplars_in_storage'), 3);
  assert.equal(await metric(reg, 'myelin_ingester_tsdb_exemplar_series_with_exemplars_in_storage'), 2);
});

test('select: time range, matcher sets (any set, every matcher), label order', () => {
  const store = new CircularExemplarStorage(100);
  for (let i = 3; i >= 0; i--) for (let t = 1; t <= 5; t++) store.add(series(i), ex(t * 10 + i));
  const got = store.select(20, 40, [[new Matcher(MatchType.Equal, 'i', '1')], [new Matcher(MatchType.Regexp, 'i', '[23]'), new Matcher(MatchType.NotEqual, 'i', '3')]]);
  assert.deepEqual(got.map((s) => [s.seriesLabels.toString(), s.exemplars.map((e) => e.ts)]), [
    ['req{i="1"}', [21, 31]],
    ['req{i="2"}', [22, 32]],
  ]);
  assert.deepEqual(store.select(1000, 2000, all), []);
});

test('resize keeps the newest exemplars that fit; 0 turns the store off', () => {
  const store = new CircularExemplarStorage(6);
  for (let t = 1; t <= 9; t++) store.add(series(t % 2), ex(t));
  store.resize(3);
  assert.deepEqual(store.select(0, 100, all).flatMap((s) => s.exemplars.map((e) => e.ts)).sort(), [7, 8, 9]);
  store.resize(5);
  store.add(series(0), ex(10));
  assert.deepEqual(store.select(0, 100, all).flatMap((s) => s.exemplars.map((e) => e.ts)).sort((a, b) => a - b), [7, 8, 9, 10]);
  store.resize(0);
  assert.equal(store.count, 0);
  assert.equal(store.add(series(0), ex(11)), 'ok', 'off: accepted as a no-op');
  assert.deepEqual(store.select(0, 100, all), []);
});

test('the WAL record round-trips, in Prometheus layout', () => {
  const enc = new ExemplarRecordEncoder();
  const value = fc.oneof(fc.double(), fc.constant(NaN));
  fc.assert(
    fc.property(fc.array(fc.record({ ref: fc.integer({ min: 1, max: 2 ** 40 }), ts: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), value, trace: fc.string({ maxLength: 40 }) }), { maxLength: 10 }), (es) => {
      const in_ = es.map((e) => ({ ref: e.ref, ts: e.ts, value: e.value, labels: Labels.fromRecord({ trace_id: e.trace }) }));
      const rec = enc.encode(in_);
      assert.equal(rec[0], RecordType.Exemplars);
      const out = decodeExemplars(rec);
      assert.deepEqual(out.map((e) => [e.ref, e.ts, Object.is(e.value, NaN) ? 'NaN' : e.value, e.labels.key]), in_.map((e) => [e.ref, e.ts, Object.is(e.value, NaN) ? 'NaN' : e.value, e.labels.key]));
    }),
  );
  // Byte for byte: type 4, ref₀ and t₀ big-endian, then (Δref, Δt, value bits, labels) per exemplar.
  const rec = enc.encode([{ ref: 5, ts: 1000, value: 1.5, labels: Labels.fromRecord({ a: 'b' }) }, { ref: 6, ts: 999, value: 0, labels: Labels.EMPTY }]);
  assert.equal(Buffer.from(rec).toString('hex'), [
    '04', '0000000000000005', '00000000000003e8',
    '00', '00', '3ff8000000000000', '01', '0161', '0162',
    '02', '01', '0000000000000000', '00',
  ].join(''));
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-exemplars-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const open = (dir: string, maxExemplars = 100) => Head.open({ walDir: dir, wal: { fsync: 'none' }, maxExemplars }, { registry: new Registry() });

test('head: exemplars are committed with their samples, replayed after a restart, and checked against the batch', () =>
  withDir(async (dir) => {
    let h = await open(dir);
    const a = h.appender();
    const ref = a.append(0, series(1), 1000, 1);
    assert.equal(a.appendExemplar(ref, ex(1000, 'a')), true);
    assert.equal(a.appendExemplar(ref, ex(1000, 'a')), false, 'a repeat of the batch\'s newest is a no-op');
    assert.throws(() => a.appendExemplar(ref, ex(900, 'b')), { code: AppendErrorCode.OutOfOrderExemplar });
    assert.throws(() => a.appendExemplar(12345, ex(1100)), { code: AppendErrorCode.ExemplarMissingSeries });
    assert.deepEqual(h.exemplars.select(0, 5000, all), [], 'nothing before commit');
    await a.commit();
    // An exemplar alone (no sample in the batch) is committed too.
    const b = h.appender();
    b.appendExemplar(ref, ex(1500, 'c'));
    await b.commit();
    const want = [[1000, 'a'], [1500, 'c']];
    assert.deepEqual(h.exemplars.select(0, 5000, all)[0].exemplars.map((e) => [e.ts, e.labels.get('trace_id')]), want);
    await h.close();
    // A restart without closing cleanly looks the same to replay: the WAL is all there is.
    h = await open(dir);
    assert.deepEqual(h.exemplars.select(0, 5000, all)[0].exemplars.map((e) => [e.ts, e.labels.get('trace_id')]), want);
    assert.equal(h.exemplars.select(0, 5000, all)[0].seriesLabels.toString(), series(1).toString());
    await h.close();
    // Replay into a smaller store keeps the newest.
    h = await open(dir, 1);
    assert.deepEqual(h.exemplars.select(0, 5000, all)[0].exemplars.map((e) => e.ts), [1500]);
    await h.close();
  }));

test('head: with the store off, exemplars are no-ops and nothing reaches the WAL', () =>
  withDir(async (dir) => {
    const h = await open(dir, 0);
    const a = h.appender();
    const ref = a.append(0, series(1), 1000, 1);
    assert.equal(a.appendExemplar(ref, ex(1000)), false);
    await a.commit();
    await h.close();
    const r = new SegmentReader(listSegments(dir));
    for (let rec = r.next(); rec !== undefined; rec = r.next()) assert.notEqual(rec[0], RecordType.Exemplars);
    r.close();
  }));

test('head: a checkpoint keeps the exemplars of live series at or after mint', () =>
  withDir(async (dir) => {
    let h = await open(dir);
    for (const [s, t] of [[1, 1000], [2, 1000], [1, 5000]]) {
      const a = h.appender();
      const ref = a.append(0, series(s), t, 1);
      a.appendExemplar(ref, ex(t, `s${s}`));
      await a.commit();
    }
    // Series 2 has nothing at or after 3000: it goes, and its exemplar with it; so does series 1's at 1000.
    await h.truncate(3000);
    assert.ok(listSegments(dir).length >= 1);
    await h.close();
    h = await open(dir);
    assert.deepEqual(h.exemplars.select(0, 10_000, all).map((s) => [s.seriesLabels.get('i'), s.exemplars.map((e) => e.ts)]), [['1', [5000]]]);
    await h.close();
  }));
