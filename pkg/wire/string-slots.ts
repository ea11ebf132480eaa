// Decoding label strings without allocating the ones seen before. Consecutive series of a message
// mostly repeat the names and many values of the previous series at the same label position (same
// metric family, same target), so each position remembers the bytes and string it read last; equal
// bytes give that string back, and equal strings share one copy.
import { isUtf8 } from 'node:buffer';
import { WireError, WireErrorCode } from './errors.js';

/**
 * Buffer's native string slicers, which `toString(encoding, from, to)` calls after checks and an
 * encoding switch; present on every Buffer since Node 0.x, but missing from @types/node.
 */
interface SliceBuffer extends Buffer {
  latin1Slice(from: number, to: number): string;
  utf8Slice(from: number, to: number): string;
}

export class StringSlots {
  readonly size: number;
  readonly #buf: (Buffer | undefined)[];
  readonly #from: Uint32Array;
  readonly #to: Uint32Array;
  readonly #str: string[];

  constructor(size: number) {
    this.size = size;
    this.#buf = new Array<Buffer | undefined>(size).fill(undefined);
    this.#from = new Uint32Array(size);
    this.#to = new Uint32Array(size);
    this.#str = new Array<string>(size).fill('');
  }

  /**
   * The UTF-8 string in buf[from, to), reusing the one last read at `slot` when its bytes are equal
   * (slots at or past `size` are not cached). The buffers whose bytes are remembered must not be
   * modified afterwards. Throws WireError on invalid UTF-8.
   */
  read(buf: Buffer, from: number, to: number, slot: number): string {
    const len = to - from;
    if (slot < this.size) {
      const prev = this.#buf[slot];
      const at = this.#from[slot];
      if (prev !== undefined && this.#to[slot] - at === len) {
        let k = 0;
        while (k < len && prev[at + k] === buf[from + k]) k++;
        if (k === len) return this.#str[slot];
      }
    }
    let ascii = true;
    for (let k = from; k < to; k++) {
      if (buf[k] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (!ascii && !isUtf8(buf.subarray(from, to))) {
      throw new WireError(WireErrorCode.BadProtobuf, 'invalid protobuf: string field is not valid UTF-8');
    }
    const s = ascii ? (buf as SliceBuffer).latin1Slice(from, to) : (buf as SliceBuffer).utf8Slice(from, to);
    if (slot < this.size) {
      this.#buf[slot] = buf;
      this.#from[slot] = from;
      this.#to[slot] = to;
      this.#str[slot] = s;
    }
    return s;
  }

  /**
   * Labels [from, to) of `ranges` (four offsets per label, see DecodedWrite.labelRanges) as flat
   * name/value strings in `out` (cleared first; returned); label k of the series reads through
   * slots 2k and 2k+1, so strings repeated from the previous series at the same position are shared.
   */
  pairs(buf: Buffer, ranges: Uint32Array, from: number, to: number, out: string[]): string[] {
    out.length = 0;
    for (let l = from, k = 0; l < to; l++, k++) {
      out.push(this.read(buf, ranges[4 * l], ranges[4 * l + 1], 2 * k), this.read(buf, ranges[4 * l + 2], ranges[4 * l + 3], 2 * k + 1));
    }
    return out;
  }
}
