import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { Labels, Matcher, MatchType } from '../../model/labels/index.js';
import { Block } from './block.js';
import { dumpPlain, dumpQuerier, dumpQueryable, toChunkSeries, withTempDir, type PlainSeries } from './block-test-util.js';
import { writeBlock } from './block-writer.js';
import { BlockChunkSeries } from './block-chunk-series-set.js';
import { chunkSeriesFromSamples, listChunkSeriesSet } from './chunk-builder.js';
import { readMeta } from './meta.js';

const HOUR = 3600_000;

function fixture(): PlainSeries[] {
  const out: PlainSeries[] = [];
  for (const job of ['api', 'db', 'caf\u00e9']) {
    for (let i = 0; i < 4; i++) {
      const samples: [number, number][] = [];
      for (let t = 0; t < 300; t++) samples.push([1000 + t * 15_000 + i, t * (i + 1) + 0.5]);
      out.push({ labels: { __name__: 'http_requests_total', job, instance: `host-${i}` }, samples });
    }
  }
  out.push({ labels: { __name__: 'up', job: 'api' }, samples: [[5000, 1]] });
  return out;
}

test('a written block reads back with the same series, samples and meta', async () => {
  await withTempDir(async (dir) => {
    const series = fixture();
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)));
    assert.ok(meta !== undefined);
    assert.deepEqual(await readdir(dir), [meta.ulid], 'no temporary directory left behind');
    const files = (await readdir(join(dir, meta.ulid))).sort();
    assert.deepEqual(files, ['chunks', 'index', 'meta.json', 'tombstones']);
    assert.equal((await stat(join(dir, meta.ulid, 'tombstones'))).size, 9);
    assert.deepEqual(await readMeta(join(dir, meta.ulid)), meta);
    assert.equal(meta.stats.numSeries, 13);
    assert.equal(meta.stats.numSamples, 12 * 300 + 1);
    assert.equal(meta.stats.numChunks, 12 * 3 + 1);
    assert.equal(meta.minTime, 1000);
    assert.equal(meta.maxTime, 1000 + 299 * 15_000 + 3 + 1);
    assert.deepEqual(meta.compaction, { level: 1, sources: [meta.ulid] });
    assert.match(await readFile(join(dir, meta.ulid, 'meta.json'), 'utf8'), /^\{\n\t"ulid"/);

    const b = await Block.open(join(dir, meta.ulid));
    try {
      assert.deepEqual(await dumpQueryable(b, -Infinity, Infinity), dumpPlain(series));
      // A time range cuts samples and drops series without any.
      assert.deepEqual(await dumpQueryable(b, HOUR, HOUR), dumpPlain(series, HOUR, HOUR));
    } finally {
      await b.close();
    }
  });
});

