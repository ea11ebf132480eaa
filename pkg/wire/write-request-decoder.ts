// A hand-written decoder of Prometheus' remote-write WriteRequest into columns (VictoriaMetrics
// lib/prompb/write_request_unmarshaler.go, in TypeScript). The .proto in proto/prometheus stays
// the source of truth; write-request-decoder.test.ts checks this decoder against pkg/generated.
//
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3;
//                  repeated Histogram histograms = 4; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }
//   Exemplar     { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
//
// Label strings are optional: a decoder made with `labelStrings: false` only records where each
// label's bytes are (labelRanges) and checks they are UTF-8, for a consumer that looks series up by
// those bytes and makes strings (labelPairs) only for the series it does not know yet.
//
// Besides the columns, the decoder keeps the byte range of every series and metadata field
// (tag + length + body), so a request for a subset can be cut from the original bytes
// (write-request-encoder.ts) without encoding anything again. Exemplars are decoded into columns of
// their own (their labels as byte ranges, like series labels without strings); native histograms
// are decoded into model objects (histogram-decoder.ts). Both travel inside the series' byte ranges.
import { isUtf8 } from 'node:buffer';
import { withoutLabel, type DecodedWrite, type WirePieces } from './decoded-write.js';
import { WireError, WireErrorCode } from './errors.js';
import { decodeHistogram, type HistogramSample } from './histogram-decoder.js';
import { grow, growF64, ProtoReader } from './proto-reader.js';
import { StringSlots } from './string-slots.js';
import { withoutSeriesFields } from './write-request-encoder.js';

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

