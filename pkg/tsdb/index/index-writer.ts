import { Labels, compareUtf8 } from '../../model/labels/index.js';
import { Encbuf, FileWriter } from '../encoding/index.js';
import {
  ALL_POSTINGS_NAME,
  ALL_POSTINGS_VALUE,
  INDEX_MAGIC,
  INDEX_VERSION_2,
  SERIES_ALIGN,
} from './format.js';
import { encodeTOC, type TOC } from './toc.js';

/**
 * Chunk metas of one series as flat triplets `[minT, maxT, ref, minT, maxT, ref, …]`, ordered by
 * time and not overlapping (each minT >= the previous maxT).
 */
export type ChunkMetaTriplets = ArrayLike<number>;

const Stage = { Symbols: 0, Series: 1, Done: 2 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];

/**
 * Writes an index file: first all symbols (sorted, once), then every series in label order, then
 * close() derives label indices, postings and the offset tables. Postings are kept in memory as
 * growing arrays of series refs, one per (name, value).
 */
export class IndexWriter {
  readonly #f: FileWriter;
  readonly #e: Encbuf;
  #stage: Stage;
  readonly #toc: TOC;
  #symbols: Map<string, number>;
  /** name → value → series refs, in insertion (= ascending) order. */
  readonly #postings: Map<string, Map<string, number[]>>;
  readonly #all: number[];
  #lastSeries: Labels | undefined;

  private constructor(f: FileWriter) {
    this.#f = f;
    this.#e = new Encbuf(4096);
    this.#stage = Stage.Symbols;
    this.#toc = { symbols: 0, series: 0, labelIndices: 0, labelIndicesTable: 0, postings: 0, postingsTable: 0 };
    this.#symbols = new Map();
    this.#postings = new Map();
    this.#all = [];
    this.#lastSeries = undefined;
  }

  static async create(path: string): Promise<IndexWriter> {
    const w = new IndexWriter(await FileWriter.create(path));
    const e = w.#e;
    e.putBE32(INDEX_MAGIC);
    e.putByte(INDEX_VERSION_2);
    await w.#flushEnc();
    return w;
  }

