import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listChunkSeriesSet, writeBlock, type BlockMeta } from '../tsdb/block/index.js';
import { toChunkSeries, withTempDir } from '../tsdb/block/block-test-util.js';
import { verifyCompactedBlock } from './verify-block.js';

test('a compacted block is accepted only if it adds up to its meta and bounds its sources', async () => {
  await withTempDir(async (dir) => {
    const series = [{ labels: { __name__: 'x', i: '1' }, samples: [[0, 1], [10, 2], [20, 3]] as [number, number][] }, { labels: { __name__: 'x', i: '2' }, samples: [[5, 1]] as [number, number][] }];
    const meta = (await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)))) as BlockMeta;
    const source = (over: Partial<BlockMeta['stats']>, minTime = 0, maxTime = 21): BlockMeta => ({ ...meta, minTime, maxTime, stats: { ...meta.stats, ...over } });
    await verifyCompactedBlock(dir, meta, [source({ numSamples: 4 }), source({ numSamples: 3 })]);
    await assert.rejects(verifyCompactedBlock(dir, { ...meta, stats: { ...meta.stats, numSamples: 5 } }, [source({})]), /meta\.json says 2, 2, 5/);
    await assert.rejects(verifyCompactedBlock(dir, meta, [source({ numSamples: 6 })]), /4 samples, fewer than the 6 of one source/);
    await verifyCompactedBlock(dir, meta, [source({ numSamples: 6, numTombstones: 1 })]);
    await assert.rejects(verifyCompactedBlock(dir, meta, [source({}, 0, 30)]), /is not the sources'/);
  });
});