/** Throws unless buf[from, to) is valid UTF-8 (an ASCII run is checked inline, the rest natively). */
function checkUtf8(buf: Buffer, from: number, to: number): void {
  let p = from;
  while (p < to && buf[p] < 0x80) p++;
  if (p < to && !isUtf8(buf.subarray(from, to))) {
    throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: string field is not valid UTF-8');
  }
}

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
  /** Exemplars of series i are [exemplarsStart[i], exemplarsStart[i + 1]) of the exemplar columns. */
  exemplarsStart: Uint32Array = new Uint32Array(65);
  /** Exemplar e: timestamp, value, and its field's bytes [exemplarFrom[e], exemplarTo[e]) in `buf`. */
  exemplarT: Float64Array = new Float64Array(16);
  exemplarV: Float64Array = new Float64Array(16);
  exemplarFrom: Uint32Array = new Uint32Array(16);
  exemplarTo: Uint32Array = new Uint32Array(16);
  /** Labels of exemplar e are [exemplarLabelsStart[e], exemplarLabelsStart[e + 1]) of exemplarLabelRanges (labelRanges' layout). */
  exemplarLabelsStart: Uint32Array = new Uint32Array(17);
  exemplarLabelRanges: Uint32Array = new Uint32Array(4 * 16);
  /** Native histogram samples per series. */
  histograms: Uint32Array = new Uint32Array(64);
  /** Histogram samples of series i are hs[histogramsStart[i], histogramsStart[i + 1]). */
  histogramsStart: Uint32Array = new Uint32Array(65);
  /** Decoded histogram samples: new objects each decode, so consumers may keep them. */
  hs: HistogramSample[] = [];
  metadata: MetadataEntry[] = [];
  metadataFrom: number[] = [];
  metadataTo: number[] = [];
  #labels = 0;
  readonly #strings = new StringSlots(cacheSlots);
  readonly #labelStrings: boolean;
  #samples = 0;
  #exemplars = 0;
  #exemplarLabels = 0;

  constructor(opts: Partial<WriteRequestDecoderOptions> = {}) {
    super();
    this.#labelStrings = opts.labelStrings ?? true;
  }

  /** Total samples decoded by the last call. */
  get sampleCount(): number {
    return this.#samples;
  }

  /** Total exemplars decoded by the last call. */
  get exemplarCount(): number {
    return this.#exemplars;
  }

  decode(buf: Buffer): this {
    this.buf = buf;
    this.seriesCount = 0;
    this.#labels = 0;
    this.#samples = 0;
    this.#exemplars = 0;
    this.#exemplarLabels = 0;
    this.names.length = 0;
    this.values.length = 0;
    this.metadata.length = 0;
    this.hs.length = 0;
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
    this.histogramsStart[this.seriesCount] = this.hs.length;
    this.exemplarsStart[this.seriesCount] = this.#exemplars;
    this.exemplarLabelsStart[this.#exemplars] = this.#exemplarLabels;
    return this;
  }

  #series(from: number, end: number): void {
    const i = this.seriesCount++;
    if (i + 1 >= this.seriesFrom.length) this.#growSeries();
    this.seriesFrom[i] = from;
    this.seriesTo[i] = end;
    this.labelsStart[i] = this.#labels;
    this.samplesStart[i] = this.#samples;
    this.exemplarsStart[i] = this.#exemplars;
    this.histograms[i] = 0;
    this.histogramsStart[i] = this.hs.length;
    while (this.pos < end) {
      const field = this.pos;
      const tag = this.uvarint(end);
      if (tag === 10) this.#label(this.lengthEnd(end), this.#labels - this.labelsStart[i]);
      else if (tag === 18) this.#sample(this.lengthEnd(end));
      else if (tag === 26) {
        this.#exemplar(field, this.lengthEnd(end));
      } else if (tag === 34) {
        this.histograms[i]++;
        const to = this.lengthEnd(end);
        this.hs.push(decodeHistogram(this.buf, this.pos, to));
        this.pos = to;
      } else {
        this.checkKnownField(tag, 1, 2, 3, 4);
        this.skip(tag, end);
      }
    }
  }

  /** One exemplar: the field spans [from, end) of `buf`, its body starts at the current position. */
  #exemplar(from: number, end: number): void {
    const e = this.#exemplars++;
    if (e + 1 >= this.exemplarT.length) this.#growExemplars();
    this.exemplarFrom[e] = from;
    this.exemplarTo[e] = end;
    this.exemplarLabelsStart[e] = this.#exemplarLabels;
    let ts = 0;
    let val = 0;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 10) this.#exemplarLabel(this.lengthEnd(end));
      else if (tag === 17) val = this.double(end, 'exemplar value');
      else if (tag === 24) ts = this.int64(end);
      else {
        this.checkKnownField(tag, 1, 2, 3);
        this.skip(tag, end);
      }
    }
    this.exemplarT[e] = ts;
    this.exemplarV[e] = val;
  }

  /** An exemplar's label: byte ranges only (checked UTF-8), strings on demand (exemplarLabelPairs). */
  #exemplarLabel(end: number): void {
    const l = this.#exemplarLabels++;
    if (4 * l + 4 > this.exemplarLabelRanges.length) this.exemplarLabelRanges = grow(this.exemplarLabelRanges, 2 * this.exemplarLabelRanges.length);
    const r = this.exemplarLabelRanges;
    r[4 * l] = r[4 * l + 1] = r[4 * l + 2] = r[4 * l + 3] = this.pos;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 10) this.#labelField(end, r, 4 * l, true);
      else if (tag === 18) this.#labelField(end, r, 4 * l + 2, true);
      else {
        this.checkKnownField(tag, 1, 2);
        this.skip(tag, end);
      }
    }
  }

  /** Exemplar e's labels as flat name/value strings in `out` (cleared first; returned). */
  exemplarLabelPairs(e: number, out: string[]): string[] {
    out.length = 0;
    const r = this.exemplarLabelRanges;
    const buf = this.buf;
    for (let l = this.exemplarLabelsStart[e]; l < this.exemplarLabelsStart[e + 1]; l++) {
      out.push(buf.toString('utf8', r[4 * l], r[4 * l + 1]), buf.toString('utf8', r[4 * l + 2], r[4 * l + 3]));
    }
    return out;
  }

  /** Label l of the request, the k-th of its series. */
  #label(end: number, k: number): void {
    const l = this.#labels;
    if (4 * l + 4 > this.labelRanges.length) this.labelRanges = grow(this.labelRanges, 2 * this.labelRanges.length);
    const r = this.labelRanges;
    if (!this.#simpleLabel(end, r, 4 * l)) {
      // A missing field is an empty string: an empty range at the label's start.
      r[4 * l] = r[4 * l + 1] = r[4 * l + 2] = r[4 * l + 3] = this.pos;
      while (this.pos < end) {
        const tag = this.uvarint(end);
        if (tag === 10) this.#labelField(end, r, 4 * l, !this.#labelStrings);
        else if (tag === 18) this.#labelField(end, r, 4 * l + 2, !this.#labelStrings);
        else {
          this.checkKnownField(tag, 1, 2);
          this.skip(tag, end);
        }
      }
    }
    if (this.#labelStrings) {
      this.names.push(this.#strings.read(this.buf, r[4 * l], r[4 * l + 1], 2 * k));
      this.values.push(this.#strings.read(this.buf, r[4 * l + 2], r[4 * l + 3], 2 * k + 1));
    }
    this.#labels++;
  }

  /**
   * The label [pos, end) when it is laid out as nearly every label is (name then value, each with
   * a one-byte length, nothing else): its ranges at `at` and true, with no per-field calls; false
   * (nothing read) otherwise.
   */
  #simpleLabel(end: number, ranges: Uint32Array, at: number): boolean {
    const buf = this.buf;
    const p = this.pos;
    if (p + 1 >= end || buf[p] !== 10 || buf[p + 1] >= 0x80) return false;
    const nameTo = p + 2 + buf[p + 1];
    if (nameTo + 1 >= end || buf[nameTo] !== 18 || buf[nameTo + 1] >= 0x80 || nameTo + 2 + buf[nameTo + 1] !== end) return false;
    if (!this.#labelStrings) {
      checkUtf8(buf, p + 2, nameTo);
      checkUtf8(buf, nameTo + 2, end);
    }
    ranges[at] = p + 2;
    ranges[at + 1] = nameTo;
    ranges[at + 2] = nameTo + 2;
    ranges[at + 3] = end;
    this.pos = end;
    return true;
  }

  /** Records a label name or value's byte range (at `at` in `ranges`); checks UTF-8 when asked (no string is made). */
  #labelField(end: number, ranges: Uint32Array, at: number, utf8: boolean): void {
    const to = this.lengthEnd(end);
    const from = this.pos;
    this.pos = to;
    ranges[at] = from;
    ranges[at + 1] = to;
    if (utf8) checkUtf8(this.buf, from, to);
  }

  /**
   * Series i's labels as flat name/value strings in `out` (cleared first; returned). Strings repeated
   * from the previous series at the same position are shared.
   */
  labelPairs(i: number, out: string[]): string[] {
    return this.#strings.pairs(this.buf, this.labelRanges, this.labelsStart[i], this.labelsStart[i + 1], out);
  }

  /** Series i's own bytes, or a copy without the exemplars `dropExemplars`. */
  v1Series(i: number, dropExemplars: readonly number[]): Buffer {
    if (dropExemplars.length === 0) return this.buf.subarray(this.seriesFrom[i], this.seriesTo[i]);
    const ranges = dropExemplars.flatMap((e) => [this.exemplarFrom[e], this.exemplarTo[e]]);
    return withoutSeriesFields(this.buf, this.seriesFrom[i], this.seriesTo[i], ranges);
  }

  /** The series' own byte ranges (or `own`'s); a series carrying the label `skip` is re-encoded without it. */
  v1Pieces(series: readonly number[], metadata: readonly number[], skip: string, own?: ReadonlyMap<number, Buffer>): WirePieces {
    const out: WirePieces = { bufs: [], from: [], to: [] };
    for (const i of series) {
      const mine = own?.get(i);
      // No array per series to destructure: this runs for every series of every push.
      const src = mine ?? this.buf;
      const from = mine === undefined ? this.seriesFrom[i] : 0;
      const to = mine === undefined ? this.seriesTo[i] : mine.length;
      const cut = withoutLabel(this, i, skip, src, from, to);
      if (cut === undefined) {
        out.bufs.push(src);
        out.from.push(from);
        out.to.push(to);
      } else {
        out.bufs.push(cut);
        out.from.push(0);
        out.to.push(cut.length);
      }
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
    this.histograms = grow(this.histograms, n);
    this.exemplarsStart = grow(this.exemplarsStart, n + 1);
    this.labelsStart = grow(this.labelsStart, n + 1);
    this.samplesStart = grow(this.samplesStart, n + 1);
    this.histogramsStart = grow(this.histogramsStart, n + 1);
  }

  #growExemplars(): void {
    const n = this.exemplarT.length * 2;
    this.exemplarT = growF64(this.exemplarT, n);
    this.exemplarV = growF64(this.exemplarV, n);
    this.exemplarFrom = grow(this.exemplarFrom, n);
    this.exemplarTo = grow(this.exemplarTo, n);
    this.exemplarLabelsStart = grow(this.exemplarLabelsStart, n + 1);
  }

  #growSamples(): void {
    const n = this.t.length * 2;
    this.t = growF64(this.t, n);
    this.v = growF64(this.v, n);
  }
}
