/** Binary operators: scalar/scalar, vector/scalar and vector/vector with matching and set ops. */
import type { FloatHistogram } from '../model/histogram/index.js';
import type { Labels } from '../model/labels/index.js';
import { LabelsBuilder, MetricName, quoteLabelValue } from '../model/labels/index.js';
import type { BinaryExpr, VectorMatching } from './parser/index.js';
import { Card, comparisonOps, startOf } from './parser/index.js';
import type { Evaluator, Val } from './evaluator.js';
import { vectorBinopSeriesWise } from './binary-ops-series.js';
import { histogramElemOp } from './binary-ops-histogram.js';
import { hasHistograms } from './aggregations-histogram.js';
import type { Matrix, Reporter, Sample, Series, Vector } from './value.js';
import { executionError } from './value.js';

export type BinaryOperand = Extract<Val, { k: 'vector' } | { k: 'scalar' }>;

const arithmetic: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '^', 'atan2']);

/** Go's math.Pow where it differs from JS: 1^y and (-1)^±Inf are 1. */
function pow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/** Arithmetic result, or for comparisons 1/0 (callers turn that into keep/drop). */
function applyOp(op: string, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return pow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    case '==':
      return l === r ? 1 : 0;
    case '!=':
      return l !== r ? 1 : 0;
    case '>':
      return l > r ? 1 : 0;
    case '<':
      return l < r ? 1 : 0;
    case '>=':
      return l >= r ? 1 : 0;
    case '<=':
      return l <= r ? 1 : 0;
    default:
      throw executionError(`operator "${op}" not allowed for operation`);
  }
}

export function binaryOp(ev: Evaluator, e: BinaryExpr, lhs: BinaryOperand, rhs: BinaryOperand): Float64Array | Matrix {
  const op = e.op;
  const isCmp = comparisonOps.has(op);
  if (lhs.k === 'scalar' && rhs.k === 'scalar') {
    const out = new Float64Array(ev.steps);
    for (let i = 0; i < ev.steps; i++) out[i] = applyOp(op, lhs.v[i], rhs.v[i]);
    return out;
  }
  if (lhs.k === 'vector' && rhs.k === 'vector') {
    const m = e.matching as VectorMatching;
    switch (op) {
      case 'and':
        return ev.rangeEval([lhs, rhs], (v) => setAnd(v[0], v[1], signature(m), false));
      case 'unless':
        return ev.rangeEval([lhs, rhs], (v) => setAnd(v[0], v[1], signature(m), true));
      case 'or':
        return ev.rangeEval([lhs, rhs], (v) => setOr(v[0], v[1], signature(m)));
      default: {
        const sig = signature(m);
        const results = new ResultMetrics(m);
        const report = ev.opts.annotations.at(startOf(e));
        if (hasHistograms(lhs.m) || hasHistograms(rhs.m)) {
          return ev.rangeEval([lhs, rhs], (v) => vectorBinop(op, v[0], v[1], m, e.returnBool, sig, results, report));
        }
        if (m.card === Card.OneToOne) {
          return vectorBinopSeriesWise(ev, lhs.m, rhs.m, {
            op,
            isComparison: isCmp,
            returnBool: e.returnBool,
            dropName: e.returnBool || arithmetic.has(op),
            apply: applyOp,
            sig,
            result: (l, r) => results.get(l, r),
            rhsDuplicateError: (a, b) => duplicateError(a.metric, b.metric, m, 'right'),
          });
        }
        return ev.rangeEval([lhs, rhs], (v) => vectorBinop(op, v[0], v[1], m, e.returnBool, sig, results, report));
      }
    }
  }
  const swap = lhs.k === 'scalar';
  const vec = (swap ? rhs : lhs) as Extract<Val, { k: 'vector' }>;
  const sc = (swap ? lhs : rhs) as Extract<Val, { k: 'scalar' }>;
  const drop = arithmetic.has(op) || e.returnBool;
  const report = ev.opts.annotations.at(startOf(e));
  const out: Matrix = [];
  for (const s of vec.m) {
    const ts: number[] = [];
    const fs: number[] = [];
    for (let j = 0; j < s.ts.length; j++) {
      const step = ev.interval > 0 ? Math.round((s.ts[j] - ev.start) / ev.interval) : 0;
      const x = s.fs[j];
      const y = sc.v[step];
      const r = swap ? applyOp(op, y, x) : applyOp(op, x, y);
      if (isCmp && !e.returnBool) {
        if (r === 0) continue;
        fs.push(x);
      } else {
        fs.push(r);
      }
      ts.push(s.ts[j]);
    }
    const res: Series = { metric: s.metric, ts, fs, dropName: drop || s.dropName };
    if (s.hts !== undefined && s.hs !== undefined) histogramsWithScalar(ev, op, s.hts, s.hs, sc.v, swap, e.returnBool, res, report);
    if (ts.length > 0 || (res.hts?.length ?? 0) > 0) out.push(res);
  }
  return out;
}

