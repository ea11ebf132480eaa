// A hand-written decoder of Prometheus' remote-write WriteRequest into columns (VictoriaMetrics
// lib/prompb/write_request_unmarshaler.go, in TypeScript). The .proto in proto/prometheus stays
// the source of truth; write-request-decoder.test.ts checks this decoder against pkg/generated.
//
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3;
//                  repeated Histogram histograms = 4; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
//
// Label strings are optional: a decoder made with `labelStrings: false` only records where each
// label's bytes are (labelRanges) and checks they are UTF-8, for a consumer that looks series up by
// those bytes and makes strings (labelPairs) only for the series it does not know yet.
//
// Besides the columns, the decoder keeps the byte range of every series and metadata field
// (tag + length + body), so a request for a subset can be cut from the original bytes
// (write-request-encoder.ts) without encoding anything again. Exemplars and histograms are
// counted per series, not decoded; they travel inside those byte ranges.
import { isUtf8 } from 'node:buffer';
import { stringEqualsUtf8 } from '../model/labels/index.js';
import type { DecodedWrite, WirePieces } from './decoded-write.js';
import { WireError, WireErrorCode } from './errors.js';
import { grow, growF64, ProtoReader } from './proto-reader.js';
import { StringSlots } from './string-slots.js';
import { rewriteSeriesLabels } from './write-request-encoder.js';

export interface WriteRequestDecoderOptions {
  /** Fill `names`/`values` with a string per label (default). When false, use labelPairs(). */
  labelStrings: boolean;
}

export interface MetadataEntry {
  type: number;
  metricFamilyName: string;
  help: string;
  unit: string;
}

/** Label positions whose last name and value are remembered (two slots per position). */
const cacheSlots = 128;

/**
 * Reusable: `decode(buf)` overwrites the columns, and every view of them (and `buf`, which the
 * ranges point into) stays valid until the next call. Not safe to share across concurrent
 * requests that await between decode and use; keep one per request or a pool.
 */
export class WriteRequestDecoder extends ProtoReader implements DecodedWrite {
  seriesCount = 0;
  /** Series i is the bytes [seriesFrom[i], seriesTo[i]) of `buf`, tag and length included. */
  seriesFrom: Uint32Array = new Uint32Array(64);
  seriesTo: Uint32Array = new Uint32Array(64);
  /** Labels of series i are names/values [labelsStart[i], labelsStart[i + 1]). */
  labelsStart: Uint32Array = new Uint32Array(65);
  /** Label l's name and value (empty when made with `labelStrings: false`). */
  names: string[] = [];
  values: string[] = [];
  /**
   * Where label l's bytes are in `buf`: name [labelRanges[4l], labelRanges[4l+1]), value
   * [labelRanges[4l+2], labelRanges[4l+3]) (the layout of model/labels label-bytes.ts).
   */
  labelRanges: Uint32Array = new Uint32Array(4 * 256);
  /** Samples of series i are t/v [samplesStart[i], samplesStart[i + 1]). */
  samplesStart: Uint32Array = new Uint32Array(65);
  t: Float64Array = new Float64Array(1024);
  v: Float64Array = new Float64Array(1024);
  /** Exemplars per series (not decoded; counted for metrics and limits). */
  exemplars: Uint32Array = new Uint32Array(64);
  /** Native histogram samples per series (not decoded; counted so none is dropped unseen). */
  histograms: Uint32Array = new Uint32Array(64);
  metadata: MetadataEntry[] = [];
  metadataFrom: number[] = [];
  metadataTo: number[] = [];
  #labels = 0;
  readonly #strings = new StringSlots(cacheSlots);
  readonly #labelStrings: boolean;
  #samples = 0;

  constructor(opts: Partial<WriteRequestDecoderOptions> = {}) {
    super();
    this.#labelStrings = opts.labelStrings ?? true;
  }

  /** Total samples decoded by the last call. */
  get sampleCount(): number {
    return this.#samples;
  }

  decode(buf: Buffer): this {
    this.buf = buf;
    this.seriesCount = 0;
    this.#labels = 0;
    this.#samples = 0;
    this.names.length = 0;
    this.values.length = 0;
    this.metadata.length = 0;
    this.metadataFrom.length = 0;
    this.metadataTo.length = 0;
    this.pos = 0;
    const end = buf.length;
    while (this.pos < end) {
      const from = this.pos;
      const tag = this.uvarint(end);
      if (tag === 10) {
        const to = this.lengthEnd(end);
        this.#series(from, to);
      } else if (tag === 26) {
        const to = this.lengthEnd(end);
        this.#metadata(from, to);
      } else {
        this.checkKnownField(tag, 1, 3);
        this.skip(tag, end);
      }
    }
    this.labelsStart[this.seriesCount] = this.#labels;
    this.samplesStart[this.seriesCount] = this.#samples;
    return this;
  }

