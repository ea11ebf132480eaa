/** Aggregation operators (sum, avg, …, topk, count_values, limitk, limit_ratio) with by/without. */
import { histogramString } from '../model/histogram/index.js';
import type { Labels } from '../model/labels/index.js';
import { LabelsBuilder, MetricName } from '../model/labels/index.js';
import type { AggregateExpr } from './parser/index.js';
import { startOf } from './parser/index.js';
import type { Evaluator, Val } from './evaluator.js';
import { formatFloat } from './format-float.js';
import { prometheusLabelsHash } from './labels-hash.js';
import { goFloat } from './range-functions.js';
import { quantile } from './stats-math.js';
import { aggregateSeriesWise, seriesWiseOps } from './aggregations-series.js';
import { aggregateWithHistograms, hasHistograms } from './aggregations-histogram.js';
import type { Matrix, Reporter, Sample, Vector } from './value.js';
import { executionError } from './value.js';

export function aggregate(ev: Evaluator, e: AggregateExpr, param: Val | null, input: Val): Matrix {
  const names = new Set(e.grouping);
  if (e.without) names.add(MetricName);
  const keyCache = new Map<Labels, Labels>();
  const groupOf = (m: Labels): Labels => {
    let g = keyCache.get(m);
    if (g === undefined) {
      g = e.without ? m.drop(names) : m.keep(names);
      keyCache.set(m, g);
    }
    return g;
  };
  const keepsName = !e.without && names.has(MetricName);
  const args: Val[] = param === null ? [input] : [param, input];
  const label = param !== null && param.k === 'string' ? param.s : '';
  if (e.op === 'count_values' && (label === '' || label.includes('\ufffd'))) {
    throw executionError(`invalid label name ${JSON.stringify(label)}`);
  }
  if (seriesWiseOps.has(e.op) && input.k === 'vector') {
    if (hasHistograms(input.m)) return aggregateWithHistograms(ev, e.op, input.m, groupOf, keepsName, ev.opts.annotations.at(startOf(e.expr)));
    return aggregateSeriesWise(ev, e.op, input.m, groupOf, keepsName);
  }
  const ignoredAt = ev.opts.annotations.at(startOf(e.expr));
  // Prometheus points annotations about the parameter at the parameter.
  const report = ev.opts.annotations.at(e.param === null ? undefined : startOf(e.param));
  return ev.rangeEval(args, (vecs, sc) => {
    let vec = vecs[args.length - 1];
    if (ignoresHistograms.has(e.op)) vec = floatsOnly(vec, e.op, ignoredAt);
    const p = param === null ? NaN : sc[0];
    switch (e.op) {
      case 'topk':
      case 'bottomk':
      case 'limitk':
        return selectK(e.op, vec, p, groupOf);
      case 'limit_ratio':
        return limitRatio(vec, p, report);
      case 'count_values':
        return countValues(vec, label, groupOf);
      case 'quantile':
        return quantiles(vec, p, groupOf, keepsName, report);
      default:
        throw executionError(`aggregation "${e.op}" is not supported`);
    }
  });
}

/** Aggregations that skip histogram samples (with an info) rather than order or rank them. */
const ignoresHistograms: ReadonlySet<string> = new Set(['topk', 'bottomk', 'quantile']);

function floatsOnly(vec: Vector, op: string, report: Reporter): Vector {
  if (!vec.some((s) => s.h !== undefined)) return vec;
  report.info(`ignored histogram in ${op} aggregation`);
  return vec.filter((s) => s.h === undefined);
}

function quantiles(vec: Vector, q: number, groupOf: (m: Labels) => Labels, keepsName: boolean, report: Reporter): Vector {
  if (Number.isNaN(q) || q < 0 || q > 1) report.warn(`quantile value should be between 0 and 1, got ${goFloat(q)}`);
  const groups = new Map<string, { metric: Labels; dropName: boolean; values: number[] }>();
  for (const s of vec) {
    const metric = groupOf(s.metric);
    let g = groups.get(metric.key);
    if (g === undefined) {
      g = { metric, dropName: keepsName && s.dropName, values: [] };
      groups.set(metric.key, g);
    }
    g.values.push(s.f);
  }
  const out: Vector = [];
  for (const g of groups.values()) out.push({ metric: g.metric, t: 0, f: quantile(q, g.values), dropName: g.dropName });
  return out;
}

/** topk / bottomk / limitk: up to k input samples per group, unchanged. */
function selectK(op: string, vec: Vector, p: number, groupOf: (m: Labels) => Labels): Vector {
  if (Number.isNaN(p)) throw executionError(`Parameter value is NaN for ${op}`);
  const k = Math.trunc(p);
  if (k < 1) return [];
  const groups = new Map<string, Sample[]>();
  for (const s of vec) {
    const key = groupOf(s.metric).key;
    let g = groups.get(key);
    if (g === undefined) {
      g = [];
      groups.set(key, g);
    }
    if (op === 'limitk' && g.length >= k) continue;
    g.push(s);
  }
  const out: Vector = [];
  for (const g of groups.values()) {
    if (op === 'limitk') {
      for (let i = 0; i < g.length && i < k; i++) out.push(g[i]);
    } else {
      out.push(...best(g, k, op === 'topk'));
    }
  }
  return out;
}

/** The k best samples (largest for topk, smallest for bottomk; NaN worst), best first, stable. */
function best(g: Sample[], k: number, top: boolean): Sample[] {
  const worse = (a: Sample, b: Sample): boolean => {
    if (Number.isNaN(a.f)) return !Number.isNaN(b.f);
    if (Number.isNaN(b.f)) return false;
    return top ? a.f < b.f : a.f > b.f;
  };
  const out: Sample[] = [];
  for (const s of g) {
    if (out.length === k && !worse(out[k - 1], s)) continue;
    let i = out.length < k ? out.length : k - 1;
    if (out.length < k) out.push(s);
    while (i > 0 && worse(out[i - 1], s)) {
      out[i] = out[i - 1];
      i--;
    }
    out[i] = s;
  }
  return out;
}

/** math.MaxUint64 as a float64 (2^64 after rounding, as in Go). */
const maxUint64 = 2 ** 64;

function limitRatio(vec: Vector, p: number, report: Reporter): Vector {
  if (Number.isNaN(p)) throw executionError('Ratio value is NaN for limit_ratio');
  let r = p;
  if (r > 1) {
    r = 1;
    report.warn(`ratio value should be between -1 and 1, got ${goFloat(p)}, capping to ${goFloat(r)}`);
  } else if (r < -1) {
    r = -1;
    report.warn(`ratio value should be between -1 and 1, got ${goFloat(p)}, capping to ${goFloat(r)}`);
  }
  return vec.filter((s) => {
    const offset = prometheusLabelsHash(s.metric) / maxUint64;
    return (r >= 0 && offset < r) || (r < 0 && offset >= 1 + r);
  });
}

function countValues(vec: Vector, label: string, groupOf: (m: Labels) => Labels): Vector {
  const counts = new Map<string, Sample>();
  for (const s of vec) {
    const value = s.h === undefined ? formatFloat(s.f) : histogramString(s.h);
    const metric = new LabelsBuilder(groupOf(s.metric)).set(label, value).labels();
    const c = counts.get(metric.key);
    if (c === undefined) counts.set(metric.key, { metric, t: 0, f: 1, dropName: false });
    else c.f++;
  }
  return [...counts.values()];
}
