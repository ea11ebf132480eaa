// What a head's series are made of (Prometheus' MemPostings.Stats behind /api/v1/status/tsdb, and
// the per-tenant figures of Mimir's cardinality API). Every loop here calls `pause` per item, so
// the caller can give its thread back to other work (an ingester's pushes) however big the head.
import type { Labels, Matcher } from '../model/labels/index.js';
import type { Head } from './head.js';
import { postingsForMatchers } from './index/index.js';
import type { MemSeries } from './mem-series.js';

/** Resolves at once or after giving the thread back (pkg/workers TimeSlicer.maybeYield). */
export type Pause = () => Promise<void> | undefined;

export interface Stat {
  name: string;
  value: number;
}

/** Prometheus' tsdbStatus: head stats and the top `limit` entries of four lists, descending. */
export interface HeadStatus {
  numSeries: number;
  numLabelPairs: number;
  chunkCount: number;
  /** Oldest and newest sample; Infinity and -Infinity when the head is empty. */
  minTime: number;
  maxTime: number;
  seriesCountByMetricName: Stat[];
  labelValueCountByLabelName: Stat[];
  memoryInBytesByLabelName: Stat[];
  seriesCountByLabelValuePair: Stat[];
}

/** The series a cardinality call looks at. */
export interface SeriesFilter {
  /** None: every series. */
  matchers: readonly Matcher[];
  /** Only series with a sample at or after this time (ms); -Infinity for every series. */
  activeSince: number;
}

/** An answer would pass the caller's size limit (bytes of label names and values). */
export class ResultTooLargeError extends Error {
  constructor(limit: number) {
    super(`the response size exceeded the limit (limit: ${limit} bytes)`);
    this.name = 'ResultTooLargeError';
  }
}

/**
 * The `limit` largest stats, largest first, ties by name (Prometheus leaves the order of ties to
 * its heap). Kept sorted; most candidates are refused by one comparison with the smallest.
 */
export class TopStats {
  readonly #limit: number;
  readonly #items: Stat[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(name: string, value: number): void {
    const items = this.#items;
    if (this.#limit <= 0) return;
    if (items.length === this.#limit && !before(name, value, items[items.length - 1])) return;
    let i = items.length;
    while (i > 0 && before(name, value, items[i - 1])) i--;
    items.splice(i, 0, { name, value });
    if (items.length > this.#limit) items.pop();
  }

  get(): Stat[] {
    return this.#items;
  }
}

function before(name: string, value: number, s: Stat): boolean {
  return value > s.value || (value === s.value && name < s.name);
}

const noFilter = (f: SeriesFilter): boolean => f.matchers.length === 0 && f.activeSince === -Infinity;

/** Prometheus' /api/v1/status/tsdb over the head, read from its postings (`metricLabel`: `__name__`). */
export async function headStatus(head: Head, metricLabel: string, limit: number, pause: Pause): Promise<HeadStatus> {
  const metrics = new TopStats(limit);
  const valueCounts = new TopStats(limit);
  const memory = new TopStats(limit);
  const pairs = new TopStats(limit);
  let numLabelPairs = 0;
  for (const [name, values] of head.postings.entries()) {
    valueCounts.push(name, values.size);
    numLabelPairs += values.size;
    let bytes = 0;
    for (const [value, refs] of values) {
      await pause();
      if (name === metricLabel) metrics.push(value, refs.length);
      pairs.push(`${name}=${value}`, refs.length);
      // As Prometheus 2.42: the bytes of the distinct values, not multiplied by their series.
      bytes += Buffer.byteLength(value);
    }
    memory.push(name, bytes);
  }
  const chunks = (await head.metrics.chunks.get()).values[0]?.value ?? 0;
  return {
    numSeries: head.numSeries(),
    numLabelPairs,
    chunkCount: chunks,
    minTime: head.minTime(),
    maxTime: head.maxTime(),
    seriesCountByMetricName: metrics.get(),
    labelValueCountByLabelName: valueCounts.get(),
    memoryInBytesByLabelName: memory.get(),
    seriesCountByLabelValuePair: pairs.get(),
  };
}

/** Calls `fn` with every series the filter selects, in ref order. */
async function forEachSeries(head: Head, f: SeriesFilter, pause: Pause, fn: (s: MemSeries) => void): Promise<void> {
  const refs = f.matchers.length === 0 ? head.postings.allPostings() : postingsForMatchers(head.postings, f.matchers);
  for (let i = 0; i < refs.length; i++) {
    await pause();
    const s = head.byRef.get(refs[i]);
    if (s !== undefined && s.hasSamples() && s.maxTime() >= f.activeSince) fn(s);
  }
}

/** Counts the bytes of what an answer holds and refuses it past `maxBytes` (0: no limit). */
class SizeBudget {
  readonly #max: number;
  #used = 0;

  constructor(max: number) {
    this.#max = max;
  }

  add(bytes: number): void {
    this.#used += bytes;
    if (this.#max > 0 && this.#used > this.#max) throw new ResultTooLargeError(this.#max);
  }
}

/** Label names of the selected series with their values (Mimir's LabelNamesAndValues). */
export async function labelNamesAndValues(head: Head, f: SeriesFilter, maxBytes: number, pause: Pause): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const budget = new SizeBudget(maxBytes);
  const add = (name: string, value: string): void => {
    let values = out.get(name);
    if (values === undefined) {
      out.set(name, (values = new Set()));
      budget.add(name.length);
    }
    if (values.has(value)) return;
    values.add(value);
    budget.add(value.length);
  };
  if (noFilter(f)) {
    for (const [name, values] of head.postings.entries()) {
      for (const value of values.keys()) {
        await pause();
        add(name, value);
      }
    }
    return out;
  }
  await forEachSeries(head, f, pause, (s) => s.labels.forEach(add));
  return out;
}

/** Series per value of each of `names` among the selected series (Mimir's LabelValuesCardinality). */
export async function labelValuesCardinality(head: Head, names: readonly string[], f: SeriesFilter, pause: Pause):
  Promise<{ seriesCount: number; byName: Map<string, Map<string, number>> }> {
  const byName = new Map<string, Map<string, number>>(names.map((n) => [n, new Map()]));
  if (noFilter(f)) {
    for (const [name, counts] of byName) {
      for (const [value, refs] of head.postings.valuePostings(name) ?? []) {
        await pause();
        counts.set(value, refs.length);
      }
    }
    return { seriesCount: head.numSeries(), byName };
  }
  let seriesCount = 0;
  await forEachSeries(head, f, pause, (s) => {
    seriesCount++;
    for (const [name, counts] of byName) {
      const v = s.labels.get(name);
      if (v !== '') counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  });
  return { seriesCount, byName };
}

/** The label sets of the selected series (Mimir's ActiveSeries), refused past `maxBytes`. */
export async function selectedSeries(head: Head, f: SeriesFilter, maxBytes: number, pause: Pause): Promise<Labels[]> {
  const out: Labels[] = [];
  const budget = new SizeBudget(maxBytes);
  await forEachSeries(head, f, pause, (s) => {
    let bytes = 0;
    s.labels.forEach((n, v) => (bytes += n.length + v.length));
    budget.add(bytes);
    out.push(s.labels);
  });
  return out;
}
