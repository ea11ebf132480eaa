import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { FloatHistogram } from './index.js';
import {
  CounterResetHint,
  CustomBucketsSchema,
  HistogramError,
  add,
  allBuckets,
  bucketBound,
  compact,
  detectReset,
  divide,
  emptyFloatHistogram,
  reduceFloatResolution,
  scale,
  sub,
} from './index.js';

function fh(over: Partial<FloatHistogram>): FloatHistogram {
  return { ...emptyFloatHistogram(), ...over };
}

test('bucketBound: standard schemas, the last finite bucket and custom bounds', () => {
  assert.equal(bucketBound(1, 0, []), 2);
  assert.equal(bucketBound(0, 0, []), 1);
  assert.equal(bucketBound(-1, 0, []), 0.5);
  assert.equal(bucketBound(1, -2, []), 16);
  assert.ok(Math.abs(bucketBound(1, 1, []) - Math.SQRT2) < 1e-15);
  assert.equal(bucketBound(1024, 0, []), Number.MAX_VALUE);
  assert.equal(bucketBound(1025, 0, []), Infinity);
  assert.equal(bucketBound(1, CustomBucketsSchema, [1, 5]), 5);
  assert.equal(bucketBound(2, CustomBucketsSchema, [1, 5]), Infinity);
  assert.equal(bucketBound(-1, CustomBucketsSchema, [1, 5]), -Infinity);
});

test('allBuckets: negative buckets first (most negative first), zero bucket, positive ascending', () => {
  const h = fh({
    zeroThreshold: 0.5,
    zeroCount: 1,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: [2, 3],
    negativeSpans: [{ offset: 1, length: 1 }],
    negativeBuckets: [4],
  });
  assert.deepEqual(
    allBuckets(h).map((b) => [b.lower, b.upper, b.count]),
    [
      [-2, -1, 4],
      [-0.5, 0.5, 1],
      [0.5, 1, 2],
      [1, 2, 3],
    ],
  );
});

test('add merges layouts, reduces to the lower schema and compacts', () => {
  const a = fh({ schema: 1, count: 3, sum: 5, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [1, 2] });
  const b = fh({ schema: 0, count: 4, sum: 1, positiveSpans: [{ offset: 0, length: 1 }, { offset: 2, length: 1 }], positiveBuckets: [1, 3] });
  const r = add(a, b);
  assert.equal(r.schema, 0);
  assert.equal(r.count, 7);
  assert.equal(r.sum, 6);
  // Schema 1 buckets 1 and 2 both fall in schema 0 bucket 1.
  assert.deepEqual(r.positiveSpans, [
    { offset: 0, length: 2 },
    { offset: 1, length: 1 },
  ]);
  assert.deepEqual(r.positiveBuckets, [1, 3, 3]);
});

test('sub drops buckets that become empty', () => {
  const a = fh({ count: 4, sum: 4, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1, 3] });
  const r = sub(a, fh({ count: 1, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1] }));
  assert.deepEqual(r.positiveSpans, [{ offset: 1, length: 1 }]);
  assert.deepEqual(r.positiveBuckets, [3]);
  assert.equal(r.count, 3);
});

test('add widens the zero bucket to the wider threshold and folds the buckets inside it', () => {
  const a = fh({ zeroThreshold: 0.001, zeroCount: 1, count: 3, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1, 1] });
  const b = fh({ zeroThreshold: 1, zeroCount: 2, count: 2 });
  const r = add(a, b);
  assert.equal(r.zeroThreshold, 1);
  // Bucket 0 of a is (0.5, 1], inside the new zero bucket.
  assert.equal(r.zeroCount, 4);
  assert.deepEqual(r.positiveSpans, [{ offset: 1, length: 1 }]);
  assert.deepEqual(r.positiveBuckets, [1]);
});

test('exponential and custom buckets, or different custom bounds, do not add', () => {
  const custom = fh({ schema: CustomBucketsSchema, customValues: [1, 2], count: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1] });
  assert.throws(() => add(custom, fh({})), (e: unknown) => e instanceof HistogramError && e.kind === 'schema');
  assert.throws(() => add(custom, { ...custom, customValues: [1, 3] }), (e: unknown) => e instanceof HistogramError && e.kind === 'bounds');
  assert.equal(add(custom, custom).positiveBuckets[0], 2);
});

test('counter reset hints of a sum: gauge wins, a conflict is unknown', () => {
  const g = fh({ counterResetHint: CounterResetHint.Gauge });
  const r = fh({ counterResetHint: CounterResetHint.CounterReset });
  const n = fh({ counterResetHint: CounterResetHint.NotCounterReset });
  assert.equal(add(g, r).counterResetHint, CounterResetHint.Gauge);
  assert.equal(add(r, n).counterResetHint, CounterResetHint.Unknown);
  assert.equal(add(n, n).counterResetHint, CounterResetHint.NotCounterReset);
});

test('scale and divide; division by zero drops the buckets', () => {
  const h = fh({ count: 4, sum: 8, zeroCount: 2, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [2] });
  assert.deepEqual(scale(h, 2).positiveBuckets, [4]);
  assert.equal(divide(h, 2).sum, 4);
  const z = divide(h, 0);
  assert.equal(z.count, Infinity);
  assert.deepEqual(z.positiveBuckets, []);
  assert.deepEqual(h.positiveBuckets, [2], 'inputs are not modified');
});

test('detectReset: decreases, vanished buckets, higher resolution, narrower zero bucket, hints', () => {
  const prev = fh({ count: 3, zeroThreshold: 0.5, zeroCount: 1, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [1, 1] });
  assert.equal(detectReset({ ...prev, count: 4 }, prev), false);
  assert.equal(detectReset({ ...prev, count: 2 }, prev), true);
  assert.equal(detectReset({ ...prev, count: 4, positiveBuckets: [2, 0] }, prev), true);
  assert.equal(detectReset({ ...prev, count: 4, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [3] }, prev), true);
  assert.equal(detectReset({ ...prev, count: 4, schema: 1 }, prev), true);
  assert.equal(detectReset({ ...prev, count: 4, zeroThreshold: 0.25 }, prev), true);
  // Lower resolution: prev's buckets 1 and 2 merge into schema -1 bucket 1.
  assert.equal(detectReset(fh({ schema: -1, count: 3, zeroThreshold: 0.5, zeroCount: 1, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [2] }), prev), false);
  assert.equal(detectReset({ ...prev, counterResetHint: CounterResetHint.CounterReset }, prev), true);
  assert.equal(detectReset({ ...prev, count: 0, counterResetHint: CounterResetHint.NotCounterReset }, prev), false);
});

test('reduceFloatResolution and compact', () => {
  const h = fh({ schema: 2, positiveSpans: [{ offset: -1, length: 4 }], positiveBuckets: [1, 0, 2, 3] });
  const r = reduceFloatResolution(h, 0);
  // Schema 2 buckets -1 and 0 are in schema 0 bucket 0; 1 and 2 in bucket 1.
  assert.deepEqual(r.positiveSpans, [{ offset: 0, length: 2 }]);
  assert.deepEqual(r.positiveBuckets, [1, 5]);
  assert.deepEqual(compact(h).positiveSpans, [{ offset: -1, length: 1 }, { offset: 1, length: 2 }]);
});
