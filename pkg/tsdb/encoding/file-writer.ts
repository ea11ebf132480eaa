import { open, type FileHandle } from 'node:fs/promises';

const FLUSH_AT = 4 << 20;

/**
 * Appends to a new file through a large in-memory buffer, tracking the absolute position, so that
 * format writers can encode synchronously and await only when a flush is due (once per few MiB).
 */
export class FileWriter {
  readonly path: string;
  #fh: FileHandle;
  #chunks: Uint8Array[];
  #buffered: number;
  #flushed: number;

  private constructor(path: string, fh: FileHandle) {
    this.path = path;
    this.#fh = fh;
    this.#chunks = [];
    this.#buffered = 0;
    this.#flushed = 0;
  }

  /** Creates `path`; fails if it exists. */
  static async create(path: string): Promise<FileWriter> {
    return new FileWriter(path, await open(path, 'wx'));
  }

  /** Absolute offset of the next byte written. */
  get pos(): number {
    return this.#flushed + this.#buffered;
  }

  /** Buffers a copy of `bytes`; flushes when enough has accumulated. */
  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes.slice());
    this.#buffered += bytes.length;
    if (this.#buffered >= FLUSH_AT) await this.flush();
  }

  /** Writes zero bytes until `pos` is a multiple of `align`. */
  async pad(align: number): Promise<void> {
    const rem = this.pos % align;
    if (rem !== 0) await this.write(new Uint8Array(align - rem));
  }

  async flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const data = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [];
    this.#buffered = 0;
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.#fh.write(data, off, data.length - off, this.#flushed + off);
      off += bytesWritten;
    }
    this.#flushed += data.length;
  }

  /** Flushes, fsyncs and closes. */
  async close(): Promise<void> {
    try {
      await this.flush();
      await this.#fh.sync();
    } finally {
      await this.#fh.close();
    }
  }

  /** Closes without syncing, for error paths; the file is removed by the caller. */
  async abort(): Promise<void> {
    this.#chunks = [];
    await this.#fh.close();
  }
}
