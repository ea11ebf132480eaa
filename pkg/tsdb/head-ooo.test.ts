import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Labels, Matcher, MatchType } from '../model/labels/index.js';
import type { Histogram } from '../model/histogram/index.js';
import { mergeQueriers } from '../storage/index.js';
import { Block, OutOfOrderHint, UlidGenerator } from './block/index.js';
import { compactBlocks, compactHead, compactOooHead } from './compact/index.js';
import { AppendError, AppendErrorCode } from './errors.js';
import { Head } from './head.js';
import { dumpHead } from './head-testutil.js';

const H = 3600_000;
const WINDOW = H;
const labels = (i: number) => Labels.fromRecord({ __name__: 'ooo_test', series: String(i) });

/** Deterministic shuffle (a seeded LCG), so a failure can be replayed. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function hex(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString('hex');
}

/** The samples of series i the tests write: every 15s over the hour before `end`, value = t / 1000 + i. */
function samplesOf(i: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = end - WINDOW + 15_000; t <= end; t += 15_000) out.push([t, t / 1000 + i]);
  return out;
}

/**
 * Writes the newest sample of each series first, then all the others in a shuffled order, a few
 * per commit: all but the first sample of each series are out of order.
 */
async function writeShuffled(head: Head, series: number, end: number): Promise<Map<string, [number, string][]>> {
  const want = new Map<string, [number, string][]>();
  const all: [number, number, number][] = [];
  const app = head.appender();
  for (let i = 0; i < series; i++) {
    const s = samplesOf(i, end);
    want.set(labels(i).toString(), s.map(([t, v]) => [t, hex(v)]));
    app.append(0, labels(i), end, end / 1000 + i);
    for (const [t, v] of s.slice(0, -1)) all.push([i, t, v]);
  }
  await app.commit();
  const order = shuffled(all, 7);
  for (let k = 0; k < order.length; k++) {
    const [i, t, v] = order[k];
    app.append(0, labels(i), t, v);
    if (k % 17 === 16) await app.commit();
  }
  await app.commit();
  return want;
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppendError) return err.code;
    throw err;
  }
  return 'accepted';
}

/** A fresh directory, removed when the test ends. */
async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-ooo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('shuffled samples within the window read back exactly, through samples and chunks', async () => {
  const registry = new Registry();
  const head = await Head.open({ outOfOrderTimeWindow: WINDOW, outOfOrderCapMax: 8 }, { registry });
  const end = 10 * H;
  const want = await writeShuffled(head, 5, end);
  assert.deepEqual(await dumpHead(head), want);
  // The chunk querier (QueryStream's source) merges the out-of-order chunks into ones that do not overlap.
  const q = await head.chunkQuerier(-Infinity, Infinity);
  const set = q.select({ start: 0, end: Infinity, step: 0, func: '', range: 0, sortSeries: true }, new Matcher(MatchType.Equal, '__name__', 'ooo_test'));
  let series = 0;
  while (await set.next()) {
    series++;
    const it = set.at().chunks();
    let lastMax = -Infinity;
    while (it.next()) {
      assert.ok(it.at().minT > lastMax, 'chunks overlap');
      lastMax = it.at().maxT;
    }
  }
  assert.equal(series, 5);
  // A sub-range reads only its samples.
  const part = await dumpHead(head, end - 30 * 60_000, end - 20 * 60_000);
  assert.deepEqual(part.get(labels(0).toString()), want.get(labels(0).toString())?.filter(([t]) => t >= end - 30 * 60_000 && t <= end - 20 * 60_000));
  const text = await registry.metrics();
  assert.match(text, /myelin_tsdb_head_out_of_order_samples_appended_total 1195/);
  assert.match(text, /myelin_tsdb_head_out_of_order_chunks_created_total [1-9]/);
});

