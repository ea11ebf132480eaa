// A read position in a protobuf buffer, for the hand-written decoders that are not hot enough to
// need their own inlined reads.
import { WireError, WireErrorCode } from './errors.js';

/** A read position in a protobuf buffer with the primitive reads, each bounded by an end. */
export class Cursor {
  readonly buf: Buffer;
  pos = 0;
  /** The message being read, for errors. */
  readonly #what: string;

  constructor(buf: Buffer, what: string, pos = 0) {
    this.buf = buf;
    this.#what = what;
    this.pos = pos;
  }

  /** An unsigned varint of up to 53 bits (tags, lengths, non-negative numbers). */
  varint(end: number): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw this.truncated();
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: varint longer than 10 bytes');
  }

  /** A signed int64 varint (two's complement), as a number. */
  int64(end: number): number {
    const from = this.pos;
    const v = this.varint(end);
    if (this.pos - from < 10) return v;
    // Ten bytes: a negative number; redo it exactly.
    let big = 0n;
    for (let i = 9; i >= 0; i--) big = (big << 7n) | BigInt(this.buf[from + i] & 0x7f);
    return Number(BigInt.asIntN(64, big));
  }

  /** Reads a length prefix and returns where the field ends. */
  lengthEnd(end: number): number {
    const len = this.varint(end);
    const to = this.pos + len;
    if (to > end) throw this.truncated();
    return to;
  }

  skip(tag: number, end: number): void {
    switch (tag & 7) {
      case 0:
        this.varint(end);
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.lengthEnd(end);
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: wire type ${tag & 7}`);
    }
    if (this.pos > end) throw this.truncated();
  }

  /** A zig-zag encoded signed varint (sint32, sint64). */
  zigzag(end: number): number {
    const u = this.varint(end);
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** A little-endian double (fixed64). */
  double(end: number): number {
    if (this.pos + 8 > end) throw this.truncated();
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  truncated(): WireError {
    return new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: ${this.#what} is truncated`);
  }
}
