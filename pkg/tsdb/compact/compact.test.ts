import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { Labels } from '../../model/labels/index.js';
import { Block, BlockChunkSeries, chunkSeriesFromSamples, listChunkSeriesSet, readMeta, writeBlock, type BlockMeta } from '../block/index.js';
import { dumpPlain, dumpQueryable, toChunkSeries, withTempDir, type PlainSeries } from '../block/block-test-util.js';
import { compactBlocks, compactDir } from './compactor.js';

const HOUR = 3600_000;

/** Replicas write the same value for a series at a timestamp: derive it from both. */
const valueAt = (name: string, t: number): number => t * 7 + name.length;

async function dumpBlock(dir: string, id: string): Promise<Map<string, [number, number][]>> {
  const b = await Block.open(join(dir, id));
  try {
    return await dumpQueryable(b, -Infinity, Infinity);
  } finally {
    await b.close();
  }
}

async function openAll(dir: string, metas: BlockMeta[]): Promise<Block[]> {
  return Promise.all(metas.map((m) => Block.open(join(dir, m.ulid))));
}

const blockSeries = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
    ts: fc.uniqueArray(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 150 }),
  }),
  { selector: (s) => s.name, minLength: 1, maxLength: 4 },
);

test('merging random overlapping blocks equals the brute-force union', async () => {
  await withTempDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(fc.array(blockSeries, { minLength: 2, maxLength: 4 }), async (blocks) => {
        const metas: BlockMeta[] = [];
        const union = new Map<string, Set<number>>();
        for (const b of blocks) {
          const series: PlainSeries[] = b.map((s) => ({
            labels: { __name__: s.name },
            samples: [...s.ts].sort((x, y) => x - y).map((t): [number, number] => [t, valueAt(s.name, t)]),
          }));
          for (const s of b) for (const t of s.ts) (union.get(s.name) ?? union.set(s.name, new Set()).get(s.name))!.add(t);
          metas.push((await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series, 40)))) as BlockMeta);
        }
        const opened = await openAll(dir, metas);
        let out: BlockMeta | undefined;
        try {
          out = await compactBlocks(dir, opened);
        } finally {
          await Promise.all(opened.map((b) => b.close()));
        }
        assert.ok(out !== undefined);
        const want = dumpPlain(
          [...union].map(([name, ts]) => ({
            labels: { __name__: name },
            samples: [...ts].sort((x, y) => x - y).map((t): [number, number] => [t, valueAt(name, t)]),
          })),
        );
        assert.deepEqual(await dumpBlock(dir, out.ulid), want);
        let total = 0;
        for (const v of want.values()) total += v.length;
        assert.equal(out.stats.numSamples, total);
        assert.equal(out.compaction.level, 2);
        assert.deepEqual(out.compaction.sources, metas.map((m) => m.ulid).sort());
      }),
      { numRuns: 15 },
    );
  });
});

test('three identical replicas merge into one copy, chunk for chunk', async () => {
  await withTempDir(async (dir) => {
    const series: PlainSeries[] = [];
    for (let i = 0; i < 20; i++) {
      const samples: [number, number][] = [];
      for (let t = 0; t < 2 * HOUR; t += 15_000) samples.push([t, valueAt(`s${i}`, t)]);
      series.push({ labels: { __name__: 'up', pod: `p${i}` }, samples });
    }
    const thanos = { labels: { __org_id__: 'tenant-1' }, downsample: { resolution: 0 }, source: 'ingester' };
    const replicas: BlockMeta[] = [];
    for (let r = 0; r < 3; r++) replicas.push((await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)), { thanos })) as BlockMeta);
    const opened = await openAll(dir, replicas);
    const out = (await compactBlocks(dir, opened)) as BlockMeta;
    await Promise.all(opened.map((b) => b.close()));
    assert.deepEqual(await dumpBlock(dir, out.ulid), dumpPlain(series));
    assert.deepEqual(out.stats, replicas[0].stats, 'same samples, series and chunks as one replica');
    assert.equal(out.minTime, 0);
    assert.equal(out.maxTime, 2 * HOUR - 15_000 + 1);
    assert.deepEqual(out.thanos, { labels: { __org_id__: 'tenant-1' }, downsample: { resolution: 0 }, source: 'compactor' });
    assert.deepEqual(
      out.compaction.parents?.map((p) => p.ulid).sort(),
      replicas.map((m) => m.ulid).sort(),
    );
    // The thanos section is written as Thanos does and read back unchanged.
    const raw = JSON.parse(await readFile(join(dir, out.ulid, 'meta.json'), 'utf8'));
    assert.equal(raw.thanos.labels.__org_id__, 'tenant-1');
    assert.deepEqual(await readMeta(join(dir, out.ulid)), out);
  });
});

