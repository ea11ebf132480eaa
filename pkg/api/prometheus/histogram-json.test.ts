import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { FloatHistogram, Span } from '../../model/histogram/index.js';
import { CounterResetHint, CustomBucketsSchema } from '../../model/histogram/index.js';
import { histogramJson } from './encode.js';
import { HistogramJsonError, floatHistogramFromJson } from './histogram-json.js';
import type { HistogramJson } from './histogram-json.js';

/** Spans and counts of one side: runs of buckets at increasing indexes, from `first`. */
const side = (first: number) => fc.array(fc.record({ gap: fc.nat(5), counts: fc.array(fc.oneof(fc.nat(1000), fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 5 }) }), { maxLength: 3 })
  .map((runs) => {
    const spans: Span[] = [];
    const counts: number[] = [];
    runs.forEach((r, i) => {
      spans.push({ offset: i === 0 ? first + r.gap : r.gap, length: r.counts.length });
      counts.push(...r.counts);
    });
    return { spans, counts };
  });

const standard: fc.Arbitrary<FloatHistogram> = fc.record({
  schema: fc.integer({ min: -4, max: 8 }),
  zeroThreshold: fc.constantFrom(2 ** -128, 0.001, 0.5),
  zeroCount: fc.oneof(fc.constant(0), fc.nat(50)),
  pos: side(-20),
  neg: side(-20),
  sum: fc.double({ noNaN: true }),
}).map((r) => ({
  counterResetHint: CounterResetHint.Unknown, schema: r.schema, zeroThreshold: r.zeroThreshold, zeroCount: r.zeroCount,
  count: r.zeroCount + [...r.pos.counts, ...r.neg.counts].reduce((a, b) => a + b, 0), sum: r.sum,
  positiveSpans: r.pos.spans, positiveBuckets: r.pos.counts, negativeSpans: r.neg.spans, negativeBuckets: r.neg.counts, customValues: [],
}));

const custom: fc.Arbitrary<FloatHistogram> = fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 8 })
  .chain((bounds) => side(0).map((pos) => ({ bounds: bounds.sort((a, b) => a - b), pos })))
  .filter(({ bounds, pos }) => pos.spans.reduce((end, s) => end + s.offset + s.length, 0) <= bounds.length + 1)
  .map(({ bounds, pos }) => ({
    counterResetHint: CounterResetHint.Unknown, schema: CustomBucketsSchema, zeroThreshold: 0, zeroCount: 0,
    count: pos.counts.reduce((a, b) => a + b, 0), sum: 1.5, positiveSpans: pos.spans, positiveBuckets: pos.counts, negativeSpans: [], negativeBuckets: [], customValues: bounds,
  }));

test('a histogram read back from its JSON writes the same JSON (standard schemas, both sides, zero bucket)', () => {
  fc.assert(fc.property(standard, (h) => {
    const text = histogramJson(h);
    assert.equal(histogramJson(floatHistogramFromJson(JSON.parse(text) as HistogramJson)), text);
  }), { numRuns: 500 });
});

test('custom bucket bounds are read back from the bounds of the populated buckets', () => {
  fc.assert(fc.property(custom, (h) => {
    const text = histogramJson(h);
    const back = floatHistogramFromJson(JSON.parse(text) as HistogramJson);
    assert.equal(histogramJson(back), text);
    if (back.positiveBuckets.length > 0) assert.equal(back.schema, CustomBucketsSchema);
  }), { numRuns: 500 });
  // A bucket from 0 (found by the property above): no standard bucket starts at 0.
  const fromZero: FloatHistogram = {
    counterResetHint: CounterResetHint.Unknown, schema: CustomBucketsSchema, zeroThreshold: 0, zeroCount: 0, count: 1, sum: 1,
    positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [1], negativeSpans: [], negativeBuckets: [], customValues: [0, 3e-323],
  };
  assert.deepEqual(floatHistogramFromJson(JSON.parse(histogramJson(fromZero)) as HistogramJson), fromZero);
});

test('the layout comes back: schema, indexes, zero bucket', () => {
  const h: FloatHistogram = {
    counterResetHint: CounterResetHint.Unknown, schema: 3, zeroThreshold: 0.001, zeroCount: 2, count: 12, sum: 40,
    positiveSpans: [{ offset: 5, length: 2 }, { offset: 3, length: 1 }], positiveBuckets: [1, 2, 3],
    negativeSpans: [{ offset: -2, length: 1 }], negativeBuckets: [4], customValues: [],
  };
  assert.deepEqual(floatHistogramFromJson(JSON.parse(histogramJson(h)) as HistogramJson), h);
});

test('a histogram without populated buckets takes the finest schema and a zero threshold of 0', () => {
  const h = floatHistogramFromJson({ count: '0', sum: '0' });
  assert.equal(h.schema, 8);
  assert.equal(h.zeroThreshold, 0);
  assert.deepEqual([h.positiveSpans, h.negativeSpans], [[], []]);
});

test('buckets the API could not have written are refused', () => {
  assert.throws(() => floatHistogramFromJson({ count: 'x', sum: '0' }), HistogramJsonError);
  assert.throws(() => floatHistogramFromJson({ count: '2', sum: '0', buckets: [[0, '1', '2', '1'], [0, '1', '2', '1']] }), /out of order/);
});
