/**
 * The samples an evaluation reads, as Prometheus counts them for `stats`
 * (totalQueryableSamples): every sample a selector yields at a step, and every sample in a
 * function's window at a step — so a sample in three overlapping windows counts three times. With
 * per-step counting (`stats=all`) each count is also kept at its step.
 */
export class QuerySamples {
  total = 0;
  /** Counts per step of the evaluation; null unless asked for. */
  readonly perStep: Float64Array | null;

  constructor(steps: number, perStep: boolean) {
    this.perStep = perStep ? new Float64Array(steps) : null;
  }

  /** Counts `n` samples read at step `i`. */
  add(i: number, n: number): void {
    this.total += n;
    if (this.perStep !== null) this.perStep[i] += n;
  }

  /** Adds counts made on the same steps (a function computed while its series were loaded). */
  addAll(o: QuerySamples): void {
    this.total += o.total;
    const mine = this.perStep;
    const theirs = o.perStep;
    if (mine === null || theirs === null) return;
    for (let i = 0; i < mine.length; i++) mine[i] += theirs[i];
  }
}
