import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Encbuf, FileWriter } from '../encoding/index.js';
import { DEFAULT_SEGMENT_SIZE, SEGMENT_HEADER_SIZE, SEGMENT_MAGIC, SEGMENT_VERSION, chunkRef, segmentName } from './segment-format.js';

/** Writes chunks into numbered segment files under `dir`, starting a new file before one would exceed `segmentSize`. */
export class SegmentWriter {
  readonly dir: string;
  readonly segmentSize: number;
  #file: FileWriter | undefined;
  #seq: number;
  #enc: Encbuf;

  constructor(dir: string, segmentSize = DEFAULT_SEGMENT_SIZE) {
    this.dir = dir;
    this.segmentSize = segmentSize;
    this.#file = undefined;
    this.#seq = -1;
    this.#enc = new Encbuf(256);
  }

  /**
   * Appends one chunk and returns its reference, or -1 without writing anything when that needs
   * I/O first (a full buffer or a new segment): then call write(). `data` is copied.
   */
  writeSync(encoding: number, data: Uint8Array): number {
    const f = this.#file;
    if (f === undefined) return -1;
    const e = this.#encode(encoding, data);
    if (!f.fits(e.length) || this.#mustCut(f, e.length)) return -1;
    const ref = chunkRef(this.#seq, f.pos);
    f.writeSync(e.get());
    return ref;
  }

  /** Appends one chunk and returns its reference. `data` is copied. */
  async write(encoding: number, data: Uint8Array): Promise<number> {
    const e = this.#encode(encoding, data);
    if (this.#file === undefined || this.#mustCut(this.#file, e.length)) await this.#cut();
    const f = this.#file as FileWriter;
    const ref = chunkRef(this.#seq, f.pos);
    await f.write(e.get());
    return ref;
  }

  #encode(encoding: number, data: Uint8Array): Encbuf {
    const e = this.#enc;
    e.reset();
    e.putUvarint(data.length);
    const crcFrom = e.length;
    e.putByte(encoding);
    e.putBytes(data);
    e.putCRC32Since(crcFrom);
    return e;
  }

  /** A segment is full when the chunk would cross its size; a chunk alone may exceed it. */
  #mustCut(f: FileWriter, n: number): boolean {
    return f.pos + n > this.segmentSize && f.pos > SEGMENT_HEADER_SIZE;
  }

  async #cut(): Promise<void> {
    if (this.#file !== undefined) await this.#file.close();
    if (this.#seq === -1) await mkdir(this.dir, { recursive: true });
    this.#seq++;
    const f = await FileWriter.create(join(this.dir, segmentName(this.#seq)));
    const h = new Encbuf(8);
    h.putBE32(SEGMENT_MAGIC);
    h.putByte(SEGMENT_VERSION);
    h.putByte(0);
    h.putByte(0);
    h.putByte(0);
    await f.write(h.get());
    this.#file = f;
  }

  /** Flushes, fsyncs and closes the last segment. Creates the directory even when no chunk was written. */
  async close(): Promise<void> {
    if (this.#file === undefined) {
      await mkdir(this.dir, { recursive: true });
      return;
    }
    await this.#file.close();
    this.#file = undefined;
  }

  async abort(): Promise<void> {
    if (this.#file !== undefined) await this.#file.abort();
    this.#file = undefined;
  }
}
