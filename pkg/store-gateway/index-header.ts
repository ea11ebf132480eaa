// The index-header: the parts of a block's index a store-gateway needs on every query, kept on
// local disk so that they are fetched from the bucket once per block, not per query or restart.
// Like Thanos' index-header it holds the symbol table and the postings offset table; here they are
// stored as byte ranges of the original index, so the index reader reads them unchanged:
//
//   ┌──────────────────┬─────────┬──────────────┬───────────────────────┬──────────────┬─────┐
//   │ magic 0x4D594948 │ version │ index size   │ n ranges              │ n × (offset, │ the │
//   │ "MYIH" (4 bytes) │ 1 byte  │ (8 bytes BE) │ (4 bytes BE)          │  length) 16B │bytes│
//   └──────────────────┴─────────┴──────────────┴───────────────────────┴──────────────┴─────┘
//
// The ranges are the index header (magic, version), the symbol table, the postings offset table
// and the TOC. Reads that fall inside a range are served from the file; everything else (series,
// postings) goes to the bucket.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CorruptionError, Decbuf, Encbuf, type RangeReader } from '../tsdb/encoding/index.js';
import { INDEX_HEADER_SIZE, TOC_SIZE, decodeTOC, type TOC } from '../tsdb/index/index.js';

const MAGIC = 0x4d594948;
const VERSION = 1;

interface Range {
  offset: number;
  length: number;
}

/** A RangeReader answering from the local ranges when it can and from `remote` otherwise. */
export class IndexHeaderReader implements RangeReader {
  readonly path: string;
  readonly size: number;
  /** Where each local range starts in `#data`. */
  readonly #ranges: (Range & { at: number })[];
  readonly #data: Buffer;
  readonly #remote: RangeReader;
  readonly toc: TOC;

  private constructor(remote: RangeReader, ranges: (Range & { at: number })[], data: Buffer, toc: TOC) {
    this.path = remote.path;
    this.size = remote.size;
    this.#remote = remote;
    this.#ranges = ranges;
    this.#data = data;
    this.toc = toc;
  }

  /**
   * Opens the index-header at `file`, building it from `remote` (the index in the bucket) when it
   * is missing or does not match. The file is written atomically (temp file + rename).
   */
  static async open(file: string, remote: RangeReader): Promise<IndexHeaderReader> {
    let raw: Buffer | undefined;
    try {
      raw = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`read index-header ${file}`, { cause: err });
    }
    if (raw !== undefined) {
      try {
        return IndexHeaderReader.#decode(raw, file, remote);
      } catch {
        raw = undefined; // corrupt or for another index: rebuild below
      }
    }
    raw = await build(remote);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, raw);
    await rename(tmp, file);
    return IndexHeaderReader.#decode(raw, file, remote);
  }

  static #decode(raw: Buffer, file: string, remote: RangeReader): IndexHeaderReader {
    const d = new Decbuf(raw, file);
    if (d.be32() !== MAGIC) throw new CorruptionError(`${file}: not an index-header`);
    if (d.byte() !== VERSION) throw new CorruptionError(`${file}: unsupported index-header version`);
    const size = d.be64();
    if (size !== remote.size) throw new CorruptionError(`${file}: made for an index of ${size} bytes, the index has ${remote.size}`);
    const n = d.be32();
    const ranges: (Range & { at: number })[] = [];
    let at = d.pos + n * 16;
    for (let i = 0; i < n; i++) {
      const offset = d.be64();
      const length = d.be64();
      ranges.push({ offset, length, at });
      at += length;
    }
    if (at !== raw.length) throw new CorruptionError(`${file}: truncated`);
    const tocRange = ranges[ranges.length - 1];
    const toc = decodeTOC(raw.subarray(tocRange.at, tocRange.at + TOC_SIZE), file);
    return new IndexHeaderReader(remote, ranges, raw, toc);
  }

  /** Bytes held locally. */
  get localBytes(): number {
    return this.#data.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    for (const r of this.#ranges) {
      if (offset >= r.offset && offset + length <= r.offset + r.length) {
        const from = r.at + offset - r.offset;
        return this.#data.subarray(from, from + length);
      }
    }
    return this.#remote.read(offset, length);
  }


  close(): Promise<void> {
    return this.#remote.close();
  }
}

/** Reads the TOC and the ranges it points at from the bucket and encodes the index-header. */
async function build(remote: RangeReader): Promise<Buffer> {
  if (remote.size < INDEX_HEADER_SIZE + TOC_SIZE) throw new CorruptionError(`${remote.path}: index too small (${remote.size} bytes)`);
  const tocAt = remote.size - TOC_SIZE;
  const tocBytes = await remote.read(tocAt, TOC_SIZE);
  const toc = decodeTOC(tocBytes, remote.path);
  // Sections in file order: symbols, series, label indices, postings, label offset table,
  // postings offset table, TOC. The symbol table is `len (4) | contents (len) | CRC32 (4)`.
  const symbolsLen = new Decbuf(await remote.read(toc.symbols, 4), remote.path).be32();
  const ranges: Range[] = [
    { offset: 0, length: INDEX_HEADER_SIZE },
    { offset: toc.symbols, length: 4 + symbolsLen + 4 },
    { offset: toc.postingsTable, length: tocAt - toc.postingsTable },
    { offset: tocAt, length: TOC_SIZE },
  ];
  const parts = await Promise.all(ranges.slice(0, 3).map((r) => remote.read(r.offset, r.length)));
  parts.push(tocBytes);
  const head = new Encbuf();
  head.putBE32(MAGIC);
  head.putByte(VERSION);
  head.putBE64(remote.size);
  head.putBE32(ranges.length);
  for (const r of ranges) {
    head.putBE64(r.offset);
    head.putBE64(r.length);
  }
  return Buffer.concat([head.get(), ...parts]);
}
