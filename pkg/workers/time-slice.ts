// Cooperative time slicing for the few loops over data that still run on a thread other work
// shares (an ingester's QueryStream next to its pushes): the loop calls maybeYield() per item
// and gives the event loop back once its slice is used up, so a push waits at most one slice.

/** Milliseconds of work between two yields; a push queued behind a read waits at most about this. */
const defaultSliceMs = 5;

export class TimeSlicer {
  readonly #sliceMs: number;
  #sliceStart = performance.now();

  constructor(sliceMs = defaultSliceMs) {
    this.#sliceMs = sliceMs;
  }

  /** Resolves at once inside the slice; after it, on the next turn of the event loop. */
  maybeYield(): Promise<void> | undefined {
    if (performance.now() - this.#sliceStart < this.#sliceMs) return undefined;
    return new Promise<void>((resolve) => setImmediate(() => {
      this.#sliceStart = performance.now();
      resolve();
    }));
  }
}
