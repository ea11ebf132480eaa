import { open, type FileHandle } from 'node:fs/promises';
import { CorruptionError } from './decbuf.js';

/**
 * Positioned reads of one immutable object of known size: a local file (FileReader) or an object in
 * a bucket read with range requests (the store-gateway's readers). The index and chunk readers only
 * need this.
 */
export interface RangeReader {
  /** Names the object in errors. */
  readonly path: string;
  readonly size: number;
  /** Exactly `[offset, offset+length)`; a range past the end is corruption. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Like read() but clamps the range to the end of the object. */
  readUpTo(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Positioned reads from one file, so that large files are never loaded whole. */
export class FileReader implements RangeReader {
  readonly path: string;
  readonly size: number;
  #fh: FileHandle;

  private constructor(path: string, fh: FileHandle, size: number) {
    this.path = path;
    this.#fh = fh;
    this.size = size;
  }

  static async open(path: string): Promise<FileReader> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new FileReader(path, fh, st.size);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Reads exactly `[offset, offset+length)`; a range past the end is corruption. */
  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || offset + length > this.size) {
      throw new CorruptionError(`${this.path}: read [${offset}, ${offset + length}) beyond size ${this.size}`);
    }
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new CorruptionError(`${this.path}: short read at ${offset + done}`);
      done += bytesRead;
    }
    return buf;
  }

  /** Like read() but clamps the range to the end of the file. */
  async readUpTo(offset: number, length: number): Promise<Buffer> {
    return this.read(offset, Math.max(0, Math.min(length, this.size - offset)));
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}
