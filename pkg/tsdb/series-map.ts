import type { Labels } from '../model/labels/index.js';
import { hashLabelPairs, pairsEqualBytes } from '../model/labels/index.js';
import type { MemSeries } from './mem-series.js';

/**
 * Series by label set: an open-addressing hash table (linear probing, backward-shift deletion) of
 * series refs keyed by a 30-bit hash of the labels' UTF-8 bytes (hashLabelBytes/hashLabelPairs, in-memory only,
 * never persisted), collisions resolved by comparing labels.
 *
 * Why not `Map<labels.key, …>`: a label set decoded from a request is new, so its key string must be
 * built (an allocation as long as all labels) and then hashed by V8. Why not `Map<hash, series>`:
 * its entries are chained through separate tables, a few cache misses per lookup in a map of a
 * million series; two typed arrays cost one (and 8–16 bytes per series instead of ~40). The hash
 * being over UTF-8 bytes lets getByBytes() find a series from a request's raw label bytes, before
 * (and, for existing series, without) creating any string.
 */
export class SeriesMap {
  readonly #byRef: (ref: number) => MemSeries | undefined;
  /** Slot i holds the series with ref refs[i] (0: empty slot) and its label hash hashes[i]. */
  #refs = new Uint32Array(1024);
  #hashes = new Uint32Array(1024);
  #size = 0;

  /** `byRef` resolves the refs stored here (the head's series by ref). */
  constructor(byRef: (ref: number) => MemSeries | undefined) {
    this.#byRef = byRef;
  }

  get size(): number {
    return this.#size;
  }

  /** The series with labels `ls`; `hash` is hashLabelPairs(ls.pairs()) when the caller has it. */
  get(ls: Labels, hash = hashLabelPairs(ls.pairs())): MemSeries | undefined {
    const refs = this.#refs;
    const hashes = this.#hashes;
    const mask = refs.length - 1;
    for (let i = hash & mask; refs[i] !== 0; i = (i + 1) & mask) {
      if (hashes[i] !== hash) continue;
      const s = this.#byRef(refs[i]);
      if (s !== undefined && s.labels.equals(ls)) return s;
    }
    return undefined;
  }

  /**
   * The series whose labels are the UTF-8 label set [from, to) of `ranges` over `buf` (see
   * model/labels label-bytes.ts), given that set's hashLabelBytes.
   */
  getByBytes(hash: number, buf: Uint8Array, ranges: Uint32Array, from: number, to: number): MemSeries | undefined {
    const refs = this.#refs;
    const hashes = this.#hashes;
    const mask = refs.length - 1;
    for (let i = hash & mask; refs[i] !== 0; i = (i + 1) & mask) {
      if (hashes[i] !== hash) continue;
      const s = this.#byRef(refs[i]);
      if (s !== undefined && pairsEqualBytes(s.labels.pairs(), buf, ranges, from, to)) return s;
    }
    return undefined;
  }

  /** Adds a series whose labels are not in the map yet (`h` as for get()). */
  add(s: MemSeries, h = hashLabelPairs(s.labels.pairs())): void {
    if (s.ref <= 0 || s.ref > 0xffffffff) throw new Error(`BUG: series ref ${s.ref} out of range`);
    // At most half full: probe runs stay short.
    if (2 * (this.#size + 1) > this.#refs.length) this.#resize(2 * this.#refs.length);
    this.#insert(s.ref, h);
    this.#size++;
  }

  delete(s: MemSeries): void {
    const refs = this.#refs;
    const hashes = this.#hashes;
    const mask = refs.length - 1;
    let i = hashLabelPairs(s.labels.pairs()) & mask;
    while (refs[i] !== s.ref) {
      if (refs[i] === 0) return;
      i = (i + 1) & mask;
    }
    // Backward shift: move later entries of the probe run into the hole when their home slot
    // allows, so that every entry stays reachable from its home without tombstones.
    for (let j = (i + 1) & mask; refs[j] !== 0; j = (j + 1) & mask) {
      const home = hashes[j] & mask;
      const fits = i <= j ? home <= i || home > j : home <= i && home > j;
      if (!fits) continue;
      refs[i] = refs[j];
      hashes[i] = hashes[j];
      i = j;
    }
    refs[i] = 0;
    this.#size--;
  }

  #insert(ref: number, h: number): void {
    const refs = this.#refs;
    const mask = refs.length - 1;
    let i = h & mask;
    while (refs[i] !== 0) i = (i + 1) & mask;
    refs[i] = ref;
    this.#hashes[i] = h;
  }

  #resize(capacity: number): void {
    const refs = this.#refs;
    const hashes = this.#hashes;
    this.#refs = new Uint32Array(capacity);
    this.#hashes = new Uint32Array(capacity);
    for (let i = 0; i < refs.length; i++) if (refs[i] !== 0) this.#insert(refs[i], hashes[i]);
  }
}
