import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { crc32c } from '../encoding/index.js';
import { WalMetrics } from './metrics.js';
import { FragmentType, PageSize, RecordHeaderSize, lastCheckpoint, listSegments, segmentName } from './segments.js';

/**
 * When the WAL calls fdatasync. Every acknowledged write has reached the OS when log() resolves, so
 * a process crash (kill -9) never loses it; fsync decides what survives a machine crash or power cut:
 *
 * - `none`: never (the OS flushes within ~30 s). Fastest; a machine crash may lose recent batches.
 * - `segment`: when a segment is closed. Bounds the loss to the current segment.
 * - `interval`: every `fsyncIntervalMs`, if something was written. Bounds the loss to that window;
 *   costs one fsync per interval whatever the load.
 * - `batch`: before log() resolves. Nothing acknowledged is ever lost, at the price of one fsync
 *   (~0.1–10 ms depending on the disk) per group of concurrent commits.
 */
export const FsyncPolicy = { None: 'none', Segment: 'segment', Interval: 'interval', Batch: 'batch' } as const;
export type FsyncPolicy = (typeof FsyncPolicy)[keyof typeof FsyncPolicy];

/** The calls the WAL makes on a segment file (a FileHandle opened for appending). */
export interface WalFile {
  write(buf: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  truncate(len: number): Promise<void>;
  close(): Promise<void>;
}

export interface WalOptions {
  /** Segment size in bytes (Prometheus: 128 MiB). Records never span segments. */
  segmentSize: number;
  fsync: FsyncPolicy;
  /** Period of the `interval` policy. */
  fsyncIntervalMs: number;
  /** How often a failed WAL checks whether it can write again. */
  retryIntervalMs: number;
  /** Opens a segment file for appending; tests inject failing files here. */
  openFile: (path: string) => Promise<WalFile>;
}

export const DefaultWalOptions: WalOptions = {
  segmentSize: 128 * 1024 * 1024, fsync: FsyncPolicy.Segment, fsyncIntervalMs: 1000, retryIntervalMs: 1000, openFile: (path) => open(path, 'a'),
};

/** The WAL cannot write (a full or failing disk); it retries by itself. Nothing was acknowledged. */
export class WalWriteError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'WalWriteError';
  }
}

interface Staged {
  segment: number;
  buf: Buffer;
  len: number;
}