  #series(from: number, end: number): void {
    const i = this.seriesCount++;
    if (i + 1 >= this.seriesFrom.length) this.#growSeries();
    this.seriesFrom[i] = from;
    this.seriesTo[i] = end;
    this.labelsStart[i] = this.#labels;
    this.samplesStart[i] = this.#samples;
    this.exemplars[i] = 0;
    this.histograms[i] = 0;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 10) this.#label(this.lengthEnd(end), this.#labels - this.labelsStart[i]);
      else if (tag === 18) this.#sample(this.lengthEnd(end));
      else if (tag === 26) {
        this.exemplars[i]++;
        this.pos = this.lengthEnd(end);
      } else if (tag === 34) {
        this.histograms[i]++;
        this.pos = this.lengthEnd(end);
      } else {
        this.checkKnownField(tag, 1, 2, 3, 4);
        this.skip(tag, end);
      }
    }
  }

  /** Label l of the request, the k-th of its series. */
  #label(end: number, k: number): void {
    const l = this.#labels;
    if (4 * l + 4 > this.labelRanges.length) this.labelRanges = grow(this.labelRanges, 2 * this.labelRanges.length);
    const r = this.labelRanges;
    // A missing field is an empty string: an empty range at the label's start.
    r[4 * l] = r[4 * l + 1] = r[4 * l + 2] = r[4 * l + 3] = this.pos;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 10) this.#labelField(end, 4 * l);
      else if (tag === 18) this.#labelField(end, 4 * l + 2);
      else {
        this.checkKnownField(tag, 1, 2);
        this.skip(tag, end);
      }
    }
    if (this.#labelStrings) {
      this.names.push(this.#strings.read(this.buf, r[4 * l], r[4 * l + 1], 2 * k));
      this.values.push(this.#strings.read(this.buf, r[4 * l + 2], r[4 * l + 3], 2 * k + 1));
    }
    this.#labels++;
  }

  /** Records a label name or value's byte range (at `at` in labelRanges); checks UTF-8 when no string is made. */
  #labelField(end: number, at: number): void {
    const to = this.lengthEnd(end);
    const from = this.pos;
    this.pos = to;
    this.labelRanges[at] = from;
    this.labelRanges[at + 1] = to;
    if (this.#labelStrings) return;
    const buf = this.buf;
    let p = from;
    while (p < to && buf[p] < 0x80) p++;
    if (p < to && !isUtf8(buf.subarray(from, to))) {
      throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: string field is not valid UTF-8');
    }
  }

  /**
   * Series i's labels as flat name/value strings in `out` (cleared first; returned). Strings repeated
   * from the previous series at the same position are shared.
   */
  labelPairs(i: number, out: string[]): string[] {
    return this.#strings.pairs(this.buf, this.labelRanges, this.labelsStart[i], this.labelsStart[i + 1], out);
  }

  /** The series' own byte ranges; a series carrying the label `skip` is re-encoded without it. */
  v1Pieces(series: readonly number[], metadata: readonly number[], skip: string): WirePieces {
    const out: WirePieces = { bufs: [], from: [], to: [] };
    const r = this.labelRanges;
    for (const i of series) {
      let l = this.labelsStart[i];
      const end = this.labelsStart[i + 1];
      if (skip !== '') while (l < end && !stringEqualsUtf8(skip, this.buf, r[4 * l], r[4 * l + 1])) l++;
      if (skip === '' || l === end) {
        out.bufs.push(this.buf);
        out.from.push(this.seriesFrom[i]);
        out.to.push(this.seriesTo[i]);
        continue;
      }
      const pairs = this.labelPairs(i, []);
      const names = pairs.filter((_, k) => k % 2 === 0);
      const values = pairs.filter((_, k) => k % 2 === 1);
      const own = rewriteSeriesLabels(this.buf, this.seriesFrom[i], this.seriesTo[i], names, values, 0, names.length, skip);
      out.bufs.push(own);
      out.from.push(0);
      out.to.push(own.length);
    }
    for (const j of metadata) {
      out.bufs.push(this.buf);
      out.from.push(this.metadataFrom[j]);
      out.to.push(this.metadataTo[j]);
    }
    return out;
  }

  #sample(end: number): void {
    let ts = 0;
    let val = 0;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 9) val = this.double(end);
      else if (tag === 16) ts = this.int64(end);
      else {
        this.checkKnownField(tag, 1, 2);
        this.skip(tag, end);
      }
    }
    const n = this.#samples++;
    if (n >= this.t.length) this.#growSamples();
    this.t[n] = ts;
    this.v[n] = val;
  }

  #metadata(from: number, end: number): void {
    const m: MetadataEntry = { type: 0, metricFamilyName: '', help: '', unit: '' };
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 8) m.type = this.uvarint(end);
      else if (tag === 18) m.metricFamilyName = this.#string(end);
      else if (tag === 34) m.help = this.#string(end);
      else if (tag === 42) m.unit = this.#string(end);
      else {
        this.checkKnownField(tag, 1, 2, 4, 5);
        this.skip(tag, end);
      }
    }
    this.metadata.push(m);
    this.metadataFrom.push(from);
    this.metadataTo.push(end);
  }

  /** Reads a string field that is not a label (no caching). */
  #string(end: number): string {
    const to = this.lengthEnd(end);
    const from = this.pos;
    this.pos = to;
    return this.#strings.read(this.buf, from, to, cacheSlots);
  }

  #growSeries(): void {
    const n = this.seriesFrom.length * 2;
    this.seriesFrom = grow(this.seriesFrom, n);
    this.seriesTo = grow(this.seriesTo, n);
    this.exemplars = grow(this.exemplars, n);
    this.histograms = grow(this.histograms, n);
    this.labelsStart = grow(this.labelsStart, n + 1);
    this.samplesStart = grow(this.samplesStart, n + 1);
  }

  #growSamples(): void {
    this.t = growF64(this.t, 2 * this.t.length);
    this.v = growF64(this.v, 2 * this.v.length);
  }
}
