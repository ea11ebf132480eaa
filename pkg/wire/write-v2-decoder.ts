// A hand-written decoder of Prometheus' remote write 2.0 request (io.prometheus.write.v2.Request,
// proto/io/prometheus/write/v2/types.proto) into the columns of DecodedWrite. Every string of a
// 2.0 request is an index into its symbols table, which lies in the same buffer: a label's byte
// ranges point at its symbols, so the distributor validates and hashes labels without a string.
//
//   Request    { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
//   TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3;
//                repeated Exemplar exemplars = 4; Metadata metadata = 5; int64 created_timestamp = 6; }
//   Sample     { double value = 1; int64 timestamp = 2; int64 start_timestamp = 3; }
//   Exemplar   { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
//   Metadata   { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
//
// The 2.0 Histogram is field for field the 1.0 one: histograms are decoded as 1.0's
// (histogram-decoder.ts) for validation, and their byte ranges are kept and copied into the 1.0
// series sent to the ingesters (write-v2-to-v1.ts). Exemplar labels, like series labels, are byte
// ranges of their symbols.
// Metadata comes per series in 2.0 and per metric family in 1.0: the decoder keeps one entry per
// family of the request.
import { isUtf8 } from 'node:buffer';
import { MetricName, stringEqualsUtf8 } from '../model/labels/index.js';
import type { DecodedWrite, WirePieces } from './decoded-write.js';
import { WireError, WireErrorCode } from './errors.js';
import { decodeHistogram, type HistogramSample } from './histogram-decoder.js';
import { grow, growF64, ProtoReader } from './proto-reader.js';
import { StringSlots } from './string-slots.js';
import type { MetadataEntry } from './write-request-decoder.js';
import { encodeV1 } from './write-v2-to-v1.js';

/** Label positions whose last name and value are remembered (two slots per position). */
const cacheSlots = 128;

/** Metric types (1.0 and 2.0 share the numbers) whose series names carry a suffix after the family's. */
const histogramTypes = new Set([3, 4]);
const summaryType = 5;

/**
 * Reusable: `decode(buf)` overwrites the columns, which stay valid (with `buf`) until the next call.
 * Keep one per request in flight, as WriteRequestDecoder.
 */
export class WriteV2Decoder extends ProtoReader implements DecodedWrite {
  seriesCount = 0;
  /** Symbol k is buf[symFrom[k], symTo[k]). */
  symbolCount = 0;
  symFrom: Uint32Array = new Uint32Array(256);
  symTo: Uint32Array = new Uint32Array(256);
  labelsStart: Uint32Array = new Uint32Array(65);
  labelRanges: Uint32Array = new Uint32Array(4 * 256);
  samplesStart: Uint32Array = new Uint32Array(65);
  t: Float64Array = new Float64Array(1024);
  v: Float64Array = new Float64Array(1024);
  histograms: Uint32Array = new Uint32Array(64);
  /** Histograms of series i are hs[histogramsStart[i], histogramsStart[i + 1]); histogram h's message body is buf[histFrom[h], histTo[h]). */
  histogramsStart: Uint32Array = new Uint32Array(65);
  hs: HistogramSample[] = [];
  histFrom: number[] = [];
  histTo: number[] = [];
  /** Exemplars of series i are [exemplarsStart[i], exemplarsStart[i + 1]) of the exemplar columns. */
  exemplarsStart: Uint32Array = new Uint32Array(65);
  exemplarT: Float64Array = new Float64Array(16);
  exemplarV: Float64Array = new Float64Array(16);
  /** Labels of exemplar e are [exemplarLabelsStart[e], exemplarLabelsStart[e + 1]) of exemplarLabelRanges (labelRanges' layout). */
  exemplarLabelsStart: Uint32Array = new Uint32Array(17);
  exemplarLabelRanges: Uint32Array = new Uint32Array(4 * 16);
  /** The series' created timestamp (TimeSeries field 6), 0 when unset. */
  created: Float64Array = new Float64Array(64);
  /** One entry per metric family that some series of the request described. */
  metadata: MetadataEntry[] = [];
  #labels = 0;
  #samples = 0;
  #exemplars = 0;
  #exemplarLabels = 0;
  #refsInSeries = 0;
  readonly #strings = new StringSlots(cacheSlots);
  /** Byte offsets of the series names whose metadata was seen, and the families recorded. */
  readonly #namesSeen = new Set<number>();
  #lastName = -1;
  readonly #families = new Set<string>();

