/**
 * An exponentially weighted moving average of samples per second (Cortex util/math.EwmaRate):
 * `add` counts, `tick` folds the count since the last tick into the average.
 */
export class IngestionRate {
  static readonly alpha = 0.2;
  #count = 0;
  #rate = 0;
  #initialised = false;

  add(n: number): void {
    this.#count += n;
  }

  tick(elapsedSeconds: number): void {
    if (elapsedSeconds <= 0) return;
    const instant = this.#count / elapsedSeconds;
    this.#count = 0;
    this.#rate = this.#initialised ? this.#rate + IngestionRate.alpha * (instant - this.#rate) : instant;
    this.#initialised = true;
  }

  rate(): number {
    return this.#rate;
  }
}
