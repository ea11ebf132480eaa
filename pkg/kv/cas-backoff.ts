// Jittered pause between attempts of a compare-and-swap. Without it, writers that lost a race
// re-read together and race again, and one of them can lose every round.

/** Waits a random time below min(maxMs, 5ms × 2^attempt). */
export function casBackoff(attempt: number, maxMs = 500): Promise<void> {
  const ceiling = Math.min(maxMs, 5 * 2 ** Math.min(attempt, 16));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
