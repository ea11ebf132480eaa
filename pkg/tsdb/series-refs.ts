import type { MemSeries } from './mem-series.js';

/**
 * Series by ref. Refs are small integers handed out in order, so a dense array beats a Map on the
 * append hot path (one indexed load instead of hashing and a bucket walk); removed series leave
 * `undefined` holes, bounded by the number of series ever created since the head opened.
 */
export class SeriesRefs {
  readonly #a: (MemSeries | undefined)[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(ref: number): MemSeries | undefined {
    return ref < this.#a.length ? this.#a[ref] : undefined;
  }

  has(ref: number): boolean {
    return this.get(ref) !== undefined;
  }

  set(ref: number, s: MemSeries): void {
    const a = this.#a;
    while (a.length < ref) a.push(undefined);
    if (a[ref] === undefined) this.#size++;
    a[ref] = s;
  }

  delete(ref: number): void {
    if (this.get(ref) === undefined) return;
    this.#a[ref] = undefined;
    this.#size--;
  }

  *values(): IterableIterator<MemSeries> {
    for (const s of this.#a) if (s !== undefined) yield s;
  }
}
