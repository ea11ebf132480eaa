import { Labels, compareUtf8 } from '../../model/labels/index.js';
import { Encbuf, FileWriter, uvarintSize } from '../encoding/index.js';
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
 * minT. They may overlap (readers then merge them), as in Prometheus.
 */
export type ChunkMetaTriplets = ArrayLike<number>;

const Stage = { Symbols: 0, Series: 1, Done: 2 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];

/** A growing Uint32Array. */
class U32List {
  data = new Uint32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Writes an index file: first all symbols (sorted, once), then every series in label order, then
 * close() derives label indices, postings and the offset tables.
 *
 * Postings are not kept per (name, value) while series arrive: each label pair is recorded as
 * (name symbol, value symbol, series ref) in typed arrays, and close() groups them with two stable
 * counting sorts. Symbol refs follow the byte order of the symbols, so sorting by refs sorts by
 * name, then value, and the series refs stay ascending within a group. No object per posting.
 */
export class IndexWriter {
  readonly #f: FileWriter;
  readonly #e: Encbuf;
  #stage: Stage;
  readonly #toc: TOC;
  #symbols: readonly string[];
  /** Whether JS `<` (UTF-16 order) agrees with the symbols' byte order, for the fast search. */
  #utf16Order: boolean;
  readonly #pairName: U32List;
  readonly #pairValue: U32List;
  readonly #pairSeries: U32List;
  readonly #all: U32List;
  #lastSeries: Labels | undefined;
  #prevPairs: readonly string[];
  #prevRefs: Uint32Array;

  private constructor(f: FileWriter) {
    this.#f = f;
    this.#e = new Encbuf(4096);
    this.#stage = Stage.Symbols;
    this.#toc = { symbols: 0, series: 0, labelIndices: 0, labelIndicesTable: 0, postings: 0, postingsTable: 0 };
    this.#symbols = [];
    this.#utf16Order = true;
    this.#pairName = new U32List();
    this.#pairValue = new U32List();
    this.#pairSeries = new U32List();
    this.#all = new U32List();
    this.#lastSeries = undefined;
    this.#prevPairs = [];
    this.#prevRefs = new Uint32Array(16);
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
    this.#symbols = symbols;
    const e = this.#e;
    e.reset();
    e.putBE32(0);
    e.putBE32(symbols.length);
    for (let i = 0; i < symbols.length; i++) {
      if (i > 0 && !(symbols[i - 1] < symbols[i])) {
        this.#utf16Order = false;
        if (compareUtf8(symbols[i - 1], symbols[i]) >= 0) {
          throw new Error(`BUG: index symbols out of order: ${JSON.stringify(symbols[i - 1])} >= ${JSON.stringify(symbols[i])}`);
        }
      }
      e.putUvarintStr(symbols[i]);
    }
    e.setBE32(0, e.length - 4);
    e.putCRC32Since(4);
    await this.#flushEnc();
    this.#stage = Stage.Series;
    this.#toc.series = this.#f.pos;
  }