/** The histogram points of a series against a scalar; results go into `out` (floats for `bool`). */
function histogramsWithScalar(
  ev: Evaluator,
  op: string,
  hts: readonly number[],
  hs: readonly FloatHistogram[],
  scalar: Float64Array,
  swap: boolean,
  returnBool: boolean,
  out: Series,
  report: Reporter,
): void {
  for (let j = 0; j < hts.length; j++) {
    const step = ev.interval > 0 ? Math.round((hts[j] - ev.start) / ev.interval) : 0;
    const y = scalar[step];
    const r = swap ? histogramElemOp(op, y, 0, undefined, hs[j], report) : histogramElemOp(op, 0, y, hs[j], undefined, report);
    if (r === null) continue;
    if (returnBool) {
      // Comparisons with a histogram never get here: they are incompatible types.
      out.ts.push(hts[j]);
      out.fs.push(r.keep ? 1 : 0);
    } else if (r.keep && r.h !== undefined) {
      (out.hts ??= []).push(hts[j]);
      (out.hs ??= []).push(r.h);
    }
  }
}

type Sig = (ls: Labels) => string;

/** The matching signature of a label set, memoised per label set for the whole evaluation. */
function signature(m: VectorMatching): Sig {
  const names = new Set(m.matchingLabels);
  if (!m.on) names.add(MetricName);
  const cache = new Map<Labels, string>();
  return (ls) => {
    let k = cache.get(ls);
    if (k === undefined) {
      k = (m.on ? ls.keep(names) : ls.drop(names)).key;
      cache.set(ls, k);
    }
    return k;
  };
}

function setAnd(lhs: Vector, rhs: Vector, sig: Sig, unless: boolean): Vector {
  const right = new Set<string>();
  for (const s of rhs) right.add(sig(s.metric));
  return lhs.filter((s) => right.has(sig(s.metric)) !== unless);
}

function setOr(lhs: Vector, rhs: Vector, sig: Sig): Vector {
  const left = new Set<string>();
  for (const s of lhs) left.add(sig(s.metric));
  const out = lhs.slice();
  for (const s of rhs) if (!left.has(sig(s.metric))) out.push(s);
  return out;
}

/** Prometheus' labels.String(): every label, `__name__` included, in braces. */
function labelsString(ls: Labels): string {
  const parts: string[] = [];
  ls.forEach((n, v) => parts.push(`${n}=${quoteLabelValue(v)}`));
  return `{${parts.join(', ')}}`;
}

/** Two series of the "one" side share a signature at one step. */
function duplicateError(a: Labels, b: Labels, m: VectorMatching, side: string): Error {
  return executionError(
    `found duplicate series for the match group ${labelsString(matchLabels(a, m))} on the ${side} hand-side of the operation: [${labelsString(a)}, ${labelsString(b)}];many-to-many matching not allowed: matching labels must be unique on one side`,
  );
}

