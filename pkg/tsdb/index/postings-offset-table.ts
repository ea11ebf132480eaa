import { compareUtf8 } from '../../model/labels/index.js';
import { CorruptionError, Decbuf, readBE32Section, type RangeReader } from '../encoding/index.js';

/** Keep every this-many-th entry of a label name in memory (Prometheus uses 32 as well). */
const SAMPLE_EVERY = 32;
/** Decoded table entries kept for regex matchers and label values, over all cached names. */
const ENTRIES_CACHE_LIMIT = 64 * 1024;

/** One decoded (value → postings range) entry of the postings offset table. */
export interface PostingsEntry {
  value: string;
  /** File offset of the postings list. */
  start: number;
  /** File offset where the next list begins: an upper bound of this list's end. */
  end: number;
}

/** What the reader keeps in memory per label name. */
interface NameSamples {
  /** Sampled values (entries 0, 32, 64, … and the last). */
  values: string[];
  /** File offset of each sampled entry inside the table. */
  entryAt: number[];
  /** Postings offset of each sampled entry. */
  postingsAt: number[];
  /** File offset just past the name's last table entry. */
  tableEnd: number;
  /** Postings offset of the first list after this name's last one (bound of its end). */
  postingsEnd: number;
  count: number;
}

/**
 * The postings offset table held sparsely: for each label name every 32nd entry, so that an exact
 * lookup reads at most 32 entries from disk, and a regex scans only that name's part of the table.
 */
export class PostingsOffsetTable {
  readonly #f: RangeReader;
  readonly #names: Map<string, NameSamples>;
  readonly #sortedNames: string[];
  /** Decoded entries of recently used names, least recently used first. */
  readonly #cache: Map<string, PostingsEntry[]>;
  #cached: number;

  private constructor(f: RangeReader, names: Map<string, NameSamples>) {
    this.#f = f;
    this.#names = names;
    this.#sortedNames = [...names.keys()].sort(compareUtf8);
    this.#cache = new Map();
    this.#cached = 0;
  }

  /**
   * Reads the table at `offset` once, keeping samples. `postingsEnd` bounds the last postings list
   * (the start of the section after the postings).
   */
  static async load(f: RangeReader, offset: number, postingsEnd: number): Promise<PostingsOffsetTable> {
    const what = `${f.path}: postings offset table`;
    const d = await readBE32Section(f, offset, what);
    const buf = d.buf;
    const n = d.be32();
    const names = new Map<string, NameSamples>();
    // Only sampled values become strings; the name is compared as bytes against the current one.
    let cur: NameSamples | undefined;
    let curNameAt = 0;
    let curNameLen = -1;
    let lastValueAt = 0;
    let lastEntryAt = 0;
    let lastPostings = 0;
    for (let i = 0; i < n; i++) {
      const entryAt = offset + d.pos;
      if (d.uvarint() !== 2) throw new CorruptionError(`${what}: entry ${i} does not have 2 keys`);
      const nameLen = d.uvarint();
      const nameAt = d.pos;
      d.skip(nameLen);
      const valueAt = d.pos;
      d.skip(d.uvarint());
      const postings = d.uvarint();
      if (cur === undefined || !sameBytes(buf, nameAt, nameLen, curNameAt, curNameLen)) {
        if (cur !== undefined) finishName(cur, decodeStr(buf, lastValueAt, what), lastEntryAt, lastPostings, entryAt, postings);
        const name = textDecoder.decode(buf.subarray(nameAt, nameAt + nameLen));
        if (names.has(name)) throw new CorruptionError(`${what}: label name ${JSON.stringify(name)} not contiguous`);
        cur = { values: [], entryAt: [], postingsAt: [], tableEnd: 0, postingsEnd: 0, count: 0 };
        names.set(name, cur);
        curNameAt = nameAt;
        curNameLen = nameLen;
      }
      if (cur.count % SAMPLE_EVERY === 0) {
        cur.values.push(decodeStr(buf, valueAt, what));
        cur.entryAt.push(entryAt);
        cur.postingsAt.push(postings);
      }
      cur.count++;
      lastValueAt = valueAt;
      lastEntryAt = entryAt;
      lastPostings = postings;
    }
    if (cur !== undefined) finishName(cur, decodeStr(buf, lastValueAt, what), lastEntryAt, lastPostings, offset + d.pos, postingsEnd);
    return new PostingsOffsetTable(f, names);
  }

