import { join } from 'node:path';
import { Block, chunkSampleCount, type BlockChunkSeries, type BlockMeta } from '../tsdb/block/index.js';

/**
 * Checks a freshly compacted block before it is uploaded: it opens, its series, chunks and samples
 * add up to its meta.json stats, its range is the sources' range, and it holds at least as many
 * samples as any source without tombstones (the union of replicas never has fewer samples than one
 * replica).
 */
export async function verifyCompactedBlock(dir: string, meta: BlockMeta, sources: readonly BlockMeta[]): Promise<void> {
  const bad = (why: string) => new Error(`verify compacted block ${meta.ulid}: ${why}`);
  const block = await Block.open(join(dir, meta.ulid));
  let series = 0;
  let chunks = 0;
  let samples = 0;
  try {
    const set = block.allChunkSeries();
    while (await set.next()) {
      const s = set.at() as BlockChunkSeries;
      series++;
      chunks += s.bytes.length;
      for (const b of s.bytes) samples += chunkSampleCount(b);
    }
    const err = set.err();
    if (err !== undefined) throw bad(`reading it back: ${err.message}`);
  } finally {
    await block.close();
  }
  const st = meta.stats;
  if (series !== st.numSeries || chunks !== st.numChunks || samples !== st.numSamples) {
    throw bad(`read ${series} series, ${chunks} chunks, ${samples} samples; meta.json says ${st.numSeries}, ${st.numChunks}, ${st.numSamples}`);
  }
  const mint = Math.min(...sources.map((m) => m.minTime));
  const maxt = Math.max(...sources.map((m) => m.maxTime));
  if (meta.minTime !== mint || meta.maxTime !== maxt) throw bad(`range [${meta.minTime}, ${meta.maxTime}) is not the sources' [${mint}, ${maxt})`);
  // Sources with tombstones may lose samples legitimately; the others bound the result from below.
  const most = Math.max(0, ...sources.filter((m) => (m.stats.numTombstones ?? 0) === 0).map((m) => m.stats.numSamples));
  if (samples < most) throw bad(`${samples} samples, fewer than the ${most} of one source`);
}
