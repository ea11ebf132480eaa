import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { FloatHistogram, Histogram } from '../model/histogram/index.js';
import { toFloatHistogram } from '../model/histogram/index.js';
import { Labels, Matcher, MatchType } from '../model/labels/index.js';
import { Encoding } from './chunkenc/index.js';
import { AppendError } from './errors.js';
import { Head } from './head.js';
import { dumpHead } from './head-testutil.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-head-hist-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The i-th scrape of a latency histogram with `n` buckets from index 0 at schema 3: each bucket's
 * count grows by a varying amount per scrape, as a service's would.
 */
function latency(i: number, n = 20): Histogram {
  const counts = Array.from({ length: n }, (_, b) => 5 * i * (b + 1) + ((i * 7 + b * 13) % 5));
  const deltas = counts.map((c, b) => c - (b === 0 ? 0 : counts[b - 1]));
  return {
    counterResetHint: 0, schema: 3, zeroThreshold: 0.001, zeroCount: i, count: i + counts.reduce((a, c) => a + c, 0), sum: 0.25 * i,
    positiveSpans: [{ offset: 0, length: n }], negativeSpans: [], positiveBuckets: deltas, negativeBuckets: [], customValues: [],
  };
}

const nhcb = (i: number): FloatHistogram => ({
  counterResetHint: 0, schema: -53, zeroThreshold: 0, zeroCount: 0, count: 3 * i, sum: i, positiveSpans: [{ offset: 0, length: 3 }],
  negativeSpans: [], positiveBuckets: [i, i, i], negativeBuckets: [], customValues: [0.1, 1],
});

const lat = Labels.fromRecord({ __name__: 'latency' });
const all = new Matcher(MatchType.Regexp, '__name__', '.*');
const hints = { start: 0, end: 1e15, step: 0, func: '', range: 0, sortSeries: true };

function row(t: number, h: Histogram | FloatHistogram, isFloat: boolean): [number, string] {
  const { counterResetHint: _, ...fh } = isFloat ? h : toFloatHistogram(h as Histogram);
  return [t, (isFloat ? 'fh:' : 'h:') + JSON.stringify(fh)];
}

test('integer and float histograms are appended, read back and streamed as chunks of encodings 2 and 3', async () => {
  const head = await Head.open();
  const app = head.appender();
  const want: [number, string][] = [];
  for (let i = 0; i < 5; i++) {
    app.appendHistogram(0, lat, 1000 + i * 15_000, latency(i), undefined);
    want.push(row(1000 + i * 15_000, latency(i), false));
  }
  for (let i = 1; i < 4; i++) app.appendHistogram(0, Labels.fromRecord({ __name__: 'nhcb' }), i * 1000, undefined, nhcb(i));
  await app.commit();
  const got = await dumpHead(head);
  assert.deepEqual(got.get('latency'), want);
  assert.deepEqual(got.get('nhcb'), [1, 2, 3].map((i) => row(i * 1000, nhcb(i), true)));

  const q = await head.chunkQuerier(0, 1e15);
  const set = q.select(hints, all);
  const encodings: Record<string, number[]> = {};
  while (await set.next()) {
    const s = set.at();
    const it = s.chunks();
    encodings[s.labels.toString()] = [];
    while (it.next()) encodings[s.labels.toString()].push(it.at().encoding);
  }
  assert.deepEqual(encodings, { latency: [Encoding.Histogram], nhcb: [Encoding.FloatHistogram] });
});

test('a series switching between floats and histograms keeps every sample in order, one chunk per run', async () => {
  const head = await Head.open();
  const app = head.appender();
  // Within one batch: floats, then histograms, then floats again.
  app.append(0, lat, 1, 1.5);
  app.appendHistogram(0, lat, 2, latency(1), undefined);
  app.appendHistogram(0, lat, 3, latency(2), undefined);
  app.append(0, lat, 4, 2.5);
  await app.commit();
  const b = head.appender();
  b.appendHistogram(0, lat, 5, undefined, toFloatHistogram(latency(3)));
  await b.commit();
  const rows = (await dumpHead(head)).get('latency') ?? [];
  assert.deepEqual(rows.map((r) => r[0]), [1, 2, 3, 4, 5]);
  assert.deepEqual(rows.map((r) => r[1].slice(0, 3)), ['3ff', 'h:{', 'h:{', '400', 'fh:']);
  const q = await head.chunkQuerier(0, 10);
  const set = q.select(hints, all);
  assert.ok(await set.next());
  const it = set.at().chunks();
  const encodings: number[] = [];
  while (it.next()) encodings.push(it.at().encoding);
  assert.deepEqual(encodings, [Encoding.XOR, Encoding.Histogram, Encoding.XOR, Encoding.FloatHistogram]);
});

