/**
 * The Gorilla XOR chunk, bit for bit as Prometheus writes it (encoding 1 in blocks):
 *
 *   ┌──────────────────┬────────────────┬───────────────┬──────────────────┬─────────────────────┐
 *   │ num samples u16BE│ t0 varint      │ v0 64 bits    │ Δt1 uvarint      │ v1 xor │ (ΔΔt, v xor)…
 *   └──────────────────┴────────────────┴───────────────┴──────────────────┴─────────────────────┘
 *
 * From the third sample on, each timestamp is the delta of deltas in a bucket chosen by its size:
 *   0 → '0'; [-8191, 8192] → '10' + 14 bits; [-65535, 65536] → '110' + 17 bits;
 *   [-524287, 524288] → '1110' + 20 bits; else '1111' + 64 bits (two's complement).
 * Each value (from the second on) is XOR'd with the previous one's bits:
 *   equal → '0'; within the previous leading/trailing zero window → '10' + the window's bits;
 *   else '11' + leading zeros (5 bits, capped at 31) + significant bit count (6 bits, 64 written as 0)
 *   + the significant bits.
 * Varints are Go's encoding/binary forms (the signed one zig-zag).
 */
import type { SampleIterator } from '../../storage/index.js';
import { ValueType, notAHistogram } from '../../storage/index.js';
import { BitReader, BitWriter } from './bstream.js';
import { f64, u32 } from './float-bits.js';
import { type XorValue, readXorValue, writeXorValue } from './xor-value.js';

/** Chunk encodings as numbered in Prometheus' chunkenc (block chunk files carry this byte). */
export const Encoding = { None: 0, XOR: 1, Histogram: 2, FloatHistogram: 3 } as const;
export type Encoding = (typeof Encoding)[keyof typeof Encoding];

/** Size of the sample-count header. */
export const XorHeaderBytes = 2;
/** The header caps a chunk at this many samples. */
export const XorMaxSamples = 0xffff;

const TwoPow32 = 4294967296;

/**
 * An XOR chunk open for appends. Samples must come in strictly increasing time order. It is its own
 * bit stream (one object per open chunk, one pointer hop less per append); treat the inherited
 * writer fields as read-only.
 */
export class XorChunk extends BitWriter {
  #num: number;
  #t: number;
  #tDelta: number;
  readonly #v: XorValue;

  /** `capacity` is the initial buffer size in bytes; the buffer doubles as needed. */
  constructor(capacity = 32) {
    super(new Uint8Array(Math.max(capacity, XorHeaderBytes)), XorHeaderBytes);
    this.#num = 0;
    this.#t = 0;
    this.#tDelta = 0;
    this.#v = { hi: 0, lo: 0, leading: 0xff, trailing: 0 };
  }

  numSamples(): number {
    return this.#num;
  }

  /** Encoded size in bytes. (bytes(), inherited, gives a view valid until the next append.) */
  size(): number {
    return this.length;
  }