  get sampleCount(): number {
    return this.#samples;
  }

  get exemplarCount(): number {
    return this.#exemplars;
  }

  decode(buf: Buffer): this {
    this.buf = buf;
    this.seriesCount = 0;
    this.symbolCount = 0;
    this.#labels = 0;
    this.#samples = 0;
    this.#exemplars = 0;
    this.#exemplarLabels = 0;
    this.hs.length = 0;
    this.histFrom.length = 0;
    this.histTo.length = 0;
    this.metadata.length = 0;
    this.#namesSeen.clear();
    this.#lastName = -1;
    this.#families.clear();
    const end = buf.length;
    // The symbols first, wherever they are: series refer to them by index.
    this.pos = 0;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 34) this.#symbol(this.lengthEnd(end));
      else if (tag === 42) this.pos = this.lengthEnd(end);
      else {
        this.checkKnownField(tag, 4, 5);
        this.skip(tag, end);
      }
    }
    if (this.symbolCount > 0 && this.symTo[0] !== this.symFrom[0]) {
      throw new WireError(WireErrorCode.BadSymbolReference, 'invalid remote write 2.0 request: the first entry of the symbols table must be the empty string');
    }
    this.pos = 0;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 42) this.#series(this.lengthEnd(end));
      else this.skip(tag, end);
    }
    const n = this.seriesCount;
    this.labelsStart[n] = this.#labels;
    this.samplesStart[n] = this.#samples;
    this.histogramsStart[n] = this.hs.length;
    this.exemplarsStart[n] = this.#exemplars;
    this.exemplarLabelsStart[this.#exemplars] = this.#exemplarLabels;
    return this;
  }

  labelPairs(i: number, out: string[]): string[] {
    return this.#strings.pairs(this.buf, this.labelRanges, this.labelsStart[i], this.labelsStart[i + 1], out);
  }

  exemplarLabelPairs(e: number, out: string[]): string[] {
    out.length = 0;
    const r = this.exemplarLabelRanges;
    for (let l = this.exemplarLabelsStart[e]; l < this.exemplarLabelsStart[e + 1]; l++) {
      out.push(this.buf.toString('utf8', r[4 * l], r[4 * l + 1]), this.buf.toString('utf8', r[4 * l + 2], r[4 * l + 3]));
    }
    return out;
  }

  v1Series(i: number, dropExemplars: readonly number[]): Buffer {
    const p = encodeV1(this, [i], [], '', undefined, dropExemplars);
    return Buffer.from(p.bufs[0].buffer, p.bufs[0].byteOffset + p.from[0], p.to[0] - p.from[0]);
  }

  v1Pieces(series: readonly number[], metadata: readonly number[], skip: string, own?: ReadonlyMap<number, Buffer>): WirePieces {
    return encodeV1(this, series, metadata, skip, own, []);
  }

  /** Symbol k as a string (metadata and exemplar labels; series labels stay bytes). */
  symbol(k: number): string {
    return this.buf.toString('utf8', this.symFrom[k], this.symTo[k]);
  }

  #symbol(to: number): void {
    const k = this.symbolCount++;
    if (k >= this.symFrom.length) {
      this.symFrom = grow(this.symFrom, 2 * k);
      this.symTo = grow(this.symTo, 2 * k);
    }
    const from = this.pos;
    this.symFrom[k] = from;
    this.symTo[k] = to;
    this.pos = to;
    const buf = this.buf;
    let p = from;
    while (p < to && buf[p] < 0x80) p++;
    if (p < to && !isUtf8(buf.subarray(from, to))) {
      throw new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: symbol ${k} is not valid UTF-8`);
    }
  }

  #series(end: number): void {
    const i = this.seriesCount++;
    if (i + 1 >= this.histograms.length) this.#growSeries();
    this.labelsStart[i] = this.#labels;
    this.samplesStart[i] = this.#samples;
    this.histogramsStart[i] = this.hs.length;
    this.exemplarsStart[i] = this.#exemplars;
    this.histograms[i] = 0;
    this.created[i] = 0;
    this.#refsInSeries = 0;
    let helpRef = -1;
    let unitRef = 0;
    let type = 0;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 10) {
        const to = this.lengthEnd(end);
        while (this.pos < to) this.#labelRef(this.uvarint(to), i);
      } else if (tag === 8) this.#labelRef(this.uvarint(end), i);
      else if (tag === 18) this.#sample(this.lengthEnd(end));
      else if (tag === 26) {
        const to = this.lengthEnd(end);
        this.histFrom.push(this.pos);
        this.histTo.push(to);
        this.hs.push(decodeHistogram(this.buf, this.pos, to));
        this.histograms[i]++;
        this.pos = to;
      } else if (tag === 34) this.#exemplar(this.lengthEnd(end), i); else if (tag === 42) {
        const to = this.lengthEnd(end);
        helpRef = 0;
        while (this.pos < to) {
          const t = this.uvarint(to);
          if (t === 8) type = this.uvarint(to);
          else if (t === 24) helpRef = this.#ref(this.uvarint(to), 'metadata.help_ref', i);
          else if (t === 32) unitRef = this.#ref(this.uvarint(to), 'metadata.unit_ref', i);
          else {
            this.checkKnownField(t, 1, 3, 4);
            this.skip(t, to);
          }
        }
      } else if (tag === 48) this.created[i] = this.int64(end);
      else {
        this.checkKnownField(tag, 1, 2, 3, 4, 5, 6);
        this.skip(tag, end);
      }
    }
    if (this.#refsInSeries % 2 !== 0) {
      throw new WireError(WireErrorCode.BadSymbolReference, `invalid remote write 2.0 request: series ${i} has an odd number of labels_refs (${this.#refsInSeries}): they must be name/value pairs`);
    }
    if (helpRef >= 0 && (type !== 0 || helpRef !== 0 || unitRef !== 0)) this.#addMetadata(i, type, helpRef, unitRef);
  }

  /** Checks symbol reference `ref` (of `what` in series i) and returns it. */
  #ref(ref: number, what: string, i: number): number {
    if (ref >= this.symbolCount) {
      throw new WireError(WireErrorCode.BadSymbolReference, `invalid remote write 2.0 request: ${what} ${ref} of series ${i} is not in the symbols table of ${this.symbolCount} entries`);
    }
    return ref;
  }

  #labelRef(ref: number, i: number): void {
    this.#ref(ref, 'labels_refs entry', i);
    const l = this.#labels;
    if (4 * l + 4 > this.labelRanges.length) this.labelRanges = grow(this.labelRanges, 2 * this.labelRanges.length);
    const at = 4 * l + (this.#refsInSeries % 2 === 0 ? 0 : 2);
    this.labelRanges[at] = this.symFrom[ref];
    this.labelRanges[at + 1] = this.symTo[ref];
    if (this.#refsInSeries++ % 2 === 1) this.#labels++;
  }

  #sample(end: number): void {
    let ts = 0;
    let val = 0;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 9) val = this.double(end);
      else if (tag === 16) ts = this.int64(end);
      else {
        // start_timestamp (3) is read and not stored, as Prometheus does by default.
        this.checkKnownField(tag, 1, 2, 3);
        this.skip(tag, end);
      }
    }
    const n = this.#samples++;
    if (n >= this.t.length) this.#growSamples();
    this.t[n] = ts;
    this.v[n] = val;
  }

  #exemplar(end: number, i: number): void {
    const e = this.#exemplars++;
    if (e + 1 >= this.exemplarT.length) this.#growExemplars();
    this.exemplarLabelsStart[e] = this.#exemplarLabels;
    let refs = 0;
    let ts = 0;
    let val = 0;
    while (this.pos < end) {
      const tag = this.uvarint(end);
      if (tag === 10) {
        const to = this.lengthEnd(end);
        while (this.pos < to) this.#exemplarLabelRef(this.uvarint(to), refs++, i);
      } else if (tag === 8) this.#exemplarLabelRef(this.uvarint(end), refs++, i);
      else if (tag === 17) val = this.double(end, 'exemplar value');
      else if (tag === 24) ts = this.int64(end);
      else {
        this.checkKnownField(tag, 1, 2, 3);
        this.skip(tag, end);
      }
    }
    if (refs % 2 !== 0) {
      throw new WireError(WireErrorCode.BadSymbolReference, `invalid remote write 2.0 request: an exemplar of series ${i} has an odd number of labels_refs`);
    }
    this.exemplarT[e] = ts;
    this.exemplarV[e] = val;
  }

  /** The k-th labels_refs entry of an exemplar of series i: a name (k even) or value. */
  #exemplarLabelRef(ref: number, k: number, i: number): void {
    this.#ref(ref, 'exemplar labels_refs entry', i);
    const l = this.#exemplarLabels;
    if (4 * l + 4 > this.exemplarLabelRanges.length) this.exemplarLabelRanges = grow(this.exemplarLabelRanges, 2 * this.exemplarLabelRanges.length);
    const at = 4 * l + (k % 2 === 0 ? 0 : 2);
    this.exemplarLabelRanges[at] = this.symFrom[ref];
    this.exemplarLabelRanges[at + 1] = this.symTo[ref];
    if (k % 2 === 1) this.#exemplarLabels++;
  }

  /** Records series i's metadata under its metric family, once per family. */
  #addMetadata(i: number, type: number, helpRef: number, unitRef: number): void {
    const r = this.labelRanges;
    let l = this.labelsStart[i];
    while (l < this.#labels && !stringEqualsUtf8(MetricName, this.buf, r[4 * l], r[4 * l + 1])) l++;
    // A series without a name is refused by validation; its metadata has no family to go to.
    if (l === this.#labels) return;
    const at = r[4 * l + 2];
    // Series of one family mostly come one after another.
    if (at === this.#lastName) return;
    this.#lastName = at;
    if (this.#namesSeen.has(at)) return;
    this.#namesSeen.add(at);
    const family = familyName(this.buf.toString('utf8', at, r[4 * l + 3]), type);
    if (this.#families.has(family)) return;
    this.#families.add(family);
    this.metadata.push({ type, metricFamilyName: family, help: this.symbol(helpRef), unit: this.symbol(unitRef) });
  }

  #growSeries(): void {
    const n = this.histograms.length * 2;
    this.histograms = grow(this.histograms, n);
    this.labelsStart = grow(this.labelsStart, n + 1);
    this.samplesStart = grow(this.samplesStart, n + 1);
    this.histogramsStart = grow(this.histogramsStart, n + 1);
    this.exemplarsStart = grow(this.exemplarsStart, n + 1);
    this.created = growF64(this.created, n);
  }

  #growExemplars(): void {
    const n = this.exemplarT.length * 2;
    this.exemplarT = growF64(this.exemplarT, n);
    this.exemplarV = growF64(this.exemplarV, n);
    this.exemplarLabelsStart = grow(this.exemplarLabelsStart, n + 1);
  }

  #growSamples(): void {
    this.t = growF64(this.t, 2 * this.t.length);
    this.v = growF64(this.v, 2 * this.v.length);
  }
}

/**
 * The metric family of a series name: 2.0 describes each series (`x_bucket`, `x_sum`, `x_count`
 * of a histogram), 1.0 each family (`x`).
 */
function familyName(name: string, type: number): string {
  const suffixes = histogramTypes.has(type) ? ['_bucket', '_sum', '_count', '_gcount', '_gsum'] : type === summaryType ? ['_sum', '_count'] : [];
  for (const s of suffixes) if (name.endsWith(s) && name.length > s.length) return name.slice(0, -s.length);
  return name;
}
