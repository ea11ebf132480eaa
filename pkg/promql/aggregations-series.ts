/**
 * sum, avg, count, min, max, group, stddev and stdvar, computed series by series: each input series
 * is mapped to its group once, and its points are folded into per-group, per-step accumulators held
 * in typed arrays. No per-step vectors, no per-sample objects. The fold visits samples in the same
 * order as a step-by-step evaluation would (series order), so results are identical.
 */
import { Labels } from '../model/labels/index.js';
import type { Evaluator } from './evaluator.js';
import type { Matrix } from './value.js';
import { executionError } from './value.js';

export const seriesWiseOps: ReadonlySet<string> = new Set(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar']);

/** Accumulators of one group: one slot per step. */
interface Acc {
  metric: Labels;
  dropName: boolean;
  count: Float64Array;
  /** sum / running value / sum of squared deviations. */
  value: Float64Array;
  /** Kahan compensation of value (sum, avg) or of mean (avg after overflow). */
  comp: Float64Array;
  /** Running mean (stddev/stdvar; avg after the sum overflowed). */
  mean: Float64Array;
  /** avg: 1 once the plain sum overflowed and the incremental mean took over. */
  incremental: Uint8Array;
}

function newAcc(metric: Labels, dropName: boolean, steps: number): Acc {
  return {
    metric,
    dropName,
    count: new Float64Array(steps),
    value: new Float64Array(steps),
    comp: new Float64Array(steps),
    mean: new Float64Array(steps),
    incremental: new Uint8Array(steps),
  };
}

/** Kahan–Neumaier step on slot i of (sum, comp). */
function kahan(sum: Float64Array, comp: Float64Array, i: number, inc: number): void {
  const s = sum[i];
  const t = s + inc;
  if (t === Infinity || t === -Infinity) comp[i] = 0;
  else if (Math.abs(s) >= Math.abs(inc)) comp[i] += s - t + inc;
  else comp[i] += inc - t + s;
  sum[i] = t;
}

function add(op: string, a: Acc, i: number, f: number): void {
  const n = ++a.count[i];
  if (n === 1) {
    a.value[i] = op === 'stddev' || op === 'stdvar' ? (Number.isFinite(f) ? 0 : NaN) : f;
    a.mean[i] = f;
    return;
  }
  switch (op) {
    case 'sum':
      kahan(a.value, a.comp, i, f);
      return;
    case 'avg': {
      if (a.incremental[i] === 0) {
        const prevSum = a.value[i];
        const prevComp = a.comp[i];
        kahan(a.value, a.comp, i, f);
        const s = a.value[i];
        if (s !== Infinity && s !== -Infinity) return;
        // The sum overflowed: continue with an incremental mean, as Prometheus does.
        a.incremental[i] = 1;
        a.mean[i] = prevSum / (n - 1);
        a.comp[i] = prevComp / (n - 1);
      }
      const q = (n - 1) / n;
      a.mean[i] *= q;
      a.comp[i] *= q;
      kahan(a.mean, a.comp, i, f / n);
      return;
    }
    case 'max':
      if (a.value[i] < f || Number.isNaN(a.value[i])) a.value[i] = f;
      return;
    case 'min':
      if (a.value[i] > f || Number.isNaN(a.value[i])) a.value[i] = f;
      return;
    case 'stddev':
    case 'stdvar': {
      const delta = f - a.mean[i];
      a.mean[i] += delta / n;
      a.value[i] += delta * (f - a.mean[i]);
      return;
    }
    default:
      return;
  }
}

function result(op: string, a: Acc, i: number): number {
  const n = a.count[i];
  switch (op) {
    case 'sum':
      return a.value[i] + a.comp[i];
    case 'avg':
      return a.incremental[i] === 1 ? a.mean[i] + a.comp[i] : a.value[i] / n + a.comp[i] / n;
    case 'count':
      return n;
    case 'group':
      return 1;
    case 'max':
    case 'min':
      return a.value[i];
    case 'stdvar':
      return a.value[i] / n;
    case 'stddev':
      return Math.sqrt(a.value[i] / n);
    default:
      throw executionError(`aggregation "${op}" is not supported`);
  }
}

/** The aggregation of one group's float values at one step (the same fold as the series-wise path). */
export function foldFloats(op: string, values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const a = newAcc(Labels.EMPTY, false, 1);
  for (const f of values) add(op, a, 0, f);
  return result(op, a, 0);
}

export function aggregateSeriesWise(
  ev: Evaluator,
  op: string,
  input: Matrix,
  groupOf: (m: Labels) => Labels,
  keepsName: boolean,
): Matrix {
  const groups = new Map<string, Acc>();
  const order: Acc[] = [];
  const interval = ev.interval > 0 ? ev.interval : 1;
  for (const s of input) {
    ev.checkAbort();
    const metric = groupOf(s.metric);
    let a = groups.get(metric.key);
    if (a === undefined) {
      a = newAcc(metric, keepsName && s.dropName, ev.steps);
      groups.set(metric.key, a);
      order.push(a);
    }
    for (let j = 0; j < s.ts.length; j++) add(op, a, Math.round((s.ts[j] - ev.start) / interval), s.fs[j]);
  }
  const out: Matrix = [];
  for (const a of order) {
    const ts: number[] = [];
    const fs: number[] = [];
    for (let i = 0; i < ev.steps; i++) {
      if (a.count[i] === 0) continue;
      ts.push(ev.stepTime(i));
      fs.push(result(op, a, i));
    }
    out.push({ metric: a.metric, ts, fs, dropName: a.dropName });
  }
  return out;
}
