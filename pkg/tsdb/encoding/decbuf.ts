import { crc32c } from './crc32c.js';
import { unzigzag } from './varint.js';

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Corrupt or truncated on-disk data. */
export class CorruptionError extends Error {
  readonly code = 'TSDB_CORRUPTION';
}

/**
 * A reading cursor over bytes with the big-endian and varint readers of Prometheus' formats
 * (tsdb/encoding Decbuf). Reads past the end throw a CorruptionError naming `what`.
 */
export class Decbuf {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  readonly what: string;

  constructor(buf: Uint8Array, what: string, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.what = what;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  #need(n: number): void {
    if (this.pos + n > this.end) throw new CorruptionError(`${this.what}: unexpected end of data at ${this.pos}`);
  }

  byte(): number {
    this.#need(1);
    return this.buf[this.pos++];
  }

  be32(): number {
    this.#need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  be64(): number {
    const hi = this.be32();
    const lo = this.be32();
    if (hi >= 0x200000) throw new CorruptionError(`${this.what}: 64-bit value beyond 2^53`);
    return hi * 0x100000000 + lo;
  }

  uvarint(): number {
    const b = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new CorruptionError(`${this.what}: truncated varint at ${this.pos}`);
      const c = b[this.pos++];
      result += (c & 0x7f) * mul;
      if (c < 0x80) return result;
      mul *= 128;
    }
    throw new CorruptionError(`${this.what}: varint overflow at ${this.pos}`);
  }

  /**
   * A uvarint that Go wrote as `uint64(x)` of a signed int64 `x` (e.g. Prometheus' chunk-meta delta
   * `mint - prev.maxt`, negative when chunks overlap): values of 2^63 and above wrap to negative.
   * The rare long form goes through BigInt so the wrap is exact.
   */
  uvarintWrapped(): number {
    const start = this.pos;
    const v = this.uvarint();
    if (v < 2 ** 53) return v;
    let big = 0n;
    let shift = 0n;
    for (let p = start; p < this.pos; p++, shift += 7n) big |= BigInt(this.buf[p] & 0x7f) << shift;
    return Number(BigInt.asIntN(64, big));
  }

  varint(): number {
    return unzigzag(this.uvarint());
  }

  uvarintStr(): string {
    const n = this.uvarint();
    this.#need(n);
    const s = textDecoder.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  skip(n: number): void {
    this.#need(n);
    this.pos += n;
  }
}

/**
 * Checks the big-endian CRC32C stored at `buf[end, end+4)` against the bytes `[start, end)`.
 * Throws a CorruptionError naming `what` on mismatch.
 */
export function verifyCRC32(buf: Uint8Array, start: number, end: number, what: string): void {
  if (end + 4 > buf.length) throw new CorruptionError(`${what}: checksum beyond end of data`);
  const want = ((buf[end] << 24) | (buf[end + 1] << 16) | (buf[end + 2] << 8) | buf[end + 3]) >>> 0;
  const got = crc32c(buf, start, end);
  if (want !== got) {
    throw new CorruptionError(`${what}: checksum mismatch (stored ${hex(want)}, computed ${hex(got)})`);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
