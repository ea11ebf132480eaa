/**
 * One-to-one vector/vector arithmetic and comparisons, series by series. Series are paired once by
 * their matching signature instead of at every step; points are joined by walking both series in
 * step order. The step-by-step path (binary-ops.ts) stays for set operators and group_left/right.
 *
 * Prometheus' per-step errors are reproduced exactly: a step where two right-hand series share a
 * signature ("found duplicate series for the match group …"), or where two left-hand series match
 * and are kept ("multiple matches for labels …"); the earliest such step decides which is raised,
 * the right-hand check first, as a step-by-step evaluation would.
 */
import type { Labels } from '../model/labels/index.js';
import type { Evaluator } from './evaluator.js';
import type { Matrix, Series } from './value.js';
import { executionError } from './value.js';

export interface SeriesBinop {
  op: string;
  isComparison: boolean;
  returnBool: boolean;
  dropName: boolean;
  apply: (op: string, l: number, r: number) => number;
  sig: (ls: Labels) => string;
  result: (lhs: Labels, rhs: Labels) => Labels;
  rhsDuplicateError: (a: Series, b: Series) => Error;
}

const none = -1;

export function vectorBinopSeriesWise(ev: Evaluator, lhs: Matrix, rhs: Matrix, b: SeriesBinop): Matrix {
  const steps = ev.steps;
  const interval = ev.interval > 0 ? ev.interval : 1;
  const stepOf = (t: number): number => Math.round((t - ev.start) / interval);

  // Prometheus checks the right-hand side only at steps where the left-hand side has samples.
  const lhsPresent = new Uint8Array(steps);
  for (const s of lhs) for (const t of s.ts) lhsPresent[stepOf(t)] = 1;
  // Right-hand series by signature; per signature with several series, who is present at each step.
  const groups = new Map<string, Series[]>();
  for (const s of rhs) {
    const k = b.sig(s.metric);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [s]);
    else g.push(s);
  }
  let firstError = Infinity;
  let error: Error | undefined;
  const owners = new Map<string, Int32Array>();
  for (const [k, g] of groups) {
    if (g.length < 2) continue;
    const owner = new Int32Array(steps).fill(none);
    g.forEach((s, idx) => {
      for (const t of s.ts) {
        const i = stepOf(t);
        if (owner[i] !== none && lhsPresent[i] === 1 && i < firstError) {
          firstError = i;
          error = b.rhsDuplicateError(s, g[owner[i]]);
        }
        owner[i] = idx;
      }
    });
    owners.set(k, owner);
  }

  const out = new Map<string, Series>();
  // Left-hand series of one signature that matched (and were kept) at a step: the step's owner.
  const matchedBy = new Map<string, Int32Array>();
  let lhsIndex = 0;
  for (const l of lhs) {
    ev.checkAbort();
    lhsIndex++;
    const k = b.sig(l.metric);
    const g = groups.get(k);
    if (g === undefined) continue;
    const owner = owners.get(k);
    const cursors = new Int32Array(g.length);
    let metric: Labels | undefined;
    let target: Series | undefined;
    for (let j = 0; j < l.ts.length; j++) {
      const t = l.ts[j];
      const i = stepOf(t);
      const ri = owner === undefined ? 0 : owner[i];
      if (ri === none) continue;
      const r = g[ri];
      let c = cursors[ri];
      while (c < r.ts.length && r.ts[c] < t) c++;
      cursors[ri] = c;
      if (c >= r.ts.length || r.ts[c] !== t) continue;
      const fl = l.fs[j];
      let f = b.apply(b.op, fl, r.fs[c]);
      if (b.isComparison && !b.returnBool) {
        if (f === 0) continue;
        f = fl;
      }
      let seen = matchedBy.get(k);
      if (seen === undefined) {
        seen = new Int32Array(steps);
        matchedBy.set(k, seen);
      }
      if (seen[i] !== 0 && seen[i] !== lhsIndex) {
        if (i < firstError) {
          firstError = i;
          error = executionError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        }
        continue;
      }
      seen[i] = lhsIndex;
      if (metric === undefined) metric = b.result(l.metric, r.metric);
      if (target === undefined) {
        target = out.get(metric.key);
        if (target === undefined) {
          target = { metric, ts: [], fs: [], dropName: b.dropName || l.dropName };
          out.set(metric.key, target);
        }
      }
      target.ts.push(t);
      target.fs.push(f);
    }
  }
  if (error !== undefined) throw error;
  const result = [...out.values()];
  // Left-hand series that share an output label set (at distinct steps) were appended one after
  // the other: restore step order.
  for (const s of result) if (!isSorted(s.ts)) sortPoints(s);
  return result;
}

function isSorted(ts: number[]): boolean {
  for (let i = 1; i < ts.length; i++) if (ts[i] < ts[i - 1]) return false;
  return true;
}

function sortPoints(s: Series): void {
  const idx = s.ts.map((_, i) => i).sort((a, b) => s.ts[a] - s.ts[b]);
  const ts = idx.map((i) => s.ts[i]);
  const fs = idx.map((i) => s.fs[i]);
  s.ts = ts;
  s.fs = fs;
}
