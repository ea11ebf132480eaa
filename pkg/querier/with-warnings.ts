import type { SeriesSet } from '../storage/index.js';

/** `set` with `warnings` added to its own (partial_response: what the answer leaves out). */
export function withWarnings(set: SeriesSet, warnings: readonly string[]): SeriesSet {
  if (warnings.length === 0) return set;
  return { next: () => set.next(), at: () => set.at(), err: () => set.err(), warnings: () => [...set.warnings(), ...warnings] };
}
