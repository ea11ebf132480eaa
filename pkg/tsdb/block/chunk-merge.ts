import type { Labels } from '../../model/labels/index.js';
import type { ChunkSeries } from '../../storage/index.js';
import { ChainSampleIterator, ValueType } from '../../storage/index.js';
import { EncodedChunkIterator } from '../chunkenc/index.js';
import { BlockChunkSeries } from './block-chunk-series-set.js';
import { ChunkBuilder } from './chunk-builder.js';

interface OwnedChunk {
  minT: number;
  maxT: number;
  encoding: number;
  bytes: Uint8Array;
  /** Position in the input, to keep the first source first among equal minT. */
  order: number;
}

/**
 * Combines the chunks of series that share labels (from several blocks) into one series whose
 * chunks do not overlap. Chunks that overlap no other pass through untouched; byte-identical
 * copies (the same chunk shipped by RF replicas) are kept once; other overlapping runs are decoded,
 * merged with duplicate timestamps dropped (the earlier source wins) and re-encoded (floats as XOR,
 * histograms with the histogram appenders, which cut and recode as Prometheus does).
 */
export function mergeOverlappingChunks(group: ChunkSeries[]): BlockChunkSeries {
  const all: OwnedChunk[] = [];
  for (const s of group) {
    const it = s.chunks();
    while (it.next()) {
      const c = it.at();
      all.push({ minT: c.minT, maxT: c.maxT, encoding: c.encoding, bytes: c.bytes.slice(), order: all.length });
    }
    const err = it.err();
    if (err !== undefined) throw new Error(`read chunks of ${s.labels.toString()}`, { cause: err });
  }
  all.sort((a, b) => a.minT - b.minT || a.order - b.order);

  const minTs: number[] = [];
  const maxTs: number[] = [];
  const encodings: number[] = [];
  const data: Uint8Array[] = [];
  const emit = (minT: number, maxT: number, encoding: number, bytes: Uint8Array): void => {
    minTs.push(minT);
    maxTs.push(maxT);
    encodings.push(encoding);
    data.push(bytes);
  };
  let i = 0;
  while (i < all.length) {
    let j = i + 1;
    let runMax = all[i].maxT;
    while (j < all.length && all[j].minT <= runMax) runMax = Math.max(runMax, all[j++].maxT);
    const run = all.slice(i, j);
    if (run.length === 1 || allIdentical(run)) {
      emit(run[0].minT, run[0].maxT, run[0].encoding, run[0].bytes);
    } else {
      reencode(run, group[0].labels, emit);
    }
    i = j;
  }
  return new BlockChunkSeries(group[0].labels, minTs, maxTs, encodings, data);
}

function allIdentical(run: OwnedChunk[]): boolean {
  const a = run[0];
  for (let k = 1; k < run.length; k++) {
    const b = run[k];
    if (b.minT !== a.minT || b.maxT !== a.maxT || b.encoding !== a.encoding || !sameBytes(a.bytes, b.bytes)) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function reencode(run: OwnedChunk[], labels: Labels, emit: (minT: number, maxT: number, enc: number, bytes: Uint8Array) => void): void {
  // The chain keeps the first iterator's sample on equal timestamps: order by input position.
  const byOrder = [...run].sort((a, b) => a.order - b.order);
  const its = byOrder.map((c) => {
    const it = new EncodedChunkIterator();
    it.reset(c.encoding, c.bytes);
    return it;
  });
  const chain = new ChainSampleIterator(its);
  const b = new ChunkBuilder();
  for (let vt = chain.next(); vt !== ValueType.None; vt = chain.next()) b.appendFrom(chain, vt);
  const err = chain.err();
  if (err !== undefined) throw new Error(`merge overlapping chunks of ${labels.toString()}`, { cause: err });
  const it = b.finish(labels).chunks();
  while (it.next()) {
    const c = it.at();
    emit(c.minT, c.maxT, c.encoding, c.bytes);
  }
}
