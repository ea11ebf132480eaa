import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Labels, Matcher, MatchType } from '../../model/labels/index.js';
import { Block } from './block.js';
import { dumpPlain, dumpQueryable, promLabelsString, toChunkSeries, withTempDir, type PlainSeries } from './block-test-util.js';
import { writeBlock } from './block-writer.js';
import { listChunkSeriesSet } from './chunk-builder.js';
import { mergeIntervals, readTombstones, writeTombstones } from './tombstones.js';

test('tombstones round-trip and merge their intervals', async () => {
  await withTempDir(async (dir) => {
    await writeTombstones(dir, new Map([[4, [10, 20, 15, 30, 40, 50]], [6, [-5, -1]]]));
    assert.deepEqual(await readTombstones(dir), new Map([[4, [10, 30, 40, 50]], [6, [-5, -1]]]));
    await rm(join(dir, 'tombstones'));
    assert.deepEqual(await readTombstones(dir), new Map(), 'a missing file means no deletions');
  });
  assert.deepEqual(mergeIntervals([5, 6, 1, 2, 3, 4]), [1, 6], 'touching intervals merge');
});

test('deleted samples disappear from queries, chunks and the series list', async () => {
  await withTempDir(async (dir) => {
    const samples = (n: number): [number, number][] => Array.from({ length: n }, (_, i): [number, number] => [i * 10, i]);
    const series: PlainSeries[] = [
      { labels: { __name__: 'a' }, samples: samples(300) },
      { labels: { __name__: 'b' }, samples: samples(50) },
      { labels: { __name__: 'c' }, samples: samples(50) },
    ];
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series, 100)));
    const bdir = join(dir, (meta as { ulid: string }).ulid);
    let b = await Block.open(bdir);
    const refs = await b.index.allPostings();
    const byName = new Map((await b.index.series(refs)).map((s) => [s.labels.get('__name__'), s.ref]));
    await b.close();
    // a: the whole middle chunk [1000, 1990] and part of the last; b: everything; c: nothing.
    const stones = new Map([
      [byName.get('a') as number, [900, 2100]],
      [byName.get('b') as number, [-100, 10_000]],
    ]);
    await rm(join(bdir, 'tombstones'));
    await writeTombstones(bdir, stones);

    b = await Block.open(bdir);
    try {
      const want = dumpPlain([
        { labels: { __name__: 'a' }, samples: samples(300).filter(([t]) => t < 900 || t > 2100) },
        series[2],
      ]);
      assert.deepEqual(await dumpQueryable(b, -Infinity, Infinity), want);
      const cq = await b.chunkQuerier(-Infinity, Infinity);
      const set = cq.select(
        { start: -Infinity, end: Infinity, step: 0, func: '', range: 0, sortSeries: true },
        new Matcher(MatchType.Equal, '__name__', 'a'),
      );
      assert.ok(await set.next());
      const spans: [number, number][] = [];
      const it = set.at().chunks();
      while (it.next()) spans.push([it.at().minT, it.at().maxT]);
      assert.deepEqual(spans, [[0, 890], [2110, 2990]], 'covered chunk dropped, partly covered ones cut');
      assert.equal(await set.next(), false);
      await cq.close();
      assert.ok(!(await dumpQueryable(b, -Infinity, Infinity)).has(promLabelsString(Labels.fromRecord({ __name__: 'b' }))));
    } finally {
      await b.close();
    }
  });
});
