/**
 * WAL record payloads, in Prometheus' tsdb/record encoding:
 *
 *   series:  0x01 │ ( ref u64BE │ n uvarint │ ( len uvarint │ name │ len uvarint │ value ) × n ) × …
 *   samples: 0x02 │ ref₀ u64BE │ t₀ i64BE │ ( ref−ref₀ varint │ t−t₀ varint │ value bits u64BE ) × …
 *
 * (The first sample's ref and timestamp are the bases and are also encoded as a zero delta entry.)
 *
 * Native histogram samples (types 7 to 10: integer, float, and the custom-bucket variants of
 * both) share the samples record's framing, each entry a histogram instead of value bits:
 *
 *   7/9:  0x07 │ ref₀ u64BE │ t₀ i64BE │ ( ref−ref₀ varint │ t−t₀ varint │ histogram ) × …
 *   histogram: hint byte │ schema varint │ zero threshold f64BE │ zero count uvarint │ count uvarint │
 *              sum f64BE │ spans⁺ │ spans⁻ │ n uvarint │ bucket deltas varint × n (positive, then
 *              negative) │ custom values (types 9/10 only: n uvarint │ f64BE × n)
 *   spans:     n uvarint │ ( offset varint │ length uvarint ) × n
 *   8/10: as 7/9 with zero count, count and buckets as f64BE (absolute counts).
 */
import type { FloatHistogram, Histogram, Span } from '../../model/histogram/index.js';
import { CustomBucketsSchema, emptyFloatHistogram } from '../../model/histogram/index.js';
import { Labels } from '../../model/labels/index.js';
import { f64, u32 } from '../chunkenc/index.js';

