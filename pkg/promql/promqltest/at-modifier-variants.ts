/**
 * promqltest's extra instant-query checks: the same query with `@ <eval time>` pinned on every
 * selector and outermost subquery must give the same answer when evaluated at other times.
 */
import type { Expr } from '../parser/index.js';
import { NodeKind, exprToString, parseExpr } from '../parser/index.js';

/** Functions whose result depends on the evaluation time even with pinned inputs. */
const atUnsafe: ReadonlySet<string> = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'time',
  'timestamp',
]);

export interface Variant {
  query: string;
  t: number;
}

/** The pinned query and the times to evaluate it at; empty when the query is not step invariant. */
export function atModifierVariants(query: string, t: number): Variant[] {
  const expr = parseExpr(query);
  if (!pin(expr, t)) return [];
  const pinned = exprToString(expr);
  const times = t === 0 ? [-1000, 0, 1000] : [-10 * t, 0, Math.trunc(t / 5), t, 10 * t];
  return times.map((at) => ({ query: pinned, t: at }));
}

/** Sets `@ t` where none is set, outside pinned subqueries; false if an unsafe function occurs. */
function pin(e: Expr, t: number): boolean {
  switch (e.kind) {
    case NodeKind.VectorSelector:
      if (e.timestamp === null) {
        e.timestamp = t;
        e.startOrEnd = null;
      }
      return true;
    case NodeKind.MatrixSelector:
      return pin(e.vector, t);
    case NodeKind.Subquery:
      if (e.timestamp !== null) return safe(e.expr);
      e.timestamp = t;
      e.startOrEnd = null;
      return safe(e.expr);
    case NodeKind.Call:
      return !atUnsafe.has(e.func.name) && e.args.every((a) => pin(a, t));
    case NodeKind.Aggregate:
      return (e.param === null || pin(e.param, t)) && pin(e.expr, t);
    case NodeKind.Binary:
      return pin(e.lhs, t) && pin(e.rhs, t);
    case NodeKind.Unary:
    case NodeKind.Paren:
      return pin(e.expr, t);
    default:
      return true;
  }
}

/** No unsafe function inside (a pinned subquery's body is left as written). */
function safe(e: Expr): boolean {
  switch (e.kind) {
    case NodeKind.Call:
      return !atUnsafe.has(e.func.name) && e.args.every(safe);
    case NodeKind.MatrixSelector:
    case NodeKind.VectorSelector:
    case NodeKind.Number:
    case NodeKind.String:
      return true;
    case NodeKind.Aggregate:
      return (e.param === null || safe(e.param)) && safe(e.expr);
    case NodeKind.Binary:
      return safe(e.lhs) && safe(e.rhs);
    default:
      return safe(e.expr);
  }
}
