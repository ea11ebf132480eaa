// Decodes remote write's Histogram message (proto/prometheus/types.proto) into the shared model.
// A histogram whose count is `count_float` is a FloatHistogram (absolute float counts), else a
// Histogram (integer delta counts), as Prometheus tells them apart.
//
//   Histogram  { uint64 count_int = 1 | double count_float = 2; double sum = 3; sint32 schema = 4;
//                double zero_threshold = 5; uint64 zero_count_int = 6 | double zero_count_float = 7;
//                repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9;
//                repeated double negative_counts = 10; repeated BucketSpan positive_spans = 11;
//                repeated sint64 positive_deltas = 12; repeated double positive_counts = 13;
//                ResetHint reset_hint = 14; int64 timestamp = 15; repeated double custom_values = 16; }
//   BucketSpan { sint32 offset = 1; uint32 length = 2; }
//
// Repeated numbers are read packed (what every encoder writes) or unpacked (which proto3 decoders
// must also accept). Structure (spans against buckets, ranges) is checked by the distributor with
// histogramProblem, so that a bad histogram refuses its series, not the whole request.
import type { CounterResetHint, FloatHistogram, Histogram, Span } from '../model/histogram/index.js';
import { Cursor } from './cursor.js';
import { WireError, WireErrorCode } from './errors.js';

/** One histogram sample: exactly one of `h` and `fh` is set (Prometheus' AppendHistogram shape). */
export interface HistogramSample {
  t: number;
  h: Histogram | undefined;
  fh: FloatHistogram | undefined;
}

const WireVarint = 0;
const WireFixed64 = 1;
const WireBytes = 2;

/** Decodes the Histogram message at buf[from, to). The result is new and owned by the caller. */
export function decodeHistogram(buf: Buffer, from: number, to: number): HistogramSample {
  const r = new Cursor(buf, 'Histogram', from);
  let isFloat = false;
  let count = 0;
  let zeroCount = 0;
  let sum = 0;
  let schema = 0;
  let zeroThreshold = 0;
  let resetHint = 0;
  let t = 0;
  const negativeSpans: Span[] = [];
  const positiveSpans: Span[] = [];
  const negDeltas: number[] = [];
  const posDeltas: number[] = [];
  const negCounts: number[] = [];
  const posCounts: number[] = [];
  const customValues: number[] = [];
  while (r.pos < to) {
    const tag = r.varint(to);
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        expect(wire, WireVarint, field);
        count = r.varint(to);
        isFloat = false;
        break;
      case 2:
        expect(wire, WireFixed64, field);
        count = r.double(to);
        isFloat = true;
        break;
      case 3:
        expect(wire, WireFixed64, field);
        sum = r.double(to);
        break;
      case 4:
        expect(wire, WireVarint, field);
        schema = r.zigzag(to);
        break;
      case 5:
        expect(wire, WireFixed64, field);
        zeroThreshold = r.double(to);
        break;
      case 6:
        expect(wire, WireVarint, field);
        zeroCount = r.varint(to);
        break;
      case 7:
        expect(wire, WireFixed64, field);
        zeroCount = r.double(to);
        break;
      case 8:
      case 11:
        expect(wire, WireBytes, field);
        (field === 8 ? negativeSpans : positiveSpans).push(span(r, r.lengthEnd(to)));
        break;
      case 9:
      case 12:
        repeated(r, wire, to, field, field === 9 ? negDeltas : posDeltas, WireVarint, (end) => r.zigzag(end));
        break;
      case 10:
      case 13:
      case 16:
        repeated(r, wire, to, field, field === 10 ? negCounts : field === 13 ? posCounts : customValues, WireFixed64, (end) => r.double(end));
        break;
      case 14:
        expect(wire, WireVarint, field);
        resetHint = r.varint(to);
        break;
      case 15:
        expect(wire, WireVarint, field);
        t = r.int64(to);
        break;
      default:
        if (field === 0) throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: field number 0');
        r.skip(tag, to);
    }
  }
  if (resetHint > 3) throw new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: histogram reset hint ${resetHint} is not one of 0..3`);
  const base = { counterResetHint: resetHint as CounterResetHint, schema, zeroThreshold, zeroCount, count, sum, positiveSpans, negativeSpans, customValues };
  if (isFloat) return { t, h: undefined, fh: { ...base, positiveBuckets: posCounts, negativeBuckets: negCounts } };
  return { t, h: { ...base, positiveBuckets: posDeltas, negativeBuckets: negDeltas }, fh: undefined };
}

function span(r: Cursor, end: number): Span {
  const s: Span = { offset: 0, length: 0 };
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag === 8) s.offset = r.zigzag(end);
    else if (tag === 16) s.length = r.varint(end);
    else {
      if (tag >>> 3 === 1 || tag >>> 3 === 2) expect(tag & 7, WireVarint, tag >>> 3);
      r.skip(tag, end);
    }
  }
  return s;
}

/** A repeated scalar field, packed (wire type 2) or one element per tag. */
function repeated(r: Cursor, wire: number, to: number, field: number, out: number[], elementWire: number, read: (end: number) => number): void {
  if (wire === WireBytes) {
    const end = r.lengthEnd(to);
    while (r.pos < end) out.push(read(end));
    return;
  }
  expect(wire, elementWire, field);
  out.push(read(to));
}

function expect(wire: number, want: number, field: number): void {
  if (wire !== want) throw new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: histogram field ${field} has wrong wire type ${wire}`);
}
