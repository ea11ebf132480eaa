/**
 * Stores each distinct label string once (VictoriaMetrics internstring, Prometheus' head symbols):
 * strings decoded from every request are fresh copies; the head keeps the first instance and hands
 * it out for every later equal string. Reference counted so that strings of garbage-collected series
 * are released.
 */
export class Interner {
  readonly #entries = new Map<string, { s: string; refs: number }>();

  /** The canonical instance of `s`, taking one reference. */
  intern(s: string): string {
    const e = this.#entries.get(s);
    if (e !== undefined) {
      e.refs++;
      return e.s;
    }
    this.#entries.set(s, { s, refs: 1 });
    return s;
  }

  /** Drops one reference taken by intern(). */
  release(s: string): void {
    const e = this.#entries.get(s);
    if (e === undefined) throw new Error(`BUG: release of a string that was never interned: ${JSON.stringify(s)}`);
    if (--e.refs === 0) this.#entries.delete(s);
  }

  /** Distinct strings held. */
  get size(): number {
    return this.#entries.size;
  }
}