/** Prometheus' record type numbers (tsdb/record): the ones Myelin writes. */
export const RecordType = {
  Series: 1,
  Samples: 2,
  /** Prometheus' tombstones: deleted intervals of series (the head's delete, Prometheus' API of that name). */
  Tombstones: 3,
  Exemplars: 4,
  HistogramSamples: 7,
  FloatHistogramSamples: 8,
  CustomBucketsHistogramSamples: 9,
  CustomBucketsFloatHistogramSamples: 10,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** The record type that holds a histogram sample. */
export function histogramRecordType(h: Histogram | FloatHistogram, isFloat: boolean): RecordType {
  const custom = h.schema === CustomBucketsSchema;
  if (isFloat) return custom ? RecordType.CustomBucketsFloatHistogramSamples : RecordType.FloatHistogramSamples;
  return custom ? RecordType.CustomBucketsHistogramSamples : RecordType.HistogramSamples;
}

/** Whether a record type holds histogram samples (and of which kind). */
export function isHistogramRecord(type: number): boolean {
  return type >= RecordType.HistogramSamples && type <= RecordType.CustomBucketsFloatHistogramSamples;
}

function isFloatHistogramRecord(type: number): boolean {
  return type === RecordType.FloatHistogramSamples || type === RecordType.CustomBucketsFloatHistogramSamples;
}

/**
 * Histogram samples decoded from one record; arrays, and the histograms in `hs` with their spans
 * and buckets, are reused across records (decoded into), so a replay makes no object per sample.
 */
export class HistogramColumns {
  refs: number[] = [];
  ts: number[] = [];
  /** Integer histograms for types 7/9, float histograms for 8/10 (see `isFloat`). Overwritten by the next record: see keep(). */
  hs: (Histogram | FloatHistogram)[] = [];
  isFloat = false;
  length = 0;

  /**
   * For a caller that keeps hs[i] beyond this record: hands it over, and `spare` (a histogram the
   * caller no longer references, or null) takes its slot to be decoded into. Objects move between
   * the columns and their keepers instead of being made per sample (replay: series' last samples).
   */
  keep(i: number, spare: Histogram | FloatHistogram | null): void {
    this.hs[i] = spare ?? emptyFloatHistogram();
  }
}

const TwoPow32 = 4294967296;

/** Samples decoded from one record, columnar; grown as needed and reused across records. */
export class SampleColumns {
  refs = new Float64Array(1024);
  ts = new Float64Array(1024);
  /** Value bits, high and low halves (floats pass through as bits: NaN payloads stay exact). */
  vhi = new Uint32Array(1024);
  vlo = new Uint32Array(1024);
  length = 0;

  reserve(n: number): void {
    if (n <= this.refs.length) return;
    const cap = Math.max(n, this.refs.length * 2);
    const grow = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.refs = grow(this.refs, (n) => new Float64Array(n));
    this.ts = grow(this.ts, (n) => new Float64Array(n));
    this.vhi = grow(this.vhi, (n) => new Uint32Array(n));
    this.vlo = grow(this.vlo, (n) => new Uint32Array(n));
  }
}

/** Encodes records into one reused buffer: each result is a view valid until the next call. */
export class RecordEncoder {
  #buf = Buffer.allocUnsafe(64 * 1024);
  #n = 0;

  #ensure(extra: number): void {
    if (this.#n + extra <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#n + extra));
    this.#buf.copy(next, 0, 0, this.#n);
    this.#buf = next;
  }

  #byte(b: number): void {
    this.#buf[this.#n++] = b;
  }

  #u64(x: number): void {
    const hi = Math.floor(x / TwoPow32);
    this.#buf.writeInt32BE(hi, this.#n);
    this.#buf.writeUInt32BE(x - hi * TwoPow32, this.#n + 4);
    this.#n += 8;
  }

  #uvarint(x: number): void {
    while (x >= 0x80) {
      this.#buf[this.#n++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.#buf[this.#n++] = x;
  }

  #varint(x: number): void {
    this.#uvarint(x >= 0 ? x * 2 : -x * 2 - 1);
  }

  #string(s: string): void {
    // Label text is short and mostly ASCII: copied by a loop, it skips two native calls.
    if (s.length < 128) {
      this.#ensure(s.length + 1);
      const buf = this.#buf;
      const at = this.#n;
      let i = 0;
      while (i < s.length) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + 1 + i++] = c;
      }
      if (i === s.length) {
        buf[at] = i;
        this.#n = at + 1 + i;
        return;
      }
    }
    const len = Buffer.byteLength(s);
    this.#ensure(len + 10);
    this.#uvarint(len);
    this.#n += this.#buf.write(s, this.#n, 'utf8');
  }

  /** A series record for the given series. */
  series(refs: readonly number[], labels: readonly Labels[]): Uint8Array {
    this.#n = 0;
    this.#ensure(1);
    this.#byte(RecordType.Series);
    for (let i = 0; i < refs.length; i++) {
      const p = labels[i].pairs();
      this.#ensure(18);
      this.#u64(refs[i]);
      this.#uvarint(p.length >> 1);
      for (let j = 0; j < p.length; j++) this.#string(p[j]);
    }
    return this.#buf.subarray(0, this.#n);
  }

  /** A tombstones record (Prometheus'): per interval the series ref (uvarint), mint and maxt (varint). */
  tombstones(stones: ReadonlyMap<number, readonly number[]>): Uint8Array {
    this.#n = 0;
    this.#ensure(1);
    this.#byte(RecordType.Tombstones);
    for (const [ref, iv] of stones) {
      for (let i = 0; i < iv.length; i += 2) {
        this.#ensure(30);
        this.#uvarint(ref);
        this.#varint(iv[i]);
        this.#varint(iv[i + 1]);
      }
    }
    return this.#buf.subarray(0, this.#n);
  }

  /** A samples record for samples [0, n) of the columns (values as numbers). */
  samples(refs: ArrayLike<number>, ts: ArrayLike<number>, vs: Float64Array, n: number): Uint8Array {
    this.#samplesHeader(refs, ts, n);
    const buf = this.#buf;
    for (let i = 0; i < n; i++) {
      this.#sampleKey(refs[i] - refs[0], ts[i] - ts[0]);
      f64[0] = vs[i];
      buf.writeUInt32BE(u32[1], this.#n);
      buf.writeUInt32BE(u32[0], this.#n + 4);
      this.#n += 8;
    }
    return buf.subarray(0, this.#n);
  }

  /** A samples record for samples [0, n) of decoded columns (values as bits). */
  samplesFromColumns(c: SampleColumns, n: number): Uint8Array {
    this.#samplesHeader(c.refs, c.ts, n);
    const buf = this.#buf;
    for (let i = 0; i < n; i++) {
      this.#sampleKey(c.refs[i] - c.refs[0], c.ts[i] - c.ts[0]);
      buf.writeUInt32BE(c.vhi[i], this.#n);
      buf.writeUInt32BE(c.vlo[i], this.#n + 4);
      this.#n += 8;
    }
    return buf.subarray(0, this.#n);
  }

  /**
   * A histogram samples record of `type` (see histogramRecordType; every sample must be of that
   * type) for samples `idx` of the columns.
   */
  histogramSamples(type: RecordType, refs: ArrayLike<number>, ts: ArrayLike<number>, hs: readonly (Histogram | FloatHistogram)[], idx: readonly number[]): Uint8Array {
    this.#n = 0;
    this.#ensure(17);
    this.#byte(type);
    if (idx.length === 0) return this.#buf.subarray(0, this.#n);
    const ref0 = refs[idx[0]];
    const t0 = ts[idx[0]];
    this.#u64(ref0);
    this.#u64(t0);
    const isFloat = isFloatHistogramRecord(type);
    const custom = type === RecordType.CustomBucketsHistogramSamples || type === RecordType.CustomBucketsFloatHistogramSamples;
    for (const i of idx) {
      const h = hs[i];
      this.#ensure(64 + 20 * (h.positiveSpans.length + h.negativeSpans.length) + 10 * (h.positiveBuckets.length + h.negativeBuckets.length + h.customValues.length));
      this.#sampleKey(refs[i] - ref0, ts[i] - t0);
      this.#byte(h.counterResetHint);
      this.#varint(h.schema);
      this.#f64(h.zeroThreshold);
      if (isFloat) {
        this.#f64(h.zeroCount);
        this.#f64(h.count);
      } else {
        this.#uvarint(h.zeroCount);
        this.#uvarint(h.count);
      }
      this.#f64(h.sum);
      this.#spans(h.positiveSpans);
      this.#spans(h.negativeSpans);
      this.#buckets(h.positiveBuckets, isFloat);
      this.#buckets(h.negativeBuckets, isFloat);
      if (custom) {
        this.#uvarint(h.customValues.length);
        for (const v of h.customValues) this.#f64(v);
      }
    }
    return this.#buf.subarray(0, this.#n);
  }

  #f64(x: number): void {
    this.#buf.writeDoubleBE(x, this.#n);
    this.#n += 8;
  }

  #spans(spans: readonly Span[]): void {
    this.#uvarint(spans.length);
    for (const s of spans) {
      this.#varint(s.offset);
      this.#uvarint(s.length);
    }
  }

  #buckets(b: readonly number[], isFloat: boolean): void {
    this.#uvarint(b.length);
    if (isFloat) for (const x of b) this.#f64(x);
    else for (const x of b) this.#varint(x);
  }

  #samplesHeader(refs: ArrayLike<number>, ts: ArrayLike<number>, n: number): void {
    this.#n = 0;
    this.#ensure(1 + 16 + n * 28);
    this.#byte(RecordType.Samples);
    if (n === 0) return;
    this.#u64(refs[0]);
    this.#u64(ts[0]);
  }

  #sampleKey(dRef: number, dT: number): void {
    this.#varint(dRef);
    this.#varint(dT);
  }
}

