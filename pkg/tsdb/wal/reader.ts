import { closeSync, openSync, readSync } from 'node:fs';
import { crc32c } from '../encoding/index.js';
import type { SegmentRef } from './segments.js';
import { FragmentType, PageSize, RecordHeaderSize, SnappyFlag } from './segments.js';

/** Where a WAL stops being valid: truncate `segment` to `offset` bytes and drop later segments. */
export interface Corruption {
  segment: number;
  /** End of the last complete, valid record in `segment`. */
  offset: number;
  reason: string;
}

/**
 * Streams records out of a sequence of segment files, one 32 KiB page in memory at a time plus the
 * record being assembled: replay memory does not grow with the WAL's size.
 *
 * next() returns a view of the record, valid until the following call, or undefined at the end —
 * either the clean end, or the first corruption, reported by corruption(). A torn tail (a file that
 * ends inside a record) counts as corruption: the record was never acknowledged.
 */
export class SegmentReader {
  readonly #segments: readonly SegmentRef[];
  #seg = -1;
  #fd = -1;
  readonly #page = Buffer.alloc(PageSize);
  #pageStart = 0;
  #pageLen = 0;
  #pos = 0;
  #rec = Buffer.allocUnsafe(PageSize);
  #recLen = 0;
  #inRecord = false;
  #lastGoodEnd = 0;
  #corruption: Corruption | undefined = undefined;
  #done = false;

  constructor(segments: readonly SegmentRef[]) {
    this.#segments = segments;
  }

  corruption(): Corruption | undefined {
    return this.#corruption;
  }

  /** Index of the segment the last record came from. */
  segment(): number {
    return this.#segments[this.#seg]?.index ?? -1;
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
    this.#done = true;
  }

  #fail(reason: string): undefined {
    const seg = this.#segments[this.#seg];
    this.#corruption = { segment: seg.index, offset: this.#lastGoodEnd, reason: `${reason} at offset ${this.#pageStart + this.#pos}` };
    this.close();
    return undefined;
  }

  #loadPage(start: number): void {
    this.#pageStart = start;
    this.#pos = 0;
    let n = 0;
    while (n < PageSize) {
      const r = readSync(this.#fd, this.#page, n, PageSize - n, start + n);
      if (r === 0) break;
      n += r;
    }
    this.#pageLen = n;
  }

  #openNext(): boolean {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
    this.#seg++;
    if (this.#seg >= this.#segments.length) return false;
    this.#fd = openSync(this.#segments[this.#seg].path, 'r');
    this.#lastGoodEnd = 0;
    this.#loadPage(0);
    return true;
  }

  #zeros(from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (this.#page[i] !== 0) return false;
    return true;
  }

  next(): Uint8Array | undefined {
    if (this.#done) return undefined;
    if (this.#fd < 0 && !this.#openNext()) {
      this.#done = true;
      return undefined;
    }
    for (;;) {
      const page = this.#page;
      if (this.#pos + RecordHeaderSize > this.#pageLen || page[this.#pos] === FragmentType.PageTerm) {
        // No room for another fragment here: the rest must be zero padding.
        if (!this.#zeros(this.#pos, this.#pageLen)) return this.#fail('non-zero page padding');
        if (this.#pageLen === PageSize) {
          this.#loadPage(this.#pageStart + PageSize);
          if (this.#pageLen > 0) continue;
        }
        // End of this segment file: records never span segments.
        if (this.#inRecord) return this.#fail('segment ends inside a record');
        if (!this.#openNext()) {
          this.close();
          return undefined;
        }
        continue;
      }
      const typeByte = page[this.#pos];
      const type = typeByte & 0x07;
      if ((typeByte & SnappyFlag) !== 0 || typeByte > (SnappyFlag | FragmentType.Last)) {
        return this.#fail(`unsupported fragment type 0x${typeByte.toString(16)}`);
      }
      const len = page.readUInt16BE(this.#pos + 1);
      const crc = page.readUInt32BE(this.#pos + 3);
      const start = this.#pos + RecordHeaderSize;
      if (start + len > this.#pageLen) return this.#fail('fragment past end of page');
      if (crc32c(page, start, start + len) !== crc) return this.#fail('fragment checksum mismatch');
      const first = type === FragmentType.Full || type === FragmentType.First;
      if (first === this.#inRecord) return this.#fail(`unexpected fragment type ${type}`);
      if (first) this.#recLen = 0;
      this.#append(start, len);
      this.#pos = start + len;
      if (type === FragmentType.Full || type === FragmentType.Last) {
        this.#inRecord = false;
        this.#lastGoodEnd = this.#pageStart + this.#pos;
        return this.#rec.subarray(0, this.#recLen);
      }
      this.#inRecord = true;
    }
  }

  #append(start: number, len: number): void {
    if (this.#recLen + len > this.#rec.length) {
      const next = Buffer.allocUnsafe(Math.max(this.#rec.length * 2, this.#recLen + len));
      this.#rec.copy(next, 0, 0, this.#recLen);
      this.#rec = next;
    }
    this.#page.copy(this.#rec, this.#recLen, start, start + len);
    this.#recLen += len;
  }
}
