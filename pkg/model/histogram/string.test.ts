import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { emptyFloatHistogram, goG, histogramString } from './index.js';

test('goG prints as Go %g does', () => {
  assert.equal(goG(10), '10');
  assert.equal(goG(0.5), '0.5');
  assert.equal(goG(1e6), '1e+06');
  assert.equal(goG(123456), '123456');
  assert.equal(goG(0.00001), '1e-05');
  assert.equal(goG(-Infinity), '-Inf');
  assert.equal(goG(NaN), 'NaN');
});

test('histogramString lists populated buckets in value order with their bound inclusivity', () => {
  const h = {
    ...emptyFloatHistogram(),
    count: 20,
    sum: 10,
    zeroThreshold: 0.001,
    zeroCount: 2,
    positiveSpans: [{ offset: 0, length: 3 }],
    positiveBuckets: [1, 0, 2],
    negativeSpans: [{ offset: 0, length: 2 }],
    negativeBuckets: [1, 2],
  };
  assert.equal(histogramString(h), '{count:20, sum:10, [-2,-1):2, [-1,-0.5):1, [-0.001,0.001]:2, (0.5,1]:1, (2,4]:2}');
});