test('matchers select as Prometheus does', async () => {
  await withTempDir(async (dir) => {
    const series = fixture();
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)));
    const b = await Block.open(join(dir, (meta as { ulid: string }).ulid));
    const q = await b.querier(-Infinity, Infinity);
    const cases: Record<string, { matchers: Matcher[]; want: (l: Record<string, string>) => boolean }> = {
      'equal': { matchers: [new Matcher(MatchType.Equal, 'job', 'db')], want: (l) => l.job === 'db' },
      'equal on two names': {
        matchers: [new Matcher(MatchType.Equal, 'job', 'api'), new Matcher(MatchType.Equal, 'instance', 'host-2')],
        want: (l) => l.job === 'api' && l.instance === 'host-2',
      },
      'not equal': { matchers: [new Matcher(MatchType.NotEqual, 'job', 'api')], want: (l) => l.job !== 'api' },
      'regex': { matchers: [new Matcher(MatchType.Regexp, 'instance', 'host-[12]')], want: (l) => /^host-[12]$/.test(l.instance ?? '') },
      'negated regex': { matchers: [new Matcher(MatchType.NotRegexp, 'job', 'a.*|d.*')], want: (l) => !/^(a.*|d.*)$/.test(l.job) },
      'empty value selects series without the label': {
        matchers: [new Matcher(MatchType.Equal, 'instance', '')],
        want: (l) => l.instance === undefined,
      },
      'regex that matches empty': {
        matchers: [new Matcher(MatchType.Equal, '__name__', 'up'), new Matcher(MatchType.Regexp, 'instance', '|x')],
        want: (l) => l.__name__ === 'up',
      },
      'absent value': { matchers: [new Matcher(MatchType.Equal, 'job', 'nope')], want: () => false },
      'absent name': { matchers: [new Matcher(MatchType.Regexp, 'zone', '.+')], want: () => false },
      'regex over a set of literals': {
        matchers: [new Matcher(MatchType.Regexp, 'job', 'db|api|none')],
        want: (l) => l.job === 'db' || l.job === 'api',
      },
      'not equal to the empty string': { matchers: [new Matcher(MatchType.NotEqual, 'instance', '')], want: (l) => l.instance !== undefined },
      'unicode value': { matchers: [new Matcher(MatchType.Equal, 'job', 'caf\u00e9')], want: (l) => l.job === 'caf\u00e9' },
    };
    try {
      for (const [name, c] of Object.entries(cases)) {
        const got = await dumpQueryable(b, -Infinity, Infinity, ...c.matchers);
        assert.deepEqual(got, dumpPlain(series.filter((s) => c.want(s.labels))), name);
      }
      const none = q.select({ start: 0, end: Infinity, step: 0, func: '', range: 0, sortSeries: true });
      assert.equal(await none.next(), false, 'no matchers select nothing, as in Prometheus');
      assert.deepEqual(await q.labelNames({ limit: 0 }), ['__name__', 'instance', 'job']);
      assert.deepEqual(await q.labelValues('job', { limit: 0 }), ['api', 'caf\u00e9', 'db']);
      assert.deepEqual(await q.labelValues('job', { limit: 0 }, new Matcher(MatchType.Equal, '__name__', 'up')), ['api']);
      assert.deepEqual(await q.labelNames({ limit: 0 }, new Matcher(MatchType.Equal, '__name__', 'up')), ['__name__', 'job']);
      assert.deepEqual(await q.labelValues('instance', { limit: 2 }), ['host-0', 'host-1']);
    } finally {
      await q.close();
      await b.close();
    }
  });
});

test('many label values exercise the sampled postings offset table', async () => {
  await withTempDir(async (dir) => {
    const series: PlainSeries[] = [];
    for (let i = 0; i < 500; i++) series.push({ labels: { __name__: 'm', id: String(i).padStart(4, '0') }, samples: [[i, i]] });
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)));
    const b = await Block.open(join(dir, (meta as { ulid: string }).ulid));
    try {
      for (const i of [0, 1, 31, 32, 33, 63, 64, 255, 480, 498, 499]) {
        const id = String(i).padStart(4, '0');
        const got = await dumpQueryable(b, -Infinity, Infinity, new Matcher(MatchType.Equal, 'id', id));
        assert.deepEqual([...got.values()], [[[i, i]]], `id ${id}`);
      }
      const missing = await dumpQueryable(b, -Infinity, Infinity, new Matcher(MatchType.Equal, 'id', '0031x'));
      assert.equal(missing.size, 0);
      const q = await b.querier(-Infinity, Infinity);
      assert.equal((await q.labelValues('id', { limit: 0 })).length, 500);
      await q.close();
    } finally {
      await b.close();
    }
  });
});

test('an empty series set writes no block', async () => {
  await withTempDir(async (dir) => {
    assert.equal(await writeBlock(dir, listChunkSeriesSet([])), undefined);
    assert.deepEqual(await readdir(dir), []);
  });
});

const labelValue = fc.constantFrom('a', 'b', 'c', '', 'caf\u00e9', '\u{1f600}', '\uffff', 'x y');
const plainSeries = fc.record({
  labels: fc.record({ __name__: fc.constantFrom('m1', 'm2'), a: labelValue, b: labelValue }),
  samples: fc
    .uniqueArray(fc.integer({ min: -1e6, max: 1e7 }), { maxLength: 300 })
    .chain((ts) =>
      fc.tuple(fc.constant(ts.sort((x, y) => x - y)), fc.array(fc.double({ noNaN: true }), { minLength: ts.length, maxLength: ts.length })),
    )
    .map(([ts, vs]) => ts.map((t, i): [number, number] => [t, vs[i]])),
});

