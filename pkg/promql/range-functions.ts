/**
 * Functions over range vectors. Each takes one window of one series (typed-array views, no copies)
 * and returns the output value, or null for "no sample at this step".
 */
import { LabelsBuilder, Labels, MatchType, MetricName } from '../model/labels/index.js';
import type { VectorSelector } from './parser/index.js';
import type { Window } from './evaluator.js';
import type { Reporter } from './value.js';
import { executionError } from './value.js';
import type { KahanSum } from './stats-math.js';
import { kahanAdd, quantile } from './stats-math.js';

export type RangeFn = (w: Window, p: Float64Array, report: Reporter) => number | null;

const fns: Record<string, RangeFn> = {
  rate: (w) => extrapolatedRate(w, true, true),
  increase: (w) => extrapolatedRate(w, true, false),
  delta: (w) => extrapolatedRate(w, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  deriv: (w) => {
    if (w.to - w.from < 2) return null;
    return linearRegression(w, w.ts[w.from])[0];
  },
  predict_linear: (w, p) => {
    if (w.to - w.from < 2) return null;
    const [slope, intercept] = linearRegression(w, w.evalT);
    return slope * p[1] + intercept;
  },
  resets: (w) => {
    if (w.to === w.from) return null;
    let n = 0;
    for (let i = w.from + 1; i < w.to; i++) if (w.vs[i] < w.vs[i - 1]) n++;
    return n;
  },
  changes: (w) => {
    if (w.to === w.from) return null;
    let n = 0;
    for (let i = w.from + 1; i < w.to; i++) {
      const a = w.vs[i - 1];
      const b = w.vs[i];
      if (a !== b && !(a !== a && b !== b)) n++;
    }
    return n;
  },
  avg_over_time: (w) => (w.to === w.from ? null : avgOf(w)),
  sum_over_time: (w) => {
    if (w.to === w.from) return null;
    const k: KahanSum = { sum: 0, c: 0 };
    for (let i = w.from; i < w.to; i++) kahanAdd(k, w.vs[i]);
    return k.sum + k.c;
  },
  count_over_time: (w) => (w.to === w.from ? null : w.to - w.from),
  min_over_time: (w) => extreme(w, false),
  max_over_time: (w) => extreme(w, true),
  stddev_over_time: (w) => (w.to === w.from ? null : Math.sqrt(variance(w))),
  stdvar_over_time: (w) => (w.to === w.from ? null : variance(w)),
  quantile_over_time: (w, p, a) => {
    if (w.to === w.from) return null;
    const q = p[0];
    if (Number.isNaN(q) || q < 0 || q > 1) a.warn(`quantile value should be between 0 and 1, got ${goFloat(q)}`);
    return quantile(q, Array.prototype.slice.call(w.vs, w.from, w.to) as number[]);
  },
  mad_over_time: (w) => {
    if (w.to === w.from) return null;
    const vals = Array.prototype.slice.call(w.vs, w.from, w.to) as number[];
    const median = quantile(0.5, vals.slice());
    return quantile(
      0.5,
      vals.map((v) => Math.abs(v - median)),
    );
  },
  last_over_time: (w) => (w.to === w.from ? null : w.vs[w.to - 1]),
  first_over_time: (w) => (w.to === w.from ? null : w.vs[w.from]),
  present_over_time: (w) => (w.to === w.from ? null : 1),
  ts_of_last_over_time: (w) => (w.to === w.from ? null : w.ts[w.to - 1] / 1000),
  ts_of_first_over_time: (w) => (w.to === w.from ? null : w.ts[w.from] / 1000),
  ts_of_max_over_time: (w) => tsOfExtreme(w, true),
  ts_of_min_over_time: (w) => tsOfExtreme(w, false),
  double_exponential_smoothing: (w, p) => {
    const sf = p[1];
    const tf = p[2];
    if (!(sf > 0 && sf < 1)) throw executionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`);
    if (!(tf > 0 && tf < 1)) throw executionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
    if (w.to - w.from < 2) return null;
    let s0 = 0;
    let s1 = w.vs[w.from];
    let b = w.vs[w.from + 1] - w.vs[w.from];
    for (let i = 1; i < w.to - w.from; i++) {
      const x = sf * w.vs[w.from + i];
      if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
      const y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  },
};

export function rangeFunction(name: string): RangeFn {
  const fn = fns[name];
  if (fn === undefined) throw executionError(`function "${name}" is not supported over range vectors`);
  return fn;
}

const counterSuffix = /(_total|_sum|_count|_bucket)$/;

/** rate() and increase() note series whose name does not look like a counter's (once per series). */
export function checkCounterName(func: string, metric: Labels, report: Reporter): void {
  if (func !== 'rate' && func !== 'increase') return;
  const name = metric.get(MetricName);
  if (!counterSuffix.test(name)) {
    report.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`);
  }
}

/** Functions over time whose output keeps the input's metric name. */
export function rangeFunctionKeepsName(name: string): boolean {
  return name === 'last_over_time' || name === 'first_over_time';
}

/** Labels of absent()/absent_over_time() output: the selector's equality matchers, as Prometheus. */
export function absentLabels(vs: VectorSelector): Labels {
  const b = new LabelsBuilder(Labels.EMPTY);
  const has = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === MetricName) continue;
    if (m.type === MatchType.Equal && !has.has(m.name)) {
      b.set(m.name, m.value);
      has.add(m.name);
    } else {
      b.del(m.name);
    }
  }
  return b.labels();
}

