import { open, type FileHandle } from 'node:fs/promises';

const BUFFER_SIZE = 4 << 20;

/**
 * Appends to a new file through one large reused buffer, tracking the absolute position, so that
 * format writers can encode synchronously and pay an await only when the buffer is full.
 */
export class FileWriter {
  readonly path: string;
  readonly #fh: FileHandle;
  readonly #buf: Buffer;
  #buffered: number;
  #flushed: number;

  private constructor(path: string, fh: FileHandle) {
    this.path = path;
    this.#fh = fh;
    this.#buf = Buffer.allocUnsafe(BUFFER_SIZE);
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

  /** Whether the next `n` bytes fit the buffer, so that writeSync() may be used. */
  fits(n: number): boolean {
    return this.#buffered + n <= BUFFER_SIZE;
  }

  /** Copies `bytes` into the buffer; the caller checked fits(). */
  writeSync(bytes: Uint8Array): void {
    this.#buf.set(bytes, this.#buffered);
    this.#buffered += bytes.length;
  }

  /** Copies `bytes` (any size), flushing as the buffer fills. */
  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      if (this.#buffered === BUFFER_SIZE) await this.flush();
      const n = Math.min(bytes.length - off, BUFFER_SIZE - this.#buffered);
      this.#buf.set(bytes.subarray(off, off + n), this.#buffered);
      this.#buffered += n;
      off += n;
    }
  }

  /** Zero bytes until `pos` is a multiple of `align` (align <= 16). */
  async pad(align: number): Promise<void> {
    const rem = this.pos % align;
    if (rem !== 0) await this.write(ZEROS.subarray(0, align - rem));
  }

  async flush(): Promise<void> {
    let off = 0;
    while (off < this.#buffered) {
      const { bytesWritten } = await this.#fh.write(this.#buf, off, this.#buffered - off, this.#flushed + off);
      off += bytesWritten;
    }
    this.#flushed += this.#buffered;
    this.#buffered = 0;
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

  /** Closes without flushing or syncing, for error paths; the caller removes the file. */
  async abort(): Promise<void> {
    this.#buffered = 0;
    await this.#fh.close();
  }
}

const ZEROS = new Uint8Array(16);