test('outside the window, with no window, and for native histograms: refused with the reason', async () => {
  const registry = new Registry();
  // Wider than the in-order bound (half the 2h block range behind the newest sample).
  const W = 90 * 60_000;
  const head = await Head.open({ outOfOrderTimeWindow: W }, { registry });
  const app = head.appender();
  const end = 10 * H;
  app.append(0, labels(0), end, 1);
  await app.commit();
  assert.equal(refusal(() => app.append(0, labels(0), end - W - 1, 1)), AppendErrorCode.TooOldSample);
  assert.equal(refusal(() => app.append(0, labels(0), end, 2)), AppendErrorCode.DuplicateSampleForTimestamp);
  assert.equal(refusal(() => app.append(0, labels(0), end, 1)), 'accepted', 'an identical repeat stays a no-op');
  assert.equal(refusal(() => app.append(0, labels(0), end - W, 3)), 'accepted');
  // A new series below the in-order bound, but within the window: out of order too.
  assert.equal(refusal(() => app.append(0, labels(1), end - 80 * 60_000, 4)), 'accepted');
  const h: Histogram = { counterResetHint: 0, schema: 0, zeroThreshold: 0, zeroCount: 0, count: 1, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], negativeSpans: [], positiveBuckets: [1], negativeBuckets: [], customValues: [] };
  app.appendHistogram(0, labels(2), end, h, undefined);
  await app.commit();
  assert.equal(refusal(() => app.appendHistogram(0, labels(2), end - 1000, h, undefined)), AppendErrorCode.OutOfOrderSample);
  assert.equal(refusal(() => app.appendHistogram(0, labels(3), 0, h, undefined)), AppendErrorCode.OutOfBounds);
  // A duplicate of a buffered out-of-order sample is dropped: the first one stays (as Prometheus).
  app.append(0, labels(0), end - W, 99);
  await app.commit();
  const got = await dumpHead(head);
  assert.deepEqual(got.get(labels(0).toString()), [[end - W, hex(3)], [end, hex(1)]]);
  assert.deepEqual(got.get(labels(1).toString()), [[end - 80 * 60_000, hex(4)]]);

  head.setOutOfOrderTimeWindow(0);
  assert.equal(refusal(() => app.append(0, labels(0), end - 1000, 1)), AppendErrorCode.OutOfOrderSample);
  assert.equal(refusal(() => app.append(0, labels(0), end - 2 * H, 1)), AppendErrorCode.OutOfBounds);
  app.rollback();
  const text = await registry.metrics();
  assert.match(text, /myelin_tsdb_head_rejected_samples_total\{reason="too_old_sample"\} 1/);
  assert.match(text, /myelin_tsdb_head_rejected_samples_total\{reason="duplicate_sample_for_timestamp"\} 2/);
});

test('the WBL brings acknowledged out-of-order samples back after a crash', async (t) => {
  const dir = await tempDir(t);
  const opts = { walDir: join(dir, 'wal'), wblDir: join(dir, 'wbl'), outOfOrderTimeWindow: WINDOW, outOfOrderCapMax: 5, wal: { fsync: 'none' as const } };
  const head = await Head.open(opts, { registry: new Registry() });
  const want = await writeShuffled(head, 3, 10 * H);
  assert.ok((await readdir(join(dir, 'wbl'))).length > 0, 'a WBL segment was written');
  // No close(): the files hold what a SIGKILL leaves behind (fsync is about machine crashes).
  const reopened = await Head.open(opts, { registry: new Registry() });
  assert.deepEqual(await dumpHead(reopened), want);
  // Still appendable out of order after the replay, into the same buffers.
  const app = reopened.appender();
  app.append(0, labels(0), 10 * H - 7, 1);
  await app.commit();
  assert.equal((await dumpHead(reopened)).get(labels(0).toString())?.length, (want.get(labels(0).toString()) ?? []).length + 1);
  await reopened.close();
  await head.close();
});

test('out-of-order samples become blocks of their own that merge with the in-order ones; the WBL is truncated', async (t) => {
  const dir = await tempDir(t);
  const opts = { walDir: join(dir, 'wal'), wblDir: join(dir, 'wbl'), outOfOrderTimeWindow: 6 * H, outOfOrderCapMax: 16, wal: { fsync: 'none' as const } };
  const head = await Head.open(opts, { registry: new Registry() });
  const ulids = new UlidGenerator();
  const app = head.appender();
  // In order every minute over [0, 5h), then late samples at odd 30s marks over [0, 3h): they
  // span two block ranges and interleave with in-order samples already cut into a block.
  const want = new Map<number, number>();
  for (let t = 0; t < 5 * H; t += 60_000) {
    app.append(0, labels(0), t, t);
    want.set(t, t);
  }
  await app.commit();
  const inOrder = await compactHead(head, dir, { blockRange: 2 * H, ulids });
  assert.equal(inOrder.length, 1, 'the first 2h range is cut');
  for (const t of shuffled(Array.from({ length: 180 }, (_, k) => 30_000 + k * 60_000), 3)) {
    app.append(0, labels(0), t, -t);
    want.set(t, -t);
  }
  // A series that only ever had one late sample: gone from the head once it is in a block.
  app.append(0, labels(1), 90 * 60_000, 1);
  await app.commit();
  const ooo = await compactOooHead(head, dir, { blockRange: 2 * H, ulids, thanos: undefined });
  assert.deepEqual(ooo.map((m) => [m.minTime, m.maxTime, m.stats.numSamples, m.compaction.hints]), [
    [0, 2 * H, 121, [OutOfOrderHint]],
    [2 * H, 4 * H, 60, [OutOfOrderHint]],
  ]);
  assert.equal(head.oooMinTime(), Infinity, 'the out-of-order head is empty');
  assert.equal(head.numSeries(), 1, 'the series with in-order samples stays, the other is collected');
  const segments = await readdir(join(dir, 'wbl'));
  assert.equal(segments.length, 1, `only the segment after the rotation is left: ${segments.join(',')}`);
  // Head + blocks read exactly; so does the block the compactor merges them into.
  const blocks = await Promise.all([...inOrder, ...ooo].map((m) => Block.open(join(dir, m.ulid))));
  const expected = [...want].sort((a, b) => a[0] - b[0]).map(([t, v]) => [t, hex(v)]);
  const all = { querier: async (mint: number, maxt: number) => mergeQueriers([await head.querier(mint, maxt), ...(await Promise.all(blocks.map((b) => b.querier(mint, maxt))))]) };
  assert.deepEqual((await dumpHead(all)).get(labels(0).toString()), expected);
  const merged = await compactBlocks(dir, blocks.slice(0, 2), { ulids });
  assert.ok(merged !== undefined);
  const mergedBlock = await Block.open(join(dir, merged.ulid));
  assert.deepEqual((await dumpHead(mergedBlock)).get(labels(0).toString()), expected.filter(([t]) => (t as number) < 2 * H));
  for (const b of [...blocks, mergedBlock]) await b.close();
  // A restart does not bring the persisted out-of-order samples back into the head.
  await head.close();
  const reopened = await Head.open(opts, { registry: new Registry() });
  assert.equal(reopened.oooMinTime(), Infinity);
  await reopened.close();
});