test('out-of-order, duplicate and invalid histograms are refused as floats are', async () => {
  const head = await Head.open();
  const app = head.appender();
  app.appendHistogram(0, lat, 100, latency(1), undefined);
  assert.equal(app.appendHistogram(0, lat, 100, latency(1), undefined) > 0, true, 'the same histogram again is a no-op');
  assert.throws(() => app.appendHistogram(0, lat, 100, latency(2), undefined), (e: unknown) => e instanceof AppendError && e.code === 'duplicate_sample_for_timestamp');
  assert.throws(() => app.append(0, lat, 100, 1), (e: unknown) => e instanceof AppendError && e.code === 'duplicate_sample_for_timestamp', 'a float where a histogram is');
  assert.throws(() => app.appendHistogram(0, lat, 99, latency(1), undefined), (e: unknown) => e instanceof AppendError && e.code === 'out_of_order_sample');
  const bad = { ...latency(1), positiveBuckets: [1] };
  assert.throws(() => app.appendHistogram(0, lat, 101, bad, undefined), /invalid native histogram: latency t=101: positive spans cover 20 buckets but 1 bucket counts are given/);
  await app.commit();
  // Committed state applies to the next batch.
  const next = head.appender();
  next.appendHistogram(0, lat, 100, latency(1), undefined);
  assert.throws(() => next.appendHistogram(0, lat, 50, latency(1), undefined), /out of order sample/);
  await next.commit();
  assert.equal((await dumpHead(head)).get('latency')?.length, 1);
});

test('histogram chunks are cut by size: at least 10 samples, near the 1 KiB target, within the block range', async () => {
  const head = await Head.open();
  const app = head.appender();
  const n = 480; // two hours at 15 s
  for (let i = 0; i < n; i++) app.appendHistogram(0, lat, i * 15_000, latency(i), undefined);
  await app.commit();
  const q = await head.chunkQuerier(0, 1e15);
  const set = q.select(hints, all);
  assert.ok(await set.next());
  const it = set.at().chunks();
  const sizes: number[] = [];
  while (it.next()) sizes.push(it.at().bytes.length);
  assert.ok(sizes.length > 2, `${sizes.length} chunks: ${sizes}`);
  for (const size of sizes.slice(0, -1)) assert.ok(size >= 512 && size <= 2 * 1024 + 512, `chunk of ${size} bytes`);
  assert.equal((await dumpHead(head)).get('latency')?.length, n);
});

test('histograms survive a restart through the WAL (records 7 to 10), also after a checkpoint', () =>
  withDir(async (dir) => {
    const open = () => Head.open({ walDir: dir, wal: { fsync: 'none' } }, { registry: new Registry() });
    let head = await open();
    const kinds = Labels.fromRecord({ __name__: 'kinds' });
    let app = head.appender();
    app.append(0, kinds, 1000, 7);
    app.appendHistogram(0, kinds, 2000, latency(1), undefined);
    app.appendHistogram(0, kinds, 3000, undefined, toFloatHistogram(latency(2)));
    const intNhcb: Histogram = { ...latency(0, 2), schema: -53, zeroThreshold: 0, zeroCount: 0, positiveBuckets: [1, 0], count: 2, customValues: [1] };
    app.appendHistogram(0, kinds, 4000, intNhcb, undefined);
    app.appendHistogram(0, kinds, 5000, undefined, nhcb(2));
    app.append(0, kinds, 6000, 8);
    await app.commit();
    app = head.appender();
    for (let i = 0; i < 20; i++) app.appendHistogram(0, lat, 10_000 + i * 15_000, latency(i), undefined);
    await app.commit();
    const before = await dumpHead(head);
    assert.equal(before.get('kinds')?.length, 6);
    await head.close();

    head = await open();
    assert.deepEqual(await dumpHead(head), before, 'replay gives the same samples');
    // A checkpoint keeps what the head still holds.
    await head.truncate(2500);
    const kept = await dumpHead(head);
    await head.close();
    head = await open();
    assert.deepEqual(await dumpHead(head), kept);
    await head.close();
  }));

test('after a replay every series holds its own last histogram (the decoder reuses its objects across records)', () =>
  withDir(async (dir) => {
    const open = () => Head.open({ walDir: dir, wal: { fsync: 'none' } }, { registry: new Registry() });
    let head = await open();
    const series = [0, 1, 2, 3].map((k) => Labels.fromRecord({ __name__: 'latency', k: String(k) }));
    // Bucket counts vary per sample, so decoded spans and buckets grow and shrink in place.
    const sample = (k: number, i: number): Histogram => latency(i, 1 + ((k * 3 + i) % 6));
    const lastT = (k: number, i: number): number => (i + 1) * 1000 + (k === 0 ? 500 : 0);
    // Series k's last sample is in record 8 + k: later records are decoded over the same objects.
    const lastI = (k: number): number => 8 + k;
    for (let i = 0; i < 12; i++) {
      const app = head.appender();
      // Series 0 has two samples in each record.
      if (i <= lastI(0)) app.appendHistogram(0, series[0], (i + 1) * 1000, sample(0, 100 + i), undefined);
      for (let k = 0; k < series.length; k++) if (i <= lastI(k)) app.appendHistogram(0, series[k], lastT(k, i), sample(k, i), undefined);
      await app.commit();
    }
    const before = await dumpHead(head);
    await head.close();

    head = await open();
    assert.deepEqual(await dumpHead(head), before, 'replay gives the same samples');
    for (let k = 0; k < series.length; k++) {
      const app = head.appender();
      const i = lastI(k);
      assert.ok(app.appendHistogram(0, series[k], lastT(k, i), sample(k, i), undefined) > 0, `series ${k}: its last sample again is a no-op`);
      assert.throws(() => app.appendHistogram(0, series[k], lastT(k, i), sample(k, i - 1), undefined), /duplicate/, `series ${k}: another histogram at its last time`);
      app.rollback();
    }
    await head.close();
  }));
