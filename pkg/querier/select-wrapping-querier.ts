import type { Matcher } from '../model/labels/index.js';
import type { LabelHints, Querier, SelectHints, SeriesSet } from '../storage/index.js';

/** A Querier that changes only what select() returns; label lookups and close() go to `inner`. */
export abstract class SelectWrappingQuerier implements Querier {
  protected readonly inner: Querier;

  constructor(inner: Querier) {
    this.inner = inner;
  }

  abstract select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet;

  labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    return this.inner.labelNames(hints, ...matchers);
  }

  labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    return this.inner.labelValues(name, hints, ...matchers);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
