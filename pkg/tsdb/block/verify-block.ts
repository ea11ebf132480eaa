// Checks a block that came from elsewhere (an upload, a backfill) before anything reads it, in the
// spirit of Prometheus' tsdb VerifyIndex and Mimir's block upload validation: the index opens, series
// come in label order without duplicates, every label set is well formed, every chunk lies within
// its series' order and the block's time range and, with `verifyChunks`, decodes to the samples its
// header promises, in time order inside the chunk's bounds. The cost grows with the block: run it
// off the main thread of a server (the compactor runs it in a worker).
import { compareUtf8 } from '../../model/labels/index.js';
import { ValueType } from '../../storage/index.js';
import { EncodedChunkIterator } from '../chunkenc/index.js';
import { Block } from './block.js';
import type { BlockChunkSeries } from './block-chunk-series-set.js';
import type { BlockMeta } from './meta.js';

export interface VerifiedBlockStats {
  series: number;
  chunks: number;
  samples: number;
}

/** Thrown with the first problem found; the message says what and where. */
export class InvalidBlockError extends Error {
  constructor(block: string, why: string) {
    super(`invalid block ${block}: ${why}`);
    this.name = 'InvalidBlockError';
  }
}

export interface VerifyBlockOptions {
  /** Decode every chunk (the expensive part). */
  verifyChunks: boolean;
  /** Checked between series; when it aborts, verification stops with its reason. */
  signal?: AbortSignal;
}

/** Verifies the block in `dir` against `meta` (its meta.json); resolves with what it counted. */
export async function verifyBlock(dir: string, meta: BlockMeta, opts: VerifyBlockOptions): Promise<VerifiedBlockStats> {
  const bad = (why: string) => new InvalidBlockError(meta.ulid, why);
  let block: Block;
  try {
    block = await Block.open(dir);
  } catch (err) {
    throw bad(`cannot open: ${messageChain(err)}`);
  }
  const stats: VerifiedBlockStats = { series: 0, chunks: 0, samples: 0 };
  const it = new EncodedChunkIterator();
  try {
    const set = block.allChunkSeries();
    let prev: BlockChunkSeries | undefined;
    while (await set.next()) {
      opts.signal?.throwIfAborted();
      const s = set.at() as BlockChunkSeries;
      const where = `series ${s.labels.toString()}`;
      checkLabels(s, where, bad);
      if (prev !== undefined && compareSeries(prev, s) >= 0) throw bad(`${where} is out of order or duplicated after ${prev.labels.toString()}`);
      prev = s;
      for (let i = 0; i < s.bytes.length; i++) {
        const [mint, maxt] = [s.minTs[i], s.maxTs[i]];
        if (mint > maxt) throw bad(`${where}: chunk ${i} has min time ${mint} after max time ${maxt}`);
        if (mint < meta.minTime || maxt >= meta.maxTime) {
          throw bad(`${where}: chunk ${i} [${mint}, ${maxt}] is outside the block's range [${meta.minTime}, ${meta.maxTime})`);
        }
        if (i > 0 && mint <= s.maxTs[i - 1]) throw bad(`${where}: chunk ${i} overlaps the chunk before it`);
        stats.samples += opts.verifyChunks ? decodeChunk(it, s, i, where, bad) : s.counts[i];
      }
      stats.series++;
      stats.chunks += s.bytes.length;
    }
    const err = set.err();
    if (err !== undefined) throw bad(`reading series: ${messageChain(err)}`);
  } finally {
    await block.close();
  }
  const st = meta.stats;
  if (st.numSeries !== stats.series || st.numChunks !== stats.chunks || (opts.verifyChunks && st.numSamples !== stats.samples)) {
    throw bad(`holds ${stats.series} series, ${stats.chunks} chunks, ${stats.samples} samples; meta.json says ${st.numSeries}, ${st.numChunks}, ${st.numSamples}`);
  }
  return stats;
}

/** An error's message with those of its causes: "open block x: read x/meta.json: Unexpected token ...". */
export function messageChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) parts.push(e.message);
  return parts.join(': ');
}

function compareSeries(a: BlockChunkSeries, b: BlockChunkSeries): number {
  const x = a.labels.pairs();
  const y = b.labels.pairs();
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return compareUtf8(x[i], y[i]);
  return x.length - y.length;
}

function checkLabels(s: BlockChunkSeries, where: string, bad: (why: string) => Error): void {
  const p = s.labels.pairs();
  if (p.length === 0) throw bad('a series has no labels');
  for (let i = 0; i < p.length; i += 2) {
    if (p[i] === '') throw bad(`${where}: empty label name`);
    if (p[i + 1] === '') throw bad(`${where}: empty value of label ${p[i]}`);
    if (i > 0 && compareUtf8(p[i - 2], p[i]) >= 0) throw bad(`${where}: label names not sorted or repeated`);
  }
}

/** Decodes chunk `i` of `s`; returns its sample count. */
function decodeChunk(it: EncodedChunkIterator, s: BlockChunkSeries, i: number, where: string, bad: (why: string) => Error): number {
  it.reset(s.encodings[i], s.bytes[i]);
  let n = 0;
  let last = -Infinity;
  while (it.next() !== ValueType.None) {
    const t = it.atT();
    if (t <= last) throw bad(`${where}: chunk ${i} has samples out of order at ${t}`);
    if (t < s.minTs[i] || t > s.maxTs[i]) throw bad(`${where}: chunk ${i} has a sample at ${t} outside its bounds [${s.minTs[i]}, ${s.maxTs[i]}]`);
    last = t;
    n++;
  }
  const err = it.err();
  if (err !== undefined) throw bad(`${where}: chunk ${i} does not decode: ${err.message}`);
  if (n !== s.counts[i]) throw bad(`${where}: chunk ${i} decodes to ${n} samples, its header says ${s.counts[i]}`);
  return n;
}
