import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Labels, Matcher, MatchType } from '../../model/labels/index.js';
import { Head } from '../head.js';
import { dumpHead } from '../head-testutil.js';
import { Block } from '../block/index.js';
import { withTempDir } from '../block/block-test-util.js';
import { compactHead, headCompactable } from './head-compaction.js';

const H = 3600_000;
const STEP = 60_000;
const series = [0, 1, 2].map((i) => Labels.fromRecord({ __name__: 'up', pod: `p${i}` }));

async function appendRange(head: Head, from: number, to: number): Promise<void> {
  for (let t = from; t < to; t += 10 * STEP) {
    const app = head.appender();
    for (let k = t; k < Math.min(t + 10 * STEP, to); k += STEP) for (const [i, ls] of series.entries()) app.append(0, ls, k, k / STEP + i);
    await app.commit();
  }
}

/** Rows as dumpHead prints them: the value's IEEE 754 bits in hex. */
function expected(from: number, to: number): Map<string, [number, string][]> {
  const out = new Map<string, [number, string][]>();
  for (const [i, ls] of series.entries()) {
    const rows: [number, string][] = [];
    for (let t = from; t < to; t += STEP) rows.push([t, Buffer.from(new Float64Array([t / STEP + i]).buffer).reverse().toString('hex')]);
    out.set(ls.toString(), rows);
  }
  return out;
}

test('the head persists its oldest ranges as blocks and truncates memory and WAL, while appends go on', async () => {
  await withTempDir(async (dir) => {
    const walDir = join(dir, 'wal');
    const blocksDir = join(dir, 'blocks');
    await mkdir(blocksDir);
    const head = await Head.open({ walDir });
    await appendRange(head, 0, 6.5 * H);
    assert.ok(headCompactable(head, 2 * H));

    // Appends keep landing while the compaction runs.
    const compaction = compactHead(head, blocksDir, { thanos: { labels: { __org_id__: 't1' }, downsample: { resolution: 0 }, source: 'ingester' } });
    await appendRange(head, 6.5 * H, 7 * H);
    const metas = await compaction;

    assert.deepEqual(metas.map((m) => [m.minTime, m.maxTime]), [[0, 2 * H], [2 * H, 4 * H]]);
    assert.ok(!headCompactable(head, 2 * H));
    assert.equal(head.minTime(), 4 * H);
    for (const [k, m] of metas.entries()) {
      assert.equal(m.compaction.level, 1);
      assert.equal(m.thanos?.labels.__org_id__, 't1');
      const b = await Block.open(join(blocksDir, m.ulid));
      try {
        assert.deepEqual(await dumpHead(b), expected(k * 2 * H, (k + 1) * 2 * H));
      } finally {
        await b.close();
      }
    }
    const end = 7 * H;
    assert.deepEqual(await dumpHead(head), expected(4 * H, end));
    await head.close();

    // The WAL replays only what the head still held (older samples are below the blocks' end).
    const reopened = await Head.open({ walDir, minValidTime: 4 * H });
    try {
      assert.deepEqual(await dumpHead(reopened), expected(4 * H, end));
    } finally {
      await reopened.close();
    }
  });
});

test('a head spanning less than 1.5 ranges is left alone', async () => {
  await withTempDir(async (dir) => {
    const head = await Head.open({});
    await appendRange(head, 0, 3 * H);
    assert.deepEqual(await compactHead(head, dir), []);
    assert.equal(head.minTime(), 0);
    await head.close();
  });
});

test('with `all` the whole head becomes blocks split at range boundaries (a flush)', async () => {
  await withTempDir(async (dir) => {
    const head = await Head.open({ walDir: join(dir, 'wal') });
    await appendRange(head, 1 * H, 3.5 * H);
    assert.ok(!headCompactable(head, 2 * H));
    const metas = await compactHead(head, dir, { all: true });
    const last = 3.5 * H - STEP;
    assert.deepEqual(metas.map((m) => [m.minTime, m.maxTime]), [[1 * H, 2 * H], [2 * H, last + 1]]);
    assert.equal(head.numSeries(), 0);
    // The rest of a scrape still on its way is taken, as without the flush: half a range back.
    const app = head.appender();
    app.append(0, series[0], last - H, 1);
    assert.throws(() => app.append(0, series[1], last - H - 1, 1), /out of bounds/);
    await app.commit();
    assert.deepEqual([...(await dumpHead(head)).values()], [[[last - H, '3ff0000000000000']]]);
    const got = new Map<string, [number, string][]>();
    for (const m of metas) {
      const b = await Block.open(join(dir, m.ulid));
      for (const [k, rows] of await dumpHead(b)) got.set(k, [...(got.get(k) ?? []), ...rows]);
      await b.close();
    }
    assert.deepEqual(got, expected(1 * H, 3.5 * H));
    await head.close();
  });
});

test('head compaction writes histogram chunks (encodings 2 and 3) into the block as the head holds them', async () => {
  await withTempDir(async (dir) => {
    const head = await Head.open({ walDir: join(dir, 'wal') });
    const h = (i: number) => ({
      counterResetHint: 0 as const, schema: 0, zeroThreshold: 0, zeroCount: 0, count: 2 * i, sum: i,
      positiveSpans: [{ offset: 0, length: 2 }], negativeSpans: [], positiveBuckets: [i, 0], negativeBuckets: [], customValues: [],
    });
    const app = head.appender();
    for (let i = 1; i <= 100; i++) {
      app.appendHistogram(0, Labels.fromRecord({ __name__: 'h' }), H + i * STEP, h(i), undefined);
      app.appendHistogram(0, Labels.fromRecord({ __name__: 'fh' }), H + i * STEP, undefined, { ...h(i), positiveBuckets: [i, i] });
    }
    await app.commit();
    const inHead = new Map<string, number[]>();
    // Chunks of one encoding per series (cut at the range boundary too).
    const cq = await head.chunkQuerier(-Infinity, Infinity);
    const encodingsOf = async (q: typeof cq) => {
      const set = q.select({ start: -Infinity, end: Infinity, step: 0, func: '', range: 0, sortSeries: true }, new Matcher(MatchType.Regexp, '__name__', '.+'));
      const out = new Map<string, [number, string][]>();
      while (await set.next()) {
        const it = set.at().chunks();
        const rows: [number, string][] = [];
        while (it.next()) rows.push([it.at().encoding, Buffer.from(it.at().bytes).toString('hex')]);
        out.set(set.at().labels.toString(), rows);
      }
      return out;
    };
    const before = await encodingsOf(cq);
    for (const [k, rows] of before) inHead.set(k, [...new Set(rows.map((r) => r[0]))]);
    assert.deepEqual(Object.fromEntries(inHead), { fh: [3], h: [2] });
    const metas = await compactHead(head, dir, { all: true });
    const inBlocks = new Map<string, [number, string][]>();
    for (const m of metas) {
      const b = await Block.open(join(dir, m.ulid));
      for (const [k, rows] of await encodingsOf(await b.chunkQuerier(-Infinity, Infinity))) inBlocks.set(k, [...(inBlocks.get(k) ?? []), ...rows]);
      await b.close();
    }
    assert.deepEqual(inBlocks, before, 'the same chunks, byte for byte');
    await head.close();
  });
});
