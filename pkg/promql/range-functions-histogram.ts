/**
 * Functions over range vectors for windows that hold native histograms (Prometheus 3.x rules).
 * Each returns a histogram, a float, or null (no sample). They run only when the window has
 * histogram samples; float-only windows take the float functions of range-functions.ts.
 */
import type { FloatHistogram } from '../model/histogram/index.js';
import { CounterResetHint, HistogramError, add, detectReset, emptyFloatHistogram, divide, equalHistograms, reduceFloatResolution, scale, sub } from '../model/histogram/index.js';
import { MetricName } from '../model/labels/index.js';
import type { Window } from './evaluator.js';
import { extrapolationFactor, rangeFunction } from './range-functions.js';
import type { Reporter } from './value.js';

export type HistRangeFn = (w: Window, p: Float64Array, report: Reporter) => FloatHistogram | number | null;

const nameOf = (w: Window): string => JSON.stringify(w.metric.get(MetricName));

/** Warnings Prometheus gives about histograms in functions and aggregations (texts after "PromQL warning: "). */
export const histogramWarnings = {
  mixed: (name: string): string => `encountered a mix of histograms and floats for metric name ${name}`,
  notCounter: (name: string): string => `this native histogram metric is not a counter: ${name}`,
  notGauge: (name: string): string => `this native histogram metric is not a gauge: ${name}`,
  mixedSchemas: (name: string): string => `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`,
  incompatibleBounds: (name: string): string => `vector contains histograms with incompatible custom buckets for metric name ${name}`,
};

/** The warning for a histogram that could not be combined, or rethrows what is not a HistogramError. */
export function reportIncompatible(err: unknown, name: string, report: Reporter): null {
  if (!(err instanceof HistogramError)) throw err;
  report.warn(err.kind === 'schema' ? histogramWarnings.mixedSchemas(name) : histogramWarnings.incompatibleBounds(name));
  return null;
}

function mixed(w: Window): boolean {
  return w.to > w.from && w.hto > w.hfrom;
}

const fns: Record<string, HistRangeFn> = {
  rate: (w, _p, r) => extrapolatedRate(w, true, true, r),
  increase: (w, _p, r) => extrapolatedRate(w, true, false, r),
  delta: (w, _p, r) => extrapolatedRate(w, false, false, r),
  irate: (w, _p, r) => instantValue(w, true, r),
  idelta: (w, _p, r) => instantValue(w, false, r),
  sum_over_time: (w, _p, r) => {
    if (mixed(w)) return warnMixed(w, r);
    try {
      let acc = w.hs[w.hfrom];
      for (let i = w.hfrom + 1; i < w.hto; i++) acc = add(acc, w.hs[i]);
      return acc;
    } catch (err) {
      return reportIncompatible(err, nameOf(w), r);
    }
  },
  avg_over_time: (w, _p, r) => {
    if (mixed(w)) return warnMixed(w, r);
    try {
      // Incremental mean, as Prometheus computes it for histograms.
      let mean = w.hs[w.hfrom];
      for (let i = w.hfrom + 1; i < w.hto; i++) {
        const n = i - w.hfrom + 1;
        mean = add(mean, sub(divide(w.hs[i], n), divide(mean, n)));
      }
      return mean;
    } catch (err) {
      return reportIncompatible(err, nameOf(w), r);
    }
  },
  count_over_time: (w) => w.to - w.from + w.hto - w.hfrom,
  present_over_time: () => 1,
  last_over_time: (w) => (w.to > w.from && w.ts[w.to - 1] > w.hts[w.hto - 1] ? w.vs[w.to - 1] : w.hs[w.hto - 1]),
  first_over_time: (w) => (w.to > w.from && w.ts[w.from] < w.hts[w.hfrom] ? w.vs[w.from] : w.hs[w.hfrom]),
  ts_of_last_over_time: (w) => Math.max(w.to > w.from ? w.ts[w.to - 1] : -Infinity, w.hts[w.hto - 1]) / 1000,
  ts_of_first_over_time: (w) => Math.min(w.to > w.from ? w.ts[w.from] : Infinity, w.hts[w.hfrom]) / 1000,
  resets: (w) => {
    // A switch between floats and histograms counts as a reset too.
    let n = 0;
    let first = true;
    let prevF = 0;
    let prevH: FloatHistogram | null = null;
    forEachPoint(w, (f, h) => {
      if (!first) {
        if (h === null) {
          if (prevH !== null || f < prevF) n++;
        } else if (prevH === null || detectReset(h, prevH)) n++;
      }
      first = false;
      prevF = f;
      prevH = h;
    });
    return n;
  },
  changes: (w) => {
    let n = 0;
    let first = true;
    let prevF = 0;
    let prevH: FloatHistogram | null = null;
    forEachPoint(w, (f, h) => {
      if (!first) {
        if (h === null) {
          if (prevH !== null || (f !== prevF && !(f !== f && prevF !== prevF))) n++;
        } else if (prevH === null || !equalHistograms(h, prevH)) n++;
      }
      first = false;
      prevF = f;
      prevH = h;
    });
    return n;
  },
};

