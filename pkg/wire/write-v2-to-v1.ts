// Remote write 1.0 fields for the series of a decoded 2.0 request: the ingesters speak 1.0's
// WriteRequest, so the distributor sends them each accepted 2.0 series as a 1.0 `timeseries`
// field (labels and exemplar labels spelled out from the symbols, samples re-encoded, histogram
// bytes copied: the two Histogram messages are the same) and each metadata entry as a 1.0
// `metadata` field. Every field is written once, into one buffer, whatever the replication factor.
// A series the distributor rewrote (fewer exemplars, histograms of reduced resolution) comes as
// 1.0 bytes of its own (DecodedWrite.v1Series, then edited) and is sent as those.
import { stringEqualsUtf8 } from '../model/labels/index.js';
import { uvarintSize } from '../tsdb/encoding/index.js';
import { withoutLabel, type WirePieces } from './decoded-write.js';
import { lengthDelimitedLen, writeVarint } from './varint.js';
import type { WriteV2Decoder } from './write-v2-decoder.js';

// Tags of the 1.0 messages (field number << 3 | wire type).
const tagSeries = 10; // WriteRequest.timeseries
const tagMetadata = 26; // WriteRequest.metadata
const tagLabels = 10; // TimeSeries.labels, Exemplar.labels
const tagSample = 18; // TimeSeries.samples
const tagExemplar = 26; // TimeSeries.exemplars
const tagHistogram = 34; // TimeSeries.histograms
const tagName = 10; // Label.name
const tagValue = 18; // Label.value
const tagSampleValue = 9; // Sample.value (double)
const tagSampleTime = 16; // Sample.timestamp
const tagExemplarValue = 17; // Exemplar.value (double)
const tagExemplarTime = 24; // Exemplar.timestamp

/**
 * The 1.0 fields of `series` (those in `own` as their bytes there) and `metadata`, the label `skip`
 * left out, the exemplars `drop` too.
 */
export function encodeV1(
  d: WriteV2Decoder, series: readonly number[], metadata: readonly number[], skip: string, own: ReadonlyMap<number, Buffer> | undefined, drop: readonly number[],
): WirePieces {
  const bodies: number[] = [];
  let total = 0;
  for (const i of series) {
    if (own?.has(i)) continue;
    const n = seriesBodyLen(d, i, skip, drop);
    bodies.push(n);
    total += lengthDelimitedLen(n);
  }
  for (const j of metadata) {
    const n = metadataBodyLen(d, j);
    bodies.push(n);
    total += lengthDelimitedLen(n);
  }
  const out = Buffer.allocUnsafe(total);
  const pieces: WirePieces = { bufs: [], from: [], to: [] };
  let at = 0;
  let k = 0;
  for (const i of series) {
    const mine = own?.get(i);
    if (mine !== undefined) {
      const cut = withoutLabel(d, i, skip, mine, 0, mine.length) ?? mine;
      pieces.bufs.push(cut);
      pieces.from.push(0);
      pieces.to.push(cut.length);
      continue;
    }
    const from = at;
    out[at++] = tagSeries;
    at = writeVarint(out, at, bodies[k++]);
    at = writeSeriesBody(d, i, skip, drop, out, at);
    pieces.bufs.push(out);
    pieces.from.push(from);
    pieces.to.push(at);
  }
  for (const j of metadata) {
    const from = at;
    out[at++] = tagMetadata;
    at = writeVarint(out, at, bodies[k++]);
    at = writeMetadataBody(d, j, out, at);
    pieces.bufs.push(out);
    pieces.from.push(from);
    pieces.to.push(at);
  }
  return pieces;
}

function skipped(d: WriteV2Decoder, l: number, skip: string): boolean {
  return skip !== '' && stringEqualsUtf8(skip, d.buf, d.labelRanges[4 * l], d.labelRanges[4 * l + 1]);
}

function labelBodyLen(nameLen: number, valueLen: number): number {
  return lengthDelimitedLen(nameLen) + lengthDelimitedLen(valueLen);
}

function int64Len(x: number): number {
  return x >= 0 ? uvarintSize(x) : 10;
}

function sampleBodyLen(t: number): number {
  return 9 + 1 + int64Len(t);
}

function exemplarBodyLen(d: WriteV2Decoder, e: number): number {
  const r = d.exemplarLabelRanges;
  let n = 9 + 1 + int64Len(d.exemplarT[e]);
  for (let l = d.exemplarLabelsStart[e]; l < d.exemplarLabelsStart[e + 1]; l++) n += lengthDelimitedLen(labelBodyLen(r[4 * l + 1] - r[4 * l], r[4 * l + 3] - r[4 * l + 2]));
  return n;
}