test('reader after writer is the identity on random series sets', async () => {
  await withTempDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(plainSeries, { maxLength: 12, selector: (s) => JSON.stringify(Object.entries(s.labels).filter(([, v]) => v !== '').sort()) }), async (series) => {
        const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series, 50)));
        const want = dumpPlain(series);
        if (meta === undefined) return assert.equal(want.size, 0);
        const b = await Block.open(join(dir, meta.ulid));
        try {
          assert.deepEqual(await dumpQueryable(b, -Infinity, Infinity), want);
        } finally {
          await b.close();
        }
      }),
      { numRuns: 15 },
    );
  });
});

test('closing a block refuses new queriers and closes its files after the last open one', async () => {
  await withTempDir(async (dir) => {
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(fixture())));
    const b = await Block.open(join(dir, (meta as { ulid: string }).ulid));
    const q = await b.querier(0, Infinity);
    await b.close();
    await assert.rejects(b.querier(0, 1), /closing/);
    assert.deepEqual(await dumpQuerier(q, 0, Infinity, new Matcher(MatchType.Equal, 'job', 'db')), dumpPlain(fixture().filter((s) => s.labels.job === 'db')), 'the open querier still reads');
    let filesClosed = false;
    const closed = b.closed().then(() => (filesClosed = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(filesClosed, false, 'files closed under an open querier');
    await q.close();
    await closed;
    await assert.rejects(b.index.allPostings(), 'reads after the files closed fail');
  });
});

test('a series with overlapping chunks reads back merged, one sample per timestamp', async () => {
  await withTempDir(async (dir) => {
    const ls = Labels.fromRecord({ __name__: 'x' });
    const a = chunkSeriesFromSamples(ls, [0, 10, 20, 30], [0, 1, 2, 3]);
    const b = chunkSeriesFromSamples(ls, [15, 20, 25], [9, 9, 9]);
    // One series whose two chunks overlap in time.
    const both = new BlockChunkSeries(ls, [0, 15], [30, 25], [1, 1], [
      (a as BlockChunkSeries).bytes[0],
      (b as BlockChunkSeries).bytes[0],
    ]);
    const meta = await writeBlock(dir, listChunkSeriesSet([both]));
    const blk = await Block.open(join(dir, (meta as { ulid: string }).ulid));
    try {
      const got = await dumpQueryable(blk, -Infinity, Infinity);
      assert.deepEqual([...got.values()], [[[0, 0], [10, 1], [15, 9], [20, 2], [25, 9], [30, 3]]]);
    } finally {
      await blk.close();
    }
  });
});

test('a labels-only select (the series hint) returns the series with chunks in the range, without chunks', async () => {
  await withTempDir(async (dir) => {
    const series = fixture();
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)));
    assert.ok(meta !== undefined);
    const b = await Block.open(join(dir, meta.ulid));
    try {
      const q = await b.chunkQuerier(-Infinity, Infinity);
      const read = async (func: string, start: number, end: number) => {
        const ss = q.select({ start, end, step: 0, func, range: 0, sortSeries: true }, new Matcher(MatchType.Regexp, '__name__', '.+'));
        const out: { labels: string; chunks: number }[] = [];
        while (await ss.next()) out.push({ labels: ss.at().labels.toString(), chunks: (ss.at() as BlockChunkSeries).bytes.length });
        assert.equal(ss.err(), undefined);
        return out;
      };
      for (const [start, end] of [[-Infinity, Infinity], [HOUR, HOUR + 60_000], [0, 4000]]) {
        const full = await read('', start, end);
        const labelsOnly = await read('series', start, end);
        assert.ok(full.length > 0 && full.every((s) => s.chunks > 0), JSON.stringify(full));
        assert.deepEqual(labelsOnly, full.map((s) => ({ labels: s.labels, chunks: 0 })), `range ${start}..${end}`);
      }
      await q.close();
    } finally {
      await b.close();
    }
  });
});