function matchLabels(ls: Labels, m: VectorMatching): Labels {
  const names = new Set(m.matchingLabels);
  if (m.on) return ls.keep(names);
  names.add(MetricName);
  return ls.drop(names);
}

/** group_left / group_right, step by step: the "many" side may repeat a signature, the "one" side not. */
function vectorBinop(
  op: string,
  lhsIn: Vector,
  rhsIn: Vector,
  m: VectorMatching,
  returnBool: boolean,
  sig: Sig,
  results: ResultMetrics,
  report: Reporter,
): Vector {
  if (lhsIn.length === 0 || rhsIn.length === 0) return [];
  const swap = m.card === Card.OneToMany;
  const lhs = swap ? rhsIn : lhsIn;
  const rhs = swap ? lhsIn : rhsIn;
  const right = new Map<string, Sample>();
  for (const rs of rhs) {
    const s = sig(rs.metric);
    const dup = right.get(s);
    if (dup !== undefined) throw duplicateError(rs.metric, dup.metric, m, swap ? 'left' : 'right');
    right.set(s, rs);
  }
  const isCmp = comparisonOps.has(op);
  const matched = new Map<string, Set<string>>();
  const out: Vector = [];
  for (const ls of lhs) {
    const s = sig(ls.metric);
    const rs = right.get(s);
    if (rs === undefined) continue;
    const fl = swap ? rs.f : ls.f;
    const fr = swap ? ls.f : rs.f;
    let f: number;
    let h: FloatHistogram | undefined;
    if (ls.h === undefined && rs.h === undefined) {
      f = applyOp(op, fl, fr);
      if (isCmp) {
        if (returnBool) {
          // f is already 1 or 0.
        } else if (f === 0) continue;
        else f = fl;
      }
    } else {
      const r = histogramElemOp(op, fl, fr, swap ? rs.h : ls.h, swap ? ls.h : rs.h, report);
      if (r === null) continue;
      f = r.f;
      h = r.h;
      if (returnBool) {
        f = r.keep ? 1 : 0;
        h = undefined;
      } else if (!r.keep) continue;
    }
    const metric = results.get(ls.metric, rs.metric);
    let set = matched.get(s);
    if (set === undefined) {
      set = new Set();
      matched.set(s, set);
    } else if (set.has(metric.key)) {
      throw executionError('multiple matches for matching labels grouping labels must ensure unique matches');
    }
    set.add(metric.key);
    const dropName = returnBool || arithmetic.has(op) || ls.dropName;
    const smp: Sample = { metric, t: ls.t, f, dropName };
    if (h !== undefined) smp.h = h;
    out.push(smp);
  }
  return out;
}

/** Output label sets of matched pairs, memoised for the whole evaluation (they repeat every step). */
class ResultMetrics {
  readonly #m: VectorMatching;
  readonly #cache = new Map<Labels, Map<Labels, Labels>>();
  constructor(m: VectorMatching) {
    this.#m = m;
  }

  get(lhs: Labels, rhs: Labels): Labels {
    let byRhs = this.#cache.get(lhs);
    if (byRhs === undefined) {
      byRhs = new Map();
      this.#cache.set(lhs, byRhs);
    }
    let out = byRhs.get(rhs);
    if (out === undefined) {
      out = resultMetric(lhs, rhs, this.#m);
      byRhs.set(rhs, out);
    }
    return out;
  }
}

function resultMetric(lhs: Labels, rhs: Labels, m: VectorMatching): Labels {
  if (m.card === Card.OneToOne) {
    const names = new Set(m.matchingLabels);
    const base = m.on ? lhs.keep(names) : lhs.drop(names);
    if (m.include.length === 0) return base;
    lhs = base;
  }
  if (m.include.length === 0) return lhs;
  const b = new LabelsBuilder(lhs);
  for (const n of m.include) b.set(n, rhs.get(n));
  return b.labels();
}