function seriesBodyLen(d: WriteV2Decoder, i: number, skip: string, drop: readonly number[]): number {
  const r = d.labelRanges;
  let n = 0;
  for (let l = d.labelsStart[i]; l < d.labelsStart[i + 1]; l++) {
    if (!skipped(d, l, skip)) n += lengthDelimitedLen(labelBodyLen(r[4 * l + 1] - r[4 * l], r[4 * l + 3] - r[4 * l + 2]));
  }
  for (let s = d.samplesStart[i]; s < d.samplesStart[i + 1]; s++) n += lengthDelimitedLen(sampleBodyLen(d.t[s]));
  for (let e = d.exemplarsStart[i]; e < d.exemplarsStart[i + 1]; e++) if (!drop.includes(e)) n += lengthDelimitedLen(exemplarBodyLen(d, e));
  for (let h = d.histogramsStart[i]; h < d.histogramsStart[i + 1]; h++) n += lengthDelimitedLen(d.histTo[h] - d.histFrom[h]);
  return n;
}

function writeSeriesBody(d: WriteV2Decoder, i: number, skip: string, drop: readonly number[], out: Buffer, at: number): number {
  const r = d.labelRanges;
  for (let l = d.labelsStart[i]; l < d.labelsStart[i + 1]; l++) {
    if (!skipped(d, l, skip)) at = writeLabel(d.buf, r[4 * l], r[4 * l + 1], r[4 * l + 2], r[4 * l + 3], out, at);
  }
  for (let s = d.samplesStart[i]; s < d.samplesStart[i + 1]; s++) {
    out[at++] = tagSample;
    at = writeVarint(out, at, sampleBodyLen(d.t[s]));
    out[at++] = tagSampleValue;
    at = out.writeDoubleLE(d.v[s], at);
    out[at++] = tagSampleTime;
    at = writeInt64(out, at, d.t[s]);
  }
  const er = d.exemplarLabelRanges;
  for (let e = d.exemplarsStart[i]; e < d.exemplarsStart[i + 1]; e++) {
    if (drop.includes(e)) continue;
    out[at++] = tagExemplar;
    at = writeVarint(out, at, exemplarBodyLen(d, e));
    for (let l = d.exemplarLabelsStart[e]; l < d.exemplarLabelsStart[e + 1]; l++) at = writeLabel(d.buf, er[4 * l], er[4 * l + 1], er[4 * l + 2], er[4 * l + 3], out, at);
    out[at++] = tagExemplarValue;
    at = out.writeDoubleLE(d.exemplarV[e], at);
    out[at++] = tagExemplarTime;
    at = writeInt64(out, at, d.exemplarT[e]);
  }
  for (let h = d.histogramsStart[i]; h < d.histogramsStart[i + 1]; h++) {
    out[at++] = tagHistogram;
    at = writeVarint(out, at, d.histTo[h] - d.histFrom[h]);
    at = copy(d.buf, d.histFrom[h], d.histTo[h], out, at);
  }
  return at;
}

/** A 1.0 Label field whose name and value are the bytes [nFrom, nTo) and [vFrom, vTo) of `src`. */
function writeLabel(src: Buffer, nFrom: number, nTo: number, vFrom: number, vTo: number, out: Buffer, at: number): number {
  out[at++] = tagLabels;
  at = writeVarint(out, at, labelBodyLen(nTo - nFrom, vTo - vFrom));
  out[at++] = tagName;
  at = writeVarint(out, at, nTo - nFrom);
  at = copy(src, nFrom, nTo, out, at);
  out[at++] = tagValue;
  at = writeVarint(out, at, vTo - vFrom);
  return copy(src, vFrom, vTo, out, at);
}

function copy(src: Buffer, from: number, to: number, out: Buffer, at: number): number {
  // Label names and values are short: a loop costs less than a native call.
  if (to - from < 64) {
    for (let p = from; p < to; p++) out[at++] = src[p];
    return at;
  }
  return at + src.copy(out, at, from, to);
}

/** A two's complement int64 varint (negative timestamps take 10 bytes). */
function writeInt64(out: Buffer, at: number, x: number): number {
  if (x >= 0) return writeVarint(out, at, x);
  let u = BigInt.asUintN(64, BigInt(x));
  while (u >= 0x80n) {
    out[at++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  out[at++] = Number(u);
  return at;
}

// MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
function metadataBodyLen(d: WriteV2Decoder, j: number): number {
  const m = d.metadata[j];
  return 1 + uvarintSize(m.type) + lengthDelimitedLen(Buffer.byteLength(m.metricFamilyName)) + lengthDelimitedLen(Buffer.byteLength(m.help)) + lengthDelimitedLen(Buffer.byteLength(m.unit));
}

function writeMetadataBody(d: WriteV2Decoder, j: number, out: Buffer, at: number): number {
  const m = d.metadata[j];
  out[at++] = 8;
  at = writeVarint(out, at, m.type);
  for (const [tag, s] of [[18, m.metricFamilyName], [34, m.help], [42, m.unit]] as const) {
    out[at++] = tag;
    at = writeVarint(out, at, Buffer.byteLength(s));
    at += out.write(s, at);
  }
  return at;
}
