import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WriteRequest } from '../generated/prometheus/remote.js';
import { Histogram as WireHistogram } from '../generated/prometheus/types.js';
import type { FloatHistogram, Histogram } from '../model/histogram/index.js';
import { WireError } from './errors.js';
import { decodeHistogram, type HistogramSample } from './histogram-decoder.js';
import { histogramToWire } from './prom-histogram.js';
import { WriteRequestDecoder } from './write-request-decoder.js';

const plain = { noNullPrototype: true } as const;
// proto3 leaves zero doubles out, so -0 comes back as 0.
const double = (c: fc.DoubleConstraints = {}) => fc.double(c).map((x) => x + 0);
const span = fc.record({ offset: fc.integer({ min: -5, max: 5 }), length: fc.nat(4) }, plain);
const model = (counts: fc.Arbitrary<number>) =>
  fc.record({
    counterResetHint: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
    schema: fc.oneof(fc.integer({ min: -4, max: 8 }), fc.constant(-53)),
    zeroThreshold: double({ min: 0, max: 1, noNaN: true }),
    zeroCount: counts,
    count: counts,
    sum: double(),
    positiveSpans: fc.array(span, { maxLength: 3 }),
    negativeSpans: fc.array(span, { maxLength: 3 }),
    positiveBuckets: fc.array(counts, { maxLength: 6 }),
    negativeBuckets: fc.array(counts, { maxLength: 6 }),
    customValues: fc.array(fc.double({ noNaN: true }), { maxLength: 4 }),
  }, plain);
const sample: fc.Arbitrary<HistogramSample> = fc.oneof(
  fc.record({ t: fc.integer({ min: -(2 ** 40), max: 2 ** 42 }), h: model(fc.nat()) as fc.Arbitrary<Histogram>, fh: fc.constant(undefined) }, plain),
  fc.record({ t: fc.nat(), h: fc.constant(undefined), fh: model(double({ min: 0, noNaN: true })) as fc.Arbitrary<FloatHistogram> }, plain),
);

function encodeOne(s: HistogramSample): Buffer {
  return Buffer.from(WireHistogram.encode(histogramToWire(s)).finish());
}

test('decodes every field of integer and float histograms as ts-proto encodes them', () => {
  fc.assert(
    fc.property(sample, (s) => {
      const buf = encodeOne(s);
      // Deltas may be negative; ts-proto writes them as sint64 like Prometheus.
      assert.deepEqual(decodeHistogram(buf, 0, buf.length), s);
    }),
    { numRuns: 500 },
  );
});

test('the request decoder gives each series its histograms, float samples untouched', () => {
  const d = new WriteRequestDecoder({ labelStrings: false });
  fc.assert(
    fc.property(fc.array(fc.record({ hs: fc.array(sample, { maxLength: 3 }), v: fc.array(double(), { maxLength: 2 }) }), { maxLength: 6 }), (series) => {
      const req: WriteRequest = {
        timeseries: series.map((s, i) => ({
          labels: [{ name: '__name__', value: `m${i}` }],
          samples: s.v.map((value, k) => ({ value, timestamp: k })),
          exemplars: [],
          histograms: s.hs.map(histogramToWire),
        })),
        metadata: [],
      };
      d.decode(Buffer.from(WriteRequest.encode(req).finish()));
      assert.equal(d.seriesCount, series.length);
      for (let i = 0; i < series.length; i++) {
        assert.equal(d.histograms[i], series[i].hs.length);
        assert.deepEqual(d.hs.slice(d.histogramsStart[i], d.histogramsStart[i + 1]), series[i].hs);
        assert.deepEqual(Array.from(d.v.subarray(d.samplesStart[i], d.samplesStart[i + 1])), series[i].v);
      }
    }),
    { numRuns: 200 },
  );
});

test('repeated numbers are also read unpacked', () => {
  // count_int=3 (1), schema=1 (zigzag 2), positive span {0, 2}, positive deltas 1 and 1 unpacked
  // (field 12, varint), custom value 0.5 unpacked (field 16, fixed64).
  const cv = Buffer.alloc(8);
  cv.writeDoubleLE(0.5);
  const buf = Buffer.concat([
    Buffer.from([0x08, 3, 0x20, 2, 0x5a, 4, 0x08, 0, 0x10, 2, 0x60, 2, 0x60, 2]),
    Buffer.from([0x81, 0x01]),
    cv,
  ]);
  const s = decodeHistogram(buf, 0, buf.length);
  assert.equal(s.h?.count, 3);
  assert.equal(s.h?.schema, 1);
  assert.deepEqual(s.h?.positiveSpans, [{ offset: 0, length: 2 }]);
  assert.deepEqual(s.h?.positiveBuckets, [1, 1]);
  assert.deepEqual(s.h?.customValues, [0.5]);
});

test('a malformed histogram message is a bad protobuf', () => {
  const cases: [number[], RegExp][] = [
    [[0x08], /Histogram is truncated/],
    [[0x11, 1, 2, 3], /Histogram is truncated/],
    [[0x0a, 0], /field 1 has wrong wire type 2/],
    [[0x62, 3, 2, 2], /Histogram is truncated/],
    [[0x70, 9], /reset hint 9 is not one of 0..3/],
    [[0x5a, 2, 0x0a, 0], /field 1 has wrong wire type 2/],
  ];
  for (const [bytes, want] of cases) {
    const buf = Buffer.from(bytes);
    assert.throws(() => decodeHistogram(buf, 0, buf.length), (err: unknown) => err instanceof WireError && want.test(err.message), `${bytes}`);
  }
});