  /** A copy of the encoded bytes with no spare capacity (for completed chunks). */
  compact(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** Appends one sample. The caller guarantees t is greater than the last appended timestamp. */
  append(t: number, v: number): void {
    const num = this.#num;
    if (num === 0) {
      writeVarint(this, t);
      f64[0] = v;
      const s = this.#v;
      s.lo = u32[0];
      s.hi = u32[1];
      this.writeBits(s.hi, 32);
      this.writeBits(s.lo, 32);
    } else if (num === 1) {
      const tDelta = t - this.#t;
      writeUvarint(this, tDelta);
      this.#tDelta = tDelta;
      writeXorValue(this, this.#v, v);
    } else {
      const tDelta = t - this.#t;
      const dod = tDelta - this.#tDelta;
      if (dod === 0) {
        this.writeBit(0);
      } else if (dod >= -8191 && dod <= 8192) {
        this.writeBits(0b10, 2);
        this.writeBits(dod & 0x3fff, 14);
      } else if (dod >= -65535 && dod <= 65536) {
        this.writeBits(0b110, 3);
        this.writeBits(dod & 0x1ffff, 17);
      } else if (dod >= -524287 && dod <= 524288) {
        this.writeBits(0b1110, 4);
        this.writeBits(dod & 0xfffff, 20);
      } else {
        this.writeBits(0b1111, 4);
        const hi = Math.floor(dod / TwoPow32);
        this.writeBits(hi >>> 0, 32);
        this.writeBits((dod - hi * TwoPow32) >>> 0, 32);
      }
      this.#tDelta = tDelta;
      writeXorValue(this, this.#v, v);
    }
    this.#t = t;
    this.#num = num + 1;
    const buf = this.buf;
    buf[0] = (num + 1) >>> 8;
    buf[1] = (num + 1) & 0xff;
  }

  iterator(reuse?: XorIterator): XorIterator {
    const it = reuse ?? new XorIterator();
    it.reset(this.bytes());
    return it;
  }
}

function writeUvarint(w: BitWriter, x: number): void {
  while (x >= 0x80) {
    w.writeBits((x % 0x80) | 0x80, 8);
    x = Math.floor(x / 0x80);
  }
  w.writeBits(x, 8);
}

function writeVarint(w: BitWriter, x: number): void {
  writeUvarint(w, x >= 0 ? x * 2 : -x * 2 - 1);
}

/**
 * Iterates an XOR chunk. Reusable through reset(); allocates nothing per sample. A truncated or
 * malformed chunk ends iteration with err() set.
 */
export class XorIterator implements SampleIterator {
  readonly #r: BitReader;
  #total: number;
  #read: number;
  #t: number;
  #tDelta: number;
  readonly #v: XorValue;
  #err: Error | undefined;

  constructor(bytes: Uint8Array = EmptyChunk) {
    this.#r = new BitReader(bytes, XorHeaderBytes);
    this.#total = 0;
    this.#read = 0;
    this.#t = 0;
    this.#tDelta = 0;
    this.#v = { hi: 0, lo: 0, leading: 0, trailing: 0 };
    this.#err = undefined;
    this.reset(bytes);
  }

  /**
   * Restarts on another chunk's bytes (header included). `numSamples` overrides the header's count:
   * readers of a chunk that is still being appended to pass the count they snapshotted.
   */
  reset(bytes: Uint8Array, numSamples = -1): void {
    this.#r.reset(bytes, XorHeaderBytes);
    this.#err = undefined;
    this.#read = 0;
    this.#t = 0;
    this.#tDelta = 0;
    const v = this.#v;
    v.hi = 0;
    v.lo = 0;
    v.leading = 0;
    v.trailing = 0;
    if (bytes.length < XorHeaderBytes) {
      this.#total = 0;
      if (bytes.length !== 0) this.#err = new Error('xor chunk: truncated header');
    } else {
      this.#total = numSamples >= 0 ? numSamples : (bytes[0] << 8) | bytes[1];
    }
  }

  atT(): number {
    return this.#t;
  }

  atV(): number {
    u32[0] = this.#v.lo;
    u32[1] = this.#v.hi;
    return f64[0];
  }

  atHistogram = notAHistogram;
  atFloatHistogram = notAHistogram;

  /** High and low 32 bits of the current value, for bit-exact consumers. */
  atVHi(): number {
    return this.#v.hi;
  }

  atVLo(): number {
    return this.#v.lo;
  }

  err(): Error | undefined {
    return this.#err;
  }

  seek(t: number): ValueType {
    if (this.#err !== undefined) return ValueType.None;
    while (this.#read === 0 || t > this.#t) {
      if (this.next() === ValueType.None) return ValueType.None;
    }
    return ValueType.Float;
  }

  next(): ValueType {
    if (this.#err !== undefined || this.#read >= this.#total) return ValueType.None;
    const r = this.#r;
    if (this.#read === 0) {
      const t = this.#readVarint();
      if (t === undefined || r.remaining() < 64) return this.#fail('first sample');
      this.#t = t;
      this.#v.hi = r.readBits(32);
      this.#v.lo = r.readBits(32);
    } else if (this.#read === 1) {
      const d = this.#readUvarint();
      if (d === undefined) return this.#fail('second timestamp');
      this.#tDelta = d;
      this.#t += d;
      if (!readXorValue(r, this.#v)) return this.#fail('value');
    } else {
      // Delta of delta: '0', or 1-4 one bits ('10', '110', '1110', '1111') and 14, 17, 20 or 64 bits.
      const w = r.peek32();
      if (w < 0) {
        const ones = Math.clz32(~w);
        if (ones < 4) {
          const sz = ones === 1 ? 14 : ones === 2 ? 17 : 20;
          let dod = (w << (ones + 1)) >>> (32 - sz);
          if (dod > 1 << (sz - 1)) dod -= 1 << sz;
          r.skip(ones + 1 + sz);
          this.#tDelta += dod;
        } else {
          r.skip(4);
          if (r.remaining() < 64) return this.#fail('timestamp');
          const hi = r.readBits(32) | 0;
          this.#tDelta += hi * TwoPow32 + r.readBits(32);
        }
        if (r.remaining() < 0) return this.#fail('timestamp');
      } else if ((w << 1) >= 0 && r.remaining() >= 2) {
        // '0' '0': same delta, same value (the commonest sample of a steady scrape).
        r.skip(2);
        this.#t += this.#tDelta;
        this.#read++;
        return ValueType.Float;
      } else {
        if (r.remaining() < 1) return this.#fail('timestamp');
        r.skip(1);
      }
      this.#t += this.#tDelta;
      if (!readXorValue(r, this.#v)) return this.#fail('value');
    }
    this.#read++;
    return ValueType.Float;
  }

  #fail(what: string): ValueType {
    this.#err = new Error(`xor chunk: truncated ${what} of sample ${this.#read} of ${this.#total}`);
    return ValueType.None;
  }

  #readUvarint(): number | undefined {
    const r = this.#r;
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (r.remaining() < 8) return undefined;
      const b = r.readBits(8);
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 0x80;
    }
    return undefined;
  }

  #readVarint(): number | undefined {
    const u = this.#readUvarint();
    if (u === undefined) return undefined;
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
}

const EmptyChunk = new Uint8Array(0);

/** Number of samples recorded in an XOR chunk's header. */
export function xorNumSamples(bytes: Uint8Array): number {
  return bytes.length < XorHeaderBytes ? 0 : (bytes[0] << 8) | bytes[1];
}