  /**
   * Adds a series after all series that sort before it; returns its reference (offset / 16).
   * Its chunk metas are `count` triplets of `chunks` from triplet `start` on.
   */
  async addSeries(labels: Labels, chunks: ChunkMetaTriplets, start = 0, count = chunks.length / 3): Promise<number> {
    if (this.#stage !== Stage.Series) throw new Error('BUG: index series added before symbols or after close');
    if (this.#lastSeries !== undefined && Labels.compare(this.#lastSeries, labels) >= 0) {
      throw new Error(`BUG: index series out of order: ${this.#lastSeries.toString()} >= ${labels.toString()}`);
    }
    this.#lastSeries = labels;
    const pad = (SERIES_ALIGN - (this.#f.pos % SERIES_ALIGN)) % SERIES_ALIGN;
    const ref = (this.#f.pos + pad) / SERIES_ALIGN;
    if (ref > 0xffffffff) throw new Error('index series section exceeds 64 GiB');
    const e = this.#e;
    e.reset();
    // The body goes after room for padding and a 5-byte uvarint; its length is written in front
    // of it once known, and the padding right before that.
    const HOLE = pad + 5;
    for (let i = 0; i < HOLE; i++) e.putByte(0);
    const p = labels.pairs();
    e.putUvarint(p.length >> 1);
    // Series arrive sorted, so most label text repeats the previous series': reuse its refs.
    let prev = this.#prevPairs;
    let refs = this.#prevRefs;
    if (refs.length < p.length) {
      refs = this.#prevRefs = new Uint32Array(p.length * 2);
      prev = [];
    }
    for (let i = 0; i < p.length; i++) if (p[i] !== prev[i]) refs[i] = this.#symbolRef(p[i]);
    this.#prevPairs = p;
    for (let i = 0; i < p.length; i += 2) {
      const n = refs[i];
      const v = refs[i + 1];
      e.putUvarint(n);
      e.putUvarint(v);
      this.#pairName.push(n);
      this.#pairValue.push(v);
      this.#pairSeries.push(ref);
    }
    this.#all.push(ref);
    encodeChunkMetas(e, chunks, start, count, labels);
    const bodyLen = e.length - HOLE;
    const lenSize = uvarintSize(bodyLen);
    const from = HOLE - lenSize - pad;
    e.putCRC32Since(HOLE);
    const out = e.get();
    putUvarintAt(out, HOLE - lenSize, bodyLen);
    const bytes = out.subarray(from);
    if (this.#f.fits(bytes.length)) this.#f.writeSync(bytes);
    else await this.#f.write(bytes);
    return ref;
  }

  /** Position of `s` in the sorted symbols, by binary search (cheaper than a map of 1M strings). */
  #symbolRef(s: string): number {
    const sym = this.#symbols;
    let lo = 0;
    let hi = sym.length - 1;
    if (this.#utf16Order) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sym[mid] < s) lo = mid + 1;
        else hi = mid;
      }
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareUtf8(sym[mid], s) < 0) lo = mid + 1;
        else hi = mid;
      }
    }
    if (sym[lo] !== s) throw new Error(`BUG: label text ${JSON.stringify(s)} missing from the symbol table`);
    return lo;
  }

  /** Writes label indices, postings, both offset tables and the TOC; then fsyncs and closes. */
  async close(): Promise<void> {
    if (this.#stage === Stage.Symbols) await this.addSymbols([]);
    if (this.#stage !== Stage.Series) throw new Error('BUG: index closed twice');
    this.#stage = Stage.Done;
    const n = this.#pairSeries.length;
    const byValue = countingSort(this.#pairValue.data, identity(n), this.#symbols.length);
    const order = countingSort(this.#pairName.data, byValue, this.#symbols.length);
    const names = this.#pairName.data;
    const values = this.#pairValue.data;

    const labelIndexOffsets = await this.#writeLabelIndices(order);
    const postingsOffsets = await this.#writePostings(order);

    const e = this.#e;
    this.#toc.labelIndicesTable = this.#f.pos;
    beginTable(e, labelIndexOffsets.length);
    for (const [nameRef, offset] of labelIndexOffsets) {
      e.putUvarint(1);
      e.putUvarintStr(this.#symbols[nameRef]);
      e.putUvarint(offset);
    }
    endTable(e);
    await this.#flushEnc();

    this.#toc.postingsTable = this.#f.pos;
    beginTable(e, postingsOffsets.length);
    putPostingsEntry(e, ALL_POSTINGS_NAME, ALL_POSTINGS_VALUE, postingsOffsets[0]);
    let g = 1;
    for (let i = 0; i < n; i++) {
      const k = order[i];
      if (i > 0 && names[k] === names[order[i - 1]] && values[k] === values[order[i - 1]]) continue;
      putPostingsEntry(e, this.#symbols[names[k]], this.#symbols[values[k]], postingsOffsets[g++]);
    }
    endTable(e);
    await this.#flushEnc();

    e.reset();
    encodeTOC(this.#toc, e);
    await this.#flushEnc();
    await this.#f.close();
  }

  /** One label index per name: its distinct values' symbol refs. Returns [name ref, offset] pairs. */
  async #writeLabelIndices(order: Uint32Array): Promise<[number, number][]> {
    this.#toc.labelIndices = this.#f.pos;
    const names = this.#pairName.data;
    const values = this.#pairValue.data;
    const out: [number, number][] = [];
    const e = this.#e;
    let i = 0;
    while (i < order.length) {
      const name = names[order[i]];
      await this.#f.pad(4);
      out.push([name, this.#f.pos]);
      e.reset();
      e.putBE32(0);
      e.putBE32(1);
      e.putBE32(0);
      let count = 0;
      for (; i < order.length && names[order[i]] === name; i++) {
        const v = values[order[i]];
        if (count > 0 && v === values[order[i - 1]]) continue;
        e.putBE32(v);
        count++;
      }
      e.setBE32(0, e.length - 4);
      e.setBE32(8, count);
      e.putCRC32Since(4);
      await this.#flushEnc();
    }
    return out;
  }

  /** The all-series list, then one list per (name, value) in order. Returns their offsets. */
  async #writePostings(order: Uint32Array): Promise<number[]> {
    await this.#f.pad(4);
    this.#toc.postings = this.#f.pos;
    const offsets: number[] = [await this.#writePostingsList(this.#all.data, 0, this.#all.length, undefined)];
    const names = this.#pairName.data;
    const values = this.#pairValue.data;
    let i = 0;
    while (i < order.length) {
      const name = names[order[i]];
      const value = values[order[i]];
      let j = i + 1;
      while (j < order.length && names[order[j]] === name && values[order[j]] === value) j++;
      offsets.push(await this.#writePostingsList(this.#pairSeries.data, i, j, order));
      i = j;
    }
    return offsets;
  }

  /** Writes refs[from..to) (through `order` when given) as one postings list; returns its offset. */
  async #writePostingsList(refs: Uint32Array, from: number, to: number, order: Uint32Array | undefined): Promise<number> {
    await this.#f.pad(4);
    const at = this.#f.pos;
    const e = this.#e;
    e.reset();
    e.putBE32(4 + 4 * (to - from));
    e.putBE32(to - from);
    for (let i = from; i < to; i++) e.putBE32(refs[order === undefined ? i : order[i]]);
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

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** Stable counting sort of the indices `input` by `keys[index]`, keys in [0, range). */
function countingSort(keys: Uint32Array, input: Uint32Array, range: number): Uint32Array {
  const start = new Uint32Array(range + 1);
  for (let i = 0; i < input.length; i++) start[keys[input[i]] + 1]++;
  for (let k = 0; k < range; k++) start[k + 1] += start[k];
  const out = new Uint32Array(input.length);
  for (let i = 0; i < input.length; i++) out[start[keys[input[i]]]++] = input[i];
  return out;
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

function putUvarintAt(b: Uint8Array, at: number, v: number): void {
  while (v >= 0x80) {
    b[at++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  b[at] = v;
}

function encodeChunkMetas(e: Encbuf, c: ChunkMetaTriplets, start: number, n: number, labels: Labels): void {
  e.putUvarint(n);
  if (n === 0) return;
  const s = 3 * start;
  if (c[s + 1] < c[s]) throw new Error(`BUG: chunk of ${labels.toString()} ends before it starts`);
  e.putVarint(c[s]);
  e.putUvarint(c[s + 1] - c[s]);
  e.putUvarint(c[s + 2]);
  for (let i = s + 3; i < s + 3 * n; i += 3) {
    const mint = c[i];
    const maxt = c[i + 1];
    const prevMaxt = c[i - 2];
    if (maxt < mint) throw new Error(`BUG: chunk of ${labels.toString()} ends before it starts at ${mint}`);
    // Overlapping chunks give a negative delta, written as Go writes uint64(int64).
    e.putUvarintWrapped(mint - prevMaxt);
    e.putUvarint(maxt - mint);
    e.putVarint(c[i + 2] - c[i - 1]);
  }
}
