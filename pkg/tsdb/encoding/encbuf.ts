import { crc32c } from './crc32c.js';
import { zigzag } from './varint.js';

const textEncoder = new TextEncoder();

/**
 * A growable byte buffer with the big-endian and varint writers Prometheus' on-disk formats use
 * (tsdb/encoding Encbuf). Reset and reuse it: `get()` returns a view valid until the next write.
 */
export class Encbuf {
  #buf: Uint8Array;
  #view: DataView;
  #len: number;

  constructor(initialSize = 1024) {
    this.#buf = new Uint8Array(initialSize);
    this.#view = new DataView(this.#buf.buffer);
    this.#len = 0;
  }

  get length(): number {
    return this.#len;
  }

  reset(): void {
    this.#len = 0;
  }

  /** A view of the bytes written so far; valid until the next write or reset. */
  get(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  #grow(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  putByte(b: number): void {
    this.#grow(1);
    this.#buf[this.#len++] = b;
  }

  putBytes(b: Uint8Array): void {
    this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  putBE32(v: number): void {
    this.#grow(4);
    this.#view.setUint32(this.#len, v >>> 0);
    this.#len += 4;
  }

  /** Overwrites 4 bytes at `at` (for length fields known only after the body). */
  setBE32(at: number, v: number): void {
    this.#view.setUint32(at, v >>> 0);
  }

  putBE64(v: number): void {
    this.#grow(8);
    this.#view.setUint32(this.#len, Math.floor(v / 0x100000000));
    this.#view.setUint32(this.#len + 4, v >>> 0);
    this.#len += 8;
  }

  putUvarint(v: number): void {
    this.#grow(10);
    const b = this.#buf;
    while (v >= 0x80) {
      b[this.#len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.#len++] = v;
  }

  /** `uvarint(uint64(v))` for a signed v, as Go writes a negative int64 cast to uint64. */
  putUvarintWrapped(v: number): void {
    if (v >= 0) {
      this.putUvarint(v);
      return;
    }
    this.#grow(10);
    let u = BigInt.asUintN(64, BigInt(v));
    while (u >= 0x80n) {
      this.#buf[this.#len++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.#buf[this.#len++] = Number(u);
  }

  putVarint(v: number): void {
    this.putUvarint(zigzag(v));
  }

  /** A uvarint length followed by the UTF-8 bytes of `s`. */
  putUvarintStr(s: string): void {
    this.#grow(10 + s.length * 3);
    const r = textEncoder.encodeInto(s, this.#buf.subarray(this.#len + 10));
    // Write the length, then move the bytes right after it (they were staged 10 bytes ahead).
    const staged = this.#len + 10;
    this.putUvarint(r.written);
    this.#buf.copyWithin(this.#len, staged, staged + r.written);
    this.#len += r.written;
  }

  /** Appends the CRC32C of bytes [from, length) as a big-endian uint32. */
  putCRC32Since(from: number): void {
    this.putBE32(crc32c(this.#buf, from, this.#len));
  }

  /** Pads with zero bytes until `absPos + length` is a multiple of `align`. */
  padTo(absPos: number, align: number): void {
    const rem = (absPos + this.#len) % align;
    if (rem === 0) return;
    for (let i = rem; i < align; i++) this.putByte(0);
  }
}