/** A failed write: its error, when, and how many bytes it tried to write. */
interface Failure {
  err: Error;
  since: number;
  bytes: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The write side of the WAL: records are framed into 32 KiB pages of CRC32-Castagnoli-checked
 * fragments (Prometheus' wlog format) synchronously in log(), and written by one background loop
 * that takes everything staged since its last write — concurrent commits share one write and one
 * fsync (group commit). Writing always starts a new segment after the existing ones.
 *
 * A failed write (ENOSPC, EIO) fails every log() call staged with it, and later ones at once, with
 * a WalWriteError: none of their records is acknowledged, and the head applies none of them. Every
 * `retryIntervalMs` the WAL then cuts the segment back to the end of the last good write (dropping
 * any part of the failed one), checks that as many bytes as the failed write can be written there
 * again, and carries on from that point: nothing acknowledged is lost or written twice.
 */
export class Wal {
  readonly dir: string;
  readonly #opts: WalOptions;
  readonly #metrics: WalMetrics;
  readonly #log: Logger | undefined;
  #segment: number;
  /** Bytes of the current segment and of its current page, as framed (staged or written). */
  #segFill = 0;
  #pageFill = 0;
  #staged: Staged[] = [];
  #waiters: Waiter[] = [];
  #writing = false;
  #file: WalFile | undefined = undefined;
  #fileSegment = -1;
  #dirty = false;
  /** Where the last successful write ended: a failed write is cut back to here. */
  #goodSegment: number;
  #goodSize = 0;
  #failed: Failure | undefined = undefined;
  #retryTimer: NodeJS.Timeout | undefined = undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined = undefined;
  #idle: Promise<void> = Promise.resolve();

  private constructor(dir: string, opts: WalOptions, segment: number, reg: Registry | undefined, log: Logger | undefined) {
    this.dir = dir;
    this.#opts = opts;
    this.#segment = segment;
    this.#goodSegment = segment;
    this.#metrics = new WalMetrics(reg);
    this.#log = log;
  }

  /** Opens `dir` for writing; existing segments are left alone (replay and repair them first). */
  static async open(dir: string, opts: Partial<WalOptions> = {}, reg?: Registry, log?: Logger): Promise<Wal> {
    const o = { ...DefaultWalOptions, ...opts };
    if (o.segmentSize < 2 * PageSize) throw new Error(`WAL segment size ${o.segmentSize} is below two pages`);
    await mkdir(dir, { recursive: true });
    // After the newest segment, and after the newest checkpoint: replay skips segments it covers.
    const segs = listSegments(dir);
    const cp = lastCheckpoint(dir);
    const next = Math.max(segs.length === 0 ? 0 : segs[segs.length - 1].index + 1, cp === undefined ? 0 : cp.index + 1);
    const w = new Wal(dir, o, next, reg, log);
    await w.#openFile(w.#segment);
    if (o.fsync === FsyncPolicy.Interval) {
      w.#timer = setInterval(() => w.#syncIfDirty(), o.fsyncIntervalMs);
      w.#timer.unref();
    }
    return w;
  }

  /** Index of the segment being written. */
  get segment(): number {
    return this.#segment;
  }

  /**
   * Frames and stages the records (copying them: the caller may reuse its buffers at once) and
   * resolves once they are written (and synced, under the `batch` policy). Records of one call are
   * written together and in order; calls are written in call order.
   */
  log(...records: Uint8Array[]): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failedError());
    if (this.#closed) return Promise.reject(new Error('write to a closed WAL'));
    for (const r of records) this.#frame(r);
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#kick();
    });
  }

  /** Closes the current segment and starts the next; resolves with the new segment's index. */
  async nextSegment(): Promise<number> {
    this.#rotate();
    await this.log();
    return this.#segment;
  }

  /** Deletes segments with index < `before` (after a checkpoint covers them). */
  async removeSegmentsBefore(before: number): Promise<void> {
    for (const s of listSegments(this.dir)) if (s.index < before) await rm(s.path, { force: true });
  }

  /** Why the WAL cannot write now, or undefined when it can. */
  failure(): string | undefined {
    return this.#failed === undefined ? undefined : this.#failedError().message;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    await this.#idle;
    if (this.#file !== undefined) {
      if (this.#opts.fsync !== FsyncPolicy.None && this.#dirty) await this.#file.datasync();
      await this.#file.close();
      this.#file = undefined;
    }
  }

  #failedError(): WalWriteError {
    const f = this.#failed as Failure;
    return new WalWriteError(
      `WAL ${this.dir} cannot write since ${new Date(f.since).toISOString()} (${f.err.message}); retrying every ${this.#opts.retryIntervalMs}ms`, f.err,
    );
  }

  #stage(bytes: number): Staged {
    let last = this.#staged.length > 0 ? this.#staged[this.#staged.length - 1] : undefined;
    if (last === undefined || last.segment !== this.#segment) {
      last = { segment: this.#segment, buf: Buffer.allocUnsafe(Math.max(bytes, 64 * 1024)), len: 0 };
      this.#staged.push(last);
    } else if (last.len + bytes > last.buf.length) {
      const buf = Buffer.allocUnsafe(Math.max(last.buf.length * 2, last.len + bytes));
      last.buf.copy(buf, 0, 0, last.len);
      last.buf = buf;
    }
    return last;
  }

  #pad(): void {
    const n = PageSize - this.#pageFill;
    const s = this.#stage(n);
    s.buf.fill(0, s.len, s.len + n);
    s.len += n;
    this.#segFill += n;
    this.#pageFill = 0;
  }

  #rotate(): void {
    this.#segment++;
    this.#segFill = 0;
    this.#pageFill = 0;
  }

  #frame(rec: Uint8Array): void {
    // Records stay within one segment: rotate unless the record, a header per fragment and the
    // padding of at most one short page tail per page crossed surely fit.
    const overhead = 2 * RecordHeaderSize * (Math.ceil(rec.length / (PageSize - RecordHeaderSize)) + 2);
    if (this.#segFill > 0 && this.#segFill + rec.length + overhead > this.#opts.segmentSize) this.#rotate();
    let off = 0;
    let first = true;
    for (;;) {
      if (PageSize - this.#pageFill <= RecordHeaderSize) this.#pad();
      const room = PageSize - this.#pageFill - RecordHeaderSize;
      const n = Math.min(room, rec.length - off);
      const last = off + n === rec.length;
      const type = first && last ? FragmentType.Full : first ? FragmentType.First : last ? FragmentType.Last : FragmentType.Middle;
      const s = this.#stage(RecordHeaderSize + n);
      const b = s.buf;
      b[s.len] = type;
      b.writeUInt16BE(n, s.len + 1);
      b.writeUInt32BE(crc32c(rec, off, off + n), s.len + 3);
      b.set(rec.subarray(off, off + n), s.len + RecordHeaderSize);
      s.len += RecordHeaderSize + n;
      this.#segFill += RecordHeaderSize + n;
      this.#pageFill += RecordHeaderSize + n;
      off += n;
      first = false;
      if (last) return;
    }
  }

  #kick(): void {
    if (this.#writing) return;
    this.#writing = true;
    this.#idle = this.#writeLoop();
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#waiters.length > 0) {
        const staged = this.#staged;
        const waiters = this.#waiters;
        this.#staged = [];
        this.#waiters = [];
        try {
          await this.#write(staged);
          for (const w of waiters) w.resolve();
        } catch (err) {
          this.#fail(err as Error, staged.reduce((n, s) => n + s.len, 0));
          const failed = this.#failedError();
          for (const w of [...waiters, ...this.#waiters]) w.reject(failed);
          this.#waiters = [];
          this.#staged = [];
          return;
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(staged: Staged[]): Promise<void> {
    let bytes = 0;
    let size = this.#goodSize;
    for (const s of staged) {
      if (s.segment !== this.#fileSegment) {
        await this.#openFile(s.segment);
        size = 0;
      }
      if (s.len === 0) continue;
      await writeAll(this.#file as WalFile, s.buf, s.len);
      bytes += s.len;
      size += s.len;
      this.#dirty = true;
    }
    // A rotation with nothing staged for the new segment still has to create it.
    if (this.#staged.length === 0 && this.#segment !== this.#fileSegment) {
      await this.#openFile(this.#segment);
      size = 0;
    }
    if (this.#opts.fsync === FsyncPolicy.Batch && this.#dirty) await this.#sync();
    this.#goodSegment = this.#fileSegment;
    this.#goodSize = size;
    this.#metrics.writes.inc();
    this.#metrics.bytes.inc(bytes);
  }

  #fail(err: Error, bytes: number): void {
    this.#failed = { err, since: Date.now(), bytes };
    this.#metrics.writeFailures.inc();
    this.#metrics.failed.set(1);
    this.#log?.error({ err, dir: this.dir, segment: segmentName(this.#fileSegment) }, 'wal write failed; refusing writes until it can write again');
    this.#scheduleRecovery();
  }

  #scheduleRecovery(): void {
    if (this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#writing = true;
      this.#idle = this.recover()
        .then((ok) => { if (!ok) this.#scheduleRecovery(); })
        .finally(() => {
          this.#writing = false;
          // Commits staged once recovered, while this still held the writer: write them now.
          if (this.#waiters.length > 0) this.#kick();
        });
    }, this.#opts.retryIntervalMs);
    this.#retryTimer.unref();
  }

  /**
   * After a failed write: removes what the failed write left (segments it started, bytes past the
   * last good write), then writes as many zero bytes as the failed write held and cuts them off
   * again, proving the space is back. Resolves with whether the WAL writes again. Runs by itself
   * every retryIntervalMs; exposed for tests.
   */
  async recover(): Promise<boolean> {
    const f = this.#failed;
    if (f === undefined || this.#closed) return f === undefined;
    try {
      await this.#closeFile();
      for (const s of listSegments(this.dir)) if (s.index > this.#goodSegment) await rm(s.path, { force: true });
      this.#file = await this.#opts.openFile(join(this.dir, segmentName(this.#goodSegment)));
      this.#fileSegment = this.#goodSegment;
      await this.#file.truncate(this.#goodSize);
      await writeAll(this.#file, Buffer.alloc(Math.max(f.bytes, PageSize)), Math.max(f.bytes, PageSize));
      await this.#file.truncate(this.#goodSize);
    } catch (err) {
      this.#log?.debug({ err, dir: this.dir }, 'wal still cannot write');
      return false;
    }
    this.#segment = this.#goodSegment;
    this.#segFill = this.#goodSize;
    this.#pageFill = this.#goodSize % PageSize;
    this.#dirty = true;
    this.#failed = undefined;
    this.#metrics.failed.set(0);
    this.#log?.info({ dir: this.dir, segment: segmentName(this.#segment), failedForMs: Date.now() - f.since }, 'wal writes again');
    return true;
  }

  async #closeFile(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    this.#fileSegment = -1;
    try {
      await file?.close();
    } catch (err) {
      this.#log?.warn({ err, dir: this.dir }, 'closing a wal segment after a failed write');
    }
  }

  async #openFile(segment: number): Promise<void> {
    if (this.#file !== undefined) {
      if (this.#opts.fsync !== FsyncPolicy.None && this.#dirty) await this.#sync();
      await this.#file.close();
    }
    this.#file = await this.#opts.openFile(join(this.dir, segmentName(segment)));
    this.#fileSegment = segment;
    this.#dirty = false;
    this.#metrics.segment.set(segment);
    if (this.#opts.fsync !== FsyncPolicy.None) await syncDir(this.dir);
  }

  async #sync(): Promise<void> {
    const end = this.#metrics.fsyncDuration.startTimer();
    await (this.#file as WalFile).datasync();
    end();
    this.#dirty = false;
  }

  #syncIfDirty(): void {
    if (!this.#dirty || this.#writing || this.#file === undefined) return;
    this.#writing = true;
    this.#idle = this.#sync()
      .catch((err: unknown) => this.#log?.error({ err, dir: this.dir }, 'wal fsync failed'))
      .finally(() => {
        this.#writing = false;
        if (this.#waiters.length > 0) this.#kick();
      });
  }
}

async function writeAll(f: WalFile, buf: Buffer, len: number): Promise<void> {
  let off = 0;
  while (off < len) off += (await f.write(buf, off, len - off)).bytesWritten;
}

/** fsyncs a directory so that created, renamed or removed entries survive a machine crash. */
export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Names in `dir` (empty when it does not exist). */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
