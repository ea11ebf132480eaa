// Builds WriteRequests from the byte ranges WriteRequestDecoder recorded. A WriteRequest is a
// sequence of fields, so the concatenation of whole `timeseries`/`metadata` fields (tag, length,
// body) of any requests is itself a valid WriteRequest: a per-ingester request is assembled by
// copying the ranges of the series that ingester owns, with no decoding or encoding of samples.

import { lengthDelimitedLen, writeVarint } from './varint.js';

/** Collects byte ranges (of any buffers) and concatenates them into one request. */
export class RequestAssembler {
  #bufs: Uint8Array[] = [];
  #from: number[] = [];
  #to: number[] = [];
  #size = 0;

  add(buf: Uint8Array, from: number, to: number): void {
    this.#size += to - from;
    // A range that continues the previous one extends it: an ingester owning runs of consecutive
    // series (all of them, with one ingester) gets them in one copy.
    const last = this.#bufs.length - 1;
    if (last >= 0 && this.#bufs[last] === buf && this.#to[last] === from) {
      this.#to[last] = to;
      return;
    }
    this.#bufs.push(buf);
    this.#from.push(from);
    this.#to.push(to);
  }

  get size(): number {
    return this.#size;
  }

  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.#size);
    let at = 0;
    for (let i = 0; i < this.#bufs.length; i++) {
      const b = this.#bufs[i];
      const from = this.#from[i];
      const to = this.#to[i];
      // Small ranges (a series is ~200 bytes) copy in a loop: no native call, and no subarray
      // object per series.
      if (to - from < 256) for (let k = from; k < to; k++) out[at++] = b[k];
      else {
        out.set(b.subarray(from, to), at);
        at += to - from;
      }
    }
    return out;
  }
}

/**
 * Re-encodes the `timeseries` field at [from, to) of `src` with new labels: the labels are
 * written from `names`/`values` [lFrom, lTo) minus the label `skip` (pass '' to keep all), and
 * every other field of the series (samples, exemplars, histograms) is copied as it is. Used when
 * the distributor changes a series' labels (the HA tracker drops the replica label).
 */
export function rewriteSeriesLabels(
  src: Buffer, from: number, to: number, names: readonly string[], values: readonly string[], lFrom: number, lTo: number, skip: string,
): Buffer {
  let labelsLen = 0;
  for (let i = lFrom; i < lTo; i++) {
    if (names[i] === skip) continue;
    labelsLen += lengthDelimitedLen(labelBodyLen(names[i], values[i]));
  }
  const { rest, restLen } = fieldsExcept(src, from, to, 1);
  const bodyLen = labelsLen + restLen;
  const out = Buffer.allocUnsafe(lengthDelimitedLen(bodyLen));
  let at = 0;
  out[at++] = 10;
  at = writeVarint(out, at, bodyLen);
  for (let i = lFrom; i < lTo; i++) {
    if (names[i] === skip) continue;
    const n = names[i];
    const v = values[i];
    const nl = Buffer.byteLength(n);
    const vl = Buffer.byteLength(v);
    out[at++] = 10;
    at = writeVarint(out, at, lengthDelimitedLen(nl) + lengthDelimitedLen(vl));
    out[at++] = 10;
    at = writeVarint(out, at, nl);
    at += out.write(n, at);
    out[at++] = 18;
    at = writeVarint(out, at, vl);
    at += out.write(v, at);
  }
  for (let k = 0; k < rest.length; k += 2) at += src.copy(out, at, rest[k], rest[k + 1]);
  return out;
}

/**
 * Re-encodes the `timeseries` field at [from, to) of `src` with other histograms: `histograms`
 * (encoded Histogram messages) replace the series' own, every other field is copied as it is.
 * Used when the distributor lowers the resolution of a series' histograms.
 */
export function replaceSeriesHistograms(src: Buffer, from: number, to: number, histograms: readonly Uint8Array[]): Buffer {
  const { rest, restLen } = fieldsExcept(src, from, to, 4);
  let bodyLen = restLen;
  for (const h of histograms) bodyLen += lengthDelimitedLen(h.length);
  const out = Buffer.allocUnsafe(lengthDelimitedLen(bodyLen));
  out[0] = 10;
  let at = writeVarint(out, 1, bodyLen);
  for (let k = 0; k < rest.length; k += 2) at += src.copy(out, at, rest[k], rest[k + 1]);
  for (const h of histograms) {
    out[at++] = 34;
    at = writeVarint(out, at, h.length);
    out.set(h, at);
    at += h.length;
  }
  return out;
}

/** The byte ranges (pairs of from, to) of the fields of the series at [from, to) other than `field`. */
function fieldsExcept(src: Buffer, from: number, to: number, field: number): { rest: number[]; restLen: number } {
  // Skip the series' own tag and length to reach its body.
  let p = from + 1;
  while (src[p] >= 0x80) p++;
  p++;
  const rest: number[] = [];
  let restLen = 0;
  while (p < to) {
    const start = p;
    const tag = readVarint(src, p);
    p = tag.next;
    p = skipValue(src, p, tag.value & 7);
    if (tag.value >>> 3 !== field) {
      rest.push(start, p);
      restLen += p - start;
    }
  }
  return { rest, restLen };
}

/**
 * The `timeseries` field at [from, to) of `src` without the fields at the given byte ranges of its
 * body (`drop`: from/to pairs, ascending, as WriteRequestDecoder records exemplars): the distributor
 * forwards a series without the exemplars it refused, every other byte as it came.
 */
export function withoutSeriesFields(src: Buffer, from: number, to: number, drop: readonly number[]): Buffer {
  let body = from + 1;
  while (src[body] >= 0x80) body++;
  body++;
  let bodyLen = to - body;
  for (let k = 0; k < drop.length; k += 2) bodyLen -= drop[k + 1] - drop[k];
  const out = Buffer.allocUnsafe(lengthDelimitedLen(bodyLen));
  out[0] = 10;
  let at = writeVarint(out, 1, bodyLen);
  let p = body;
  for (let k = 0; k < drop.length; k += 2) {
    at += src.copy(out, at, p, drop[k]);
    p = drop[k + 1];
  }
  src.copy(out, at, p, to);
  return out;
}

function labelBodyLen(n: string, v: string): number {
  return lengthDelimitedLen(Buffer.byteLength(n)) + lengthDelimitedLen(Buffer.byteLength(v));
}

// The ranges given to rewriteSeriesLabels were validated by the decoder, so these readers need
// no bounds checks beyond the decoder's.
function readVarint(b: Buffer, p: number): { value: number; next: number } {
  let x = 0;
  for (let shift = 0; ; shift += 7) {
    const c = b[p++];
    x += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) return { value: x, next: p };
  }
}

function skipValue(b: Buffer, p: number, wireType: number): number {
  switch (wireType) {
    case 0:
      while (b[p++] >= 0x80);
      return p;
    case 1:
      return p + 8;
    case 2: {
      const len = readVarint(b, p);
      return len.next + len.value;
    }
    case 5:
      return p + 4;
    default:
      throw new Error(`BUG: wire type ${wireType} in a range the decoder accepted`);
  }
}