/** Thrown for a record that passed its checksum but does not decode: a bug or foreign data. */
export class RecordDecodeError extends Error {
  readonly code = 'wal_record_invalid';
}

/** Decodes records from views handed out by the segment reader. */
export class RecordDecoder {
  #b: Buffer = Buffer.alloc(0);
  #p = 0;

  #need(n: number): void {
    if (this.#p + n > this.#b.length) throw new RecordDecodeError(`record truncated at byte ${this.#p}`);
  }

  #u64(): number {
    this.#need(8);
    const x = this.#b.readInt32BE(this.#p) * TwoPow32 + this.#b.readUInt32BE(this.#p + 4);
    this.#p += 8;
    return x;
  }

  #uvarint(): number {
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      this.#need(1);
      const b = this.#b[this.#p++];
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 0x80;
    }
    throw new RecordDecodeError('varint overflow');
  }

  #string(): string {
    const len = this.#uvarint();
    this.#need(len);
    const s = this.#b.toString('utf8', this.#p, this.#p + len);
    this.#p += len;
    return s;
  }

  /** Calls `fn` for each deleted interval [mint, maxt] of a tombstones record. */
  tombstones(rec: Uint8Array, fn: (ref: number, mint: number, maxt: number) => void): void {
    this.#b = Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
    this.#p = 1;
    while (this.#p < this.#b.length) {
      const ref = this.#uvarint();
      const mint = this.#varint();
      fn(ref, mint, this.#varint());
    }
  }

  /** Calls `fn` for each series in a series record. */
  series(rec: Uint8Array, fn: (ref: number, labels: Labels) => void): void {
    this.#b = Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
    this.#p = 1;
    while (this.#p < this.#b.length) {
      const ref = this.#u64();
      const n = this.#uvarint();
      const pairs: string[] = new Array(n * 2);
      for (let i = 0; i < n * 2; i++) pairs[i] = this.#string();
      let sorted = true;
      for (let i = 2; i < pairs.length; i += 2) if (pairs[i - 2] >= pairs[i]) sorted = false;
      fn(ref, sorted ? Labels.fromSortedPairs(pairs) : Labels.fromPairs(pairs));
    }
  }

  #f64(): number {
    this.#need(8);
    const x = this.#b.readDoubleBE(this.#p);
    this.#p += 8;
    return x;
  }

  #varint(): number {
    const u = this.#uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Decodes spans into `out`, reusing its span objects. */
  #spans(out: Span[]): void {
    const n = this.#uvarint();
    // Shrinking only: setting an array's length is a runtime call even when it does not change.
    if (out.length > n) out.length = n;
    for (let i = 0; i < n; i++) {
      const offset = this.#varint();
      const length = this.#uvarint();
      if (i < out.length) {
        out[i].offset = offset;
        out[i].length = length;
      } else out.push({ offset, length });
    }
  }

  /** Decodes buckets (or custom values: `isFloat`) into `out`. */
  #buckets(out: number[], isFloat: boolean): void {
    const n = this.#uvarint();
    if (out.length > n) out.length = n;
    if (isFloat) {
      for (let i = 0; i < n; i++) out[i] = this.#f64();
      return;
    }
    const b = this.#b;
    let p = this.#p;
    for (let i = 0; i < n; i++) {
      p = zigzagAt(b, p, b.length);
      out[i] = zigzag;
    }
    this.#p = p;
  }

  /** Decodes a histogram samples record (types 7 to 10) into `out` (replacing its contents). */
  histogramSamples(rec: Uint8Array, out: HistogramColumns): void {
    this.#b = Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
    this.#p = 1;
    const type = rec[0];
    const isFloat = isFloatHistogramRecord(type);
    const custom = type === RecordType.CustomBucketsHistogramSamples || type === RecordType.CustomBucketsFloatHistogramSamples;
    out.isFloat = isFloat;
    out.length = 0;
    if (this.#b.length === 1) return;
    const ref0 = this.#u64();
    const t0 = this.#u64();
    let i = 0;
    while (this.#p < this.#b.length) {
      out.refs[i] = ref0 + this.#varint();
      out.ts[i] = t0 + this.#varint();
      this.#need(1);
      const hint = this.#b[this.#p++];
      if (hint > 3) throw new RecordDecodeError(`histogram counter reset hint ${hint} at byte ${this.#p - 1}`);
      if (i === out.hs.length) out.hs.push(emptyFloatHistogram());
      const h = out.hs[i];
      h.counterResetHint = hint as Histogram['counterResetHint'];
      h.schema = this.#varint();
      h.zeroThreshold = this.#f64();
      h.zeroCount = isFloat ? this.#f64() : this.#uvarint();
      h.count = isFloat ? this.#f64() : this.#uvarint();
      h.sum = this.#f64();
      this.#spans(h.positiveSpans);
      this.#spans(h.negativeSpans);
      this.#buckets(h.positiveBuckets, isFloat);
      this.#buckets(h.negativeBuckets, isFloat);
      if (custom) this.#buckets(h.customValues, true);
      else if (h.customValues.length > 0) h.customValues.length = 0;
      i++;
    }
    out.length = i;
  }

  /** Decodes a samples record into `out` (replacing its contents). */
  samples(rec: Uint8Array, out: SampleColumns): void {
    this.#b = Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
    this.#p = 1;
    out.length = 0;
    if (this.#b.length === 1) return;
    const ref0 = this.#u64();
    const t0 = this.#u64();
    // The hot loop of WAL replay: varints and value bits read inline from locals.
    const b = this.#b;
    const end = b.length;
    let p = this.#p;
    let i = 0;
    while (p < end) {
      if (i === out.refs.length) out.reserve(i + 1);
      p = zigzagAt(b, p, end);
      out.refs[i] = ref0 + zigzag;
      p = zigzagAt(b, p, end);
      out.ts[i] = t0 + zigzag;
      if (p + 8 > end) throw new RecordDecodeError(`record truncated at byte ${p}`);
      out.vhi[i] = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
      out.vlo[i] = ((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0;
      p += 8;
      i++;
    }
    this.#p = p;
    out.length = i;
  }
}

/** The value of the last zigzagAt() (a module-level register: no object per call). */
let zigzag = 0;

/** Reads the signed (zig-zag) varint at p into `zigzag`; returns the position after it. */
function zigzagAt(b: Uint8Array, p: number, end: number): number {
  let x = 0;
  let mul = 1;
  for (let k = 0; k < 10; k++) {
    if (p >= end) throw new RecordDecodeError(`record truncated at byte ${p}`);
    const c = b[p++];
    x += (c & 0x7f) * mul;
    if (c < 0x80) {
      zigzag = x % 2 === 0 ? x / 2 : -(x + 1) / 2;
      return p;
    }
    mul *= 0x80;
  }
  throw new RecordDecodeError('varint overflow');
}
