/** Type checks of the PromQL AST, with Prometheus' error wording. */
import type { AggregateExpr, BinaryExpr, Expr, VectorMatching } from './ast.js';
import { Card, NodeKind, ValueKind, comparisonOps, documentedType, setOps, typeOf } from './ast.js';
import type { FunctionInfo } from './functions.js';

/** Raises a parse error at `at` (an operand, or 'op': a binary operator), else at the expression checked. */
type Fail = (msg: string, at?: Expr | 'op') => never;

const paramAggregations: ReadonlySet<string> = new Set([
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'limitk',
  'limit_ratio',
]);

export function checkUnary(operand: Expr, fail: Fail): void {
  const t = typeOf(operand);
  if (t !== ValueKind.Scalar && t !== ValueKind.Vector) {
    fail(`unary expression only allowed on expressions of type scalar or instant vector, got "${documentedType(t)}"`);
  }
}

export function checkCall(func: FunctionInfo, args: readonly Expr[], fail: Fail): void {
  const n = args.length;
  const declared = func.argTypes.length;
  if (func.variadic === 0) {
    if (n !== declared) fail(`expected ${declared} argument(s) in call to "${func.name}", got ${n}`);
  } else {
    const min = func.variadic > 0 ? declared - func.variadic : declared - 1;
    if (n < min) fail(`expected at least ${min} argument(s) in call to "${func.name}", got ${n}`);
    if (func.variadic > 0 && n > declared) {
      fail(`expected at most ${declared} argument(s) in call to "${func.name}", got ${n}`);
    }
  }
  for (let i = 0; i < n; i++) {
    const want = func.argTypes[Math.min(i, declared - 1)];
    const got = typeOf(args[i]);
    if (got !== want) {
      fail(`expected type ${documentedType(want)} in call to function "${func.name}", got ${documentedType(got)}`, args[i]);
    }
  }
}

export function checkAggregate(
  op: string,
  args: readonly Expr[],
  grouping: string[],
  without: boolean,
  fail: Fail,
): AggregateExpr {
  const wantArgs = paramAggregations.has(op) ? 2 : 1;
  if (args.length !== wantArgs) {
    fail(`wrong number of arguments for aggregate expression provided, expected ${wantArgs}, got ${args.length}`);
  }
  const expr = args[args.length - 1];
  const param = wantArgs === 2 ? args[0] : null;
  const t = typeOf(expr);
  if (t !== ValueKind.Vector) {
    fail(`expected type instant vector in aggregation expression, got ${documentedType(t)}`, expr);
  }
  if (param !== null) {
    const want = op === 'count_values' ? ValueKind.String : ValueKind.Scalar;
    const got = typeOf(param);
    if (got !== want) fail(`expected type ${documentedType(want)} in aggregation parameter, got ${documentedType(got)}`, param);
  }
  return { kind: NodeKind.Aggregate, op, expr, param, grouping, without };
}

export function checkBinary(
  op: string,
  lhs: Expr,
  rhs: Expr,
  returnBool: boolean,
  matchingIn: VectorMatching | null,
  fail: Fail,
): BinaryExpr {
  const lt = typeOf(lhs);
  const rt = typeOf(rhs);
  const isComparison = comparisonOps.has(op);
  const isSet = setOps.has(op);
  if (returnBool && !isComparison) fail('bool modifier can only be used on comparison operators', 'op');
  if (isComparison && !returnBool && lt === ValueKind.Scalar && rt === ValueKind.Scalar) {
    fail('comparisons between scalars must use BOOL modifier', 'op');
  }
  let matching: VectorMatching | null = matchingIn ?? { card: Card.OneToOne, matchingLabels: [], on: false, include: [] };
  if (isSet && matching.card === Card.OneToOne) matching = { ...matching, card: Card.ManyToMany };
  if (matching.on) {
    for (const l of matching.matchingLabels) {
      if (matching.include.includes(l)) fail(`label "${l}" must not occur in ON and GROUP clause at once`, 'op');
    }
  }
  if (lt !== ValueKind.Scalar && lt !== ValueKind.Vector) fail('binary expression must contain only scalar and instant vector types', lhs);
  if (rt !== ValueKind.Scalar && rt !== ValueKind.Vector) fail('binary expression must contain only scalar and instant vector types', rhs);
  if (lt !== ValueKind.Vector || rt !== ValueKind.Vector) {
    if (matchingIn !== null && matchingIn.matchingLabels.length > 0) {
      fail('vector matching only allowed between instant vectors');
    }
    matching = null;
  } else if (isSet) {
    if (matching.card === Card.OneToMany || matching.card === Card.ManyToOne) fail(`no grouping allowed for "${op}" operation`);
  }
  if ((lt === ValueKind.Scalar || rt === ValueKind.Scalar) && isSet) {
    fail(`set operator "${op}" not allowed in binary scalar expression`);
  }
  return { kind: NodeKind.Binary, op, lhs, rhs, returnBool, matching };
}
