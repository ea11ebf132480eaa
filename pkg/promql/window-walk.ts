/**
 * The walk of a function over time across one series: per step, the window (ref - range, ref] is
 * found by two pointers that only move forward (ref grows with the step, or is fixed under @), and
 * the function reads the window as typed-array views. Shared by the evaluator and by selection,
 * which runs it while streaming series out of storage.
 */
import type { FloatHistogram } from '../model/histogram/index.js';
import type { Labels } from '../model/labels/index.js';
import type { Window } from './evaluator.js';
import type { RangeFn } from './range-functions.js';
import { checkCounterName, rangeFunction, rangeFunctionKeepsName } from './range-functions.js';
import type { HistRangeFn } from './range-functions-histogram.js';
import { histogramRangeFunction, notesIgnoredHistograms } from './range-functions-histogram.js';
import type { Annotations, Reporter, Series } from './value.js';
import type { QuerySamples } from './query-samples.js';

export interface WalkSteps {
  start: number;
  interval: number;
  steps: number;
}

export interface WalkWindow {
  at: number | null;
  offset: number;
  range: number;
}

/** One function over time, ready to run over series after series. */
export class WindowWalker {
  readonly #name: string;
  readonly #fn: RangeFn;
  readonly #hfn: HistRangeFn | null;
  readonly #notesIgnored: boolean;
  readonly #keepName: boolean;
  readonly #steps: WalkSteps;
  readonly #win: WalkWindow;
  /** Scalar arguments, one value per step; null in the range argument's slot. */
  readonly #cols: readonly (Float64Array | null)[];
  readonly #params: Float64Array;
  readonly #report: Reporter;
  readonly #w: Window;
  /** Where the samples the windows hold are counted, per step (Prometheus' totalQueryableSamples). */
  readonly #samples: QuerySamples;

  /** `pos`: where the call's first argument starts in the query (annotations point there). */
  constructor(
    name: string,
    steps: WalkSteps,
    win: WalkWindow,
    cols: readonly (Float64Array | null)[],
    annos: Annotations,
    pos: number | undefined,
    samples: QuerySamples,
  ) {
    this.#samples = samples;
    this.#name = name;
    this.#fn = rangeFunction(name);
    this.#hfn = histogramRangeFunction(name);
    this.#notesIgnored = notesIgnoredHistograms(name);
    this.#keepName = rangeFunctionKeepsName(name);
    this.#steps = steps;
    this.#win = win;
    this.#cols = cols;
    this.#params = new Float64Array(cols.length);
    this.#report = annos.at(pos);
    const empty = new Float64Array(0);
    this.#w = { ts: empty, vs: empty, from: 0, to: 0, hts: noHistograms, hs: [], hfrom: 0, hto: 0, t: 0, evalT: 0, offset: win.offset, range: win.range, metric: null as unknown as Labels };
  }

  /** The function's output series for one input series, or null when no step has a value. */
  walk(
    metric: Labels,
    dropName: boolean,
    ts: Float64Array,
    vs: Float64Array,
    hts: readonly number[] | null = null,
    hs: readonly FloatHistogram[] | null = null,
  ): Series | null {
    if (hts !== null && hs !== null && hts.length > 0) return this.#walkMixed(metric, dropName, ts, vs, hts, hs);
    const { start, interval, steps } = this.#steps;
    const { at, offset, range } = this.#win;
    const w = this.#w;
    const cols = this.#cols;
    const params = this.#params;
    const fn = this.#fn;
    const outT: number[] = [];
    const outF: number[] = [];
    const n = ts.length;
    let lo = 0;
    let hi = 0;
    let read = 0;
    const perStep = this.#samples.perStep;
    w.ts = ts;
    w.vs = vs;
    w.metric = metric;
    for (let i = 0; i < steps; i++) {
      const t = start + i * interval;
      const ref = (at ?? t) - offset;
      while (hi < n && ts[hi] <= ref) hi++;
      const min = ref - range;
      while (lo < hi && ts[lo] <= min) lo++;
      w.from = lo;
      w.to = hi;
      w.t = at ?? t;
      w.evalT = t;
      read += hi - lo;
      if (perStep !== null) perStep[i] += hi - lo;
      for (let a = 0; a < cols.length; a++) {
        const c = cols[a];
        params[a] = c === null ? NaN : c[i];
      }
      const v = fn(w, params, this.#report);
      if (v === null) continue;
      outT.push(t);
      outF.push(v);
    }
    this.#samples.total += read;
    if (outT.length === 0) return null;
    checkCounterName(this.#name, metric, this.#report);
    return { metric, ts: outT, fs: outF, dropName: !this.#keepName || dropName };
  }

  /** walk() for a series with native histograms: both sample kinds get a window per step. */
  #walkMixed(
    metric: Labels,
    dropName: boolean,
    ts: Float64Array,
    vs: Float64Array,
    hts: readonly number[],
    hs: readonly FloatHistogram[],
  ): Series | null {
    const { start, interval, steps } = this.#steps;
    const { at, offset, range } = this.#win;
    const w = this.#w;
    const params = this.#params;
    const out: Series = { metric, ts: [], fs: [], dropName: !this.#keepName || dropName, hts: [], hs: [] };
    let lo = 0;
    let hi = 0;
    let hlo = 0;
    let hhi = 0;
    w.ts = ts;
    w.vs = vs;
    w.hts = hts;
    w.hs = hs;
    w.metric = metric;
    for (let i = 0; i < steps; i++) {
      const t = start + i * interval;
      const ref = (at ?? t) - offset;
      const min = ref - range;
      while (hi < ts.length && ts[hi] <= ref) hi++;
      while (lo < hi && ts[lo] <= min) lo++;
      while (hhi < hts.length && hts[hhi] <= ref) hhi++;
      while (hlo < hhi && hts[hlo] <= min) hlo++;
      w.from = lo;
      w.to = hi;
      w.hfrom = hlo;
      w.hto = hhi;
      w.t = at ?? t;
      w.evalT = t;
      this.#samples.add(i, hi - lo + hhi - hlo);
      for (let a = 0; a < this.#cols.length; a++) {
        const c = this.#cols[a];
        params[a] = c === null ? NaN : c[i];
      }
      let v: FloatHistogram | number | null;
      if (hhi === hlo || this.#hfn === null) {
        if (hhi > hlo && hi > lo && this.#notesIgnored) {
          this.#report.info(`ignored histograms in a range containing both floats and histograms for metric name ${JSON.stringify(metric.get('__name__'))}`);
        }
        v = this.#fn(w, params, this.#report);
      } else v = this.#hfn(w, params, this.#report);
      if (v === null) continue;
      if (typeof v === 'number') {
        out.ts.push(t);
        out.fs.push(v);
      } else {
        out.hts?.push(t);
        out.hs?.push(v);
      }
    }
    w.hts = noHistograms;
    w.hs = [];
    w.hfrom = 0;
    w.hto = 0;
    if (out.ts.length === 0 && out.hts?.length === 0) return null;
    // As Prometheus: only float results are suspected of coming from a non-counter.
    if (out.ts.length > 0) checkCounterName(this.#name, metric, this.#report);
    return out;
  }
}

const noHistograms: readonly number[] = [];
