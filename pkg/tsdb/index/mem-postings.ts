import type { Labels } from '../../model/labels/index.js';
import type { Postings } from './postings.js';
import { EmptyPostings, insertPosting, mergePostings } from './postings.js';

/**
 * The head's inverted index: label name → label value → sorted series refs, plus the list of all
 * refs. Refs are handed out in increasing order, so adding a series is an array push.
 */
export class MemPostings {
  readonly #m = new Map<string, Map<string, number[]>>();
  readonly #all: number[] = [];

  add(ref: number, ls: Labels): void {
    const p = ls.pairs();
    for (let i = 0; i < p.length; i += 2) {
      let values = this.#m.get(p[i]);
      if (values === undefined) {
        values = new Map();
        this.#m.set(p[i], values);
      }
      const list = values.get(p[i + 1]);
      if (list === undefined) values.set(p[i + 1], [ref]);
      else insertPosting(list, ref);
    }
    insertPosting(this.#all, ref);
  }

  /** Removes the given series (each with its labels); empty lists and names disappear. */
  delete(deleted: ReadonlyMap<number, Labels>): void {
    if (deleted.size === 0) return;
    const touched = new Map<string, Set<string>>();
    for (const ls of deleted.values()) {
      const p = ls.pairs();
      for (let i = 0; i < p.length; i += 2) {
        let vs = touched.get(p[i]);
        if (vs === undefined) touched.set(p[i], (vs = new Set()));
        vs.add(p[i + 1]);
      }
    }
    for (const [name, vs] of touched) {
      const values = this.#m.get(name);
      if (values === undefined) continue;
      for (const v of vs) {
        const list = values.get(v);
        if (list === undefined) continue;
        const kept = list.filter((r) => !deleted.has(r));
        if (kept.length === 0) values.delete(v);
        else values.set(v, kept);
      }
      if (values.size === 0) this.#m.delete(name);
    }
    const all = this.#all.filter((r) => !deleted.has(r));
    this.#all.length = 0;
    for (const r of all) this.#all.push(r);
  }

  /** Refs of series with `name` set to any of `values`. */
  postings(name: string, values: readonly string[]): Postings {
    const m = this.#m.get(name);
    if (m === undefined) return EmptyPostings;
    if (values.length === 1) return m.get(values[0]) ?? EmptyPostings;
    const lists: Postings[] = [];
    for (const v of values) {
      const l = m.get(v);
      if (l !== undefined) lists.push(l);
    }
    return mergePostings(lists);
  }

  allPostings(): Postings {
    return this.#all;
  }

  /** Values of `name` in no particular order. */
  labelValues(name: string): string[] {
    const m = this.#m.get(name);
    return m === undefined ? [] : [...m.keys()];
  }

  /**
   * Every label name with its values and their postings, in no particular order: the index itself,
   * not a copy (read only). Appends during an iteration that yields may or may not be seen.
   */
  entries(): IterableIterator<[string, ReadonlyMap<string, readonly number[]>]> {
    return this.#m.entries();
  }

  /** The values of `name` with their postings (the index itself, read only). */
  valuePostings(name: string): ReadonlyMap<string, readonly number[]> | undefined {
    return this.#m.get(name);
  }

  /** Label names in no particular order. */
  labelNames(): string[] {
    return [...this.#m.keys()];
  }
}