test('three identical replicas of random series sets merge into one copy (property)', async () => {
  await withTempDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(blockSeries, async (set) => {
        const series: PlainSeries[] = set.map((s) => ({
          labels: { __name__: s.name, replica_free: 'yes' },
          samples: [...s.ts].sort((x, y) => x - y).map((t): [number, number] => [t, valueAt(s.name, t)]),
        }));
        const replicas: BlockMeta[] = [];
        for (let r = 0; r < 3; r++) replicas.push((await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series, 30)))) as BlockMeta);
        const opened = await openAll(dir, replicas);
        let out: BlockMeta;
        try {
          out = (await compactBlocks(dir, opened)) as BlockMeta;
        } finally {
          await Promise.all(opened.map((b) => b.close()));
        }
        assert.deepEqual(out.stats, replicas[0].stats);
        assert.deepEqual(await dumpBlock(dir, out.ulid), dumpPlain(series));
      }),
      { numRuns: 10 },
    );
  });
});

test('blocks of different tenants are never merged', async () => {
  await withTempDir(async (dir) => {
    const series: PlainSeries[] = [{ labels: { __name__: 'x' }, samples: [[1, 1]] }];
    const metas: BlockMeta[] = [];
    for (const tenant of ['a', 'b']) {
      const thanos = { labels: { __org_id__: tenant }, downsample: { resolution: 0 }, source: 'ingester' };
      metas.push((await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)), { thanos })) as BlockMeta);
    }
    const opened = await openAll(dir, metas);
    await assert.rejects(compactBlocks(dir, opened), /different streams/);
    await Promise.all(opened.map((b) => b.close()));
  });
});

test('compactDir levels 2h blocks into 12h and replaces the parents', async () => {
  await withTempDir(async (dir) => {
    // Leftovers of an interrupted write and deletion are removed first.
    await mkdir(join(dir, '01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp-for-creation', 'chunks'), { recursive: true });
    await mkdir(join(dir, '01HZZZZZZZZZZZZZZZZZZZZZZY.tmp-for-deletion'));
    const all: PlainSeries[] = [{ labels: { __name__: 'm', k: 'v' }, samples: [] }];
    // Seven 2h blocks: six fill [0, 12h), the seventh is the newest and stays alone.
    for (let b = 0; b < 7; b++) {
      const samples: [number, number][] = [];
      for (let t = b * 2 * HOUR; t < (b + 1) * 2 * HOUR; t += 60_000) samples.push([t, t]);
      all[0].samples.push(...samples);
      await writeBlock(dir, listChunkSeriesSet(toChunkSeries([{ labels: all[0].labels, samples }])), {
        minTime: b * 2 * HOUR,
        maxTime: (b + 1) * 2 * HOUR,
      });
    }
    const created = await compactDir(dir);
    assert.equal(created.length, 1);
    assert.equal(created[0].minTime, 0);
    assert.equal(created[0].maxTime, 12 * HOUR);
    assert.equal(created[0].compaction.level, 2);
    assert.equal(created[0].compaction.sources.length, 6);
    const left = (await readdir(dir)).sort();
    assert.equal(left.length, 2, `left: ${left.join(', ')}`);
    const merged = new Map<string, [number, number][]>();
    for (const id of left) for (const [k, v] of await dumpBlock(dir, id)) merged.set(k, [...(merged.get(k) ?? []), ...v]);
    for (const v of merged.values()) v.sort((x, y) => x[0] - y[0]);
    assert.deepEqual(merged, dumpPlain(all));
  });
});

test('compacting a single block merges chunks that overlap within a series', async () => {
  await withTempDir(async (dir) => {
    const ls = Labels.fromRecord({ __name__: 'x' });
    const a = chunkSeriesFromSamples(ls, [0, 10, 20], [0, 1, 2]) as BlockChunkSeries;
    const b = chunkSeriesFromSamples(ls, [10, 15], [1, 5]) as BlockChunkSeries;
    const both = new BlockChunkSeries(ls, [0, 10], [20, 15], [1, 1], [a.bytes[0], b.bytes[0]]);
    const meta = (await writeBlock(dir, listChunkSeriesSet([both]))) as BlockMeta;
    const [opened] = await openAll(dir, [meta]);
    const out = (await compactBlocks(dir, [opened])) as BlockMeta;
    await opened.close();
    assert.equal(out.stats.numChunks, 1);
    assert.equal(out.stats.numSamples, 4);
    assert.deepEqual([...(await dumpBlock(dir, out.ulid)).values()], [[[0, 0], [10, 1], [15, 5], [20, 2]]]);
  });
});