  /** Writes the symbol table. `symbols` must be sorted by UTF-8 bytes and distinct. */
  async addSymbols(symbols: readonly string[]): Promise<void> {
    if (this.#stage !== Stage.Symbols) throw new Error('BUG: index symbols added twice or after series');
    this.#toc.symbols = this.#f.pos;
    const e = this.#e;
    e.reset();
    e.putBE32(0);
    e.putBE32(symbols.length);
    for (let i = 0; i < symbols.length; i++) {
      if (i > 0 && compareUtf8(symbols[i - 1], symbols[i]) >= 0) {
        throw new Error(`BUG: index symbols out of order: ${JSON.stringify(symbols[i - 1])} >= ${JSON.stringify(symbols[i])}`);
      }
      this.#symbols.set(symbols[i], i);
      e.putUvarintStr(symbols[i]);
    }
    e.setBE32(0, e.length - 4);
    e.putCRC32Since(4);
    await this.#flushEnc();
    this.#stage = Stage.Series;
    this.#toc.series = this.#f.pos;
  }

  /** Adds a series after all series that sort before it; returns its reference (offset / 16). */
  async addSeries(labels: Labels, chunks: ChunkMetaTriplets): Promise<number> {
    if (this.#stage !== Stage.Series) throw new Error('BUG: index series added before symbols or after close');
    if (this.#lastSeries !== undefined && Labels.compare(this.#lastSeries, labels) >= 0) {
      throw new Error(`BUG: index series out of order: ${this.#lastSeries.toString()} >= ${labels.toString()}`);
    }
    this.#lastSeries = labels;
    await this.#f.pad(SERIES_ALIGN);
    const ref = this.#f.pos / SERIES_ALIGN;
    if (ref > 0xffffffff) throw new Error('index series section exceeds 64 GiB');
    const e = this.#e;
    e.reset();
    // Encode the body after a 5-byte hole, then move it up behind its uvarint length.
    const HOLE = 5;
    for (let i = 0; i < HOLE; i++) e.putByte(0);
    e.putUvarint(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const name = labels.nameAt(i);
      const value = labels.valueAt(i);
      e.putUvarint(this.#symbolRef(name));
      e.putUvarint(this.#symbolRef(value));
      this.#posting(name, value).push(ref);
    }
    this.#all.push(ref);
    encodeChunkMetas(e, chunks, labels);
    const body = e.get();
    const bodyLen = body.length - HOLE;
    const head = new Encbuf(8);
    head.putUvarint(bodyLen);
    const start = HOLE - head.length;
    body.set(head.get(), start);
    e.putCRC32Since(HOLE);
    await this.#f.write(e.get().subarray(start));
    return ref;
  }

  #symbolRef(s: string): number {
    const r = this.#symbols.get(s);
    if (r === undefined) throw new Error(`BUG: label text ${JSON.stringify(s)} missing from the symbol table`);
    return r;
  }

  #posting(name: string, value: string): number[] {
    let byValue = this.#postings.get(name);
    if (byValue === undefined) this.#postings.set(name, (byValue = new Map()));
    let refs = byValue.get(value);
    if (refs === undefined) byValue.set(value, (refs = []));
    return refs;
  }

  /** Writes label indices, postings, both offset tables and the TOC; then fsyncs and closes. */
  async close(): Promise<void> {
    if (this.#stage === Stage.Symbols) await this.addSymbols([]);
    if (this.#stage !== Stage.Series) throw new Error('BUG: index closed twice');
    this.#stage = Stage.Done;
    const names = [...this.#postings.keys()].sort(compareUtf8);
    const sortedValues = new Map<string, string[]>();
    for (const n of names) sortedValues.set(n, [...(this.#postings.get(n) as Map<string, number[]>).keys()].sort(compareUtf8));

    const labelIndexOffsets = await this.#writeLabelIndices(names, sortedValues);
    const postingsOffsets = await this.#writePostings(names, sortedValues);

    const e = this.#e;
    this.#toc.labelIndicesTable = this.#f.pos;
    beginTable(e, names.length);
    for (let i = 0; i < names.length; i++) {
      e.putUvarint(1);
      e.putUvarintStr(names[i]);
      e.putUvarint(labelIndexOffsets[i]);
    }
    endTable(e);
    await this.#flushEnc();

    this.#toc.postingsTable = this.#f.pos;
    beginTable(e, postingsOffsets.length);
    let k = 0;
    putPostingsEntry(e, ALL_POSTINGS_NAME, ALL_POSTINGS_VALUE, postingsOffsets[k++]);
    for (const n of names) for (const v of sortedValues.get(n) as string[]) putPostingsEntry(e, n, v, postingsOffsets[k++]);
    endTable(e);
    await this.#flushEnc();

    e.reset();
    encodeTOC(this.#toc, e);
    await this.#flushEnc();
    await this.#f.close();
  }

  async #writeLabelIndices(names: string[], sortedValues: Map<string, string[]>): Promise<number[]> {
    this.#toc.labelIndices = this.#f.pos;
    const offsets: number[] = [];
    const e = this.#e;
    for (const n of names) {
      await this.#f.pad(4);
      offsets.push(this.#f.pos);
      const values = sortedValues.get(n) as string[];
      e.reset();
      e.putBE32(4 + 4 + 4 * values.length);
      e.putBE32(1);
      e.putBE32(values.length);
      for (const v of values) e.putBE32(this.#symbolRef(v));
      e.putCRC32Since(4);
      await this.#flushEnc();
    }
    return offsets;
  }

  async #writePostings(names: string[], sortedValues: Map<string, string[]>): Promise<number[]> {
    await this.#f.pad(4);
    this.#toc.postings = this.#f.pos;
    const offsets: number[] = [await this.#writePostingsList(this.#all)];
    for (const n of names) {
      const byValue = this.#postings.get(n) as Map<string, number[]>;
      for (const v of sortedValues.get(n) as string[]) offsets.push(await this.#writePostingsList(byValue.get(v) as number[]));
    }
    return offsets;
  }

  async #writePostingsList(refs: readonly number[]): Promise<number> {
    await this.#f.pad(4);
    const at = this.#f.pos;
    const e = this.#e;
    e.reset();
    e.putBE32(4 + 4 * refs.length);
    e.putBE32(refs.length);
    for (let i = 0; i < refs.length; i++) e.putBE32(refs[i]);
    e.putCRC32Since(4);
    await this.#flushEnc();
    return at;
  }

  async #flushEnc(): Promise<void> {
    await this.#f.write(this.#e.get());
    this.#e.reset();
  }

  /** Closes the file after an error; the caller removes it. */
  async abort(): Promise<void> {
    this.#stage = Stage.Done;
    await this.#f.abort();
  }
}

function beginTable(e: Encbuf, entries: number): void {
  e.reset();
  e.putBE32(0);
  e.putBE32(entries);
}

function endTable(e: Encbuf): void {
  e.setBE32(0, e.length - 4);
  e.putCRC32Since(4);
}

function putPostingsEntry(e: Encbuf, name: string, value: string, offset: number): void {
  e.putUvarint(2);
  e.putUvarintStr(name);
  e.putUvarintStr(value);
  e.putUvarint(offset);
}

function encodeChunkMetas(e: Encbuf, c: ChunkMetaTriplets, labels: Labels): void {
  const n = c.length / 3;
  e.putUvarint(n);
  if (n === 0) return;
  if (c[1] < c[0]) throw new Error(`BUG: chunk of ${labels.toString()} ends before it starts`);
  e.putVarint(c[0]);
  e.putUvarint(c[1] - c[0]);
  e.putUvarint(c[2]);
  for (let i = 3; i < c.length; i += 3) {
    const mint = c[i];
    const maxt = c[i + 1];
    const prevMaxt = c[i - 2];
    if (mint < prevMaxt || maxt < mint) {
      throw new Error(`BUG: chunks of ${labels.toString()} overlap or are out of order at ${mint}`);
    }
    e.putUvarint(mint - prevMaxt);
    e.putUvarint(maxt - mint);
    e.putVarint(c[i + 2] - c[i - 1]);
  }
}
