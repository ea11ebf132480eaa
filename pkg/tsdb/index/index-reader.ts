import { Labels } from '../../model/labels/index.js';
import { CorruptionError, Decbuf, FileReader, readUpTo, uvarintRecordAt, verifyCRC32, type RangeReader } from '../encoding/index.js';
import { ALL_POSTINGS_NAME, ALL_POSTINGS_VALUE, INDEX_HEADER_SIZE, INDEX_MAGIC, INDEX_VERSION_2, SERIES_ALIGN, TOC_SIZE } from './format.js';
import { PostingsOffsetTable, type PostingsEntry } from './postings-offset-table.js';
import { SymbolTable } from './symbol-table.js';
import { decodeTOC, type TOC } from './toc.js';

/** A series entry of the index: its labels and its chunk metas as `[minT, maxT, ref]` triplets. */
export interface IndexSeries {
  ref: number;
  labels: Labels;
  chunks: number[];
}

/** Neighbouring reads closer than this are merged into one. */
const COALESCE_GAP = 16 * 1024;
/** Bytes read per series beyond its start, enough for most entries in one read. */
const SERIES_GUESS = 512;

/**
 * Reads an index file (format v2) with positioned reads. In memory: the TOC, the symbol table bytes
 * and a sampled postings offset table; series and postings are read when a query asks for them.
 */
export class IndexReader {
  readonly path: string;
  readonly #f: RangeReader;
  readonly toc: TOC;
  readonly #symbols: SymbolTable;
  readonly #table: PostingsOffsetTable;

  private constructor(f: RangeReader, toc: TOC, symbols: SymbolTable, table: PostingsOffsetTable) {
    this.path = f.path;
    this.#f = f;
    this.toc = toc;
    this.#symbols = symbols;
    this.#table = table;
  }

  static async open(path: string): Promise<IndexReader> {
    return IndexReader.fromReader(await FileReader.open(path));
  }

  /** Reads the index through `f` (a file, or ranges of a bucket object); closes it on failure. */
  static async fromReader(f: RangeReader): Promise<IndexReader> {
    const path = f.path;
    try {
      if (f.size < INDEX_HEADER_SIZE + TOC_SIZE) throw new CorruptionError(`${path}: index too small (${f.size} bytes)`);
      const h = new Decbuf(await f.read(0, INDEX_HEADER_SIZE), path);
      if (h.be32() !== INDEX_MAGIC) throw new CorruptionError(`${path}: not an index file (bad magic)`);
      const version = h.byte();
      if (version !== INDEX_VERSION_2) throw new CorruptionError(`${path}: index format v${version} is not supported (v2 only)`);
      const toc = decodeTOC(await f.read(f.size - TOC_SIZE, TOC_SIZE), path);
      const symbols = await SymbolTable.load(f, toc.symbols);
      const table = await PostingsOffsetTable.load(f, toc.postingsTable, toc.labelIndicesTable);
      return new IndexReader(f, toc, symbols, table);
    } catch (err) {
      await f.close();
      throw new Error(`open index ${path}`, { cause: err });
    }
  }

  get size(): number {
    return this.#f.size;
  }

  get symbolCount(): number {
    return this.#symbols.length;
  }

  /** Sorted label names of the block. */
  labelNames(): string[] {
    return this.#table.names().filter((n) => n !== '');
  }

  hasLabelName(name: string): boolean {
    return this.#table.has(name);
  }

