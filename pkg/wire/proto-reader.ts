// The protobuf primitives the hand-written decoders share: varints, lengths, doubles and skipping
// unknown fields, all checked against the end of the enclosing message.
import { WireError, WireErrorCode } from './errors.js';

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

export class ProtoReader {
  /** The buffer being decoded; byte ranges a decoder records index into it. */
  buf: Buffer = Buffer.alloc(0);
  protected pos = 0;

  /** A known field number with the wrong wire type is an error (as in Go's protobuf), never skipped. */
  protected checkKnownField(tag: number, ...known: number[]): void {
    const field = tag >>> 3;
    if (field === 0) throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: field number 0');
    if (known.includes(field)) {
      throw new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: field ${field} has wrong wire type ${tag & 7}`);
    }
  }

  protected skip(tag: number, end: number): void {
    switch (tag & 7) {
      case 0:
        this.int64(end);
        return;
      case 1:
        if (this.pos + 8 > end) throw truncated('fixed64 field');
        this.pos += 8;
        return;
      case 2:
        this.pos = this.lengthEnd(end);
        return;
      case 5:
        if (this.pos + 4 > end) throw truncated('fixed32 field');
        this.pos += 4;
        return;
      default:
        throw new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: unsupported wire type ${tag & 7}`);
    }
  }

  /** Reads a length prefix and returns where the field ends, checked against `end`. */
  protected lengthEnd(end: number): number {
    const len = this.uvarint(end);
    const to = this.pos + len;
    if (to > end) throw truncated('length-delimited field');
    return to;
  }

  /** A little-endian double (wire type 1); `what` names it when truncated. */
  protected double(end: number, what = 'double'): number {
    const p = this.pos;
    if (p + 8 > end) throw truncated(what);
    const buf = this.buf;
    for (let k = 0; k < 8; k++) f64Bytes[k] = buf[p + k];
    this.pos = p + 8;
    return f64[0];
  }

  /** An unsigned varint of at most 32 bits (tags, lengths, enums, symbol references). */
  protected uvarint(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    // Fast path: tags and most lengths fit in one byte.
    if (p < end && buf[p] < 0x80) {
      this.pos = p + 1;
      return buf[p];
    }
    // 7 bits per byte, scaled by a running power of 128: `2 ** shift` is a libm pow() call in V8.
    let x = 0;
    for (let i = 0, scale = 1; i < 5; i++, scale *= 0x80) {
      if (p >= end) throw truncated('varint');
      const b = buf[p++];
      x += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (x > 0xffffffff) break;
        this.pos = p;
        return x;
      }
    }
    throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: varint overflows 32 bits');
  }

  /** A two's complement int64 varint, exact within ±2^53. */
  protected int64(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0x80;
    for (let i = 0; i < 10 && b >= 0x80; i++) {
      if (p >= end) throw truncated('varint');
      b = buf[p++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
    }
    if (b >= 0x80) throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: varint longer than 10 bytes');
    this.pos = p;
    const x = (hi | 0) * 4294967296 + (lo >>> 0);
    if (!Number.isSafeInteger(x)) throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: integer beyond ±2^53');
    return x;
  }
}

export function truncated(what: string): WireError {
  return new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: truncated ${what}`);
}

export function grow(a: Uint32Array, n: number): Uint32Array {
  const out = new Uint32Array(n);
  out.set(a);
  return out;
}

export function growF64(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  out.set(a);
  return out;
}
