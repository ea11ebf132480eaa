/**
 * Evaluates an AST over a range of steps (an instant query is a range of one step). Every
 * vector-valued node evaluates to a Matrix whose points sit on the steps; scalars to one value per
 * step. Selectors and functions over range vectors walk each series once with two moving window
 * pointers; operators and aggregations work step by step on instant vectors (Prometheus'
 * rangeEval).
 */
import type { FloatHistogram } from '../model/histogram/index.js';
import { CounterResetHint, scale } from '../model/histogram/index.js';
import { Labels } from '../model/labels/index.js';
import type { Call, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from './parser/index.js';
import { NodeKind, ValueKind, startOf } from './parser/index.js';
import { aggregate } from './aggregations.js';
import { binaryOp, type BinaryOperand } from './binary-ops.js';
import { callInstantFunction } from './functions.js';
import { absentLabels } from './range-functions.js';
import { subqueryGrid } from './subquery-grid.js';
import { WindowWalker } from './window-walk.js';
import { QuerySamples } from './query-samples.js';
import type { LoadedSeries, Selection } from './selection.js';
import { isStaleNaN, resolveAt } from './selection.js';
import type { Annotations, Matrix, Sample, Series, Vector } from './value.js';
import { ErrorType, QueryError, executionError } from './value.js';

export type Val =
  | { readonly k: 'vector'; readonly m: Matrix }
  | { readonly k: 'scalar'; readonly v: Float64Array }
  | { readonly k: 'string'; readonly s: string }
  | { readonly k: 'range'; readonly m: Matrix };

export interface EvalOptions {
  /** Start and end of the whole query, for `@ start()` and `@ end()`. */
  queryStart: number;
  queryEnd: number;
  lookbackDelta: number;
  /** Resolution of subqueries without a step, in ms. */
  subqueryStep: number;
  signal: AbortSignal | undefined;
  /** Wall-clock ms after which evaluation stops with a timeout (timers cannot fire mid-evaluation). */
  deadline: number;
  annotations: Annotations;
  /** Count the samples read per step too (`stats=all`). */
  perStepStats: boolean;
}

/** A range of input points for a function over time: views plus the step's reference time. */
export interface Window {
  ts: Float64Array;
  vs: Float64Array;
  from: number;
  to: number;
  /** Native histogram samples of the series and the window's part of them [hfrom, hto). */
  hts: readonly number[];
  hs: readonly FloatHistogram[];
  hfrom: number;
  hto: number;
  /** Evaluation time of the step (ms; the `@` time if set), offset and range of the window (ms). */
  t: number;
  /** The step's own evaluation time (differs from t under `@`). */
  evalT: number;
  offset: number;
  range: number;
  /** Name of the input series, for annotations. */
  metric: Labels;
}

export class Evaluator {
  readonly start: number;
  readonly end: number;
  readonly interval: number;
  readonly steps: number;
  readonly #sel: Selection;
  readonly opts: EvalOptions;
  /** The samples read on this evaluation's steps (Prometheus' totalQueryableSamples). */
  readonly samples: QuerySamples;
  #checks = 0;

  constructor(start: number, end: number, interval: number, sel: Selection, opts: EvalOptions) {
    this.start = start;
    this.end = end;
    this.interval = interval;
    this.steps = interval > 0 ? Math.floor((end - start) / interval) + 1 : 1;
    this.#sel = sel;
    this.opts = opts;
    this.samples = new QuerySamples(this.steps, opts.perStepStats);
  }

  stepTime(i: number): number {
    return this.start + i * this.interval;
  }

  /** Cheap cancellation check, called once per series or step. */
  checkAbort(): void {
    if ((++this.#checks & 255) !== 0) return;
    if (Date.now() > this.opts.deadline) throw new QueryError(ErrorType.Timeout, 'query timed out in query execution');
    const s = this.opts.signal;
    if (s?.aborted === true) {
      const r: unknown = s.reason;
      if (r instanceof QueryError) throw r;
      throw new QueryError(ErrorType.Canceled, 'query was canceled');
    }
  }

  eval(e: Expr): Val {
    this.checkAbort();
    switch (e.kind) {
      case NodeKind.Number:
        return { k: 'scalar', v: new Float64Array(this.steps).fill(e.value) };
      case NodeKind.String:
        return { k: 'string', s: e.value };
      case NodeKind.Paren:
        return this.eval(e.expr);
      case NodeKind.Unary:
        return this.unary(e.op, this.eval(e.expr));
      case NodeKind.VectorSelector:
        return { k: 'vector', m: this.vectorSelector(e, false) };
      case NodeKind.MatrixSelector: {
        const m = this.rangeAtEnd(this.matrixInput(e));
        let n = 0;
        for (const s of m) n += s.ts.length + (s.hts?.length ?? 0);
        this.samples.add(0, n);
        return { k: 'range', m };
      }
      case NodeKind.Subquery: {
        // As Prometheus: what the subquery's own evaluation read, counted at the last step.
        const input = this.subqueryInput(e);
        this.samples.add(this.steps - 1, input.samples);
        return { k: 'range', m: this.rangeAtEnd(input) };
      }
      case NodeKind.Call:
        return this.call(e);
      case NodeKind.Aggregate: {
        const param = e.param === null ? null : this.eval(e.param);
        const input = this.eval(e.expr);
        return { k: 'vector', m: aggregate(this, e, param, input) };
      }
      case NodeKind.Binary: {
        const lhs = this.eval(e.lhs);
        const rhs = this.eval(e.rhs);
        if (lhs.k === 'scalar' && rhs.k === 'scalar') return { k: 'scalar', v: binaryOp(this, e, lhs, rhs) as Float64Array };
        return { k: 'vector', m: binaryOp(this, e, lhs as BinaryOperand, rhs as BinaryOperand) as Matrix };
      }
    }
  }

  private unary(op: '-' | '+', v: Val): Val {
    if (op === '+') return v;
    if (v.k === 'scalar') return { k: 'scalar', v: v.v.map((x) => -x) };
    if (v.k !== 'vector') throw new Error('BUG: unary minus on ' + v.k);
    return {
      k: 'vector',
      m: v.m.map((s) => {
        const out: Series = { metric: s.metric, ts: s.ts, fs: s.fs.map((x) => -x), dropName: true };
        if (s.hts !== undefined && s.hs !== undefined) {
          out.hts = s.hts;
          out.hs = s.hs.map((h) => scale(h, -1));
        }
        return out;
      }),
    };
  }

  /** Instant vector selector: per step, the newest sample in (ref - lookback, ref], unless stale. */
  vectorSelector(e: VectorSelector, timestamps: boolean): Matrix {
    const loaded = this.loaded(e);
    const at = resolveAt(e, this.opts.queryStart, this.opts.queryEnd);
    const lookback = this.opts.lookbackDelta;
    const out: Matrix = [];
    const perStep = this.samples.perStep;
    for (const s of loaded) {
      this.checkAbort();
      if (s.hts !== null) {
        const r = this.#selectWithHistograms(s, at, e.offset, timestamps);
        if (r !== null) out.push(r);
        continue;
      }
      const ts: number[] = [];
      const fs: number[] = [];
      let j = 0;
      for (let i = 0; i < this.steps; i++) {
        const t = this.stepTime(i);
        const ref = (at ?? t) - e.offset;
        // ref only grows from step to step (it is constant under @), so j never moves back.
        while (j < s.ts.length && s.ts[j] <= ref) j++;
        const k = j - 1;
        if (k < 0 || s.ts[k] <= ref - lookback) continue;
        const v = s.vs[k];
        if (isStaleNaN(v)) continue;
        ts.push(t);
        fs.push(timestamps ? s.ts[k] / 1000 : v);
        if (perStep !== null) perStep[i]++;
      }
      this.samples.total += ts.length;
      if (ts.length > 0) out.push({ metric: s.metric, ts, fs, dropName: false });
    }
    return out;
  }

  /** vectorSelector() for a series with native histograms: per step the newer of the two kinds. */
  #selectWithHistograms(s: LoadedSeries, at: number | null, offset: number, timestamps: boolean): Series | null {
    const lookback = this.opts.lookbackDelta;
    const hts = s.hts ?? [];
    const hs = s.hs ?? [];
    const out: Series = { metric: s.metric, ts: [], fs: [], dropName: false, hts: [], hs: [] };
    let j = 0;
    let k = 0;
    for (let i = 0; i < this.steps; i++) {
      const t = this.stepTime(i);
      const ref = (at ?? t) - offset;
      while (j < s.ts.length && s.ts[j] <= ref) j++;
      while (k < hts.length && hts[k] <= ref) k++;
      const ft = j > 0 ? s.ts[j - 1] : -Infinity;
      const ht = k > 0 ? hts[k - 1] : -Infinity;
      const newest = Math.max(ft, ht);
      if (newest <= ref - lookback) continue;
      if (ht > ft) {
        const h = hs[k - 1];
        if (isStaleNaN(h.sum)) continue;
        if (timestamps) {
          out.ts.push(t);
          out.fs.push(ht / 1000);
        } else {
          out.hts?.push(t);
          out.hs?.push(h);
        }
        this.samples.add(i, 1);
        continue;
      }
      const v = s.vs[j - 1];
      if (isStaleNaN(v)) continue;
      out.ts.push(t);
      out.fs.push(timestamps ? ft / 1000 : v);
      this.samples.add(i, 1);
    }
    const n = out.ts.length + (out.hts?.length ?? 0);
    return n > 0 ? out : null;
  }

  private loaded(e: VectorSelector): LoadedSeries[] {
    const l = this.#sel.series.get(e);
    if (l === undefined) throw new Error('BUG: selector was not loaded');
    return l;
  }

  /** The raw series of a matrix selector with the time shift of its modifiers. */
  private matrixInput(e: MatrixSelector): RangeInput {
    const sel = e.vector;
    const series = this.loaded(sel).map((s) => ({ metric: s.metric, ts: s.ts, fs: s.vs, dropName: false, hts: s.hts, hs: s.hs }));
    return { series, range: e.range, offset: sel.offset, at: resolveAt(sel, this.opts.queryStart, this.opts.queryEnd) };
  }

  /**
   * Evaluates a subquery's inner expression on its own aligned steps (Prometheus' alignment). The
   * samples it read are returned, not counted: a function over it counts the points its windows
   * hold instead (as Prometheus).
   */
  private subqueryInput(e: SubqueryExpr): RangeInput & { samples: number } {
    const at = resolveAt(e, this.opts.queryStart, this.opts.queryEnd);
    const g = subqueryGrid(e, this.start, this.end, at, this.opts.subqueryStep);
    const inner = new Evaluator(g.start, g.end, g.step, this.#sel, { ...this.opts, perStepStats: false });
    const v = inner.eval(e.expr);
    // Typed arrays like the selectors' keep the window walk monomorphic.
    let series: RangeSeries[];
    if (v.k === 'vector') {
      series = v.m.map((x) => ({
        metric: x.metric,
        ts: Float64Array.from(x.ts),
        fs: Float64Array.from(x.fs),
        dropName: x.dropName,
        hts: x.hts ?? null,
        hs: x.hs?.map(unknownResetHint) ?? null,
      }));
    } else if (v.k === 'scalar') {
      series = [{ metric: Labels.EMPTY, ts: Float64Array.from(inner.timesOf()), fs: v.v, dropName: false, hts: null, hs: null }];
    } else throw new Error(`BUG: subquery over ${v.k}`);
    return { series, range: e.range, offset: e.offset, at, samples: inner.samples.total };
  }

  timesOf(): number[] {
    const out = new Array<number>(this.steps);
    for (let i = 0; i < this.steps; i++) out[i] = this.stepTime(i);
    return out;
  }

  /** A range vector as the result of an instant query: the points of each window at `end`. */
  private rangeAtEnd(input: RangeInput): Matrix {
    const ref = (input.at ?? this.end) - input.offset;
    const out: Matrix = [];
    for (const s of input.series) {
      const ts: number[] = [];
      const fs: number[] = [];
      for (let i = 0; i < s.ts.length; i++) {
        if (s.ts[i] > ref - input.range && s.ts[i] <= ref) {
          ts.push(s.ts[i]);
          fs.push(s.fs[i]);
        }
      }
      const r: Series = { metric: s.metric, ts, fs, dropName: s.dropName };
      if (s.hts !== null && s.hs !== null) {
        r.hts = [];
        r.hs = [];
        for (let i = 0; i < s.hts.length; i++) {
          if (s.hts[i] > ref - input.range && s.hts[i] <= ref) {
            r.hts.push(s.hts[i]);
            r.hs.push(s.hs[i]);
          }
        }
      }
      if (ts.length + (r.hts?.length ?? 0) > 0) out.push(r);
    }
    return out;
  }

  private call(e: Call): Val {
    const name = e.func.name;
    const rangeArg = e.args.findIndex((a) => rangeExpr(a) !== null);
    if (rangeArg >= 0) return { k: 'vector', m: this.rangeFunction(e, rangeArg) };
    if (name === 'timestamp') {
      const inner = unparen(e.args[0]);
      if (inner.kind === NodeKind.VectorSelector) {
        const m = this.vectorSelector(inner, true);
        for (const s of m) s.dropName = true;
        return { k: 'vector', m };
      }
    }
    const args = e.args.map((a) => this.eval(a));
    if (e.func.returnType === ValueKind.Scalar) {
      return { k: 'scalar', v: callScalarFunction(this, name, args) };
    }
    return { k: 'vector', m: callInstantFunction(this, e, args) };
  }

  /** Functions over a range vector: one pass per series with a sliding (ref - range, ref] window. */
  private rangeFunction(e: Call, argIdx: number): Matrix {
    const streamed = this.#sel.results.get(e);
    if (streamed !== undefined) {
      this.samples.addAll(streamed.samples);
      return streamed.matrix;
    }
    const arg = rangeExpr(e.args[argIdx]) as MatrixSelector | SubqueryExpr;
    const input = arg.kind === NodeKind.MatrixSelector ? this.matrixInput(arg) : this.subqueryInput(arg);
    if (e.func.name === 'absent_over_time') return this.absentOverTime(arg, input);
    const cols = e.args.map((a, i) => {
      if (i === argIdx) return null;
      const v = this.eval(a);
      return v.k === 'scalar' ? v.v : null;
    });
    const walker = new WindowWalker(e.func.name, this, input, cols, this.opts.annotations, startOf(e.args[0]), this.samples);
    const out: Matrix = [];
    for (const s of input.series) {
      this.checkAbort();
      const r = walker.walk(s.metric, s.dropName, s.ts, s.fs, s.hts, s.hs);
      if (r !== null) out.push(r);
    }
    return out;
  }


  private absentOverTime(arg: MatrixSelector | SubqueryExpr, input: RangeInput): Matrix {
    // One forward walk per series and sample kind marks the steps whose window holds a sample
    // (and counts what the windows hold, as for any function over time).
    const present = new Uint8Array(this.steps);
    for (const s of input.series) {
      for (const times of [s.ts, s.hts ?? noTimes]) {
        let lo = 0;
        let hi = 0;
        for (let i = 0; i < this.steps; i++) {
          const ref = (input.at ?? this.stepTime(i)) - input.offset;
          while (hi < times.length && times[hi] <= ref) hi++;
          while (lo < hi && times[lo] <= ref - input.range) lo++;
          if (hi === lo) continue;
          present[i] = 1;
          this.samples.add(i, hi - lo);
        }
      }
    }
    const ts: number[] = [];
    const fs: number[] = [];
    for (let i = 0; i < this.steps; i++) {
      if (present[i] === 1) continue;
      ts.push(this.stepTime(i));
      fs.push(1);
    }
    if (ts.length === 0) return [];
    const metric = arg.kind === NodeKind.MatrixSelector ? absentLabels(arg.vector) : Labels.EMPTY;
    return [{ metric, ts, fs, dropName: false }];
  }


  /**
   * Prometheus' rangeEval: calls `fn` once per step with the instant vectors (or scalar values)
   * of its arguments at that step and collects the output into series.
   */
  rangeEval(args: readonly Val[], fn: (vecs: Vector[], scalars: Float64Array, t: number, step: number) => Vector): Matrix {
    const cursors = args.map((a) => (a.k === 'vector' ? new Int32Array(a.m.length) : null));
    const hcursors = args.map((a) => (a.k === 'vector' && a.m.some((s) => s.hts !== undefined) ? new Int32Array(a.m.length) : null));
    const vecs: Vector[] = args.map(() => []);
    const pools: Sample[][] = args.map(() => []);
    const scalars = new Float64Array(args.length);
    const bySeries = new Map<string, Series>();
    const order: Series[] = [];
    for (let i = 0; i < this.steps; i++) {
      this.checkAbort();
      const t = this.stepTime(i);
      for (let a = 0; a < args.length; a++) {
        const arg = args[a];
        if (arg.k === 'scalar') scalars[a] = arg.v[i];
        else if (arg.k === 'vector') {
          gather(arg.m, cursors[a] as Int32Array, t, vecs[a], pools[a]);
          const hc = hcursors[a];
          if (hc !== null) gatherHistograms(arg.m, hc, t, vecs[a]);
        }
      }
      const res = fn(vecs, scalars, t, i);
      for (const smp of res) {
        const key = smp.metric.key;
        let s = bySeries.get(key);
        if (s === undefined) {
          s = { metric: smp.metric, ts: [], fs: [], dropName: smp.dropName };
          bySeries.set(key, s);
          order.push(s);
        } else if (s.ts[s.ts.length - 1] === t || (s.hts !== undefined && s.hts[s.hts.length - 1] === t)) {
          throw executionError('vector cannot contain metrics with the same labelset');
        }
        if (smp.h !== undefined) {
          (s.hts ??= []).push(t);
          (s.hs ??= []).push(smp.h);
        } else {
          s.ts.push(t);
          s.fs.push(smp.f);
        }
      }
    }
    return order;
  }
}

const noTimes: readonly number[] = [];

/** Input of a function over time; typed arrays keep the window walk monomorphic. */
interface RangeSeries {
  metric: Labels;
  ts: Float64Array;
  fs: Float64Array;
  dropName: boolean;
  hts: readonly number[] | null;
  hs: readonly FloatHistogram[] | null;
}

interface RangeInput {
  series: readonly RangeSeries[];
  range: number;
  offset: number;
  at: number | null;
}

/** Fills `out` with the samples of `m` at time t, advancing per-series cursors. */
/**
 * Fills `out` with the samples of `m` at time t, advancing per-series cursors. The Sample objects
 * come from `pool` (one per series) and are overwritten at the next step: step functions consume
 * their input and output before rangeEval moves on, and never keep samples across steps.
 */
function gather(m: Matrix, cur: Int32Array, t: number, out: Vector, pool: Sample[]): void {
  out.length = 0;
  for (let j = 0; j < m.length; j++) {
    const s = m[j];
    let c = cur[j];
    while (c < s.ts.length && s.ts[c] < t) c++;
    cur[j] = c;
    if (c < s.ts.length && s.ts[c] === t) {
      let smp = pool[j];
      if (smp === undefined) {
        smp = { metric: s.metric, t, f: 0, dropName: s.dropName };
        pool[j] = smp;
      }
      smp.t = t;
      smp.f = s.fs[c];
      out.push(smp);
    }
  }
}

/**
 * A subquery's histograms lose explicit counter-reset hints (as in Prometheus): the subquery may
 * skip the sample after a reset, or return the one with the hint several times.
 */
function unknownResetHint(h: FloatHistogram): FloatHistogram {
  if (h.counterResetHint !== CounterResetHint.CounterReset && h.counterResetHint !== CounterResetHint.NotCounterReset) return h;
  return { ...h, counterResetHint: CounterResetHint.Unknown };
}

/** Appends the histogram samples of `m` at time t to `out` (new objects: they are rare). */
function gatherHistograms(m: Matrix, cur: Int32Array, t: number, out: Vector): void {
  for (let j = 0; j < m.length; j++) {
    const s = m[j];
    const hts = s.hts;
    if (hts === undefined || s.hs === undefined) continue;
    let c = cur[j];
    while (c < hts.length && hts[c] < t) c++;
    cur[j] = c;
    if (c < hts.length && hts[c] === t) out.push({ metric: s.metric, t, f: 0, dropName: s.dropName, h: s.hs[c] });
  }
}

function unparen(e: Expr): Expr {
  while (e.kind === NodeKind.Paren) e = e.expr;
  return e;
}

function rangeExpr(e: Expr): MatrixSelector | SubqueryExpr | null {
  const u = unparen(e);
  return u.kind === NodeKind.MatrixSelector || u.kind === NodeKind.Subquery ? u : null;
}

function callScalarFunction(ev: Evaluator, name: string, args: Val[]): Float64Array {
  const out = new Float64Array(ev.steps);
  for (let i = 0; i < ev.steps; i++) {
    switch (name) {
      case 'time':
        out[i] = ev.stepTime(i) / 1000;
        break;
      case 'pi':
        out[i] = Math.PI;
        break;
      default:
        out[i] = NaN;
    }
  }
  if (name === 'scalar') {
    const arg = args[0];
    if (arg.k !== 'vector') throw new Error('BUG: scalar() of ' + arg.k);
    const counts = new Int32Array(ev.steps);
    for (const s of arg.m) {
      for (let j = 0; j < s.ts.length; j++) {
        const i = Math.round((s.ts[j] - ev.start) / (ev.interval || 1));
        counts[i]++;
        out[i] = s.fs[j];
      }
    }
    for (let i = 0; i < ev.steps; i++) if (counts[i] !== 1) out[i] = NaN;
  }
  return out;
}
