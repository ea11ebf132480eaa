import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Labels, MatchType, Matcher } from '../model/labels/index.js';
import { Block } from './block/index.js';
import { compactHead } from './compact/index.js';
import { Head } from './head.js';
import { dumpHead } from './head-testutil.js';

const open = (dir: string) => Head.open({ walDir: join(dir, 'wal'), wal: { fsync: 'none' }, samplesPerChunk: 4 });
const times = (dump: Map<string, [number, string][]>) => Object.fromEntries([...dump].map(([k, rows]) => [k, rows.map(([t]) => t)]));

test('head tombstones: deleted samples leave every read of the head at once, and stay deleted through WAL replay, a checkpoint and compaction', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-head-tombstones-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let h = await open(dir);
  const app = h.appender();
  // 4 samples per chunk: the deletion spans a completed chunk partly, one wholly, and the open one.
  for (const i of ['1', '2']) for (let ts = 1; ts <= 14; ts++) app.append(0, Labels.fromRecord({ __name__: 'a', i }), ts, ts);
  await app.commit();
  const all = Array.from({ length: 14 }, (_, k) => k + 1);
  const kept = all.filter((ts) => ts < 3 || ts > 13);
  const want = { 'a{i="1"}': kept, 'a{i="2"}': all };

  assert.equal(await h.deleteSeries(3, 13, [new Matcher(MatchType.Equal, 'i', '1')]), 1);
  assert.equal(await h.deleteSeries(100, 200, [new Matcher(MatchType.Equal, 'i', '1')]), 0, 'no sample in range: no tombstone');
  assert.deepEqual(times(await dumpHead(h)), want);
  // The chunk reader (QueryStream, head compaction) leaves them out too.
  const cq = await h.chunkQuerier(0, 100);
  const set = cq.select({ start: 0, end: 100, step: 0, func: '', range: 0, sortSeries: true }, new Matcher(MatchType.Equal, 'i', '1'));
  assert.ok(await set.next());
  let chunks = 0;
  for (const it = set.at().chunks(); it.next();) chunks++;
  assert.equal(chunks, 2, 'the wholly deleted chunks are gone, the others re-encoded');
  // Later samples outside the deleted range show as usual.
  const later = h.appender();
  later.append(0, Labels.fromRecord({ __name__: 'a', i: '1' }), 15, 15);
  await later.commit();
  const withLater = { ...want, 'a{i="1"}': [...kept, 15] };
  assert.deepEqual(times(await dumpHead(h)), withLater);

  await h.close();
  h = await open(dir);
  assert.deepEqual(times(await dumpHead(h)), withLater, 'after WAL replay');

  // A truncation that keeps every sample still checkpoints the WAL: the tombstone goes with it.
  await h.truncate(1);
  await h.close();
  h = await open(dir);
  assert.deepEqual(times(await dumpHead(h)), withLater, 'after a checkpoint');

  const [meta] = await compactHead(h, join(dir, 'blocks'), { all: true });
  const b = await Block.open(join(dir, 'blocks', meta.ulid));
  try {
    assert.deepEqual(times(await dumpHead(b)), withLater, 'the block cut from the head has no deleted sample');
  } finally {
    await b.close();
    await h.close();
  }
});
