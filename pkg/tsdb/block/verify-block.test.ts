import assert from 'node:assert/strict';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { toChunkSeries, withTempDir } from './block-test-util.js';
import { writeBlock } from './block-writer.js';
import { listChunkSeriesSet } from './chunk-builder.js';
import type { BlockMeta } from './meta.js';
import { InvalidBlockError, verifyBlock } from './verify-block.js';

const series = [
  { labels: { __name__: 'up', job: 'a' }, samples: [[1000, 1], [2000, 2], [3000, 3], [4000, 4]] as [number, number][] },
  { labels: { __name__: 'up', job: 'b' }, samples: [[1500, 1], [2500, 0]] as [number, number][] },
];

async function block(dir: string): Promise<{ path: string; meta: BlockMeta }> {
  const meta = (await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series, 2)))) as BlockMeta;
  return { path: join(dir, meta.ulid), meta };
}

test('verifyBlock counts a good block, with and without decoding chunks', async () => {
  await withTempDir(async (dir) => {
    const { path, meta } = await block(dir);
    assert.deepEqual(await verifyBlock(path, meta, { verifyChunks: true }), { series: 2, chunks: 3, samples: 6 });
    assert.deepEqual(await verifyBlock(path, meta, { verifyChunks: false }), { series: 2, chunks: 3, samples: 6 });
  });
});

test('verifyBlock names what is wrong: range, counts, unreadable index, corrupted chunk', async () => {
  await withTempDir(async (dir) => {
    const { path, meta } = await block(dir);
    const rejects = (m: BlockMeta, re: RegExp, verifyChunks = true) =>
      assert.rejects(verifyBlock(path, m, { verifyChunks }), (err) => err instanceof InvalidBlockError && re.test(err.message));
    await rejects({ ...meta, maxTime: 4000 }, /series up\{job="a"\}: chunk 1 \[3000, 4000\] is outside the block's range \[1000, 4000\)/);
    await rejects({ ...meta, minTime: 1200 }, /chunk 0 \[1000, 2000\] is outside the block's range/);
    await rejects({ ...meta, stats: { ...meta.stats, numSamples: 7 } }, /holds 2 series, 3 chunks, 6 samples; meta.json says 2, 3, 7/);
    await rejects({ ...meta, stats: { ...meta.stats, numChunks: 4 } }, /meta.json says 2, 4, 6/, false);
    // A flipped byte inside the first chunk: its CRC (or its decoding) fails.
    const chunks = join(path, 'chunks', '000001');
    const bytes = await readFile(chunks);
    const fh = await open(chunks, 'r+');
    await fh.write(Buffer.from([bytes[20] ^ 0xff]), 0, 1, 20);
    await fh.close();
    await rejects(meta, /reading series|chunk 0 (has|decodes|does not)/);
    await writeFile(join(path, 'index'), 'not an index');
    await rejects(meta, /cannot open/);
  });
});
