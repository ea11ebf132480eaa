import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { FloatHistogram, Histogram } from '../../model/histogram/index.js';
import { Labels } from '../../model/labels/index.js';
import { createCheckpoint } from './checkpoint.js';
import { SegmentReader } from './reader.js';
import { HistogramColumns, RecordDecodeError, RecordDecoder, RecordEncoder, RecordType, histogramRecordType } from './records.js';
import { lastCheckpoint, listSegments } from './segments.js';
import { FsyncPolicy, Wal } from './wal.js';

const plain = { noNullPrototype: true } as const;
const span = fc.record({ offset: fc.integer({ min: -100, max: 100 }), length: fc.nat(50) }, plain);
const histogram = (isFloat: boolean, custom: boolean) =>
  fc.record({
    counterResetHint: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
    schema: custom ? fc.constant(-53) : fc.integer({ min: -4, max: 8 }),
    zeroThreshold: fc.double(),
    zeroCount: isFloat ? fc.double() : fc.maxSafeNat(),
    count: isFloat ? fc.double() : fc.maxSafeNat(),
    sum: fc.double(),
    positiveSpans: fc.array(span, { maxLength: 3 }),
    negativeSpans: fc.array(span, { maxLength: 3 }),
    positiveBuckets: fc.array(isFloat ? fc.double() : fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { maxLength: 8 }),
    negativeBuckets: fc.array(isFloat ? fc.double() : fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { maxLength: 8 }),
    customValues: custom ? fc.array(fc.double(), { maxLength: 5 }) : fc.constant([]),
  }, plain) as fc.Arbitrary<Histogram | FloatHistogram>;

test('histogram samples records of all four types round trip (any field values)', () => {
  const enc = new RecordEncoder();
  const dec = new RecordDecoder();
  const out = new HistogramColumns();
  for (const isFloat of [false, true]) {
    for (const custom of [false, true]) {
      fc.assert(fc.property(fc.array(fc.record({ ref: fc.nat(1e9), t: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), h: histogram(isFloat, custom) }, plain), { minLength: 1, maxLength: 6 }), (samples) => {
        const type = histogramRecordType(samples[0].h, isFloat);
        const rec = enc.histogramSamples(type, samples.map((s) => s.ref), samples.map((s) => s.t), samples.map((s) => s.h), samples.map((_, i) => i));
        assert.equal(rec[0], type);
        dec.histogramSamples(rec, out);
        assert.equal(out.isFloat, isFloat);
        assert.equal(out.length, samples.length);
        for (let i = 0; i < samples.length; i++) {
          assert.equal(out.refs[i], samples[i].ref);
          assert.equal(out.ts[i], samples[i].t);
          assert.deepEqual(out.hs[i], samples[i].h);
        }
      }), { numRuns: 100 });
    }
  }
});

test('an integer histogram record has Prometheus\' byte layout', () => {
  const h: Histogram = {
    counterResetHint: 2, schema: -1, zeroThreshold: 0.5, zeroCount: 3, count: 300, sum: 1,
    positiveSpans: [{ offset: -2, length: 2 }], negativeSpans: [], positiveBuckets: [5, -1], negativeBuckets: [], customValues: [],
  };
  const rec = new RecordEncoder().histogramSamples(RecordType.HistogramSamples, [7, 8], [1000, 1015], [h, h], [0, 1]);
  const f64 = (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return [...b];
  };
  const one = [2, 1 /* schema -1 zig-zag */, ...f64(0.5), 3, 0xac, 0x02 /* 300 */, ...f64(1), 1, 3 /* -2 */, 2, 0, 2, 10, 1 /* 5, -1 */, 0];
  const want = [7, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 0, ...one, 2, 30, ...one];
  assert.deepEqual([...rec], want);
});

test('a truncated or nonsensical histogram record is a decode error', () => {
  const h: Histogram = { counterResetHint: 0, schema: 0, zeroThreshold: 0, zeroCount: 0, count: 1, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], negativeSpans: [], positiveBuckets: [1], negativeBuckets: [], customValues: [] };
  const rec = Buffer.from(new RecordEncoder().histogramSamples(RecordType.HistogramSamples, [1], [1], [h], [0]));
  const dec = new RecordDecoder();
  assert.throws(() => dec.histogramSamples(rec.subarray(0, rec.length - 3), new HistogramColumns()), RecordDecodeError);
  rec[19] = 9; // the counter reset hint
  assert.throws(() => dec.histogramSamples(rec, new HistogramColumns()), /counter reset hint 9/);
});

test('a checkpoint keeps the histogram samples of live series at or after mint', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hist-cp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const wal = await Wal.open(dir, { fsync: FsyncPolicy.Segment });
  const enc = new RecordEncoder();
  const fh: FloatHistogram = { counterResetHint: 0, schema: -53, zeroThreshold: 0, zeroCount: 0, count: 2, sum: 1, positiveSpans: [{ offset: 0, length: 2 }], negativeSpans: [], positiveBuckets: [1, 1], negativeBuckets: [], customValues: [0.5] };
  await wal.log(enc.series([1, 2], [Labels.fromPairs(['__name__', 'a']), Labels.fromPairs(['__name__', 'b'])]));
  await wal.log(enc.histogramSamples(RecordType.CustomBucketsFloatHistogramSamples, [1, 2, 1], [10, 20, 30], [fh, fh, fh], [0, 1, 2]));
  await wal.nextSegment();
  await wal.close();
  const stats = await createCheckpoint(dir, 0, { keepSeries: (ref) => ref === 1, mint: 15 });
  assert.equal(stats.samplesKept, 1);
  assert.equal(stats.samplesDropped, 2);
  const cp = lastCheckpoint(dir);
  assert.ok(cp !== undefined);
  const r = new SegmentReader(listSegments(cp.path));
  const cols = new HistogramColumns();
  const seen: number[] = [];
  for (let rec = r.next(); rec !== undefined; rec = r.next()) {
    if (rec[0] !== RecordType.CustomBucketsFloatHistogramSamples) continue;
    new RecordDecoder().histogramSamples(rec, cols);
    for (let i = 0; i < cols.length; i++) seen.push(cols.refs[i], cols.ts[i]);
    assert.deepEqual(cols.hs[0], fh);
  }
  r.close();
  assert.deepEqual(seen, [1, 30]);
});
