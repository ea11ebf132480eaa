import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Histogram } from '../model/histogram/index.js';
import { CounterResetHint } from '../model/histogram/index.js';
import { Labels } from '../model/labels/index.js';
import { ValueType } from '../storage/index.js';
import { Encoding, HistogramChunk, XorChunk } from '../tsdb/chunkenc/index.js';
import { labelsToWire } from '../wire/index.js';
import { storeSeriesSet } from './blocks-store-series.js';

function hist(count: number): Histogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count,
    sum: count / 2,
    positiveSpans: [{ offset: 1, length: 1 }],
    negativeSpans: [],
    positiveBuckets: [count],
    negativeBuckets: [],
    customValues: [],
  };
}

test('store-gateway chunks are decoded by their encoding: floats, then histograms, and replicas deduped', async () => {
  const floats = new XorChunk();
  for (let t = 0; t < 5; t++) floats.append(t * 1000, t);
  const hists = new HistogramChunk();
  for (let t = 5; t < 10; t++) hists.append(t * 1000, hist(t));
  const chunks = [
    { minTime: 0, maxTime: 4000, encoding: Encoding.XOR, data: Buffer.from(floats.compact()) },
    { minTime: 5000, maxTime: 9000, encoding: Encoding.Histogram, data: Buffer.from(hists.compact()) },
  ];
  const labels = labelsToWire(Labels.fromRecord({ __name__: 'm' }));
  // The same series from two store-gateways (a replica): one sample per timestamp comes out.
  const set = storeSeriesSet([[{ labels, chunks }], [{ labels, chunks: chunks.map((c) => ({ ...c })) }]], 0, 8000);
  assert.ok(await set.next());
  const it = set.at().iterator();
  const got: [number, number | number][] = [];
  for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
    got.push([it.atT(), vt === ValueType.Float ? it.atV() : it.atHistogram().count]);
    assert.equal(vt, it.atT() < 5000 ? ValueType.Float : ValueType.Histogram);
  }
  assert.equal(it.err(), undefined);
  assert.deepEqual(got, [[0, 0], [1000, 1], [2000, 2], [3000, 3], [4000, 4], [5000, 5], [6000, 6], [7000, 7], [8000, 8]]);
  assert.equal(await set.next(), false);
});