/** Float-only functions that note histograms they skipped in a window holding both. */
const ignoresHistograms = new Set([
  'min_over_time',
  'max_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'quantile_over_time',
  'mad_over_time',
  'ts_of_min_over_time',
  'ts_of_max_over_time',
  'deriv',
  'predict_linear',
  'double_exponential_smoothing',
]);

export function histogramRangeFunction(name: string): HistRangeFn | null {
  return fns[name] ?? null;
}

/** Whether `name` notes, in a window with floats, that it ignored the window's histograms. */
export function notesIgnoredHistograms(name: string): boolean {
  return ignoresHistograms.has(name);
}

function warnMixed(w: Window, r: Reporter): null {
  r.warn(histogramWarnings.mixed(nameOf(w)));
  return null;
}

/** Floats and histograms of the window in time order. */
function forEachPoint(w: Window, fn: (f: number, h: FloatHistogram | null, t: number) => void): void {
  let i = w.from;
  let j = w.hfrom;
  while (i < w.to || j < w.hto) {
    if (j >= w.hto || (i < w.to && w.ts[i] < w.hts[j])) {
      fn(w.vs[i], null, w.ts[i]);
      i++;
    } else {
      fn(0, w.hs[j], w.hts[j]);
      j++;
    }
  }
}

function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean, report: Reporter): FloatHistogram | null {
  if (mixed(w)) return warnMixed(w, report);
  const n = w.hto - w.hfrom;
  if (n < 2) return null;
  const result = histogramIncrease(w, isCounter, report);
  if (result === null) return null;
  const factor = extrapolationFactor(w, w.hts[w.hfrom], w.hts[w.hto - 1], n, isRate, Infinity);
  return scale(result, factor);
}

/** last - first of the window's histograms, counter resets added back (Prometheus histogramRate). */
function histogramIncrease(w: Window, isCounter: boolean, report: Reporter): FloatHistogram | null {
  const name = nameOf(w);
  const hs = w.hs;
  const last = hs[w.hto - 1];
  let prev = hs[w.hfrom];
  if (isCounter && (prev.counterResetHint === CounterResetHint.Gauge || last.counterResetHint === CounterResetHint.Gauge)) {
    report.warn(histogramWarnings.notCounter(name));
  }
  // A reset right after the first sample: the first one's layout does not matter.
  if (isCounter && detectReset(hs[w.hfrom + 1], prev)) prev = emptyFloatHistogram(hs[w.hfrom + 1].schema, hs[w.hfrom + 1].customValues);
  let minSchema = Math.min(prev.schema, last.schema);
  for (let i = w.hfrom + 1; i < w.hto - 1; i++) {
    if (!isCounter) continue;
    if (hs[i].counterResetHint === CounterResetHint.Gauge) report.warn(histogramWarnings.notCounter(name));
    minSchema = Math.min(minSchema, hs[i].schema);
  }
  try {
    let h = sub(reduceFloatResolution(last, minSchema), prev);
    if (isCounter) {
      for (let i = w.hfrom + 1; i < w.hto; i++) {
        if (detectReset(hs[i], prev)) h = add(h, prev);
        prev = hs[i];
      }
    } else if (hs[w.hfrom].counterResetHint !== CounterResetHint.Gauge || last.counterResetHint !== CounterResetHint.Gauge) {
      report.warn(histogramWarnings.notGauge(name));
    }
    return { ...h, counterResetHint: CounterResetHint.Gauge };
  } catch (err) {
    return reportIncompatible(err, name, report);
  }
}

/** irate/idelta over the last two samples when both are histograms. */
function instantValue(w: Window, isRate: boolean, report: Reporter): FloatHistogram | number | null {
  if (w.to - w.from + w.hto - w.hfrom < 2) return null;
  // The last two samples of the window, floats and histograms together.
  const pts: Array<{ t: number; f: number; h: FloatHistogram | null }> = [];
  forEachPoint(w, (f, h, t) => pts.push({ t, f, h }));
  const a = pts[pts.length - 2];
  const b = pts[pts.length - 1];
  const dt = b.t - a.t;
  if (dt === 0) return null;
  const name = nameOf(w);
  if (a.h === null || b.h === null) {
    // The last two samples are floats: the float function reads the same two.
    if (a.h === null && b.h === null) return rangeFunction(isRate ? 'irate' : 'idelta')(w, new Float64Array(0), report);
    return warnMixed(w, report);
  }
  if (isRate && (a.h.counterResetHint === CounterResetHint.Gauge || b.h.counterResetHint === CounterResetHint.Gauge)) {
    report.warn(histogramWarnings.notCounter(name));
  }
  if (!isRate && (a.h.counterResetHint !== CounterResetHint.Gauge || b.h.counterResetHint !== CounterResetHint.Gauge)) {
    report.warn(histogramWarnings.notGauge(name));
  }
  let h = b.h;
  if (!isRate || !detectReset(b.h, a.h)) {
    try {
      h = sub(b.h, a.h);
    } catch (err) {
      return reportIncompatible(err, name, report);
    }
  }
  h = { ...h, counterResetHint: CounterResetHint.Gauge };
  return isRate ? divide(h, dt / 1000) : h;
}
