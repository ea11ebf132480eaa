/**
 * The walk of a function over time across one series: per step, the window (ref - range, ref] is
 * found by two pointers that only move forward (ref grows with the step, or is fixed under @), and
 * the function reads the window as typed-array views. Shared by the evaluator and by selection,
 * which runs it while streaming series out of storage.
 */
import type { Labels } from '../model/labels/index.js';
import type { Window } from './evaluator.js';
import type { RangeFn } from './range-functions.js';
import { checkCounterName, rangeFunction, rangeFunctionKeepsName } from './range-functions.js';
import type { Annotations, Reporter, Series } from './value.js';

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
  readonly #keepName: boolean;
  readonly #steps: WalkSteps;
  readonly #win: WalkWindow;
  /** Scalar arguments, one value per step; null in the range argument's slot. */
  readonly #cols: readonly (Float64Array | null)[];
  readonly #params: Float64Array;
  readonly #report: Reporter;
  readonly #w: Window;
  /** Samples the windows held, summed over steps (Prometheus' samples read). */
  samplesRead = 0;

  /** `pos`: where the call's first argument starts in the query (annotations point there). */
  constructor(
    name: string,
    steps: WalkSteps,
    win: WalkWindow,
    cols: readonly (Float64Array | null)[],
    annos: Annotations,
    pos: number | undefined,
  ) {
    this.#name = name;
    this.#fn = rangeFunction(name);
    this.#keepName = rangeFunctionKeepsName(name);
    this.#steps = steps;
    this.#win = win;
    this.#cols = cols;
    this.#params = new Float64Array(cols.length);
    this.#report = annos.at(pos);
    const empty = new Float64Array(0);
    this.#w = { ts: empty, vs: empty, from: 0, to: 0, t: 0, evalT: 0, offset: win.offset, range: win.range, metric: null as unknown as Labels };
  }

  /** The function's output series for one input series, or null when no step has a value. */
  walk(metric: Labels, dropName: boolean, ts: Float64Array, vs: Float64Array): Series | null {
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
      for (let a = 0; a < cols.length; a++) {
        const c = cols[a];
        params[a] = c === null ? NaN : c[i];
      }
      const v = fn(w, params, this.#report);
      if (v === null) continue;
      outT.push(t);
      outF.push(v);
    }
    this.samplesRead += read;
    if (outT.length === 0) return null;
    checkCounterName(this.#name, metric, this.#report);
    return { metric, ts: outT, fs: outF, dropName: !this.#keepName || dropName };
  }
}
