/**
 * Stores each distinct label string once (VictoriaMetrics internstring, Prometheus' head symbols):
 * strings decoded from every request are fresh copies; the head keeps the first instance and hands
 * it out for every later equal string. Reference counted so that strings of garbage-collected series
 * are released.
 *
 * A string maps to a slot number; the instance and its count live in arrays by slot (no object per
 * string: less memory, nothing for the GC to trace), and freed slots are reused.
 */
export class Interner {
  readonly #slots = new Map<string, number>();
  readonly #strings: string[] = [];
  readonly #refs: number[] = [];
  readonly #free: number[] = [];

  /** The canonical instance of `s`, taking one reference. */
  intern(s: string): string {
    const i = this.#slots.get(s);
    if (i !== undefined) {
      this.#refs[i]++;
      return this.#strings[i];
    }
    const slot = this.#free.length > 0 ? (this.#free.pop() as number) : this.#strings.length;
    this.#slots.set(s, slot);
    this.#strings[slot] = s;
    this.#refs[slot] = 1;
    return s;
  }

  /** Drops one reference taken by intern(). */
  release(s: string): void {
    const i = this.#slots.get(s);
    if (i === undefined) throw new Error(`BUG: release of a string that was never interned: ${JSON.stringify(s)}`);
    if (--this.#refs[i] > 0) return;
    this.#slots.delete(s);
    this.#strings[i] = '';
    this.#free.push(i);
  }

  /** Distinct strings held. */
  get size(): number {
    return this.#slots.size;
  }
}