test('a sample overtaken by a concurrent commit goes out of order within the window, and survives a crash', async (t) => {
  const dir = await tempDir(t);
  const opts = { walDir: join(dir, 'wal'), wblDir: join(dir, 'wbl'), outOfOrderTimeWindow: WINDOW, wal: { fsync: 'none' as const } };
  const head = await Head.open(opts, { registry: new Registry() });
  const first = head.appender();
  first.append(0, labels(0), 1000, 1);
  await first.commit();
  // Both in order against the committed sample at append; the newer one commits first.
  const a = head.appender();
  const b = head.appender();
  a.append(0, labels(0), 2000, 2);
  b.append(0, labels(0), 3000, 3);
  await b.commit();
  assert.equal(await a.commitReportingDrops(), undefined, 'nothing refused');
  assert.equal(a.oooCommitted, 1);
  const want = [[1000, hex(1)], [2000, hex(2)], [3000, hex(3)]];
  assert.deepEqual((await dumpHead(head)).get(labels(0).toString()), want);
  const reopened = await Head.open(opts, { registry: new Registry() });
  assert.deepEqual((await dumpHead(reopened)).get(labels(0).toString()), want);
  await reopened.close();
  await head.close();
});

test('a head emptied by truncation keeps the window behind its newest sample', async () => {
  const head = await Head.open({ outOfOrderTimeWindow: WINDOW }, { registry: new Registry() });
  const app = head.appender();
  app.append(0, labels(0), 10 * H, 1);
  await app.commit();
  await head.truncate(10 * H + 1);
  assert.equal(head.numSeries(), 0);
  const late = head.appender();
  assert.equal(refusal(() => late.append(0, labels(0), 10 * H - WINDOW - 1, 1)), AppendErrorCode.TooOldSample);
  assert.equal(refusal(() => late.append(0, labels(0), 10 * H - 1000, 2)), 'accepted');
  await late.commit();
  assert.deepEqual((await dumpHead(head)).get(labels(0).toString()), [[10 * H - 1000, hex(2)]]);
});

test('a torn WBL tail is cut off: the commits before it come back, the head opens', async (t) => {
  const dir = await tempDir(t);
  const opts = { walDir: join(dir, 'wal'), wblDir: join(dir, 'wbl'), outOfOrderTimeWindow: WINDOW, wal: { fsync: 'none' as const } };
  const head = await Head.open(opts, { registry: new Registry() });
  const app = head.appender();
  app.append(0, labels(0), 10 * H, 0);
  await app.commit();
  for (let k = 1; k <= 3; k++) {
    app.append(0, labels(0), 10 * H - k * 1000, k);
    await app.commit();
  }
  await head.close();
  // Cut the last record in half, as a crash in the middle of a write leaves it.
  const [segment] = await readdir(join(dir, 'wbl'));
  const path = join(dir, 'wbl', segment);
  const { size } = await stat(path);
  await truncate(path, size - 10);
  const registry = new Registry();
  const reopened = await Head.open(opts, { registry });
  assert.deepEqual((await dumpHead(reopened)).get(labels(0).toString()), [[10 * H - 2000, hex(2)], [10 * H - 1000, hex(1)], [10 * H, hex(0)]]);
  assert.match(await registry.metrics(), /myelin_tsdb_wal_corruptions_total 1/);
  await reopened.close();
});