function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean): number | null {
  const from = w.from;
  const to = w.to;
  const n = to - from;
  if (n < 2) return null;
  const ts = w.ts;
  const vs = w.vs;
  const firstT = ts[from];
  const lastT = ts[to - 1];
  const first = vs[from];
  let result = vs[to - 1] - first;
  if (isCounter) {
    // Add back what every counter reset took away.
    let last = 0;
    for (let i = from; i < to; i++) {
      const v = vs[i];
      if (v < last) result += last;
      last = v;
    }
  }
  const zeroAt = isCounter && result > 0 && first >= 0 ? first / result : Infinity;
  return result * extrapolationFactor(w, firstT, lastT, n, isRate, zeroAt);
}

/**
 * How much to scale the increase between the first and last of n samples to cover the window:
 * to its ends when samples come close to them, else half a sample interval beyond. `zeroAt`: the
 * fraction of the sampled interval before the first sample where a counter would reach zero
 * (Infinity when unknown), which extrapolation never passes.
 */
export function extrapolationFactor(w: Window, firstT: number, lastT: number, n: number, isRate: boolean, zeroAt: number): number {
  const rangeEnd = w.t - w.offset;
  const rangeStart = rangeEnd - w.range;
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampled = (lastT - firstT) / 1000;
  const avgStep = sampled / (n - 1);
  const threshold = avgStep * 1.1;
  // Half an interval first, then the zero point, as Prometheus 2.51+ (2.42 checked the zero point
  // against the threshold and could extrapolate further: docs/promql.md, "rate() at the start of a series").
  if (durationToStart >= threshold) durationToStart = avgStep / 2;
  const durationToZero = sampled * zeroAt;
  if (durationToZero < durationToStart) durationToStart = durationToZero;
  if (durationToEnd >= threshold) durationToEnd = avgStep / 2;
  let factor = (sampled + durationToStart + durationToEnd) / sampled;
  if (isRate) factor /= w.range / 1000;
  return factor;
}

function instantValue(w: Window, isRate: boolean): number | null {
  if (w.to - w.from < 2) return null;
  const last = w.vs[w.to - 1];
  const prev = w.vs[w.to - 2];
  let v = isRate && last < prev ? last : last - prev;
  const dt = w.ts[w.to - 1] - w.ts[w.to - 2];
  if (dt === 0) return null;
  if (isRate) v /= dt / 1000;
  return v;
}

/** Least squares fit with Kahan sums, x in seconds relative to `interceptTime`. */
function linearRegression(w: Window, interceptTime: number): [number, number] {
  let n = 0;
  const sx: KahanSum = { sum: 0, c: 0 };
  const sy: KahanSum = { sum: 0, c: 0 };
  const sxy: KahanSum = { sum: 0, c: 0 };
  const sx2: KahanSum = { sum: 0, c: 0 };
  const initY = w.vs[w.from];
  let constY = true;
  for (let i = w.from; i < w.to; i++) {
    const y = w.vs[i];
    if (constY && i > w.from && y !== initY) constY = false;
    n++;
    const x = (w.ts[i] - interceptTime) / 1000;
    kahanAdd(sx, x);
    kahanAdd(sy, y);
    kahanAdd(sxy, x * y);
    kahanAdd(sx2, x * x);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [NaN, NaN];
    return [0, initY];
  }
  const sumX = sx.sum + sx.c;
  const sumY = sy.sum + sy.c;
  const sumXY = sxy.sum + sxy.c;
  const sumX2 = sx2.sum + sx2.c;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return [slope, sumY / n - (slope * sumX) / n];
}

function avgOf(w: Window): number {
  const k: KahanSum = { sum: w.vs[w.from], c: 0 };
  const m: KahanSum = { sum: 0, c: 0 };
  let incremental = false;
  let count = 1;
  for (let i = w.from + 1; i < w.to; i++) {
    const v = w.vs[i];
    count = i - w.from + 1;
    if (!incremental) {
      const prevSum = k.sum;
      const prevC = k.c;
      kahanAdd(k, v);
      if (k.sum !== Infinity && k.sum !== -Infinity) continue;
      // The sum overflowed: continue with an incremental mean.
      incremental = true;
      m.sum = prevSum / (count - 1);
      m.c = prevC / (count - 1);
    }
    const q = (count - 1) / count;
    m.sum *= q;
    m.c *= q;
    kahanAdd(m, v / count);
  }
  if (incremental) return m.sum + m.c;
  return k.sum / count + k.c / count;
}

function extreme(w: Window, max: boolean): number | null {
  if (w.to === w.from) return null;
  let r = w.vs[w.from];
  for (let i = w.from; i < w.to; i++) {
    const v = w.vs[i];
    if ((max ? v > r : v < r) || Number.isNaN(r)) r = v;
  }
  return r;
}

function tsOfExtreme(w: Window, max: boolean): number | null {
  if (w.to === w.from) return null;
  let r = w.vs[w.from];
  let t = w.ts[w.from];
  for (let i = w.from; i < w.to; i++) {
    const v = w.vs[i];
    if ((max ? v >= r : v <= r) || Number.isNaN(r)) {
      r = v;
      t = w.ts[i];
    }
  }
  return t / 1000;
}

function variance(w: Window): number {
  let count = 0;
  const mean: KahanSum = { sum: 0, c: 0 };
  const aux: KahanSum = { sum: 0, c: 0 };
  for (let i = w.from; i < w.to; i++) {
    const v = w.vs[i];
    count++;
    const delta = v - (mean.sum + mean.c);
    kahanAdd(mean, delta / count);
    kahanAdd(aux, delta * (v - (mean.sum + mean.c)));
  }
  return (aux.sum + aux.c) / count;
}

/** Go's %g-like printing used in annotation texts. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
