import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptionError, Decbuf, FileReader, readUpTo, uvarintRecordAt, type RangeReader } from '../encoding/index.js';
import { SEGMENT_HEADER_SIZE, SEGMENT_MAGIC, chunkRefOffset, chunkRefSeq, segmentName } from './segment-format.js';

/** One chunk read from a segment; `data` is a view into a buffer owned by the caller from now on. */
export interface SegmentChunk {
  encoding: number;
  data: Uint8Array;
}

/** Bytes read past the last chunk start of a batch, to catch that chunk in the same read. */
const TAIL_GUESS = 2048;
/** Chunks whose starts are closer than this share one read; farther ones get their own. */
const COALESCE_GAP = 64 * 1024;

/** Reads chunks from a block's segment files by reference, with positioned reads. */
export class SegmentReader {
  readonly #files: RangeReader[];
  readonly #verify: boolean;

  private constructor(files: RangeReader[], verify: boolean) {
    this.#files = files;
    this.#verify = verify;
  }

  static async open(dir: string): Promise<SegmentReader> {
    const names = (await readdir(dir)).filter((n) => /^\d{6}$/.test(n)).sort();
    const files: RangeReader[] = [];
    try {
      for (let i = 0; i < names.length; i++) {
        if (names[i] !== segmentName(i)) throw new CorruptionError(`${dir}: segment ${segmentName(i)} missing`);
        files.push(await FileReader.open(join(dir, names[i])));
      }
    } catch (err) {
      await Promise.all(files.map((f) => f.close()));
      throw err;
    }
    return SegmentReader.fromReaders(files);
  }

  /**
   * Reads segments through `files` (segment 000001 first; files or bucket objects). Checks their
   * headers; closes them all on failure. `verifyChecksums` false reads chunks without checking
   * their CRC32C, as Prometheus' and Thanos' readers serve queries (a store-gateway checked 9% of
   * its query CPU away); compaction and block validation keep checking.
   */
  static async fromReaders(files: RangeReader[], verifyChecksums = true): Promise<SegmentReader> {
    try {
      for (const f of files) {
        const h = new Decbuf(await f.read(0, SEGMENT_HEADER_SIZE), f.path);
        if (h.be32() !== SEGMENT_MAGIC) throw new CorruptionError(`${f.path}: bad segment magic`);
      }
    } catch (err) {
      await Promise.all(files.map((f) => f.close()));
      throw err;
    }
    return new SegmentReader(files, verifyChecksums);
  }

  /** Total bytes of all segment files. */
  get size(): number {
    let n = 0;
    for (const f of this.#files) n += f.size;
    return n;
  }

  /**
   * Reads the chunks at `refs` (any order), coalescing close neighbours in one segment into one read.
   * Returns them in the order of `refs`.
   */
  async readChunks(refs: readonly number[]): Promise<SegmentChunk[]> {
    const out: SegmentChunk[] = new Array(refs.length);
    let i = 0;
    while (i < refs.length) {
      // A run of increasing refs in one segment becomes one read.
      const seq = chunkRefSeq(refs[i]);
      let j = i + 1;
      while (j < refs.length && chunkRefSeq(refs[j]) === seq && refs[j] > refs[j - 1] && refs[j] - refs[j - 1] < COALESCE_GAP) j++;
      const f = this.#file(seq);
      const from = chunkRefOffset(refs[i]);
      const buf = await readUpTo(f, from, chunkRefOffset(refs[j - 1]) - from + TAIL_GUESS);
      for (let k = i; k < j; k++) {
        const at = chunkRefOffset(refs[k]) - from;
        out[k] = this.#decodeAt(f, buf, at, refs[k]) ?? (await this.#readOne(f, refs[k]));
      }
      i = j;
    }
    return out;
  }

  #file(seq: number): RangeReader {
    const f = this.#files[seq];
    if (f === undefined) throw new CorruptionError(`chunk segment ${segmentName(seq)} does not exist`);
    return f;
  }

  /** Decodes the chunk at `buf[at]`, or undefined when the buffer ends before it does. */
  #decodeAt(f: RangeReader, buf: Uint8Array, at: number, ref: number): SegmentChunk | undefined {
    const rec = uvarintRecordAt(buf, at, 1, `${f.path} chunk ${ref}`, this.#verify);
    if (rec === undefined) return undefined;
    return { encoding: buf[rec.start], data: buf.subarray(rec.start + 1, rec.end) };
  }

  async #readOne(f: RangeReader, ref: number): Promise<SegmentChunk> {
    const off = chunkRefOffset(ref);
    const head = await readUpTo(f, off, 10);
    const d = new Decbuf(head, `${f.path} chunk ${ref}`);
    const len = d.uvarint();
    const buf = await f.read(off, d.pos + 1 + len + 4);
    const got = this.#decodeAt(f, buf, 0, ref);
    if (got === undefined) throw new Error(`BUG: chunk ${ref} does not fit its exact read`);
    return got;
  }

  async close(): Promise<void> {
    await Promise.all(this.#files.map((f) => f.close()));
  }
}
