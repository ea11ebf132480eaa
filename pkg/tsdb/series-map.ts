import type { Labels } from '../model/labels/index.js';
import type { MemSeries } from './mem-series.js';

/**
 * Series by label set, keyed by a 30-bit hash of the label strings (FNV-1a over UTF-16 code units,
 * in-memory only, never persisted) with collisions resolved by comparing labels.
 *
 * Why not `Map<labels.key, …>`: a label set decoded from a request is new, so its key string must be
 * built (an allocation as long as all labels) and then hashed by V8; hashing the pairs in place and
 * looking up a small-integer key measured ~2.5× faster, and series keep no key string (~100 bytes
 * each).
 */
export class SeriesMap {
  readonly #m = new Map<number, MemSeries | MemSeries[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(ls: Labels): MemSeries | undefined {
    const e = this.#m.get(hashPairs(ls.pairs()));
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return e.labels.equals(ls) ? e : undefined;
    for (const s of e) if (s.labels.equals(ls)) return s;
    return undefined;
  }

  /** Adds a series whose labels are not in the map yet. */
  add(s: MemSeries): void {
    const h = hashPairs(s.labels.pairs());
    const e = this.#m.get(h);
    if (e === undefined) this.#m.set(h, s);
    else if (Array.isArray(e)) e.push(s);
    else this.#m.set(h, [e, s]);
    this.#size++;
  }

  delete(s: MemSeries): void {
    const h = hashPairs(s.labels.pairs());
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

function hashPairs(p: readonly string[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < p.length; i++) {
    const s = p[i];
    for (let j = 0; j < s.length; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193); // separator: U+FFFF is a noncharacter, absent from label text
  }
  return (h >>> 2) & 0x3fffffff; // small-integer range: V8 keeps such Map keys unboxed
}
