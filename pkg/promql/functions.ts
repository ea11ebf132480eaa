/** Functions over instant vectors (math, time, sorting, absent, vector) and their dispatch. */
import { Labels } from '../model/labels/index.js';
import type { Call } from './parser/index.js';
import { NodeKind, startOf } from './parser/index.js';
import type { Evaluator, Val } from './evaluator.js';
import type { BucketCache } from './histogram-functions.js';
import { histogramFraction, histogramQuantile, histogramReaders, mapHistograms } from './histogram-functions.js';
import { labelJoin, labelReplace, sortByLabel } from './label-functions.js';
import { absentLabels } from './range-functions.js';
import { compareNaNFirst } from './stats-math.js';
import type { Matrix, Vector } from './value.js';
import { executionError } from './value.js';

type MathFn = (v: number, p: Float64Array) => number;

const math: Record<string, MathFn> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sgn: (v) => (v > 0 ? 1 : v < 0 ? -1 : v),
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
  round: (v, p) => {
    const inv = 1 / (p.length > 1 ? p[1] : 1);
    return Math.floor(v * inv + 0.5) / inv;
  },
  clamp: (v, p) => Math.max(p[1], Math.min(p[2], v)),
  clamp_max: (v, p) => Math.min(p[1], v),
  clamp_min: (v, p) => Math.max(p[1], v),
};

const dateParts: Record<string, (d: Date) => number> = {
  year: (d) => d.getUTCFullYear(),
  month: (d) => d.getUTCMonth() + 1,
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => {
    const start = Date.UTC(d.getUTCFullYear(), 0, 1);
    return Math.floor((d.getTime() - start) / 86400_000) + 1;
  },
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
};

export function callInstantFunction(ev: Evaluator, e: Call, args: Val[]): Matrix {
  const name = e.func.name;
  const fn = math[name];
  if (fn !== undefined) {
    if (name === 'clamp') {
      return ev.rangeEval(args, (vecs, sc) => (sc[2] < sc[1] ? [] : mapVector(vecs[0], (v) => fn(v, sc))));
    }
    return mapSeries(ev, args, fn);
  }
  const part = dateParts[name];
  if (part !== undefined) {
    if (args.length === 0) {
      return [timeSeries(ev, (t) => part(new Date(Math.floor(t / 1000) * 1000)))];
    }
    return mapSeries(ev, args, (v) => (Number.isFinite(v) ? part(new Date(Math.floor(v) * 1000)) : NaN));
  }
  switch (name) {
    case 'timestamp':
      // Histogram samples have a time too (mapVector would drop them).
      return ev.rangeEval(args, (vecs, _sc, t) => vecs[0].map((s) => ({ metric: s.metric, t, f: t / 1000, dropName: true })));
    case 'vector':
      return [timeSeries(ev, (_t, i) => (args[0] as { v: Float64Array }).v[i])];
    case 'absent': {
      const arg = e.args[0];
      let inner = arg;
      while (inner.kind === NodeKind.Paren) inner = inner.expr;
      const metric = inner.kind === NodeKind.VectorSelector ? absentLabels(inner) : Labels.EMPTY;
      return ev.rangeEval(args, (vecs, _sc, t) => (vecs[0].length > 0 ? [] : [{ metric, t, f: 1, dropName: false }]));
    }
    case 'sort':
    case 'sort_desc':
      return ev.rangeEval(args, (vecs) => sortVector(vecs[0], name === 'sort_desc'));
    case 'sort_by_label':
    case 'sort_by_label_desc':
      return ev.rangeEval(args, (vecs) => sortByLabel(vecs[0], stringArgs(args, 1), name === 'sort_by_label_desc'));
    case 'label_replace': {
      const [dst, repl, src, re] = stringArgs(args, 1);
      return ev.rangeEval(args, labelReplace(dst, repl, src, re));
    }
    case 'label_join': {
      const [dst, sep, ...srcs] = stringArgs(args, 1);
      return ev.rangeEval(args, labelJoin(dst, sep, srcs));
    }
    case 'histogram_quantile': {
      const annos = ev.opts.annotations;
      const atQ = annos.at(startOf(e.args[0]));
      const atV = annos.at(startOf(e.args[1]));
      const cache: BucketCache = new Map();
      return ev.rangeEval(args, (vecs, sc) => histogramQuantile(sc[0], vecs[1], atQ, atV, cache));
    }
    case 'histogram_fraction': {
      const atL = ev.opts.annotations.at(startOf(e.args[0]));
      const atV = ev.opts.annotations.at(startOf(e.args[2]));
      const cache: BucketCache = new Map();
      return ev.rangeEval(args, (vecs, sc) => histogramFraction(sc[0], sc[1], vecs[2], atL, atV, cache));
    }
    case 'histogram_count':
    case 'histogram_sum':
    case 'histogram_avg':
    case 'histogram_stddev':
    case 'histogram_stdvar': {
      // Float samples are not histograms: these functions ignore them, as Prometheus does.
      const input = args[0];
      if (input.k !== 'vector' || !input.m.some((s) => s.hts !== undefined)) return [];
      const read = histogramReaders[name];
      return ev.rangeEval(args, (vecs) => mapHistograms(vecs[0], read));
    }
    default:
      throw executionError(`function "${name}" is not supported`);
  }
}

function stringArgs(args: Val[], from: number): string[] {
  return args.slice(from).map((a) => {
    if (a.k !== 'string') throw new Error('BUG: expected a string argument');
    return a.s;
  });
}

/** Applies fn to every point of every series, keeping its step (scalar params by step index). */
function mapSeries(ev: Evaluator, args: Val[], fn: MathFn): Matrix {
  const input = args[0];
  if (input.k !== 'vector') throw new Error('BUG: expected an instant vector argument');
  const p = new Float64Array(args.length);
  const out: Matrix = [];
  for (const s of input.m) {
    ev.checkAbort();
    const fs = new Array<number>(s.fs.length);
    for (let j = 0; j < s.fs.length; j++) {
      if (args.length > 1) {
        const step = ev.interval > 0 ? Math.round((s.ts[j] - ev.start) / ev.interval) : 0;
        for (let a = 1; a < args.length; a++) {
          const arg = args[a];
          p[a] = arg.k === 'scalar' ? arg.v[step] : NaN;
        }
      }
      fs[j] = fn(s.fs[j], p);
    }
    out.push({ metric: s.metric, ts: s.ts, fs, dropName: true });
  }
  return out;
}

/** fn over the float samples of v; histogram samples are dropped, as Prometheus' math functions do. */
function mapVector(v: Vector, fn: (f: number) => number): Vector {
  const out: Vector = [];
  for (const s of v) if (s.h === undefined) out.push({ metric: s.metric, t: s.t, f: fn(s.f), dropName: true });
  return out;
}

function timeSeries(ev: Evaluator, fn: (t: number, i: number) => number): Matrix[number] {
  const ts = ev.timesOf();
  return { metric: Labels.EMPTY, ts, fs: ts.map((t, i) => fn(t, i)), dropName: false };
}

/** sort() ascending and sort_desc() descending, NaN last in both. */
function sortVector(v: Vector, desc: boolean): Vector {
  // Histograms have no order: sort() and sort_desc() drop them, as Prometheus does.
  const out = v.filter((s) => s.h === undefined);
  out.sort((a, b) => {
    const an = Number.isNaN(a.f);
    const bn = Number.isNaN(b.f);
    if (an || bn) return an === bn ? 0 : an ? 1 : -1;
    return desc ? compareNaNFirst(b.f, a.f) : compareNaNFirst(a.f, b.f);
  });
  return out;
}

