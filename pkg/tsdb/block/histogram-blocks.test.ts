import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FloatHistogram, Histogram } from '../../model/histogram/index.js';
import { CounterResetHint, toFloatHistogram } from '../../model/histogram/index.js';
import { Labels, Matcher, MatchType } from '../../model/labels/index.js';
import { ValueType, type ChunkSeries, type Queryable, type SampleIterator } from '../../storage/index.js';
import { Encoding } from '../chunkenc/index.js';
import { Block } from './block.js';
import { ChunksSeries } from '../chunks-series.js';
import type { BlockChunkSeries } from './block-chunk-series-set.js';
import { withTempDir } from './block-test-util.js';
import { writeBlock } from './block-writer.js';
import { ChunkBuilder, listChunkSeriesSet } from './chunk-builder.js';
import { mergeOverlappingChunks } from './chunk-merge.js';
import { writeTombstones } from './tombstones.js';

/** A 4-bucket counter histogram at step i; a new bucket from step 50, a counter reset at step 200. */
function counterAt(i: number): Histogram {
  const k = i < 200 ? i : i - 200;
  const buckets = i < 50 ? [1 + k, 2, k, 1] : [1 + k, 2, k, 1, i < 200 ? i - 49 : k + 1];
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 2,
    zeroThreshold: 2 ** -128,
    zeroCount: k,
    count: k + buckets.reduce((a, b) => a + b, 0),
    sum: k * 1.25,
    positiveSpans: [{ offset: 3, length: buckets.length }],
    negativeSpans: [],
    positiveBuckets: buckets.map((c, j) => (j === 0 ? c : c - buckets[j - 1])),
    negativeBuckets: [],
    customValues: [],
  };
}

type Sample = [number, ValueType, number | Histogram | FloatHistogram];

/** Floats, then integer histograms, then float histograms: a series that changes type. */
function mixedSamples(n: number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1000 + i * 15_000;
    if (i < 20) out.push([t, ValueType.Float, i * 0.5]);
    else if (i < n - 30) out.push([t, ValueType.Histogram, counterAt(i)]);
    else out.push([t, ValueType.FloatHistogram, toFloatHistogram(counterAt(i))]);
  }
  return out;
}

function build(labels: Record<string, string>, samples: Sample[]): BlockChunkSeries {
  const b = new ChunkBuilder();
  for (const [t, vt, v] of samples) {
    if (vt === ValueType.Float) b.append(t, v as number);
    else if (vt === ValueType.Histogram) b.appendHistogram(t, v as Histogram);
    else b.appendFloatHistogram(t, v as FloatHistogram);
  }
  return b.finish(Labels.fromRecord(labels));
}

/**
 * Samples as comparable values: floats as numbers, histograms as their float form with buckets by
 * index (recoding may add empty buckets to a layout) and without the hint.
 */
function plain(vt: ValueType, v: number | Histogram | FloatHistogram): unknown {
  if (vt === ValueType.Float) return v;
  const f = vt === ValueType.Histogram ? toFloatHistogram(v as Histogram) : (v as FloatHistogram);
  const byIndex = (spans: readonly { offset: number; length: number }[], counts: readonly number[]): [number, number][] => {
    const out: [number, number][] = [];
    let idx = 0;
    let k = 0;
    for (const sp of spans) {
      idx += sp.offset;
      for (let j = 0; j < sp.length; j++, idx++, k++) if (counts[k] !== 0) out.push([idx, counts[k]]);
    }
    return out;
  };
  const { counterResetHint: _hint, positiveSpans, negativeSpans, positiveBuckets, negativeBuckets, ...rest } = f;
  return { ...rest, positive: byIndex(positiveSpans, positiveBuckets), negative: byIndex(negativeSpans, negativeBuckets) };
}

function valueOf(it: SampleIterator, vt: ValueType): unknown {
  return plain(vt, vt === ValueType.Float ? it.atV() : vt === ValueType.Histogram ? it.atHistogram() : it.atFloatHistogram());
}

