/** The steps an evaluation runs on: a query's, or a subquery's aligned ones. */
import type { SubqueryExpr } from './parser/index.js';

export interface Grid {
  start: number;
  end: number;
  /** 0 for an instant evaluation (one step, at start). */
  step: number;
}

export function gridSteps(g: Grid): number {
  return g.step > 0 ? Math.floor((g.end - g.start) / g.step) + 1 : 1;
}

/**
 * The steps of a subquery evaluated over the outer steps [outerStart, outerEnd] (or at its `@`
 * time): multiples of its step (default: `defaultStep`), from the first one after
 * `outerStart - offset - range`, up to `outerEnd - offset` (Prometheus' alignment).
 */
export function subqueryGrid(e: SubqueryExpr, outerStart: number, outerEnd: number, at: number | null, defaultStep: number): Grid {
  const step = e.step > 0 ? e.step : defaultStep;
  const lo = (at ?? outerStart) - e.offset - e.range;
  let start = step * Math.trunc(lo / step);
  if (start < lo) start += step;
  return { start, end: (at ?? outerEnd) - e.offset, step };
}
