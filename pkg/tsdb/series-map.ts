import type { Labels } from '../model/labels/index.js';
import { hashLabelPairs, pairsEqualBytes } from '../model/labels/index.js';
import type { MemSeries } from './mem-series.js';

/**
 * Series by label set, keyed by a 30-bit hash of the labels' UTF-8 bytes (hashLabelPairs, in-memory
 * only, never persisted) with collisions resolved by comparing labels.
 *
 * Why not `Map<labels.key, …>`: a label set decoded from a request is new, so its key string must be
 * built (an allocation as long as all labels) and then hashed by V8; hashing in place and looking up
 * a small-integer key measured ~2.5× faster, and series keep no key string (~100 bytes each). The
 * hash being over UTF-8 bytes lets getByBytes() find a series from a request's raw label bytes,
 * before (and, for existing series, without) creating any string.
 */
export class SeriesMap {
  readonly #m = new Map<number, MemSeries | MemSeries[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The series with labels `ls`; `hash` is hashLabelPairs(ls.pairs()) when the caller has it. */
  get(ls: Labels, hash = hashLabelPairs(ls.pairs())): MemSeries | undefined {
    const e = this.#m.get(hash);
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return e.labels.equals(ls) ? e : undefined;
    for (const s of e) if (s.labels.equals(ls)) return s;
    return undefined;
  }

  /**
   * The series whose labels are the UTF-8 label set [from, to) of `ranges` over `buf` (see
   * model/labels label-bytes.ts), given that set's hashLabelBytes.
   */
  getByBytes(hash: number, buf: Uint8Array, ranges: Uint32Array, from: number, to: number): MemSeries | undefined {
    const e = this.#m.get(hash);
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return pairsEqualBytes(e.labels.pairs(), buf, ranges, from, to) ? e : undefined;
    for (const s of e) if (pairsEqualBytes(s.labels.pairs(), buf, ranges, from, to)) return s;
    return undefined;
  }

  /** Adds a series whose labels are not in the map yet (`hash` as for get()). */
  add(s: MemSeries, h = hashLabelPairs(s.labels.pairs())): void {
    const e = this.#m.get(h);
    if (e === undefined) this.#m.set(h, s);
    else if (Array.isArray(e)) e.push(s);
    else this.#m.set(h, [e, s]);
    this.#size++;
  }

  delete(s: MemSeries): void {
    const h = hashLabelPairs(s.labels.pairs());
    const e = this.#m.get(h);
    if (e === undefined) return;
    if (!Array.isArray(e)) {
      if (e === s) {
        this.#m.delete(h);
        this.#size--;
      }
      return;
    }
    const i = e.indexOf(s);
    if (i < 0) return;
    e.splice(i, 1);
    this.#size--;
    if (e.length === 1) this.#m.set(h, e[0]);
  }
}
