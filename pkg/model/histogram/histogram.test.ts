import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { FloatHistogram, Histogram } from './index.js';
import { CounterResetHint, bucketCount, histogramProblem, reduceResolution, toFloatHistogram } from './index.js';

function hist(over: Partial<Histogram> = {}): Histogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 0,
    zeroThreshold: 0.001,
    zeroCount: 1,
    count: 11,
    sum: 20,
    positiveSpans: [{ offset: 0, length: 4 }],
    positiveBuckets: [1, 1, 1, 1], // counts 1, 2, 3, 4
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [],
    ...over,
  };
}

test('a well-formed integer, float and custom-bucket histogram is valid', () => {
  assert.equal(histogramProblem(hist(), false), undefined);
  assert.equal(histogramProblem(toFloatHistogram(hist()), true), undefined);
  const nhcb = hist({ schema: -53, zeroCount: 0, zeroThreshold: 0, count: 10, customValues: [0.1, 0.5, 1], positiveSpans: [{ offset: 0, length: 4 }] });
  assert.equal(histogramProblem(nhcb, false), undefined);
  // NaN sum (a stale marker): the count only has to cover the buckets.
  assert.equal(histogramProblem(hist({ sum: NaN, count: 12 }), false), undefined);
});

test('malformed histograms are named precisely', () => {
  const cases: [Histogram, boolean, RegExp][] = [
    [hist({ schema: 9 }), false, /schema 9 is out of range/],
    [hist({ schema: -5 }), false, /schema -5 is out of range/],
    [hist({ positiveBuckets: [1, 1, 1] }), false, /positive spans cover 4 buckets but 3 bucket counts/],
    [hist({ positiveBuckets: [1, 1, -3, 1] }), false, /positive bucket 2 has a negative count -1/],
    [hist({ positiveSpans: [{ offset: 0, length: 2 }, { offset: -1, length: 2 }] }), false, /span 1 has a negative offset/],
    [hist({ count: 12 }), false, /count 12 is not the sum of the bucket counts \(11\)/],
    [hist({ zeroCount: -1, count: 9 }), false, /zero bucket count -1/],
    [hist({ customValues: [1] }), false, /schema 0 has custom bounds/],
    [hist({ schema: -53, zeroCount: 0, count: 10, customValues: [1, 1, 2] }), false, /custom bounds are not increasing at index 1/],
    [hist({ schema: -53, zeroCount: 0, count: 10, customValues: [1, Infinity] }), false, /custom bound 1 is Infinity/],
    [hist({ schema: -53, zeroCount: 0, count: 10, customValues: [1, 2] }), false, /bucket index 3 is beyond the 2 custom bounds/],
    [hist({ schema: -53, zeroCount: 0, count: 11, customValues: [1, 2, 3], negativeSpans: [{ offset: 0, length: 1 }], negativeBuckets: [1] }), false, /negative buckets/],
  ];
  for (const [h, isFloat, want] of cases) assert.match(histogramProblem(h, isFloat) ?? 'valid', want, JSON.stringify(h));
  const fh: FloatHistogram = { ...toFloatHistogram(hist()), positiveBuckets: [1, 2, -3, 4] };
  assert.match(histogramProblem(fh, true) ?? 'valid', /positive bucket 2 has a negative count -3/);
  // Float counts may fall short of their buckets by rounding: accepted, as Prometheus does.
  assert.equal(histogramProblem({ ...toFloatHistogram(hist()), count: 10 }, true), undefined);
});

test('reducing the resolution merges pairs of buckets', () => {
  // Schema 0 buckets 0..3 cover (0.5,1], (1,2], (2,4], (4,8]; at schema -1: (0.25,1], (1,4], (4,16].
  const r = reduceResolution(hist(), -1, false);
  assert.equal(r.schema, -1);
  assert.deepEqual(r.positiveSpans, [{ offset: 0, length: 3 }]);
  assert.deepEqual(toFloatHistogram(r).positiveBuckets, [1, 5, 4]);
  const f = reduceResolution(toFloatHistogram(hist()), -1, true);
  assert.deepEqual(f.positiveBuckets, [1, 5, 4]);
  // A gap survives as a span offset: buckets 1 and 9 at schema 1 are 1 and 5 at schema 0.
  const gap = reduceResolution(hist({ schema: 1, count: 3, zeroCount: 0, positiveSpans: [{ offset: 1, length: 1 }, { offset: 7, length: 1 }], positiveBuckets: [1, 1] }), 0, false);
  assert.deepEqual(gap.positiveSpans, [{ offset: 1, length: 1 }, { offset: 3, length: 1 }]);
  assert.equal(histogramProblem(gap, false), undefined);
});

test('reducing the resolution keeps every observation and a valid histogram', () => {
  const side = fc.array(fc.record({ offset: fc.integer({ min: 0, max: 6 }), counts: fc.array(fc.nat(20), { minLength: 1, maxLength: 6 }) }), { maxLength: 4 });
  fc.assert(fc.property(fc.integer({ min: -3, max: 8 }), fc.integer({ min: -20, max: 20 }), side, side, fc.integer({ min: 1, max: 12 }), (schema, start, pos, neg, down) => {
    const build = (parts: typeof pos) => {
      const spans = parts.map((p, i) => ({ offset: i === 0 ? start + p.offset : p.offset, length: p.counts.length }));
      const abs = parts.flatMap((p) => p.counts);
      return { spans, abs, deltas: abs.map((c, i) => c - (i === 0 ? 0 : abs[i - 1])) };
    };
    const p = build(pos);
    const n = build(neg);
    const total = [...p.abs, ...n.abs].reduce((a, b) => a + b, 0);
    const h = hist({ schema, zeroCount: 0, count: total, positiveSpans: p.spans, positiveBuckets: p.deltas, negativeSpans: n.spans, negativeBuckets: n.deltas });
    const target = Math.max(-4, schema - down);
    if (target >= schema) return;
    const r = reduceResolution(h, target, false);
    assert.equal(histogramProblem(r, false), undefined);
    assert.ok(bucketCount(r) <= bucketCount(h));
    const f = toFloatHistogram(r);
    assert.equal([...f.positiveBuckets, ...f.negativeBuckets].reduce((a, b) => a + b, 0), total);
  }));
});