function seriesSamples(s: BlockChunkSeries): [number, unknown][] {
  const out: [number, unknown][] = [];
  const it = new ChunksSeries(s.labels, s, -Infinity, Infinity).iterator();
  for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) out.push([it.atT(), valueOf(it, vt)]);
  assert.equal(it.err(), undefined);
  return out;
}

async function readAll(q: Queryable, name: string): Promise<[number, unknown][]> {
  const querier = await q.querier(-Infinity, Infinity);
  const set = querier.select(
    { start: -Infinity, end: Infinity, step: 0, func: '', range: 0, sortSeries: true },
    new Matcher(MatchType.Equal, '__name__', name),
  );
  const out: [number, unknown][] = [];
  while (await set.next()) {
    const it = set.at().iterator();
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) out.push([it.atT(), valueOf(it, vt)]);
    assert.equal(it.err(), undefined);
  }
  assert.equal(set.err(), undefined);
  await querier.close();
  return out;
}

test('a block with histogram chunks reads back every sample, whatever its type', async () => {
  await withTempDir(async (dir) => {
    const samples = mixedSamples(300);
    const s = build({ __name__: 'mixed' }, samples);
    // XOR, then histogram chunks cut at 120 samples, at the counter reset and before the float ones.
    assert.deepEqual(s.encodings, [Encoding.XOR, Encoding.Histogram, Encoding.Histogram, Encoding.Histogram, Encoding.FloatHistogram]);
    const meta = await writeBlock(dir, listChunkSeriesSet([s]));
    assert.ok(meta !== undefined);
    assert.equal(meta.stats.numSamples, 300);
    const b = await Block.open(join(dir, meta.ulid));
    try {
      assert.deepEqual(await readAll(b, 'mixed'), samples.map(([t, vt, v]) => [t, plain(vt, v)]));
    } finally {
      await b.close();
    }
  });
});

test('tombstones delete samples from histogram chunks', async () => {
  await withTempDir(async (dir) => {
    const samples = mixedSamples(120).filter(([, vt]) => vt === ValueType.Histogram);
    const meta = await writeBlock(dir, listChunkSeriesSet([build({ __name__: 'h' }, samples)]));
    const bdir = join(dir, (meta as { ulid: string }).ulid);
    let b = await Block.open(bdir);
    const [ref] = await b.index.allPostings();
    await b.close();
    const from = samples[10][0];
    const to = samples[30][0];
    await rm(join(bdir, 'tombstones'));
    await writeTombstones(bdir, new Map([[ref, [from, to]]]));
    b = await Block.open(bdir);
    try {
      const kept = samples.filter(([t]) => t < from || t > to);
      assert.deepEqual(await readAll(b, 'h'), kept.map(([t, vt, v]) => [t, plain(vt, v)]));
    } finally {
      await b.close();
    }
  });
});

test('overlapping histogram chunks of replicas merge into one sequence, re-encoded', () => {
  const samples = mixedSamples(150).filter(([, vt]) => vt === ValueType.Histogram);
  const labels = { __name__: 'h' };
  // Replica a has the even samples, b the odd ones and the last ten again: their chunks overlap.
  const a = build(labels, samples.filter((_, i) => i % 2 === 0));
  const b = build(labels, samples.filter((_, i) => i % 2 === 1 || i >= samples.length - 10));
  const merged = mergeOverlappingChunks([a, b] as ChunkSeries[]);
  for (let i = 1; i < merged.minTs.length; i++) assert.ok(merged.minTs[i] > merged.maxTs[i - 1], 'chunks do not overlap');
  assert.ok(merged.encodings.every((e) => e === Encoding.Histogram));
  assert.deepEqual(seriesSamples(merged), samples.map(([t, vt, v]) => [t, plain(vt, v)]));
});
