import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Encbuf, FileWriter } from '../encoding/index.js';
import { DEFAULT_SEGMENT_SIZE, SEGMENT_MAGIC, SEGMENT_VERSION, chunkRef, segmentName } from './segment-format.js';

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

  /** Appends one chunk and returns its reference. `data` is copied. */
  async write(encoding: number, data: Uint8Array): Promise<number> {
    const e = this.#enc;
    e.reset();
    e.putUvarint(data.length);
    const crcFrom = e.length;
    e.putByte(encoding);
    e.putBytes(data);
    e.putCRC32Since(crcFrom);
    if (this.#file === undefined || (this.#file.pos + e.length > this.segmentSize && this.#file.pos > 8)) {
      await this.#cut();
    }
    const f = this.#file as FileWriter;
    const ref = chunkRef(this.#seq, f.pos);
    await f.write(e.get());
    return ref;
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
