/**
 * Bit streams as Prometheus' tsdb/chunkenc uses them: bits are written most significant first into
 * consecutive bytes; a partly filled last byte has its unused low bits at zero.
 *
 * Values wider than 32 bits are passed as (hi, lo) 32-bit halves so that no call allocates.
 */

export class BitWriter {
  /** Backing store; bytes [0, length) are valid. Replaced when it grows. */
  buf: Uint8Array;
  /** Number of bytes in use, the last one possibly partial. */
  length: number;
  /** Free bits in the last byte (0 when it is full or there is none). */
  free: number;

  constructor(buf: Uint8Array, length: number) {
    this.buf = buf;
    this.length = length;
    this.free = 0;
  }

  /** The bytes written so far (a view; valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  #grow(): void {
    const next = new Uint8Array(this.buf.length < 64 ? 64 : this.buf.length * 2);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  writeBit(bit: number): void {
    if (this.free === 0) {
      if (this.length === this.buf.length) this.#grow();
      this.buf[this.length++] = 0;
      this.free = 8;
    }
    this.free--;
    if (bit !== 0) this.buf[this.length - 1] |= 1 << this.free;
  }

  /** Writes the low `n` bits of `v` (0 <= n <= 32), most significant first. */
  writeBits(v: number, n: number): void {
    while (n > 0) {
      if (this.free === 0) {
        if (this.length === this.buf.length) this.#grow();
        this.buf[this.length++] = 0;
        this.free = 8;
      }
      const k = n < this.free ? n : this.free;
      const bits = (v >>> (n - k)) & ((1 << k) - 1);
      this.free -= k;
      this.buf[this.length - 1] |= bits << this.free;
      n -= k;
    }
  }

  /** Writes the low `n` bits (0 <= n <= 64) of the 64-bit value hi:lo. */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.writeBits(hi, n - 32);
      this.writeBits(lo, 32);
    } else {
      this.writeBits(lo, n);
    }
  }

  writeByte(b: number): void {
    this.writeBits(b, 8);
  }
}

export class BitReader {
  buf: Uint8Array;
  /** Position in bits from the start of `buf`. */
  pos: number;
  /** Bits available: 8 * length of the stream. */
  end: number;
  /** High half of the last readBits64 result (the low half is its return value). */
  hi: number;

  constructor(buf: Uint8Array, startByte: number) {
    this.buf = buf;
    this.pos = startByte * 8;
    this.end = buf.length * 8;
    this.hi = 0;
  }

  reset(buf: Uint8Array, startByte: number): void {
    this.buf = buf;
    this.pos = startByte * 8;
    this.end = buf.length * 8;
    this.hi = 0;
  }

  /** Bits left to read. */
  remaining(): number {
    return this.end - this.pos;
  }

  /**
   * The 32 bits from the current position, most significant first, as a signed int32 (the first bit
   * is the sign: no heap number), without consuming them; bits past the end read as zeros. Readers decode a field group from one peek and then skip() what it used:
   * one bounds check and five byte loads instead of one call per bit.
   */
  peek32(): number {
    return peek32At(this.buf, this.pos);
  }

  skip(n: number): void {
    this.pos += n;
  }

  /** Returns the next bit, or -1 at the end of the stream. */
  readBit(): number {
    if (this.pos >= this.end) return -1;
    const p = this.pos++;
    return (this.buf[p >>> 3] >>> (7 - (p & 7))) & 1;
  }

  /**
   * Reads `n` bits (0 <= n <= 32) as an unsigned number. The caller checks remaining() first: past the
   * end, missing bits read as zeros.
   */
  readBits(n: number): number {
    if (n === 0) return 0;
    const v = peek32At(this.buf, this.pos) >>> (32 - n);
    this.pos += n;
    return v;
  }

  /** Reads `n` bits (0 <= n <= 64); returns the low 32 bits and leaves the high ones in `hi`. */
  readBits64(n: number): number {
    if (n > 32) {
      this.hi = this.readBits(n - 32);
      return this.readBits(32);
    }
    this.hi = 0;
    return this.readBits(n);
  }

  readByte(): number {
    return this.readBits(8);
  }
}

/** The 32 bits of `buf` from bit `pos` on (most significant first, as an int32); zeros past its end. */
export function peek32At(buf: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const shift = pos & 7;
  const n = buf.length;
  let w: number;
  let next: number;
  if (i + 4 < n) {
    w = (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
    next = buf[i + 4];
  } else {
    // The stream's last bytes: the same, reading zeros past the end.
    w = ((i < n ? buf[i] : 0) << 24) | ((i + 1 < n ? buf[i + 1] : 0) << 16) | ((i + 2 < n ? buf[i + 2] : 0) << 8) | (i + 3 < n ? buf[i + 3] : 0);
    next = 0;
  }
  return shift === 0 ? w : (w << shift) | (next >>> (8 - shift));
}
