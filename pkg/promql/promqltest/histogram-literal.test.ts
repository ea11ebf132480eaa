import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CounterResetHint } from '../../model/histogram/index.js';
import { expandHistogramToken, parseHistogram } from './histogram-literal.js';
import { expandPoints } from './script.js';

test('a histogram literal: absolute bucket counts, one span per side, every key', () => {
  const h = parseHistogram('schema:1 sum:-4 count:7 z_bucket:1 z_bucket_w:0.001 buckets:[1 2] offset:-1 n_buckets:[3] n_offset:2 counter_reset_hint:gauge');
  assert.equal(h.schema, 1);
  assert.equal(h.sum, -4);
  assert.equal(h.count, 7);
  assert.equal(h.zeroCount, 1);
  assert.equal(h.zeroThreshold, 0.001);
  assert.deepEqual(h.positiveSpans, [{ offset: -1, length: 2 }]);
  assert.deepEqual(h.positiveBuckets, [1, 2]);
  assert.deepEqual(h.negativeSpans, [{ offset: 2, length: 1 }]);
  assert.equal(h.counterResetHint, CounterResetHint.Gauge);
  assert.deepEqual(parseHistogram('schema:-53 custom_values:[1 5] buckets:[1 0 2]').customValues, [1, 5]);
});

test('histogram series: xN repeats, +/- steps add and subtract', () => {
  assert.equal(expandHistogramToken('{{count:1}}x2').length, 3);
  const inc = expandHistogramToken('{{sum:1 count:1 buckets:[1]}}+{{sum:2 count:2 buckets:[2]}}x2');
  assert.deepEqual(
    inc.map((h) => [h.count, h.sum, h.positiveBuckets[0]]),
    [
      [1, 1, 1],
      [3, 3, 3],
      [5, 5, 5],
    ],
  );
  const { points, histograms } = expandPoints('1 _ {{count:2 buckets:[1 1]}} stale');
  assert.equal(histograms, true);
  assert.equal(points.length, 4);
  assert.equal(typeof points[2], 'object');
});

test('bad histogram literals name what is wrong', () => {
  assert.throws(() => parseHistogram('schema:0 foo:1'), /unknown histogram key "foo"/);
  assert.throws(() => parseHistogram('count:x'), /histogram count: bad number "x"/);
  assert.throws(() => parseHistogram('count:1 count:2'), /duplicate key "count" in histogram/);
  assert.throws(() => parseHistogram('counter_reset_hint:maybe'), /counter_reset_hint: unknown value "maybe"/);
  assert.throws(() => expandHistogramToken('{{count:1}}+{{count:1}}'), /needs a repeat count/);
  assert.throws(() => expandHistogramToken('{{schema:1}}+{{schema:0}}x1'), /cannot merge from schema 0 to 1/);
});
