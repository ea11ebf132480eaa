/**
 * sum, avg, count, group, min, max, stddev and stdvar over input that holds native histograms,
 * step by step (Prometheus' rules): sum and avg add histograms when a group holds only
 * histograms, warn and drop the group when it mixes them with floats; count and group count
 * both kinds; the others ignore histograms with an info. Float-only input takes the series-wise
 * path of aggregations-series.ts, whose float fold this reuses.
 */
import type { FloatHistogram } from '../model/histogram/index.js';
import { add, compact, divide, sub } from '../model/histogram/index.js';
import type { Labels } from '../model/labels/index.js';
import { MetricName } from '../model/labels/index.js';
import { foldFloats } from './aggregations-series.js';
import type { Evaluator } from './evaluator.js';
import { reportIncompatible } from './range-functions-histogram.js';
import type { Matrix, Reporter, Sample, Vector } from './value.js';

/** Whether any series of the input holds native histogram points. */
export function hasHistograms(m: Matrix): boolean {
  for (const s of m) if (s.hts !== undefined && s.hts.length > 0) return true;
  return false;
}

interface Group {
  metric: Labels;
  dropName: boolean;
  floats: number[];
  histograms: Sample[];
}

export function aggregateWithHistograms(
  ev: Evaluator,
  op: string,
  input: Matrix,
  groupOf: (m: Labels) => Labels,
  keepsName: boolean,
  report: Reporter,
): Matrix {
  return ev.rangeEval([{ k: 'vector', m: input }], (vecs) => {
    const groups = new Map<string, Group>();
    for (const s of vecs[0]) {
      const metric = groupOf(s.metric);
      let g = groups.get(metric.key);
      if (g === undefined) {
        g = { metric, dropName: keepsName && s.dropName, floats: [], histograms: [] };
        groups.set(metric.key, g);
      }
      if (s.h === undefined) g.floats.push(s.f);
      else g.histograms.push(s);
    }
    const out: Vector = [];
    for (const g of groups.values()) {
      const r = groupResult(op, g, report);
      if (r === null) continue;
      const smp: Sample = { metric: g.metric, t: 0, f: typeof r === 'number' ? r : 0, dropName: g.dropName };
      if (typeof r !== 'number') smp.h = r;
      out.push(smp);
    }
    return out;
  });
}

function groupResult(op: string, g: Group, report: Reporter): number | FloatHistogram | null {
  switch (op) {
    case 'count':
      return g.floats.length + g.histograms.length;
    case 'group':
      return 1;
    case 'sum':
    case 'avg':
      if (g.histograms.length === 0) return foldFloats(op, g.floats);
      if (g.floats.length > 0) {
        report.warn('encountered a mix of histograms and floats for aggregation');
        return null;
      }
      return op === 'sum' ? sumOf(g.histograms, report) : meanOf(g.histograms, report);
    default:
      report.info(`ignored histogram in ${op} aggregation`);
      return g.floats.length === 0 ? null : foldFloats(op, g.floats);
  }
}

function sumOf(hs: Sample[], report: Reporter): FloatHistogram | null {
  let acc = hs[0].h as FloatHistogram;
  for (let i = 1; i < hs.length; i++) {
    try {
      acc = add(acc, hs[i].h as FloatHistogram);
    } catch (err) {
      return reportIncompatible(err, JSON.stringify(hs[i].metric.get(MetricName)), report);
    }
  }
  return compact(acc);
}

/** The incremental mean Prometheus computes for histograms. */
function meanOf(hs: Sample[], report: Reporter): FloatHistogram | null {
  let mean = hs[0].h as FloatHistogram;
  for (let i = 1; i < hs.length; i++) {
    const n = i + 1;
    try {
      mean = add(mean, sub(divide(hs[i].h as FloatHistogram, n), divide(mean, n)));
    } catch (err) {
      return reportIncompatible(err, JSON.stringify(hs[i].metric.get(MetricName)), report);
    }
  }
  return compact(mean);
}
