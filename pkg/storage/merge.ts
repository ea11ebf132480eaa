/**
 * Merging of sorted series sets, the way a querier combines blocks, ingesters and replicas
 * (Prometheus storage/merge.go): series with equal labels become one series, and samples with equal
 * timestamps are kept once (the first set's sample wins), which deduplicates the RF copies of
 * replicated data.
 */
import type { FloatHistogram, Histogram } from '../model/histogram/index.js';
import { Labels } from '../model/labels/index.js';
import {
  ValueType,
  type ChunkSeries,
  type ChunkSeriesSet,
  type SampleIterator,
  type Series,
  type SeriesSet,
} from './interface.js';

/** What mergeSortedSets needs of a series set; SeriesSet and ChunkSeriesSet both fit. */
interface SortedSet<S extends { labels: Labels }> {
  next(): Promise<boolean>;
  at(): S;
  err(): Error | undefined;
  warnings(): readonly string[];
}

/**
 * Merges sets that are each sorted by labels (Labels.compare) into one sorted set; `combine` turns
 * the series that share labels (in set order, at least one) into one.
 */
class MergedSet<S extends { labels: Labels }> {
  readonly #sets: SortedSet<S>[];
  readonly #combine: (group: S[]) => S;
  /** Whether set i has a current series (advanced and not exhausted). */
  readonly #live: boolean[];
  /** Sets whose current series went into the last output and must advance first. */
  #consumed: number[] | undefined;
  #cur: S | undefined;
  #err: Error | undefined;

  constructor(sets: SortedSet<S>[], combine: (group: S[]) => S) {
    this.#sets = sets;
    this.#combine = combine;
    this.#live = sets.map(() => false);
    this.#consumed = undefined;
    this.#cur = undefined;
    this.#err = undefined;
  }

  async next(): Promise<boolean> {
    if (this.#err !== undefined) return false;
    const toAdvance = this.#consumed ?? this.#sets.map((_, i) => i);
    await Promise.all(toAdvance.map((i) => this.#advance(i)));
    if (this.#err !== undefined) return false;
    let min: Labels | undefined;
    for (let i = 0; i < this.#sets.length; i++) {
      if (!this.#live[i]) continue;
      const l = this.#sets[i].at().labels;
      if (min === undefined || Labels.compare(l, min) < 0) min = l;
    }
    if (min === undefined) {
      this.#consumed = [];
      return false;
    }
    const group: S[] = [];
    const consumed: number[] = [];
    for (let i = 0; i < this.#sets.length; i++) {
      if (this.#live[i] && Labels.compare(this.#sets[i].at().labels, min) === 0) {
        group.push(this.#sets[i].at());
        consumed.push(i);
      }
    }
    this.#consumed = consumed;
    this.#cur = group.length === 1 ? group[0] : this.#combine(group);
    return true;
  }

  async #advance(i: number): Promise<void> {
    const s = this.#sets[i];
    this.#live[i] = await s.next();
    if (!this.#live[i]) {
      const err = s.err();
      if (err !== undefined && this.#err === undefined) this.#err = err;
    }
  }

  at(): S {
    return this.#cur as S;
  }

  err(): Error | undefined {
    return this.#err;
  }

  warnings(): readonly string[] {
    return this.#sets.flatMap((s) => s.warnings());
  }
}

/** Merges sorted series sets; series with equal labels are chained with duplicate timestamps dropped. */
export function mergeSeriesSets(sets: readonly SeriesSet[]): SeriesSet {
  if (sets.length === 1) return sets[0];
  return new MergedSet<Series>([...sets], (group) => new ChainedSeries(group));
}

/**
 * Merges sorted chunk series sets; series with equal labels are combined by `combine`, which knows
 * the chunk encodings (see pkg/tsdb/compact for the XOR one that re-encodes overlapping chunks).
 */
export function mergeChunkSeriesSets(sets: readonly ChunkSeriesSet[], combine: (group: ChunkSeries[]) => ChunkSeries): ChunkSeriesSet {
  if (sets.length === 1) return sets[0];
  return new MergedSet<ChunkSeries>([...sets], combine);
}

class ChainedSeries implements Series {
  readonly labels: Labels;
  readonly #parts: Series[];

  constructor(parts: Series[]) {
    this.labels = parts[0].labels;
    this.#parts = parts;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    const old = reuse instanceof ChainSampleIterator ? reuse.iterators : [];
    return new ChainSampleIterator(this.#parts.map((p, i) => p.iterator(old[i])));
  }
}

/**
 * Iterates several sample iterators in timestamp order; a timestamp present in more than one is
 * returned once, from the first iterator that has it. No allocation per sample.
 */
export class ChainSampleIterator implements SampleIterator {
  readonly iterators: readonly SampleIterator[];
  /** Current timestamp of each iterator, +Infinity once exhausted, NaN before its first next(). */
  readonly #ts: Float64Array;
  /** The ValueType of each iterator's current sample. */
  readonly #types: Uint8Array;
  #cur: number;
  #err: Error | undefined;

  constructor(iterators: readonly SampleIterator[]) {
    this.iterators = iterators;
    this.#ts = new Float64Array(iterators.length).fill(NaN);
    this.#types = new Uint8Array(iterators.length);
    this.#cur = -1;
    this.#err = undefined;
  }

  next(): ValueType {
    const its = this.iterators;
    const ts = this.#ts;
    const last = this.#cur >= 0 ? ts[this.#cur] : -Infinity;
    for (let i = 0; i < its.length; i++) {
      // Advance those not started and those sitting on the timestamp just returned.
      if (Number.isNaN(ts[i]) || ts[i] === last) this.#step(i, its[i].next());
    }
    return this.#pick();
  }

  seek(t: number): ValueType {
    if (this.#cur >= 0 && this.#ts[this.#cur] >= t) return this.#types[this.#cur] as ValueType;
    for (let i = 0; i < this.iterators.length; i++) {
      if (Number.isNaN(this.#ts[i]) || this.#ts[i] < t) this.#step(i, this.iterators[i].seek(t));
    }
    return this.#pick();
  }

  #step(i: number, vt: ValueType): void {
    if (vt === ValueType.None) {
      this.#ts[i] = Infinity;
      const err = this.iterators[i].err();
      if (err !== undefined && this.#err === undefined) this.#err = err;
    } else {
      this.#ts[i] = this.iterators[i].atT();
    }
    this.#types[i] = vt;
  }

  #pick(): ValueType {
    if (this.#err !== undefined) {
      this.#cur = -1;
      this.#ts.fill(Infinity);
      return ValueType.None;
    }
    let best = -1;
    for (let i = 0; i < this.#ts.length; i++) {
      if (this.#ts[i] !== Infinity && (best < 0 || this.#ts[i] < this.#ts[best])) best = i;
    }
    this.#cur = best;
    return best < 0 ? ValueType.None : (this.#types[best] as ValueType);
  }

  atT(): number {
    return this.#ts[this.#cur];
  }

  atV(): number {
    return this.iterators[this.#cur].atV();
  }

  atHistogram(): Histogram {
    return this.iterators[this.#cur].atHistogram();
  }

  atFloatHistogram(): FloatHistogram {
    return this.iterators[this.#cur].atFloatHistogram();
  }

  err(): Error | undefined {
    return this.#err;
  }
}