  /** Label names present, sorted by bytes (the all-postings name "" included). */
  names(): readonly string[] {
    return this.#sortedNames;
  }

  has(name: string): boolean {
    return this.#names.has(name);
  }

  /** The postings range of (name, value), or undefined when the pair is absent. */
  async find(name: string, value: string): Promise<PostingsEntry | undefined> {
    const s = this.#names.get(name);
    if (s === undefined) return undefined;
    // Last sample <= value.
    let lo = 0;
    let hi = s.values.length - 1;
    if (compareUtf8(value, s.values[0]) < 0) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (compareUtf8(s.values[mid], value) <= 0) lo = mid;
      else hi = mid - 1;
    }
    if (s.values[lo] === value && lo === s.values.length - 1) {
      return { value, start: s.postingsAt[lo], end: s.postingsEnd };
    }
    const groupEnd = lo + 1 < s.values.length ? s.entryAt[lo + 1] : s.tableEnd;
    const entries = await this.#decodeRange(name, s.entryAt[lo], groupEnd, lo + 1 < s.values.length ? s.postingsAt[lo + 1] : s.postingsEnd);
    for (const e of entries) if (e.value === value) return e;
    return undefined;
  }

  /**
   * Every entry of `name`, in value order (one read of that name's part of the table). Recently
   * used lists are cached up to ENTRIES_CACHE_LIMIT entries in all; treat the result as read-only.
   */
  async entries(name: string): Promise<readonly PostingsEntry[]> {
    const cached = this.#cache.get(name);
    if (cached !== undefined) {
      this.#cache.delete(name);
      this.#cache.set(name, cached);
      return cached;
    }
    const s = this.#names.get(name);
    if (s === undefined) return [];
    const out = await this.#decodeRange(name, s.entryAt[0], s.tableEnd, s.postingsEnd);
    if (out.length <= ENTRIES_CACHE_LIMIT / 4) {
      this.#cache.set(name, out);
      this.#cached += out.length;
      for (const [k, v] of this.#cache) {
        if (this.#cached <= ENTRIES_CACHE_LIMIT) break;
        this.#cache.delete(k);
        this.#cached -= v.length;
      }
    }
    return out;
  }

  async #decodeRange(name: string, from: number, to: number, endBound: number): Promise<PostingsEntry[]> {
    const what = `${this.#f.path}: postings offset table of ${JSON.stringify(name)}`;
    const d = new Decbuf(await this.#f.read(from, to - from), what);
    const out: PostingsEntry[] = [];
    while (d.remaining > 0) {
      d.uvarint();
      d.skip(d.uvarint()); // the name, known
      const value = d.uvarintStr();
      const start = d.uvarint();
      if (out.length > 0) out[out.length - 1].end = start;
      out.push({ value, start, end: endBound });
    }
    return out;
  }
}

const textDecoder = new TextDecoder();

function sameBytes(b: Uint8Array, at1: number, len1: number, at2: number, len2: number): boolean {
  if (len1 !== len2) return false;
  for (let i = 0; i < len1; i++) if (b[at1 + i] !== b[at2 + i]) return false;
  return true;
}

/** The uvarint-prefixed string at `at`. */
function decodeStr(b: Uint8Array, at: number, what: string): string {
  return new Decbuf(b, what, at).uvarintStr();
}

function finishName(s: NameSamples, lastValue: string, lastEntryAt: number, lastPostings: number, tableEnd: number, postingsEnd: number): void {
  if ((s.count - 1) % SAMPLE_EVERY !== 0) {
    s.values.push(lastValue);
    s.entryAt.push(lastEntryAt);
    s.postingsAt.push(lastPostings);
  }
  s.tableEnd = tableEnd;
  s.postingsEnd = postingsEnd;
}