  /** Sorted values of `name` (empty when the name is absent). */
  async labelValues(name: string): Promise<string[]> {
    return (await this.#table.entries(name)).map((e) => e.value);
  }

  /** Every series ref (the postings of ("", "")). */
  async allPostings(): Promise<Uint32Array> {
    return (await this.postingsForValues(ALL_POSTINGS_NAME, [ALL_POSTINGS_VALUE]))[0] ?? new Uint32Array(0);
  }

  /** Postings lists of those `values` of `name` that exist (exact lookups in the sampled table). */
  async postingsForValues(name: string, values: readonly string[]): Promise<Uint32Array[]> {
    const entries: PostingsEntry[] = [];
    for (const v of values) {
      const e = await this.#table.find(name, v);
      if (e !== undefined) entries.push(e);
    }
    entries.sort((a, b) => a.start - b.start);
    return this.#readPostingsLists(entries);
  }

  /** Postings lists of every value of `name` that `accept` admits, one list per accepted value. */
  async postingsMatching(name: string, accept: (value: string) => boolean): Promise<Uint32Array[]> {
    const entries = (await this.#table.entries(name)).filter((e) => accept(e.value));
    return this.#readPostingsLists(entries);
  }

  /** Reads postings lists, merging reads of neighbouring lists. */
  async #readPostingsLists(entries: PostingsEntry[]): Promise<Uint32Array[]> {
    const out: Uint32Array[] = [];
    let i = 0;
    while (i < entries.length) {
      let j = i + 1;
      while (j < entries.length && entries[j].start - entries[j - 1].end < COALESCE_GAP) j++;
      const from = entries[i].start;
      const buf = await readUpTo(this.#f, from, entries[j - 1].end - from);
      for (let k = i; k < j; k++) out.push(await this.#decodePostings(buf, entries[k].start - from, entries[k].start));
      i = j;
    }
    return out;
  }

  async #decodePostings(buf: Uint8Array, at: number, fileOffset: number): Promise<Uint32Array> {
    const len =
      at + 4 <= buf.length ? new Decbuf(buf, 'postings', at).be32() : new Decbuf(await this.#f.read(fileOffset, 4), 'postings').be32();
    if (at + 4 + len + 4 > buf.length) {
      buf = await this.#f.read(fileOffset, 4 + len + 4);
      at = 0;
    }
    const what = `${this.path}: postings at ${fileOffset}`;
    verifyCRC32(buf, at + 4, at + 4 + len, what);
    const d = new Decbuf(buf, what, at + 4, at + 4 + len);
    const n = d.be32();
    if (n * 4 !== len - 4) throw new CorruptionError(`${what}: ${n} entries do not fill ${len} bytes`);
    const refs = new Uint32Array(n);
    for (let i = 0; i < n; i++) refs[i] = d.be32();
    return refs;
  }

  /** Reads the series at `refs` (ascending), merging reads of neighbours. */
  async series(refs: ArrayLike<number>): Promise<IndexSeries[]> {
    const out: IndexSeries[] = [];
    let i = 0;
    while (i < refs.length) {
      let j = i + 1;
      while (j < refs.length && (refs[j] - refs[j - 1]) * SERIES_ALIGN < COALESCE_GAP) j++;
      const from = refs[i] * SERIES_ALIGN;
      const buf = await readUpTo(this.#f, from, refs[j - 1] * SERIES_ALIGN - from + SERIES_GUESS);
      for (let k = i; k < j; k++) {
        const at = refs[k] * SERIES_ALIGN - from;
        out.push(this.#decodeSeries(buf, at, refs[k]) ?? (await this.#readOneSeries(refs[k])));
      }
      i = j;
    }
    return out;
  }

  async #readOneSeries(ref: number): Promise<IndexSeries> {
    const off = ref * SERIES_ALIGN;
    const d = new Decbuf(await readUpTo(this.#f, off, 10), this.path);
    const len = d.uvarint();
    const s = this.#decodeSeries(await this.#f.read(off, d.pos + len + 4), 0, ref);
    if (s === undefined) throw new Error(`BUG: series ${ref} does not fit its exact read`);
    return s;
  }

  /** Decodes the series entry at `buf[at]`; undefined when `buf` ends before the entry does. */
  #decodeSeries(buf: Uint8Array, at: number, ref: number): IndexSeries | undefined {
    const what = `${this.path}: series ${ref}`;
    const rec = uvarintRecordAt(buf, at, 0, what);
    if (rec === undefined) return undefined;
    const b = new Decbuf(buf, what, rec.start, rec.end);
    const nl = b.uvarint();
    const pairs: string[] = new Array(nl * 2);
    for (let i = 0; i < nl * 2; i++) pairs[i] = this.#symbols.lookup(b.uvarint());
    const nc = b.uvarint();
    const chunks: number[] = new Array(nc * 3);
    if (nc > 0) {
      let mint = b.varint();
      let maxt = mint + b.uvarint();
      let cref = b.uvarint();
      chunks[0] = mint;
      chunks[1] = maxt;
      chunks[2] = cref;
      for (let i = 1; i < nc; i++) {
        mint = maxt + b.uvarintWrapped();
        maxt = mint + b.uvarint();
        cref += b.varint();
        chunks[3 * i] = mint;
        chunks[3 * i + 1] = maxt;
        chunks[3 * i + 2] = cref;
      }
    }
    return { ref, labels: Labels.fromSortedPairs(pairs), chunks };
  }

  async close(): Promise<void> {
    await this.#f.close();
  }
}
