import type { Matcher } from '../../model/labels/index.js';
import { NodeKind, type Expr } from './ast.js';

/**
 * The matchers of every vector selector in `e`, in the order they appear (Prometheus
 * parser.ExtractSelectors): what query_exemplars looks up for a query.
 */
export function extractSelectors(e: Expr): Matcher[][] {
  const out: Matcher[][] = [];
  const visit = (n: Expr): void => {
    switch (n.kind) {
      case NodeKind.VectorSelector:
        out.push([...n.matchers]);
        return;
      case NodeKind.MatrixSelector:
        return visit(n.vector);
      case NodeKind.Subquery:
      case NodeKind.Unary:
      case NodeKind.Paren:
        return visit(n.expr);
      case NodeKind.Aggregate:
        if (n.param !== null) visit(n.param);
        return visit(n.expr);
      case NodeKind.Binary:
        visit(n.lhs);
        return visit(n.rhs);
      case NodeKind.Call:
        for (const a of n.args) visit(a);
        return;
      default:
    }
  };
  visit(e);
  return out;
}
